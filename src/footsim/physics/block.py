"""The rigid block that drives the bones through Dirichlet conditions (mm, rad).

The facets ``CUT_BONE`` (metatarsal bases on the proximal cut plane) move as one rigid block:
a rotation ``theta`` about the medio-lateral axis ``y`` through a pivot, plus a vertical
translation ``w`` (mm, negative = down); their x/y translation is zero.  The soft tissue on the
cut (``CUT_SOFT``) is free by default (``cut_soft="free"``: the cut is an artificial boundary of
the forefoot chunk; leaving it traction-free is the conservative choice for the plantar pad
under the heads, which can then bulge proximally) or moves with the bones (``"rigid"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip


# --------------------------------------------------------------------------------------------
# Rigid block driven through Dirichlet conditions
# --------------------------------------------------------------------------------------------


class RigidBlock:
    """Dirichlet condition moving the facets ``surfaces`` as one rigid block.

    ``u(X) = R_y(theta) (X - X_c) + X_c - X + w e_z + s e_x`` with ``R_y`` the rotation about
    the ``y`` axis through the pivot ``X_c`` (mm); ``theta > 0`` lowers points distal (``+x``)
    of the pivot (heel rise when the pivot is under the metatarsal heads); ``s`` (mm) moves the
    block distally (the load stepping sets it to reach a horizontal ground force with friction).
    """

    def __init__(
        self,
        V: fem.FunctionSpace,
        facet_tags,
        surfaces: Sequence[int],
        pivot=None,
        components: Sequence[int] = (0, 1, 2),
    ):
        mesh = V.mesh
        fdim = mesh.topology.dim - 1
        facets = np.concatenate([facet_tags.find(int(s)) for s in surfaces]).astype(np.int32)
        if mesh.comm.allreduce(facets.size, op=MPI.SUM) == 0:
            raise ValueError(f"driven surfaces {list(surfaces)} have no facets")
        if 2 not in components:
            raise ValueError("the vertical component (2) must be driven")
        self.V = V
        self.components = tuple(components)
        self.g: dict[int, fem.Function] = {}
        self.bcs = []
        self.dofs: dict[int, np.ndarray] = {}
        for c in self.components:
            Vc, _ = V.sub(c).collapse()
            dofs = fem.locate_dofs_topological((V.sub(c), Vc), fdim, facets)
            self.g[c] = fem.Function(Vc, name=f"block_displacement_{c}")
            self.bcs.append(fem.dirichletbc(self.g[c], dofs, V.sub(c)))
            self.dofs[c] = dofs[0]  # unrolled dofs of V
        if pivot is None:
            geom = dolfinx.mesh.entities_to_geometry(mesh, fdim, facets, False)
            pts = mesh.geometry.x[np.unique(geom)]
            s = mesh.comm.allreduce(pts.sum(axis=0), op=MPI.SUM)
            n = mesh.comm.allreduce(len(pts), op=MPI.SUM)
            pivot = s / n
        self.pivot = np.asarray(pivot, dtype=float)
        self.w = 0.0
        self.theta = 0.0
        self.s = 0.0

    @staticmethod
    def motion(
        X: np.ndarray, w: float, theta: float, pivot: np.ndarray, s: float = 0.0
    ) -> np.ndarray:
        """Rigid displacement at points ``X`` (shape (3, n))."""
        c, sn = math.cos(theta), math.sin(theta)
        d = X - pivot[:, None]
        out = np.zeros_like(X)
        out[0] = c * d[0] + sn * d[2] - d[0] + s
        out[2] = -sn * d[0] + c * d[2] - d[2] + w
        return out

    def set(self, w: float, theta: float | None = None, s: float | None = None) -> None:
        """Move the block to translation ``w`` (mm, up), rotation ``theta`` (rad) and distal
        translation ``s`` (mm)."""
        self.w = float(w)
        if theta is not None:
            self.theta = float(theta)
        if s is not None:
            self.s = float(s)
        for c, g in self.g.items():
            g.interpolate(lambda X, c=c: self.motion(X, self.w, self.theta, self.pivot, self.s)[c])
            g.x.scatter_forward()

    def apply(self, x: np.ndarray) -> None:
        """Set the constrained entries of the displacement array ``x``."""
        for bc in self.bcs:
            bc.set(x)

    def vertical_reaction(self, residual_form) -> float:
        """Downward force (N) with which the block pushes the body (positive = down): minus the
        z-residual summed over the constrained dofs, assembled without Dirichlet conditions.
        At equilibrium it equals the vertical contact reaction."""
        b = fem.assemble_vector(residual_form)
        b.scatter_reverse(dolfinx.la.InsertMode.add)
        imap = self.V.dofmap.index_map
        n_owned = self.V.dofmap.index_map_bs * imap.size_local
        dofs = self.dofs[2]
        local = float(b.array[dofs[dofs < n_owned]].sum())
        return -self.V.mesh.comm.allreduce(local, op=MPI.SUM)


class DrivenSkeleton:
    """The tarsus driving a rigid skeleton: the load stepping's block for rigid bones.

    It has :class:`RigidBlock`'s interface (``set``, ``apply``, ``bcs``, ``pivot``, ``V``,
    ``vertical_reaction``): ``set(w, theta)`` moves the driven block of ``bodies``
    (:data:`~footsim.physics.rigid_body.DRIVER`, which the tarsometatarsal joints, the fascia
    and the tendons hang on) and, with ``cut`` (a :class:`RigidBlock` on the soft tissue of
    the proximal cut, ``cut_soft = "rigid"``), that surface with it.
    """

    def __init__(self, V: fem.FunctionSpace, bodies, pivot, cut: RigidBlock | None = None):
        self.V = V
        self.bodies = bodies
        self.cut = cut
        self.pivot = np.asarray(pivot, dtype=float)
        bodies.driver_pivot = self.pivot
        self.bcs = list(cut.bcs) if cut is not None else []
        self.w = 0.0
        self.theta = 0.0
        self.s = 0.0

    def set(self, w: float, theta: float | None = None, s: float | None = None) -> None:
        self.w = float(w)
        if theta is not None:
            self.theta = float(theta)
        if s is not None:
            self.s = float(s)
        self.bodies.drive(self.w, self.theta, self.s)
        if self.cut is not None:
            self.cut.set(self.w, self.theta, self.s)

    def apply(self, x: np.ndarray) -> None:
        if self.cut is not None:
            self.cut.apply(x)

    def follow(self) -> None:
        """Move every bone with the tarsus (the rigid pre-positioning: no load)."""
        self.bodies.follow_driver()

    def lift(self, delta: float) -> None:
        """Lift every bone by ``delta`` (mm) with the tissue."""
        self.bodies.q.x.array.reshape(-1, 6)[:, 2] += delta
        self.bodies.q.x.scatter_forward()

    def vertical_reaction(self, residual_form=None) -> float:
        """Downward force (N) with which the tarsus pushes the forefoot (positive = down):
        the force on the tarsus from the joints, fascia and tendons, reversed; plus the
        cut's, with ``cut``."""
        f, _ = self.bodies.driver_wrench()
        out = float(f[2])
        if self.cut is not None and residual_form is not None:
            out += self.cut.vertical_reaction(residual_form)
        return out
