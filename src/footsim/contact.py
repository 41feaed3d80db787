"""Frictionless contact of the plantar skin with a rigid obstacle (units: mm, N, MPa).

Obstacle: the plane ``z = z0`` (:class:`RigidPlane`) or a height field ``z = h(x, y)``
(:class:`HeightField`); the body must stay above it.  With the current position
``x = X + u`` of a point of the contact surface, the (first-order) normal gap and the obstacle
normal pointing into the body are

    g(x) = (x_z - h(x_x, x_y)) / sqrt(1 + |grad h|^2),
    n(x) = (-dh/dx, -dh/dy, 1) / sqrt(1 + |grad h|^2).

Penalty with augmented-Lagrangian (Uzawa) updates (Simo & Laursen 1992, Comput Struct
42:97; Wriggers 2006, Computational Contact Mechanics, ch. 6): the nominal contact pressure
(force per undeformed area) is

    p_N = < lambda - kappa g >_+ ,

the contact virtual work ``-int_{Gamma_0} p_N n . v dA`` is added to the residual, and after a
converged solve ``lambda <- < lambda - kappa g >_+`` at the surface nodes.  ``kappa``
(N/mm^3) = ``penalty_factor * E / h`` (:func:`penalty_parameter`): ``E`` the small-strain
Young's modulus of the softest material touching the surface, ``h`` the diameter of the cell
under each surface facet, averaged onto the surface vertices with the facet areas as weights
(a nodal field: graded meshes get a graded penalty, independent of the cell numbering and of
the MPI partition); the resulting
penetration is ``g ~ p h / (factor E)``, i.e. a strain ``p / (factor E)`` of the first element
layer.  With ``SolverOptions.adaptive_penalty`` (default) the penalty rises with the
tissue's compression tangent at each surface vertex as the load grows
(:meth:`ContactSurface.update_penalty`): the penetration then stays a fixed small fraction
of the tissue's own compression in a stiffening tissue too.  Tangential tractions are zero;
a Coulomb friction law would add a tangential term driven by the slip of ``x`` on the obstacle
(``ContactSurface.traction`` is the place).

Post-processing (consistent, so that the integral of the pressure is the reaction): the
Cauchy pressure (force per deformed area) ``p_c = p_N dA/da`` with Nanson's formula
``da/dA = J |F^-T N|``, and its P1 representation on the surface
``p_i = int p_c phi_i da / int phi_i da``, which satisfies ``sum_i p_i int phi_i da =
int p_N dA`` exactly (partition of unity).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import ufl  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim.materials import compression_curve  # noqa: E402
from footsim.mechanics import Hyperelasticity, SolverOptions  # noqa: E402


@dataclass(frozen=True)
class HeightField:
    """Rigid obstacle ``z = h(x, y)`` (mm); the body stays above it.

    ``h`` is a callable building a UFL expression of the current coordinates ``(x, y)`` (UFL
    scalars; use ``ufl`` functions, e.g. ``lambda x, y: 0.01 * (x**2 + y**2)``).
    """

    h: Callable
    name: str = "height field"

    def height(self, x, y):
        return self.h(x, y)

    def gap_and_normal(self, x):
        """Normal gap ``g`` (mm, >0 open) and obstacle normal ``n`` (into the body) at ``x``."""
        xs, ys = ufl.variable(x[0]), ufl.variable(x[1])
        h = self.height(xs, ys)
        hx, hy = ufl.diff(h, xs), ufl.diff(h, ys)
        norm = ufl.sqrt(1.0 + hx**2 + hy**2)
        g = (x[2] - h) / norm
        n = ufl.as_vector((-hx, -hy, 1.0)) / norm
        return g, n


@dataclass(frozen=True)
class RigidPlane:
    """Rigid horizontal ground ``z = z`` (mm); the body stays above it."""

    z: float = 0.0
    name: str = "rigid plane"

    def height(self, x, y):
        return self.z

    def gap_and_normal(self, x):
        """Gap ``x_z - z`` (mm) and the upward normal."""
        return x[2] - self.z, ufl.as_vector((0.0, 0.0, 1.0))


Obstacle = RigidPlane | HeightField


def facet_size(mesh: dolfinx.mesh.Mesh, facets: np.ndarray) -> float:
    """Mean edge length (mm) of the given facets (first-order geometry)."""
    tdim = mesh.topology.dim
    geom = dolfinx.mesh.entities_to_geometry(mesh, tdim - 1, facets.astype(np.int32), False)
    x = mesh.geometry.x[geom]
    edges = [np.linalg.norm(x[:, a] - x[:, b], axis=1) for a, b in ((0, 1), (1, 2), (2, 0))]
    total = mesh.comm.allreduce(float(np.sum(edges)), op=MPI.SUM)
    count = mesh.comm.allreduce(3 * len(facets), op=MPI.SUM)
    return total / max(count, 1)


#: :meth:`ContactSurface.update_penalty` and :meth:`BodyContact.update_penalty` raise a
#: point's penalty once its target is this many times the current one (raises come in
#: jumps, not at every step near the target load: each puts the state out of balance).
RAISE_FACTOR = 1.5


def softest_tangent(curves, p: np.ndarray) -> np.ndarray:
    """Uniaxial compression tangent (MPa) of the softest of several materials at the
    compressive stress ``p`` (MPa); ``curves``: their :func:`~footsim.materials.
    compression_curve` (stress, tangent) pairs, each clamped to its ends."""
    return np.min([np.interp(p, s, t) for s, t in curves], axis=0)


def penalty_parameter(E: float, h: float, factor: float = 10.0) -> float:
    """Penalty ``kappa = factor * E / h`` (N/mm^3) for tissue modulus ``E`` (MPa) and element
    size ``h`` (mm): a contact pressure ``p`` then compresses the first element layer by a
    strain ``p / (factor E)`` (10 % of its elastic strain for ``factor = 10``), small enough to be
    corrected by a few augmented-Lagrangian updates, stiff enough to keep Newton's matrix well
    conditioned."""
    return factor * E / h


class ContactSurface:
    """Penalty / augmented-Lagrangian contact of the facets ``tag`` with ``obstacle``.

    Args:
        body: the :class:`~footsim.mechanics.Hyperelasticity` body.
        facet_tags: facet tags of the mesh.
        tag: contact surface tag (e.g. ``tags.Surface.PLANTAR_SKIN``).
        obstacle: :class:`RigidPlane` or :class:`HeightField`.
        options: solver options (penalty factor, quadrature).
        kappa: uniform penalty (N/mm^3); default :func:`penalty_parameter` with the softest
            material of the cells adjacent to the surface and the local cell diameter ``h``
            (a nodal field, so graded meshes get a graded penalty; see the module docstring).
    """

    def __init__(
        self,
        body: Hyperelasticity,
        facet_tags: dolfinx.mesh.MeshTags,
        tag: int,
        obstacle: Obstacle,
        options: SolverOptions | None = None,
        kappa: float | None = None,
    ):
        self.body = body
        self.options = options or body.options
        self.obstacle = obstacle
        self.tag = int(tag)
        mesh = body.mesh
        tdim = mesh.topology.dim
        self.facets = facet_tags.find(self.tag)
        if mesh.comm.allreduce(self.facets.size, op=MPI.SUM) == 0:
            raise ValueError(f"contact surface tag {self.tag} has no facets")
        mesh.topology.create_connectivity(tdim - 1, tdim)
        f2c = mesh.topology.connectivity(tdim - 1, tdim)
        self.cells = np.unique(np.concatenate([f2c.links(f) for f in self.facets]))
        self.h = facet_size(mesh, self.facets)
        # Multiplier (nominal pressure, MPa) and penalty on the displacement nodes of the surface
        self.L = fem.functionspace(mesh, ("Lagrange", self.options.degree))
        self.lam = fem.Function(self.L, name="contact_multiplier")
        self.dofs = fem.locate_dofs_topological(self.L, tdim - 1, self.facets)
        self._owned = self.dofs < self.L.dofmap.index_map.size_local  # sums: no ghosts twice
        self.kappa = fem.Function(self.L, name="penalty")
        fqd = self.options.facet_quadrature_degree or 2 * self.options.degree + 1
        self.ds = ufl.Measure(
            "ds", domain=mesh, subdomain_data=facet_tags, metadata={"quadrature_degree": fqd}
        )(self.tag)
        self.P1 = fem.functionspace(mesh, ("Lagrange", 1))
        self._p1_dofs = fem.locate_dofs_topological(self.P1, tdim - 1, self.facets)
        if kappa is None:
            mats = np.unique(
                body.material_tags.values[np.isin(body.material_tags.indices, self.cells)]
            )
            E = min(body.materials[int(i)].youngs_modulus for i in mats)
            self.E = mesh.comm.allreduce(E, op=MPI.MIN)
            # kappa = factor E / h with h the diameter of the cell under each surface facet (one
            # cell per exterior facet), averaged onto the vertices with the facet areas as
            # weights: independent of the cell numbering and of the partition (MPI)
            kappa_facet = penalty_parameter(
                self.E, ufl.CellDiameter(mesh), self.options.penalty_factor
            )
            phi = ufl.TestFunction(self.P1)
            b = fem.assemble_vector(fem.form(kappa_facet * phi * self.ds))
            m = fem.assemble_vector(fem.form(phi * self.ds))
            for vec in (b, m):
                vec.scatter_reverse(dolfinx.la.InsertMode.add)
                vec.scatter_forward()
            self._kappa1 = fem.Function(self.P1)  # the penalty at the surface vertices
            d = self._p1_dofs
            self._kappa1.x.array[d] = b.array[d] / m.array[d]
            self._kappa1.x.scatter_forward()
            self._kappa1_initial = self._kappa1.x.array[d].copy()
            self.kappa.interpolate(self._kappa1)
            self._curves = [compression_curve(body.materials[int(i)]) for i in mats]
        else:
            self.kappa.x.array[:] = kappa
        self._adaptive = kappa is None and self.options.adaptive_penalty
        self.kappa.x.scatter_forward()
        self._update_kappa_value()

        u = body.u
        X = ufl.SpatialCoordinate(mesh)
        self.x = X + u
        self.gap, self.normal = obstacle.gap_and_normal(self.x)
        t = self.lam - self.kappa * self.gap
        self.pN = ufl.conditional(ufl.gt(t, 0.0), t, 0.0)  # nominal pressure (MPa)
        N = ufl.FacetNormal(mesh)
        Finv = ufl.inv(body.I + ufl.grad(u))
        self.da_dA = ufl.det(body.I + ufl.grad(u)) * ufl.sqrt(ufl.dot(Finv.T * N, Finv.T * N))
        self.pc = self.pN / self.da_dA  # Cauchy pressure (MPa)

        # Forms for post-processing
        self._gap_expr = fem.Expression(self.gap, self.L.element.interpolation_points)
        self._gap_fn = fem.Function(self.L)
        phi = ufl.TestFunction(self.P1)
        self._b_form = fem.form(self.pc * phi * self.da_dA * self.ds)
        self._m_form = fem.form(phi * self.da_dA * self.ds)
        self._m0_form = fem.form(phi * self.ds)
        self._force_forms = [fem.form(self.pN * self.normal[i] * self.ds) for i in range(3)]
        self._area_form = fem.form(
            ufl.conditional(ufl.gt(self.pN, 0.0), 1.0, 0.0) * self.da_dA * self.ds
        )
        self._area0_form = fem.form(1.0 * self.ds)

    # ------------------------------------------------------------------------ penalty
    def _update_kappa_value(self) -> None:
        """``kappa_value``: the mean penalty over the surface nodes (N/mm^3)."""
        comm = self.body.mesh.comm
        k = self.kappa.x.array[self.dofs[self._owned]]
        n = comm.allreduce(k.size, op=MPI.SUM)
        self.kappa_value = comm.allreduce(float(k.sum()), op=MPI.SUM) / max(n, 1)

    def tangent_modulus(self, p: np.ndarray) -> np.ndarray:
        """:func:`softest_tangent` of the materials under the surface (MPa)."""
        return softest_tangent(self._curves, p)

    def update_penalty(self) -> float:
        """Raise the penalty at each surface vertex to ``penalty_factor * E_t(p) / h`` where
        that is over :data:`RAISE_FACTOR` times its penalty (never lowered): ``E_t`` the
        :meth:`tangent_modulus` at the vertex's nominal pressure ``p`` (:meth:`pressure_p1`).

        As :meth:`BodyContact.update_penalty`: the push-off Ogden tissue is ~170 times
        stiffer at 1.5 MPa than at rest, so a penalty scaled by its small-strain modulus lets
        the skin sink into the ground by a growing share of the tissue's own compression
        (barefoot push-off, coarse: 0.14 mm left after 6 augmented-Lagrangian updates, which
        converge at a rate of about ``E_t / (E_t + kappa h)`` and were stopped by the 1 %
        pressure-change rule; with the raised penalty 0.015 mm and no update). The raised
        values live on the P1 vertices and are interpolated into the P2 penalty field:
        raised on the P2 nodes directly, the quadratic interpolation between a raised and an
        unraised node overshoots to negative penalties inside the facet, and Newton stalled
        (4 of 12 push-off steps failed).  Called by :class:`~footsim.loading.LoadStepper`
        after each converged loading step.  Returns the largest ratio of new to old penalty
        over all processes (1: unchanged)."""
        if not self._adaptive:
            return 1.0
        d = self._p1_dofs
        p = self.pressure_p1()[1].x.array[d]
        k = self._kappa1.x.array[d]
        target = np.where(p > 0.0, self._kappa1_initial * self.tangent_modulus(p) / self.E, 0.0)
        new = np.where(target > RAISE_FACTOR * k, target, k)
        local = float(np.max(new / k)) if k.size else 1.0
        self._kappa1.x.array[d] = new
        self._kappa1.x.scatter_forward()  # ghosts take their owner's value
        self.kappa.interpolate(self._kappa1)
        self.kappa.x.scatter_forward()
        self._update_kappa_value()
        return self.body.mesh.comm.allreduce(local, op=MPI.MAX)

    # ------------------------------------------------------------------------ residual
    def traction(self):
        """Contact traction on the body per undeformed area (N/mm^2): ``p_N n``."""
        return self.pN * self.normal

    def residual(self, v):
        """Contact contribution ``-int p_N n . v dA`` to the residual."""
        return -ufl.dot(self.traction(), v) * self.ds

    # ------------------------------------------------------------------------ nodal data
    def nodal_gap(self) -> np.ndarray:
        """Normal gap (mm) at the surface nodes (dofs ``self.dofs`` of ``self.L``)."""
        self._gap_fn.interpolate(self._gap_expr, cells0=self.cells)
        return self._gap_fn.x.array[self.dofs]

    def max_penetration(self) -> float:
        g = self.nodal_gap()
        local = float(np.max(-g)) if g.size else -np.inf
        return max(self.body.mesh.comm.allreduce(local, op=MPI.MAX), 0.0)

    def min_gap(self) -> float:
        g = self.nodal_gap()
        local = float(np.min(g)) if g.size else np.inf
        return self.body.mesh.comm.allreduce(local, op=MPI.MIN)

    def get_multiplier(self) -> np.ndarray:
        return self.lam.x.array.copy()

    def set_multiplier(self, values: np.ndarray) -> None:
        self.lam.x.array[:] = values
        self.lam.x.scatter_forward()

    def hold_static(self, u: fem.Function) -> None:
        """Nothing to hold: the obstacle is rigid (see :meth:`BodyContact.hold_static`)."""

    def lift_estimate(self) -> float:
        """Penalty-weighted mean penetration (mm) of the surface nodes with a positive
        multiplier: lifting the body rigidly by it after an Uzawa update keeps
        ``sum kappa_i (g_i + delta)`` over those nodes at zero, i.e. their total pressure
        ``lambda_new - kappa (g + delta)`` at the pre-update total (the force barely moves)."""
        lam = self.lam.x.array[self.dofs]
        k = self.kappa.x.array[self.dofs]
        g = self.nodal_gap()
        act = (lam > 0.0) & self._owned
        comm = self.body.mesh.comm
        num = comm.allreduce(float(-(k * g)[act].sum()), op=MPI.SUM)
        den = comm.allreduce(float(k[act].sum()), op=MPI.SUM)
        return max(num / den, 0.0) if den > 0 else 0.0

    def uzawa_update(self, relaxation: float = 1.0) -> None:
        """``lambda <- lambda + w (< lambda - kappa g >_+ - lambda)`` at the surface nodes
        (``w = relaxation``; 1 is the plain Uzawa update)."""
        g = self.nodal_gap()
        lam = self.lam.x.array
        new = np.maximum(lam[self.dofs] - self.kappa.x.array[self.dofs] * g, 0.0)
        lam[self.dofs] += relaxation * (new - lam[self.dofs])
        self.lam.x.scatter_forward()

    # ------------------------------------------------------------------------ results
    def force(self) -> np.ndarray:
        """Total contact force on the body ``int p_N n dA`` (N), 3 components."""
        comm = self.body.mesh.comm
        return np.array(
            [comm.allreduce(fem.assemble_scalar(f), op=MPI.SUM) for f in self._force_forms]
        )

    def contact_area(self) -> float:
        """Deformed area (mm^2) where ``p_N > 0`` (quadrature-point indicator)."""
        return self.body.mesh.comm.allreduce(fem.assemble_scalar(self._area_form), op=MPI.SUM)

    def surface_area(self) -> float:
        return self.body.mesh.comm.allreduce(fem.assemble_scalar(self._area0_form), op=MPI.SUM)

    def pressure_p1(self) -> tuple[fem.Function, fem.Function, np.ndarray, np.ndarray]:
        """Cauchy and nominal contact pressure as P1 functions (MPa, zero off the surface),
        plus the nodal deformed and undeformed areas ``int phi_i da``, ``int phi_i dA`` (mm^2)
        of the P1 surface dofs ``self._p1_dofs``.

        ``sum_i p_i a_i = int p_c da = int p_N dA`` (the normal contact force)."""
        b = fem.assemble_vector(self._b_form)
        m = fem.assemble_vector(self._m_form)
        m0 = fem.assemble_vector(self._m0_form)
        for vec in (b, m, m0):
            vec.scatter_reverse(dolfinx.la.InsertMode.add)
            vec.scatter_forward()
        pc = fem.Function(self.P1, name="contact_pressure")
        pn = fem.Function(self.P1, name="contact_pressure_nominal")
        d = self._p1_dofs
        with np.errstate(divide="ignore", invalid="ignore"):
            pc.x.array[d] = np.where(m.array[d] > 0, b.array[d] / m.array[d], 0.0)
            pn.x.array[d] = np.where(m0.array[d] > 0, b.array[d] / m0.array[d], 0.0)
        return pc, pn, m.array[d].copy(), m0.array[d].copy()


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
        "xs", "xm", "x_master", "da_dA",
    )  # fmt: skip


class BodyContact:
    """Frictionless contact between two deformable bodies on non-matching meshes.

    The *slave* surface ``tag`` (e.g. the plantar skin) is integrated with a Gauss rule on its
    facets; each slave quadrature point is projected, in the current configuration, onto the
    closest point of the *master* surface ``target_tag`` (e.g. the insole top), represented by
    the flat triangles through the current corner positions of its facets (closest point:
    Ericson 2005; candidates from a k-d tree of the facet centroids).  With the unit normal
    ``n`` at the projection (out of the master body: the facet corners' area-weighted normals
    interpolated with the barycentric coordinates, so that ``n``, the gap and the contact force
    are continuous as a point slides from facet to facet; ``smooth_normals=False``: the
    facet's own normal, which jumps at every edge) and the master point ``x_m`` interpolated
    with the master's own (quadratic) displacement, the gap, nominal pressure and virtual work
    are

        g = n . (x_s - x_m),   p_N = < lambda - kappa g >_+,
        delta W = - int_{Gamma_s0} p_N n . (v_s - v_m(x_m)) dA,

    the Gauss-point-to-surface penalty / augmented-Lagrangian method (Wriggers 2006,
    Computational Contact Mechanics, ch. 9; Simo & Laursen 1992), with the same ``kappa``
    scaling and Uzawa updates as :class:`ContactSurface`.  The tangent is the exact derivative
    of this residual (:meth:`add_jacobian`; checked against finite differences in the tests):
    ``kappa W c c^T (x) n n^T`` (``c = (N_s, -N_m)``) plus the sliding of the projected point
    over the master facet, the turn of the interpolated normal as it slides (the curvature of
    the smoothed master) and the rotation of the corner normals with all the facets around
    them.  The
    contributions are added to the SNES residual and Jacobian by
    :class:`~footsim.mechanics.NonlinearSolver` (``extra=``), whose matrix is pre-allocated
    with the couplings of slave-master facet pairs within ``search_radius_mm`` (horizontal
    distance: loads are vertical) so that assembly does not reallocate (pairs found beyond it
    are still added, more slowly).  A slave point whose projection leaves the master surface
    sideways beyond the rim of the master surface (tangential offset over half a master facet,
    on a rim facet) is not in contact.  Coulomb friction
    would add a tangential
    traction driven by the slip of ``x_m`` at each point.

    Under MPI each process contributes the contact facets it owns; both surfaces (reference
    coordinates, node numbers, orientation) are gathered once on every process and numbered
    compactly (``node_gid``: global node numbers; ``dofs``: their equation numbers, set by
    :meth:`bind`), the surface displacements are gathered at every evaluation, every process
    runs the same projection, and each adds the residual and Jacobian rows it owns.  The
    surfaces are small beside the volume (default-mesh insole + pad: 11k surface nodes
    against 322k unknowns), so the repeated search costs little; on one process this is the
    serial algorithm, number for number.

    Args:
        body: the :class:`~footsim.mechanics.Hyperelasticity` of both bodies (one mesh whose
            bodies share no nodes).
        facet_tags: facet tags; ``tag`` (slave) and ``target_tag`` (master) must be present.
        counter_cells: cell tags of the master body: its nodes are held at their current
            displacement during the rigid pre-positioning of the slave body.
        options: solver options (penalty factor, facet quadrature degree).
        bc_dofs: unrolled displacement dofs with Dirichlet conditions (no contact rows; this
            process's local numbering).
        reach_mm: slave facets more than this above the lowest slave point (reference
            configuration) are never in contact (mm).
        search_radius_mm: reach of the pre-allocated coupling around each projection (mm).
        pattern_gap_mm: slave points closer than this to the master get pre-allocated
            couplings before each solve (mm; about the largest load increment).
        kappa: uniform penalty (N/mm^3) instead of ``penalty_factor`` E / h.
        smooth_normals: interpolate the corners' normals (default) or use the facet's.
    """

    def __init__(
        self,
        body: Hyperelasticity,
        facet_tags: dolfinx.mesh.MeshTags,
        tag: int,
        target_tag: int,
        counter_cells: tuple[int, ...],
        options: SolverOptions | None = None,
        bc_dofs: np.ndarray | None = None,
        reach_mm: float = 15.0,
        search_radius_mm: float = 1.0,
        pattern_gap_mm: float = 2.0,
        kappa: float | None = None,
        smooth_normals: bool = True,
    ):
        import basix
        from scipy.spatial import cKDTree

        self._KDTree = cKDTree
        mesh = body.mesh
        comm = mesh.comm
        self.comm = comm
        self.body = body
        self.options = options or body.options
        self.tag, self.target_tag = int(tag), int(target_tag)
        tdim = mesh.topology.dim
        V = body.V
        self.V = V
        # each process takes the contact facets it owns; the surfaces are then gathered on
        # every process (they are small beside the volume) and numbered compactly
        n_owned_facets = mesh.topology.index_map(tdim - 1).size_local
        slave = facet_tags.find(self.tag)
        master = facet_tags.find(self.target_tag)
        slave, master = slave[slave < n_owned_facets], master[master < n_owned_facets]
        for name, f in (("contact", slave), ("target", master)):
            if comm.allreduce(f.size, op=MPI.SUM) == 0:
                raise ValueError(f"{name} surface has no facets")
        # slave facets that can touch at all (skips e.g. the upper sides of the foot)
        zs = mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh, tdim - 1, slave, False)]
        zmin = zs[..., 2].min(axis=1) if slave.size else np.zeros(0)
        lowest = comm.allreduce(float(zmin.min()) if zmin.size else np.inf, op=MPI.MIN)
        s_local, s_cells = _facet_nodes(V, slave[zmin <= lowest + reach_mm])
        m_local, m_cells = _facet_nodes(V, master)
        X_local = V.tabulate_dof_coordinates()  # (local nodes, 3) reference coordinates
        # outward normal orientation of the master facets (corner order 0, 1, 2)
        Xm = X_local[m_local[:, :3]]
        nm = np.cross(Xm[:, 1] - Xm[:, 0], Xm[:, 2] - Xm[:, 0])
        cell_mid = mesh.geometry.x[
            dolfinx.mesh.entities_to_geometry(mesh, tdim, m_cells, False)
        ].mean(axis=1)
        m_sign = np.sign(np.einsum("ij,ij->i", nm, Xm.mean(axis=1) - cell_mid))
        mats = np.unique(
            body.material_tags.values[
                np.isin(body.material_tags.indices, np.concatenate([s_cells, m_cells]))
            ]
        )
        imap = V.dofmap.index_map
        l2g = imap.local_to_global(np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32))
        bc = np.asarray(bc_dofs if bc_dofs is not None else [], dtype=np.int64)
        bc_keys = 3 * l2g[bc // 3].astype(np.int64) + bc % 3  # global node * 3 + component
        mine = (l2g[s_local], X_local[s_local], l2g[m_local], X_local[m_local], m_sign, mats,
                bc_keys)  # fmt: skip
        parts = comm.allgather(mine) if comm.size > 1 else [mine]
        s_gid, Xs_nodes, m_gid, Xm_nodes = (np.concatenate([p[k] for p in parts]) for k in range(4))
        self.m_sign = np.concatenate([p[4] for p in parts])
        mats = np.unique(np.concatenate([p[5] for p in parts]))
        bc_keys = np.unique(np.concatenate([p[6] for p in parts]))
        # compact numbering of the surface nodes (global node numbers, sorted)
        self.node_gid, inv = np.unique(
            np.concatenate([s_gid.ravel(), m_gid.ravel()]), return_inverse=True
        )
        self.X = np.zeros((len(self.node_gid), 3))  # reference coordinates of those nodes
        self.X[inv] = np.concatenate([Xs_nodes.reshape(-1, 3), Xm_nodes.reshape(-1, 3)])
        self.s_nodes = inv[: s_gid.size].reshape(s_gid.shape)
        self.m_nodes = inv[s_gid.size :].reshape(m_gid.shape)
        r0, r1 = imap.local_range
        owned = (self.node_gid >= r0) & (self.node_gid < r1)
        self._owned_nodes = np.nonzero(owned)[0]  # compact indices owned by this process
        self._owned_local = (self.node_gid[owned] - r0).astype(np.int32)  # their local nodes
        self._gather_order = (
            np.concatenate(comm.allgather(self._owned_nodes)) if comm.size > 1 else None
        )
        # the surface dofs' global keys (node * 3 + component), which are also their
        # equation numbers until NonlinearSolver binds them to its matrix (:meth:`bind`)
        keys = 3 * self.node_gid[:, None].astype(np.int64) + np.arange(3)
        self.dofs = keys.copy()
        # rim facets: master facets with an edge on the boundary of the master surface
        corners = np.sort(self.m_nodes[:, :3], axis=1)
        edges = np.concatenate([corners[:, [0, 1]], corners[:, [0, 2]], corners[:, [1, 2]]])
        _, inv, counts = np.unique(edges, axis=0, return_inverse=True, return_counts=True)
        self.m_rim = (counts[inv.ravel()] == 1).reshape(3, -1).any(axis=0)
        Xm = self.X[self.m_nodes[:, :3]]
        self.h_master = float(
            np.mean(np.linalg.norm(Xm[:, [1, 2, 0]] - Xm, axis=2))
        )  # mean edge (mm)
        # slave quadrature (reference configuration, affine facets)
        fqd = self.options.facet_quadrature_degree or 2 * self.options.degree + 1
        pts, wts = basix.make_quadrature(basix.CellType.triangle, fqd)
        self.Lq = np.column_stack([1 - pts.sum(axis=1), pts])  # (nq, 3)
        deg = self.options.degree
        self.Ns = _p2_triangle_basis(self.Lq) if deg == 2 else self.Lq
        if deg not in (1, 2):
            raise ValueError("two-body contact supports displacement degree 1 or 2")
        Xs = self.X[self.s_nodes[:, :3]]
        area = 0.5 * np.linalg.norm(np.cross(Xs[:, 1] - Xs[:, 0], Xs[:, 2] - Xs[:, 0]), axis=1)
        self.area0 = area
        self.W = 2.0 * area[:, None] * wts[None, :]  # (nfs, nq) reference area weights (mm^2)
        # counter body nodes (held during pre-positioning; this process's own) and Dirichlet
        # rows (surface dofs)
        cells = np.concatenate([body.cell_tags.find(int(t)) for t in counter_cells])
        self.static_nodes = np.unique(V.dofmap.list[cells])
        self.bc_mask = np.isin(keys.ravel(), bc_keys)
        # penalty (N/mm^3): factor * softest E of either side / slave facet size
        self.E = min(body.materials[int(i)].youngs_modulus for i in mats)
        h_s = np.mean(np.linalg.norm(Xs[:, [1, 2, 0]] - Xs, axis=2), axis=1)
        if kappa is None:
            k_f = penalty_parameter(self.E, np.maximum(h_s, 1e-12), self.options.penalty_factor)
        else:
            k_f = np.full(len(self.s_nodes), float(kappa))
        self.kappa = np.repeat(k_f[:, None], len(wts), axis=1)  # (nfs, nq)
        self.kappa_value = float(np.mean(k_f))
        # penalty that follows the stiffening (update_penalty): compression curves of the
        # materials on either side, the slave facets' size
        self._adaptive = kappa is None and self.options.adaptive_penalty
        self._curves = [compression_curve(body.materials[int(i)]) for i in mats]
        self._h_s = np.maximum(h_s, 1e-12)
        self.lam_q = np.zeros_like(self.W)
        self.smooth_normals = bool(smooth_normals)
        self.search_radius = float(search_radius_mm)
        self.pattern_gap = float(pattern_gap_mm)
        self.h_slave = float(np.mean(h_s))
        # P1 post-processing space: its dofs of this process at the slave facets' corners
        self.P1 = fem.functionspace(mesh, ("Lagrange", 1))
        self._corner_nodes = np.unique(self.s_nodes[:, :3])
        on_skin = fem.locate_dofs_topological(self.P1, tdim - 1, facet_tags.find(self.tag))
        x1 = self.P1.tabulate_dof_coordinates()[on_skin]
        dist, k = cKDTree(self.X[self._corner_nodes]).query(x1)
        scale = max(float(np.ptp(self.X)), 1.0)
        at = dist <= 1e-8 * scale  # (not the facets beyond the reach)
        self._p1_dofs = np.sort(on_skin[at]).astype(np.int32)  # local P1 dofs (owned, ghost)
        self._p1_nodes = self._corner_nodes[k[at][np.argsort(on_skin[at])]]  # compact nodes

    # ------------------------------------------------------------------------ kinematics
    def bind(self, lgmap) -> None:
        """Number the surface dofs as the rows of a (monolithic) matrix whose local-to-global
        map is ``lgmap`` (a PETSc LGMap over this process's local unrolled dofs, displacement
        first, as dolfinx lays out a blocked system); collective."""
        from petsc4py import PETSc

        local = (3 * self._owned_local[:, None] + np.arange(3)).ravel().astype(PETSc.IntType)
        mine = np.asarray(lgmap.apply(local), dtype=np.int64).reshape(-1, 3)
        if self.comm.size == 1:
            self.dofs[self._owned_nodes] = mine
        else:
            self.dofs[self._gather_order] = np.concatenate(self.comm.allgather(mine))

    def _displacement(self) -> np.ndarray:
        """Displacement (mm) of the surface nodes, (n, 3): each process's owned nodes,
        gathered on all processes."""
        mine = self.body.u.x.array.reshape(-1, 3)[self._owned_local]
        u = np.empty_like(self.X)
        if self.comm.size == 1:
            u[self._owned_nodes] = mine
        else:
            u[self._gather_order] = np.concatenate(self.comm.allgather(mine))
        return u

    def _nodes_current(self) -> np.ndarray:
        return self.X + self._displacement()

    def evaluate(self) -> _Evaluation:
        """Projection of every slave quadrature point onto the master surface (current
        configuration)."""
        x = self._nodes_current()
        nfs, nq = self.W.shape
        xs = np.einsum("qa,fai->fqi", self.Ns, x[self.s_nodes]).reshape(-1, 3)
        C = x[self.m_nodes[:, :3]]  # (nfm, 3, 3)
        tree = self._KDTree(C.mean(axis=1))
        k = min(8, len(C))
        _, cand = tree.query(xs, k=k)
        cand = cand.reshape(len(xs), k)
        P = np.repeat(xs, k, axis=0)
        c = cand.reshape(-1)
        bary, dist = _closest_on_triangles(P, C[c, 0], C[c, 1], C[c, 2])
        j = np.argmin(dist.reshape(-1, k), axis=1)
        rows = np.arange(len(xs))
        master = cand[rows, j]
        bary = bary.reshape(-1, k, 3)[rows, j]
        Cm = C[master]
        n_f = np.cross(Cm[:, 1] - Cm[:, 0], Cm[:, 2] - Cm[:, 0]) * self.m_sign[master][:, None]
        n_f /= np.linalg.norm(n_f, axis=1)[:, None]
        n = n_f
        if self.smooth_normals:  # the corners' area-weighted normals, interpolated
            corner_normals = self._corner_normals(C)[master]
            n = np.einsum("qj,qji->qi", bary, corner_normals)
            n /= np.linalg.norm(n, axis=1)[:, None]
        quadratic = self.m_nodes.shape[1] == 6
        M = _p2_triangle_basis(bary) if quadratic else bary
        x_master = x[self.m_nodes[master]]  # (nq, 6 or 3, 3)
        xm = np.einsum("qb,qbi->qi", M, x_master)
        d = xs - xm
        g = np.einsum("qi,qi->q", d, n)
        tangential = np.linalg.norm(d - g[:, None] * n, axis=1)
        ev = _Evaluation()
        # off the master surface only beyond its rim (not at its inner kinks, e.g. the foot of
        # the pad, where the closest point also lies on an edge)
        off = (tangential > 0.5 * self.h_master) & self.m_rim[master]
        ev.valid = (~off).reshape(nfs, nq)
        ev.gap = np.where(ev.valid.ravel(), g, np.inf).reshape(nfs, nq)
        ev.normal, ev.facet_normal, ev.master, ev.bary, ev.M = n, n_f, master, bary, M
        ev.corner_normals = corner_normals if self.smooth_normals else None
        ev.dM = (
            _p2_triangle_basis_derivative(bary)
            if quadratic
            else np.broadcast_to(np.eye(3), (len(bary), 3, 3))
        )
        ev.xs, ev.xm, ev.x_master = xs, xm, x_master
        Xs = x[self.s_nodes[:, :3]]
        a = 0.5 * np.linalg.norm(np.cross(Xs[:, 1] - Xs[:, 0], Xs[:, 2] - Xs[:, 0]), axis=1)
        ev.da_dA = a / self.area0  # (nfs,) deformed / reference facet area (flat facets)
        return ev

    def _corner_normals(self, C: np.ndarray) -> np.ndarray:
        """Unit normals (nfm, 3 corners, 3) at the corners of the master facets ``C``: the
        area-weighted mean of the normals of the facets that share the corner node."""
        c = np.cross(C[:, 1] - C[:, 0], C[:, 2] - C[:, 0]) * self.m_sign[:, None]  # 2 a n
        corners = self.m_nodes[:, :3]
        acc = np.zeros((len(self.X), 3))
        np.add.at(acc, corners.ravel(), np.repeat(c, 3, axis=0))
        acc /= np.maximum(np.linalg.norm(acc, axis=1), 1e-300)[:, None]
        return acc[corners]

    def _pressure(self, ev: _Evaluation) -> np.ndarray:
        """Nominal contact pressure (MPa) at the slave quadrature points, (nfs, nq)."""
        t = self.lam_q - self.kappa * np.where(ev.valid, ev.gap, 0.0)
        return np.where(ev.valid & (t > 0), t, 0.0)

    def _active(self, ev: _Evaluation):
        p = self._pressure(ev).ravel()
        act = np.nonzero(p > 0)[0]
        f, q = np.divmod(act, self.W.shape[1])
        dofs_nodes = np.concatenate([self.s_nodes[f], self.m_nodes[ev.master[act]]], axis=1)
        c = np.concatenate([self.Ns[q], -ev.M[act]], axis=1)  # (na, n_nodes)
        return act, p[act], self.W.ravel()[act], ev.normal[act], dofs_nodes, c, ev

    # ------------------------------------------------------------------------ SNES hooks
    def add_residual(self, b) -> None:
        """Add ``-int p_N n . (v_s - v_m) dA`` to the residual vector ``b`` (PETSc)."""
        from petsc4py import PETSc

        ev = self.evaluate()
        act, p, W, n, nodes, c, _ = self._active(ev)
        vals = -(W * p)[:, None, None] * c[:, :, None] * n[:, None, :]  # (na, nodes, 3)
        dofs = (3 * nodes[:, :, None] + np.arange(3)).ravel()
        r = np.bincount(dofs, weights=vals.ravel(), minlength=3 * len(self.X))
        r[self.bc_mask] = 0.0
        rows = self.dofs.ravel()
        lo, hi = b.getOwnershipRange()
        idx = np.nonzero((r != 0.0) & (rows >= lo) & (rows < hi))[0]  # this process's rows
        b.setValues(rows[idx].astype(PETSc.IntType), r[idx], addv=True)
        b.assemble()

    def add_jacobian(self, A) -> None:
        """Add the linearisation of :meth:`add_residual` at the active points to ``A``.

        With ``c = (N_s, -M(L))`` the residual of a point is ``r_a = -W p c_a n``, ``p = lambda -
        kappa g``, ``g = n . d``, ``d = x_s - x_m``, so

            dr_a = kappa W c_a n dg - W p dc_a n - W p c_a dn,
            dg = n . (sum_b c_b du_b) + d . dn - n . (sum_b x_b dM_b/dL_k) dL_k,
            dc_b = -dM_b/dL_k dL_k (master nodes),
            dn = P_n / |m| sum_k (n_k dL_k + L_k dn_k)  (smooth normals, m = sum_k L_k n_k),
            dn = dn_f  (facet normals),

        where ``n_k`` are the corner normals, ``dn_k`` their rotation with all the facets
        around corner ``k`` (:meth:`_corner_normal_derivative`; a stencil wider than the
        facet), ``dn_f`` the rotation of the facet's own normal with its corners, and ``dL``
        the motion of the closest point over the flat facet (:meth:`_projection_derivative`).
        The ``n_k dL_k`` term is the curvature of the smoothed master: a point sliding by
        ``ds`` over a dome of radius ``R`` turns its force by ``ds / R``, of the order of ``p /
        R`` per unit slide, more than the tissue's own stiffness at push-off pressures; Newton
        stagnated without it.  Exact: checked against central differences in the tests."""
        import scipy.sparse as sp

        ev = self.evaluate()
        act, p, W, n, nodes, c, ev = self._active(ev)
        if act.size == 0:
            A.assemble()  # collective
            return
        kW = self.kappa.ravel()[act] * W
        na, nn = c.shape
        ns = self.Ns.shape[1]
        dL, dn_f = self._projection_derivative(ev, act)  # (na, 3, nn, 3), (na, 3, nn, 3)
        if self.smooth_normals:  # the corners' normals turn with their facets: below
            m = np.einsum("qj,qji->qi", ev.bary[act], ev.corner_normals[act])
            P = (np.eye(3)[None] - np.einsum("qi,qj->qij", n, n)) / np.linalg.norm(m, axis=1)[
                :, None, None
            ]
            Tn = np.einsum("qil,qkl->qik", P, ev.corner_normals[act])  # dn / dL_k
            dn = np.einsum("qik,qkcj->qicj", Tn, dL)
        else:
            dn = dn_f
        d = ev.xs[act] - ev.xm[act]
        gL = -np.einsum("qi,qbk,qbi->qk", n, ev.dM[act], ev.x_master[act])
        dg = np.einsum("qc,qj->qcj", c, n)
        dg += np.einsum("ql,qlcj->qcj", d, dn) + np.einsum("qk,qkcj->qcj", gL, dL)
        K = np.einsum("q,qa,qi,qcj->qaicj", kW, c, n, dg)
        K[:, ns:] += np.einsum("q,qi,qbk,qkcj->qbicj", W * p, n, ev.dM[act], dL)
        K -= np.einsum("q,qa,qicj->qaicj", W * p, c, dn)
        K = K.reshape(na, 3 * nn, 3 * nn)
        dofs = (3 * nodes[:, :, None] + np.arange(3)).reshape(na, 3 * nn)
        rows = np.repeat(dofs, 3 * nn, axis=1).ravel()
        cols = np.tile(dofs, (1, 3 * nn)).ravel()
        vals = K.ravel()
        N = 3 * len(self.X)  # the surface dofs (compact numbering)
        S = sp.csr_matrix((vals, (rows, cols)), shape=(N, N))
        if self.smooth_normals:
            # dn = P_n / |m| sum_k L_k dn_k, dn_k = P_k / |m_k| sum_{f at k} dc_f (all the
            # facets around the corners: a wider stencil, in the pre-allocated pattern)
            R = np.einsum("q,qa,qi,ql->qail", kW, c, n, d)
            R -= np.einsum("q,qa,il->qail", W * p, c, np.eye(3))
            q_col = (3 * np.arange(na)[:, None] + np.arange(3)).reshape(na, 1, 1, 3)
            Rg = sp.csr_matrix(
                (R.ravel(), (np.broadcast_to(dofs.reshape(na, nn, 3, 1), R.shape).ravel(),
                             np.broadcast_to(q_col, R.shape).ravel())),
                shape=(N, 3 * na),
            )  # fmt: skip
            corners = self.m_nodes[ev.master[act], :3]  # (na, 3 k)
            sel = np.einsum("qk,qli->qlki", ev.bary[act], P)  # (na, 3 l, 3 k, 3 i)
            sel_rows = np.broadcast_to((3 * np.arange(na)[:, None] + np.arange(3))[:, :, None,
                                       None], sel.shape)  # fmt: skip
            sel_cols = np.broadcast_to((3 * corners[:, :, None] + np.arange(3))[:, None], sel.shape)
            Sel = sp.csr_matrix(
                (sel.ravel(), (sel_rows.ravel(), sel_cols.ravel())), shape=(3 * na, self.X.size)
            )
            T = (Rg @ (Sel @ self._corner_normal_derivative())).tocoo()
            S = S + sp.csr_matrix((T.data, (T.row, T.col)), shape=(N, N))
        from petsc4py import PETSc

        S = S.tocoo()
        g = self.dofs.ravel()
        lo, hi = A.getOwnershipRange()
        keep = ~(self.bc_mask[S.row] | self.bc_mask[S.col])
        keep &= (g[S.row] >= lo) & (g[S.row] < hi)  # this process's rows
        S = sp.csr_matrix((S.data[keep], (S.row[keep], S.col[keep])), shape=(N, N))
        S.sum_duplicates()
        rows = np.nonzero(np.diff(S.indptr))[0]
        it = PETSc.IntType
        A.setValuesIJV(
            np.concatenate([[0], np.cumsum(np.diff(S.indptr)[rows])]).astype(it),
            g[S.indices].astype(it), S.data, addv=True, rowmap=g[rows].astype(it),
        )  # fmt: skip
        A.assemble()

    def _master_ring(self):
        """Master facet adjacency (sparse, facets x facets): the facets that share a corner
        with each facet (itself included)."""
        import scipy.sparse as sp

        if getattr(self, "_ring", None) is None:
            nf = len(self.m_nodes)
            inc = sp.csr_matrix(
                (np.ones(3 * nf), (np.repeat(np.arange(nf), 3), self.m_nodes[:, :3].ravel())),
                shape=(nf, len(self.X)),
            )
            ring = (inc @ inc.T).tocsr()
            ring.data[:] = 1.0
            ring.sort_indices()
            self._ring = ring
        return self._ring

    def _corner_normal_derivative(self):
        """``d n_k / d u`` (sparse, 3 N x 3 N; rows: the corner nodes' unit normals ``n_k``,
        columns: displacement dofs) of :meth:`_corner_normals`: ``n_k = m_k / |m_k|``, ``m_k =
        sum_{f at k} c_f``, ``c_f = (C_1 - C_0) x (C_2 - C_0)`` (oriented)."""
        import scipy.sparse as sp

        x = self._nodes_current()
        corners = self.m_nodes[:, :3]
        C = x[corners]
        e1, e2 = C[:, 1] - C[:, 0], C[:, 2] - C[:, 0]
        cf = np.cross(e1, e2) * self.m_sign[:, None]
        acc = np.zeros((len(self.X), 3))
        np.add.at(acc, corners.ravel(), np.repeat(cf, 3, axis=0))
        norm = np.maximum(np.linalg.norm(acc, axis=1), 1e-300)
        nk = acc / norm[:, None]
        Pk = (np.eye(3)[None] - np.einsum("mi,mj->mij", nk, nk)) / norm[:, None, None]
        S1, S2 = _skew(e1), _skew(e2)
        D = np.stack([S2 - S1, -S2, S1], axis=1) * self.m_sign[:, None, None, None]  # dc_f/dC_j
        # block (corner k of f, corner j of f): P_k D_j
        blocks = np.einsum("fkil,fjlm->fkjim", Pk[corners], D)  # (nfm, 3 k, 3 j, 3, 3)
        r = np.broadcast_to((3 * corners[:, :, None, None, None] + np.arange(3)[:, None]),
                            blocks.shape)  # fmt: skip
        col = np.broadcast_to(3 * corners[:, None, :, None, None] + np.arange(3), blocks.shape)
        N = 3 * len(self.X)
        return sp.csr_matrix((blocks.ravel(), (r.ravel(), col.ravel())), shape=(N, N))

    def _projection_derivative(self, ev: _Evaluation, act: np.ndarray):
        """Derivatives, at the points ``act``, of the barycentric coordinates ``L`` of the
        closest point on the flat master facet and of the facet's unit normal ``n_f``, with
        respect to the point's nodes (slave nodes, then the master facet's, as in
        :meth:`_active`): ``dL`` (na, 3 k, nn, 3) and ``dn_f`` (na, 3 i, nn, 3).

        Closest point inside the facet: ``x_s = sum_j L_j C_j + h n_f``, so ``dL_k = G_k .
        (dx_s - sum_j L_j dC_j - h dn_f)`` (``G_k``: the barycentric gradients in the facet's
        plane).  On the edge ``C_i C_j`` (``L = (1 - t, t)`` there), ``t = (x_s - C_i) . e /
        |e|^2`` with ``e = C_j - C_i``: ``dt = ((dx_s - dC_i) . e + (r - t e) . de) / |e|^2``,
        ``r = x_s - C_i - t e``.  On a corner ``L`` is fixed."""
        na = act.size
        ns = self.Ns.shape[1]
        nn = ns + self.m_nodes.shape[1]
        q = act % self.W.shape[1]  # quadrature point of each active point on its facet
        xs = ev.xs[act]
        Cm = self._nodes_current()[self.m_nodes[ev.master[act], :3]]  # (na, 3, 3)
        L = ev.bary[act]
        n_f = ev.facet_normal[act]
        dn_f = np.zeros((na, 3, nn, 3))
        dn_f[:, :, ns : ns + 3, :] = _normal_derivative(Cm, n_f).transpose(0, 2, 1, 3)
        # d(x_s) / du_c (slave nodes), d(y)/du_c = -L_j (corners): the relative motion
        rel = np.zeros((na, nn))
        rel[:, :ns] = self.Ns[q]
        rel[:, ns : ns + 3] = -L
        dL = np.zeros((na, 3, nn, 3))
        zero = L == 0.0
        inside = ~zero.any(axis=1)
        if inside.any():
            G = _barycentric_gradients(Cm[inside])  # (m, 3 k, 3 i)
            y = np.einsum("qj,qji->qi", L[inside], Cm[inside])
            h = np.einsum("qi,qi->q", xs[inside] - y, n_f[inside])
            dL[inside] = np.einsum("qki,qc->qkci", G, rel[inside])
            dL[inside] -= np.einsum("q,qki,qicj->qkcj", h, G, dn_f[inside])
        edge = zero.sum(axis=1) == 1
        for k_zero in range(3):
            sel = np.nonzero(edge & zero[:, k_zero])[0]
            if sel.size == 0:
                continue
            i, j = [k for k in range(3) if k != k_zero]
            Ci, Cj = Cm[sel, i], Cm[sel, j]
            e = Cj - Ci
            ee = np.einsum("qi,qi->q", e, e)
            t = L[sel, j]
            r = xs[sel] - Ci - t[:, None] * e
            dt = np.zeros((sel.size, nn, 3))
            dt[:, :ns] = self.Ns[q[sel]][:, :, None] * e[:, None, :]
            dt[:, ns + i] = -e - (r - t[:, None] * e)
            dt[:, ns + j] = r - t[:, None] * e
            dt /= ee[:, None, None]
            dL[sel, j] = dt
            dL[sel, i] = -dt
        return dL, dn_f

    def coupling_pattern(self) -> tuple[np.ndarray, np.ndarray]:
        """Unrolled (row, col) displacement dofs, both orderings, of the slave-master facet
        pairs that may interact in the next solve: slave facets with a quadrature point
        closer than ``pattern_gap_mm`` to the master (current configuration), each with the
        master facets within ``search_radius_mm`` + half a facet of its projection, and
        (smooth normals) the facets around their corners."""
        import scipy.sparse as sp

        ev = self.evaluate()
        near = ev.valid.ravel() & (ev.gap.ravel() < self.pattern_gap)
        q = np.nonzero(near)[0]
        if q.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        x = self._nodes_current()
        cm = x[self.m_nodes[:, :3]].mean(axis=1)
        xm = ev.xs[q] - ev.gap.ravel()[q, None] * ev.normal[q]
        r = self.search_radius + 0.5 * self.h_master
        pairs = self._KDTree(xm).query_ball_tree(self._KDTree(cm), r)
        fq = q // self.W.shape[1]
        fs = np.repeat(fq, [len(p) for p in pairs])
        fm = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs] + [np.zeros(0, int)])
        fs = np.concatenate([fs, fq])  # always the facet projected on
        fm = np.concatenate([fm, ev.master[q]])
        pairs_mm = np.zeros((0, 2), dtype=np.int64)
        if self.smooth_normals:  # the corner normals couple the facets around the corners
            ring = self._master_ring()
            fm_u = np.unique(fm)
            sub = ring[fm_u].tocoo()
            pairs_mm = np.stack([fm_u[sub.row], sub.col], axis=1)
            near_pairs = sp.csr_matrix(
                (np.ones(len(fs)), (fs, fm)), shape=(len(self.s_nodes), len(cm))
            )
            near_pairs = (near_pairs @ ring).tocoo()
            fs, fm = near_pairs.row.astype(np.int64), near_pairs.col.astype(np.int64)
        fs, fm = np.divmod(np.unique(fs * len(cm) + fm), len(cm))
        a = np.concatenate([self.s_nodes[fs][:, :, None], self.m_nodes[pairs_mm[:, 0]][:, :, None]])
        b = np.concatenate([self.m_nodes[fm][:, None, :], self.m_nodes[pairs_mm[:, 1]][:, None, :]])
        a = np.broadcast_to(a, (len(a), a.shape[1], b.shape[2]))
        b = np.broadcast_to(b, a.shape)
        node_pairs = np.unique(np.stack([a.ravel(), b.ravel()], axis=1), axis=0)
        comp = np.arange(3)
        rows = (3 * node_pairs[:, 0, None, None] + comp[:, None]).repeat(3, axis=2).ravel()
        cols = (3 * node_pairs[:, 1, None, None] + comp[None, :]).repeat(3, axis=1).ravel()
        g = self.dofs.ravel()
        return g[np.concatenate([rows, cols])], g[np.concatenate([cols, rows])]

    # ------------------------------------------------------------------------ stepping API
    def hold_static(self, u: fem.Function) -> None:
        """Reset the counter body's displacement to zero (it rests on its supports)."""
        a = u.x.array.reshape(-1, 3)
        a[self.static_nodes] = 0.0

    def tangent_modulus(self, p: np.ndarray) -> np.ndarray:
        """:func:`softest_tangent` of the materials on either side of the contact (MPa)."""
        return softest_tangent(self._curves, p)

    def update_penalty(self) -> float:
        """Raise the penalty of each slave point to ``penalty_factor * E_t(p) / h``, ``E_t``
        the :meth:`tangent_modulus` at its current contact pressure ``p``, where that is over
        :data:`RAISE_FACTOR` times its penalty (never lowered).

        The initial penalty is scaled by the small-strain modulus; a tissue that stiffens
        under load (the push-off Ogden tissue: tangent ~170 times its initial modulus at 1.5
        MPa) then meets a penalty that has become soft: under a metatarsal pad at push-off the
        skin sank ~0.9 mm into the pad, and the augmented-Lagrangian updates, which converge
        at a rate of about ``E_t / (E_t + kappa h)``, could not remove it.  Called by
        :class:`~footsim.loading.LoadStepper` after each converged loading step (not during
        a Newton solve: the residual of a solve is fixed).  Returns the largest ratio of new
        to old penalty (1: unchanged)."""
        if not self._adaptive:
            return 1.0
        p = self._pressure(self.evaluate())
        target = self.options.penalty_factor * self.tangent_modulus(p) / self._h_s[:, None]
        target[p <= 0.0] = 0.0  # out of contact: as it was
        # in jumps (a raise puts the state out of balance: LoadStepper re-solves it)
        new = np.where(target > RAISE_FACTOR * self.kappa, target, self.kappa)
        ratio = float(np.max(new / self.kappa))
        self.kappa = new
        self.kappa_value = float(np.mean(new))
        return ratio

    def get_multiplier(self) -> np.ndarray:
        return self.lam_q.copy()

    def set_multiplier(self, values: np.ndarray) -> None:
        self.lam_q[:] = values

    def min_gap(self) -> float:
        g = self.evaluate().gap
        return float(g.min())

    def max_penetration(self) -> float:
        g = self.evaluate().gap
        return max(float(np.max(-g)), 0.0)

    def lift_estimate(self) -> float:
        """As :meth:`ContactSurface.lift_estimate`, over the slave quadrature points with a
        positive multiplier (weights: reference area times penalty)."""
        ev = self.evaluate()
        act = (self.lam_q > 0.0) & ev.valid
        w = (self.W * self.kappa)[act]
        return max(float((w * -ev.gap[act]).sum() / w.sum()), 0.0) if w.size else 0.0

    def uzawa_update(self, relaxation: float = 1.0) -> None:
        ev = self.evaluate()
        new = self._pressure(ev)
        self.lam_q += relaxation * (new - self.lam_q)

    # ------------------------------------------------------------------------ results
    def force(self) -> np.ndarray:
        """Contact force on the slave body ``int p_N n dA`` (N), 3 components."""
        ev = self.evaluate()
        p = self._pressure(ev).ravel()
        return np.einsum("q,qi->i", p * self.W.ravel(), ev.normal)

    def contact_area(self) -> float:
        """Deformed slave area (mm^2) where ``p_N > 0`` (quadrature-point indicator)."""
        ev = self.evaluate()
        p = self._pressure(ev)
        return float(np.sum((p > 0) * self.W * ev.da_dA[:, None]))

    def surface_area(self) -> float:
        return float(self.area0.sum())

    def _slave_corner_sums(self, ev: _Evaluation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lumped P1 sums at the slave facets' corners (compact node numbering): the normal
        force ``b`` (N), the deformed area ``m`` and the reference area ``m0`` (mm^2)."""
        pN = self._pressure(ev)  # (nfs, nq)
        n = len(self.X)
        w = self.W[:, :, None] * self.Lq[None, :, :]  # (nfs, nq, 3)
        idx = np.broadcast_to(self.s_nodes[:, None, :3], w.shape).ravel()  # corner nodes
        b = np.bincount(idx, weights=(w * pN[:, :, None]).ravel(), minlength=n)
        m0 = np.bincount(idx, weights=w.ravel(), minlength=n)
        m = np.bincount(idx, weights=(w * ev.da_dA[:, None, None]).ravel(), minlength=n)
        return b, m, m0

    def _slave_corner_pressure(self, ev: _Evaluation) -> np.ndarray:
        """The recovered Cauchy pressure (MPa) at the slave corners (compact numbering; 0 at
        the other surface nodes)."""
        b, m, _ = self._slave_corner_sums(ev)
        return np.divide(b, m, out=np.zeros_like(b), where=m > 0)

    def pressure_p1(self) -> tuple[fem.Function, fem.Function, np.ndarray, np.ndarray]:
        """As :meth:`ContactSurface.pressure_p1`, on the slave surface: lumped projection of
        the quadrature-point pressure with the P1 (barycentric) weights, so that
        ``sum_i p_i a_i`` is the normal contact force."""
        b, m, m0 = self._slave_corner_sums(self.evaluate())
        pc = fem.Function(self.P1, name="contact_pressure")
        pn = fem.Function(self.P1, name="contact_pressure_nominal")
        d, k = self._p1_dofs, self._p1_nodes  # this process's P1 dofs, their surface nodes
        pc.x.array[d] = b[k] / m[k]
        pn.x.array[d] = b[k] / m0[k]
        return pc, pn, m[k].copy(), m0[k].copy()

    def target_pressure(self) -> TargetSurface:
        """The contact pressure on the master (target) surface, e.g. the insole and pad top.

        The slave's recovered (P1, Cauchy) pressure :meth:`pressure_p1`, interpolated at each
        slave quadrature point, acts over the point's deformed area ``W da/dA`` at its
        projection on the master; force and area are shared among the corners of the master
        facet with the projection's barycentric coordinates ``L`` (the master's P1 weights),
        and a corner's pressure is its force over its area:

            p_i = sum_q W_q (da/dA)_q p_q L_i,q / sum_q W_q (da/dA)_q L_i,q,

        over the slave points that press (``p_q > 0``) or lie within a slave facet's size of
        the master (so that the pressure falls off at the edge of the contact as on the
        skin; the skin farther away, e.g. between the toes, is not averaged in).  A uniform
        pressure comes out uniform whatever the two meshes, and ``sum_i p_i a_i`` (``a_i``
        the denominators: the deformed skin area bearing on each corner) equals the skin's
        ``sum_j p_j a_j`` to round-off (Newton's third law).  The point pressures ``p_N``
        themselves scatter along a non-matching interface (+-8 % on a flat patch; the
        nodal recovery averages that out), hence the recovered field.  Every process
        returns the whole surface (the projection is replicated)."""
        ev = self.evaluate()
        p_s = self._slave_corner_pressure(ev)  # (nodes,) Cauchy pressure, MPa
        p_q = np.einsum("qa,fa->fq", self.Lq, p_s[self.s_nodes[:, :3]]).ravel()
        area = (self.W * ev.da_dA[:, None]).ravel()  # deformed area of each slave point (mm^2)
        near = (p_q > 0) | (ev.gap.ravel() < self.h_slave)
        corners = self.m_nodes[:, :3]
        nodes, tri = np.unique(corners, return_inverse=True)
        tri = tri.reshape(corners.shape)
        n = len(nodes)
        at = tri[ev.master[near]].ravel()  # the corners each slave point projects between
        w = area[near, None] * ev.bary[near]
        b = np.bincount(at, weights=(p_q[near, None] * w).ravel(), minlength=n)
        m = np.bincount(at, weights=w.ravel(), minlength=n)
        u = self._displacement()
        return TargetSurface(
            points_mm=self.X[nodes].copy(),
            triangles=tri.astype(np.int64),
            displacement_mm=u[nodes].copy(),
            pressure_MPa=np.divide(b, m, out=np.zeros(n), where=m > 0),
            area_mm2=m,
        )


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


__all__ = [
    "BodyContact",
    "ContactSurface",
    "HeightField",
    "Obstacle",
    "RigidPlane",
    "TargetSurface",
    "facet_size",
    "penalty_parameter",
]
