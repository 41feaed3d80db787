"""Two-body contact: the plantar skin pressed on a deformable insole and pad (Gauss point to
surface penalty with augmented-Lagrangian updates, optional Coulomb friction; mm, N, MPa).
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim.physics.contact.body_friction import BodyFriction
from footsim.physics.contact.body_results import BodyContactResults
from footsim.physics.contact.body_tangent import BodyContactTangent
from footsim.physics.contact.friction import CoulombLaw
from footsim.physics.contact.obstacles import RAISE_FACTOR, penalty_parameter, softest_tangent
from footsim.physics.contact.surface import (
    _closest_on_triangles,
    _Evaluation,
    _facet_nodes,
    _p2_triangle_basis,
    _p2_triangle_basis_derivative,
)
from footsim.physics.hyperelasticity import Hyperelasticity  # noqa: E402
from footsim.physics.materials.curves import compression_curve  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402


class BodyContact(BodyContactTangent, BodyContactResults):
    """Contact between two deformable bodies on non-matching meshes.

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
    :class:`~footsim.solve.newton.NonlinearSolver` (``extra=``), whose matrix is pre-allocated
    with the couplings of slave-master facet pairs within ``search_radius_mm`` (horizontal
    distance: loads are vertical) so that assembly does not reallocate (pairs found beyond it
    are still added, more slowly).  A slave point whose projection leaves the master surface
    sideways beyond the rim of the master surface (tangential offset over half a master facet,
    on a rim facet) is not in contact.  With ``friction`` (``mu > 0``) each point also carries
    Coulomb's tangential traction, driven by its slip over the master since the last load
    step (:mod:`~footsim.physics.contact.body_friction`).

    Under MPI each process contributes the contact facets it owns; both surfaces (reference
    coordinates, node numbers, orientation) are gathered once on every process and numbered
    compactly (``node_gid``: global node numbers; ``dofs``: their equation numbers, set by
    :meth:`bind`), the surface displacements are gathered at every evaluation, every process
    runs the same projection, and each adds the residual and Jacobian rows it owns.  The
    surfaces are small beside the volume (default-mesh insole + pad: 11k surface nodes
    against 322k unknowns), so the repeated search costs little; on one process this is the
    serial algorithm, number for number.

    Args:
        body: the :class:`~footsim.physics.hyperelasticity.Hyperelasticity` of both bodies (one
        mesh whose
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
        friction: Coulomb's law between the two surfaces; None or ``mu = 0``: frictionless.
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
        friction: CoulombLaw | None = None,
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
        self.p1_dofs = np.sort(on_skin[at]).astype(np.int32)  # local P1 dofs (owned, ghost)
        self._p1_nodes = self._corner_nodes[k[at][np.argsort(on_skin[at])]]  # compact nodes
        # Coulomb friction: the tangential penalty stays at the initial normal one (the
        # tissue's shear modulus does not stiffen with the pressure as its compression does)
        self.friction = None
        if friction is not None and friction.mu > 0.0:
            self.friction = BodyFriction(friction, self.kappa, self.s_nodes, self.m_nodes, self.Ns)
            self.friction.reset(self.evaluate())

    # ------------------------------------------------------------------------ kinematics
    #: Two-body contact has a non-symmetric Jacobian (the master's normal and closest point
    #: move with both bodies).
    symmetric = False

    def residual_terms(self, v) -> None:
        """None: every two-body term is assembled by hand (:meth:`assembled_terms`)."""
        return None

    def assembled_terms(self) -> BodyContact:
        """This item: the Newton solver calls its ``bind``, ``coupling_pattern``,
        ``add_residual`` and ``add_jacobian``."""
        return self

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
        configuration). The last one is kept and returned while the surfaces have not moved
        (a residual and its Jacobian, the force after a solve: two in three calls)."""
        x = self._nodes_current()
        last = getattr(self, "_last_evaluation", None)
        if last is not None and np.array_equal(last.x, x):
            return last
        self._last_evaluation = ev = self._project(x)
        return ev

    def _project(self, x: np.ndarray) -> _Evaluation:
        """:meth:`evaluate` at the surface nodes' current positions ``x`` (mm)."""
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
        ev.x, ev.xs, ev.xm, ev.x_master = x, xs, xm, x_master
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
        """Add ``-int p_N n . (v_s - v_m) dA`` and, with friction, ``-int t_T . (v_s -
        v_m(L_a)) dA`` to the residual vector ``b`` (PETSc)."""
        from petsc4py import PETSc

        ev = self.evaluate()
        act, p, W, n, nodes, c, _ = self._active(ev)
        vals = -(W * p)[:, None, None] * c[:, :, None] * n[:, None, :]  # (na, nodes, 3)
        dofs = (3 * nodes[:, :, None] + np.arange(3)).ravel()
        r = np.bincount(dofs, weights=vals.ravel(), minlength=3 * len(self.X))
        if self.friction is not None and act.size:
            s = self.friction.state(ev, act, p)
            vals = -W[:, None, None] * s.c[:, :, None] * s.t[:, None, :]
            dofs = (3 * s.nodes[:, :, None] + np.arange(3)).ravel()
            r += np.bincount(dofs, weights=vals.ravel(), minlength=3 * len(self.X))
        r[self.bc_mask] = 0.0
        rows = self.dofs.ravel()
        lo, hi = b.getOwnershipRange()
        idx = np.nonzero((r != 0.0) & (rows >= lo) & (rows < hi))[0]  # this process's rows
        b.setValues(rows[idx].astype(PETSc.IntType), r[idx], addv=True)
        b.assemble()

    # ------------------------------------------------------------------------ stepping API
    @property
    def history(self) -> list[np.ndarray]:
        """The friction's history (:attr:`BodyFriction.history`; empty without friction)."""
        return [] if self.friction is None else self.friction.history

    def commit(self) -> None:
        """A load step has converged: it becomes the friction's history (frictionless:
        nothing to commit)."""
        if self.friction is not None:
            ev = self.evaluate()
            p = self._pressure(ev).ravel()
            act = np.nonzero(p > 0)[0]
            self.friction.commit(ev, act, p[act])

    def hold_static(self, u: fem.Function) -> None:
        """Reset the counter body's displacement to zero (it rests on its supports); the
        friction starts free of tangential load at the new positions."""
        a = u.x.array.reshape(-1, 3)
        a[self.static_nodes] = 0.0
        if self.friction is not None:
            self.friction.reset(self.evaluate())

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
        :class:`~footsim.solve.stepping.LoadStepper` after each converged loading step (not during
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
