"""Rigid obstacles (a plane, a height field) and the penalty that contact with them uses
(mm, N/mm^3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import ufl  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip


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
    compressive stress ``p`` (MPa); ``curves``: their :func:`~footsim.physics.materials.laws.
    compression_curve` (stress, tangent) pairs, each clamped to its ends."""
    return np.min([np.interp(p, s, t) for s, t in curves], axis=0)


def penalty_parameter(E: float, h: float, factor: float = 10.0) -> float:
    """Penalty ``kappa = factor * E / h`` (N/mm^3) for tissue modulus ``E`` (MPa) and element
    size ``h`` (mm): a contact pressure ``p`` then compresses the first element layer by a
    strain ``p / (factor E)`` (10 % of its elastic strain for ``factor = 10``), small enough to be
    corrected by a few augmented-Lagrangian updates, stiff enough to keep Newton's matrix well
    conditioned."""
    return factor * E / h
