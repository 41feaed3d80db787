"""Geometry of triangulated contact surfaces: quadratic-triangle shape functions and their
derivatives, closest points on triangles, and the pressure a target surface carries (mm, MPa).
"""

from __future__ import annotations

from dataclasses import dataclass

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip


# ============================================================================================
# Two deformable bodies
# ============================================================================================


def _p2_triangle_basis(L: np.ndarray) -> np.ndarray:
    """Quadratic Lagrange basis on a triangle at barycentric points ``L`` (..., 3); node order:
    corners 0, 1, 2, then the midpoints of edges (1, 2), (0, 2), (0, 1)."""
    L0, L1, L2 = L[..., 0], L[..., 1], L[..., 2]
    return np.stack(
        [L0 * (2 * L0 - 1), L1 * (2 * L1 - 1), L2 * (2 * L2 - 1), 4 * L1 * L2, 4 * L0 * L2,
         4 * L0 * L1],
        axis=-1,
    )  # fmt: skip


def _facet_nodes(V: fem.FunctionSpace, facets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of ``V`` (degree 1 or 2, block indices) on each facet, ordered as
    :func:`_p2_triangle_basis` (3 corners, then 3 edge midpoints for degree 2), and the adjacent
    cell of each facet.  Matched by coordinates (first-order, affine geometry)."""
    mesh = V.mesh
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    f2c = mesh.topology.connectivity(tdim - 1, tdim)
    cells = np.array([f2c.links(f)[0] for f in facets], dtype=np.int32)
    if facets.size == 0:  # (a process may own none)
        k = 6 if V.element.basix_element.degree == 2 else 3
        return np.zeros((0, k), dtype=np.int32), cells
    corners = mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh, tdim - 1, facets, False)]
    targets = [corners]
    if V.element.basix_element.degree == 2:
        mids = 0.5 * (corners[:, [1, 0, 0]] + corners[:, [2, 2, 1]])
        targets.append(mids)
    targets = np.concatenate(targets, axis=1)  # (nf, k, 3)
    cell_nodes = V.dofmap.list[cells]  # (nf, ndofs)
    coords = V.tabulate_dof_coordinates()[cell_nodes]  # (nf, ndofs, 3)
    d = np.linalg.norm(coords[:, None, :, :] - targets[:, :, None, :], axis=-1)
    j = np.argmin(d, axis=2)
    scale = max(float(np.ptp(mesh.geometry.x)), 1.0)
    if np.take_along_axis(d, j[..., None], axis=2).max() > 1e-8 * scale:
        raise RuntimeError("facet nodes not found (curved geometry is not supported)")
    return np.take_along_axis(cell_nodes, j, axis=1), cells


def _p2_triangle_basis_derivative(L: np.ndarray) -> np.ndarray:
    """``d N_b / d L_k`` (..., 6, 3) of :func:`_p2_triangle_basis` (``L`` taken independent)."""
    L0, L1, L2 = L[..., 0], L[..., 1], L[..., 2]
    z = np.zeros_like(L0)
    rows = [
        (4 * L0 - 1, z, z), (z, 4 * L1 - 1, z), (z, z, 4 * L2 - 1),
        (z, 4 * L2, 4 * L1), (4 * L2, z, 4 * L0), (4 * L1, 4 * L0, z),
    ]  # fmt: skip
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def _barycentric_gradients(C: np.ndarray) -> np.ndarray:
    """Gradients (m, 3, 3) [k, i] of the barycentric coordinates ``L_k`` of the projection of
    a point onto the plane of the triangles ``C`` (m, 3 corners, 3): the dual basis of the
    edge vectors, tangent to the triangle."""
    e1, e2 = C[:, 1] - C[:, 0], C[:, 2] - C[:, 0]
    m = np.stack(
        [np.stack([np.einsum("ij,ij->i", e1, e1), np.einsum("ij,ij->i", e1, e2)], -1),
         np.stack([np.einsum("ij,ij->i", e2, e1), np.einsum("ij,ij->i", e2, e2)], -1)],
        axis=1,
    )  # fmt: skip
    dual = np.einsum("mab,mbi->mai", np.linalg.inv(m), np.stack([e1, e2], axis=1))
    return np.concatenate([-(dual[:, :1] + dual[:, 1:]), dual], axis=1)


def _skew(a: np.ndarray) -> np.ndarray:
    """``[a]_x`` (m, 3, 3): ``[a]_x b = a x b``."""
    z = np.zeros(len(a))
    return np.stack(
        [np.stack([z, -a[:, 2], a[:, 1]], -1), np.stack([a[:, 2], z, -a[:, 0]], -1),
         np.stack([-a[:, 1], a[:, 0], z], -1)],
        axis=1,
    )  # fmt: skip


def _normal_derivative(C: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``d n_i / d C_jk`` (m, 3 corners j, 3 i, 3 k) of the unit normal ``n`` (either sign) of
    the triangles ``C`` (m, 3, 3)."""
    e1, e2 = C[:, 1] - C[:, 0], C[:, 2] - C[:, 0]
    c = np.cross(e1, e2)
    norm = np.linalg.norm(c, axis=1)
    sign = np.sign(np.einsum("ij,ij->i", c, n))
    P = (np.eye(3)[None] - np.einsum("mi,mk->mik", n, n)) * (sign / norm)[:, None, None]
    S1, S2 = _skew(e1), _skew(e2)
    D = np.stack([S2 - S1, -S2, S1], axis=1)  # d(e1 x e2)/dC_j
    return np.einsum("mil,mjlk->mjik", P, D)


def _closest_on_triangles(P, A, B, C):
    """Closest points of ``P`` on the triangles ``ABC`` (all (m, 3)): barycentric coordinates
    (m, 3) and distances (m,) (Ericson 2005, Real-Time Collision Detection, 5.1.5)."""
    e0, e1, v = B - A, C - A, P - A
    d00 = np.einsum("ij,ij->i", e0, e0)
    d01 = np.einsum("ij,ij->i", e0, e1)
    d11 = np.einsum("ij,ij->i", e1, e1)
    d20 = np.einsum("ij,ij->i", v, e0)
    d21 = np.einsum("ij,ij->i", v, e1)
    den = d00 * d11 - d01**2
    b1 = (d11 * d20 - d01 * d21) / den
    b2 = (d00 * d21 - d01 * d20) / den
    bary = [np.stack([1 - b1 - b2, b1, b2], axis=1)]
    inside = (b1 >= 0) & (b2 >= 0) & (b1 + b2 <= 1)
    for i, j in ((0, 1), (0, 2), (1, 2)):  # edges: closest point on the segment
        Pi, Pj = (A, B, C)[i], (A, B, C)[j]
        e = Pj - Pi
        t = np.clip(np.einsum("ij,ij->i", P - Pi, e) / np.einsum("ij,ij->i", e, e), 0.0, 1.0)
        b = np.zeros((len(P), 3))
        b[:, i], b[:, j] = 1 - t, t
        bary.append(b)
    bary = np.stack(bary)  # (4, m, 3)
    pts = np.einsum("kmi,mij->kmj", bary, np.stack([A, B, C], axis=1))
    dist = np.linalg.norm(pts - P[None], axis=2)
    dist[0, ~inside] = np.inf
    k = np.argmin(dist, axis=0)
    m = np.arange(len(P))
    return bary[k, m], dist[k, m]


class _Evaluation:
    """Contact kinematics at the slave quadrature points for one displacement state."""

    __slots__ = (
        "valid", "gap", "normal", "facet_normal", "corner_normals", "master", "bary", "M", "dM",
        "x", "xs", "xm", "x_master", "da_dA",
    )  # fmt: skip


@dataclass(frozen=True)
class TargetSurface:
    """The target (master) surface of a two-body contact with its contact pressure, on its
    P1 (corner) nodes: ``points_mm`` (reference coordinates, (n, 3)), ``triangles`` ((m, 3)
    node indices), ``displacement_mm`` ((n, 3)), ``pressure_MPa`` (Cauchy: force per
    deformed area), ``area_mm2`` (the deformed slave area bearing on each node, see
    :meth:`BodyContact.target_pressure`; ``sum(pressure * area)`` is the normal contact
    force, N)."""

    points_mm: np.ndarray
    triangles: np.ndarray
    displacement_mm: np.ndarray
    pressure_MPa: np.ndarray
    area_mm2: np.ndarray
