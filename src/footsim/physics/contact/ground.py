"""Contact of the plantar skin with a rigid obstacle, with or without friction (units: mm, N, MPa).

Obstacle: the plane ``z = z0`` (:class:`RigidPlane`) or a height field ``z = h(x, y)``
(:class:`HeightField`); the body must stay above it.  With the current position
``x = X + u`` of a point of the contact surface, the (first-order) normal gap and the obstacle
normal pointing into the body are::

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
of the tissue's own compression in a stiffening tissue too.  With a friction coefficient
``mu > 0`` the traction gains Coulomb's tangential part (:mod:`~footsim.physics.contact.
friction`), driven by the slip of ``x`` on the obstacle since the last load step.

Post-processing (consistent, so that the integral of the pressure is the reaction): the
Cauchy pressure (force per deformed area) ``p_c = p_N dA/da`` with Nanson's formula
``da/dA = J |F^-T N|``, and its P1 representation on the surface
``p_i = int p_c phi_i da / int phi_i da``, which satisfies ``sum_i p_i int phi_i da =
int p_N dA`` exactly (partition of unity).
"""

from __future__ import annotations

import contextlib

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import ufl  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim.physics.contact.friction import CoulombLaw, Friction
from footsim.physics.contact.obstacles import (
    RAISE_FACTOR,
    Obstacle,
    facet_size,
    penalty_parameter,
    softest_tangent,
)
from footsim.physics.hyperelasticity import Hyperelasticity  # noqa: E402
from footsim.physics.materials.curves import compression_curve  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402


class ContactSurface:
    """Penalty / augmented-Lagrangian contact of the facets ``tag`` with ``obstacle``.

    Args:
        body: the :class:`~footsim.physics.hyperelasticity.Hyperelasticity` body.
        facet_tags: facet tags of the mesh.
        tag: contact surface tag (e.g. ``tags.Surface.PLANTAR_SKIN``).
        obstacle: :class:`RigidPlane` or :class:`HeightField`.
        options: solver options (penalty factor, quadrature).
        kappa: uniform penalty (N/mm^3); default :func:`penalty_parameter` with the softest
            material of the cells adjacent to the surface and the local cell diameter ``h``
            (a nodal field, so graded meshes get a graded penalty; see the module docstring).
        friction: Coulomb's law between the surface and the obstacle
            (:mod:`~footsim.physics.contact.friction`); None or ``mu = 0``: frictionless.
    """

    def __init__(
        self,
        body: Hyperelasticity,
        facet_tags: dolfinx.mesh.MeshTags,
        tag: int,
        obstacle: Obstacle,
        options: SolverOptions | None = None,
        kappa: float | None = None,
        friction: CoulombLaw | None = None,
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
        self.p1_dofs = fem.locate_dofs_topological(self.P1, tdim - 1, self.facets)
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
            d = self.p1_dofs
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
        self.friction = None
        if friction is not None and friction.mu > 0.0:
            W = fem.functionspace(mesh, ("Lagrange", self.options.degree, (3,)))
            # the tangential penalty stays at the initial normal one: the tissue's shear
            # modulus does not stiffen with the pressure as its compression tangent does
            self.eps_T = fem.Function(self.L, name="tangential_penalty")
            self.eps_T.x.array[:] = self.kappa.x.array
            self.friction = Friction(
                W, self.x, self.normal, self.pN, self.eps_T, friction, self.cells
            )
            self.symmetric = False

        # Forms for post-processing
        self._gap_expr = fem.Expression(self.gap, self.L.element.interpolation_points)
        self._gap_fn = fem.Function(self.L)
        phi = ufl.TestFunction(self.P1)
        self._b_form = fem.form(self.pc * phi * self.da_dA * self.ds)
        self._m_form = fem.form(phi * self.da_dA * self.ds)
        self._m0_form = fem.form(phi * self.ds)
        self._force_forms = [fem.form(self.traction()[i] * self.ds) for i in range(3)]
        self._area_form = fem.form(
            ufl.conditional(ufl.gt(self.pN, 0.0), 1.0, 0.0) * self.da_dA * self.ds
        )
        self._area0_form = fem.form(1.0 * self.ds)
        if self.friction is not None:
            t_T, stick = self.friction.traction, self.friction.stick
            self._shear_forms = [fem.form(t_T[i] * phi * self.ds) for i in range(3)]
            self._stick_forms = [
                fem.form(stick * phi * self.ds),
                fem.form(stick * self.da_dA * self.ds),
            ]

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
        (4 of 12 push-off steps failed).  Called by :class:`~footsim.solve.stepping.LoadStepper`
        after each converged loading step.  Returns the largest ratio of new to old penalty
        over all processes (1: unchanged)."""
        if not self._adaptive:
            return 1.0
        d = self.p1_dofs
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
        """Contact traction on the body per undeformed area (N/mm^2): ``p_N n`` plus the
        friction's tangential traction."""
        if self.friction is None:
            return self.pN * self.normal
        return self.pN * self.normal + self.friction.traction

    #: Frictionless, the penalty energy of a rigid obstacle: a symmetric Jacobian (on a curved
    #: height field only nearly; LDL^T factors then precondition a little less well, and GMRES
    #: still solves with the true Jacobian). With friction unsymmetric (slip), and LU factors
    #: precondition: LDL^T factors built from one triangle of it left GMRES at its iteration
    #: limit and the coarse push-off took over five times as long.
    symmetric = True

    @property
    def history(self) -> list[fem.Function]:
        """The friction's history fields (empty without friction)."""
        return [] if self.friction is None else self.friction.history

    def commit(self) -> None:
        """A load step has converged: it becomes the friction's history."""
        if self.friction is not None:
            self.friction.commit()

    def residual_terms(self, v):
        """The contact virtual work as a UFL form (:meth:`residual`)."""
        return self.residual(v)

    def assembled_terms(self) -> None:
        """None: a rigid obstacle's terms are all forms."""
        return None

    def target_pressure(self) -> None:
        """None: a rigid obstacle carries no pressure field of its own."""
        return None

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
        """Nothing to hold, the obstacle is rigid (see :meth:`BodyContact.hold_static`); a
        rigid pre-positioning leaves the surface free of tangential load."""
        if self.friction is not None:
            self.friction.reset()

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
        """Total contact force on the body ``int (p_N n + t_T) dA`` (N), 3 components."""
        comm = self.body.mesh.comm
        with self._as_solved():
            local = [fem.assemble_scalar(f) for f in self._force_forms]
        return np.array([comm.allreduce(f, op=MPI.SUM) for f in local])

    def _as_solved(self):
        """The friction's history as the last committed step was solved with
        (:meth:`~footsim.physics.contact.friction.Friction.as_solved`); frictionless: no-op."""
        if self.friction is None:
            return contextlib.nullcontext()
        return self.friction.as_solved()

    def contact_area(self) -> float:
        """Deformed area (mm^2) where ``p_N > 0`` (quadrature-point indicator)."""
        return self.body.mesh.comm.allreduce(fem.assemble_scalar(self._area_form), op=MPI.SUM)

    def surface_area(self) -> float:
        return self.body.mesh.comm.allreduce(fem.assemble_scalar(self._area0_form), op=MPI.SUM)

    def shear_p1(self) -> tuple[fem.Function, fem.Function, float]:
        """The friction's tangential traction on the body as a P1 vector function (Cauchy:
        force per deformed area, MPa), the fraction of each P1 node's undeformed tributary
        area that sticks (0 to 1; 0 off contact), both zero off the surface, and the deformed
        area in stick (mm^2).  Lumped like :meth:`pressure_p1`: ``sum_i t_i a_i`` is the
        tangential contact force.  Frictionless: zeros."""
        mesh = self.body.mesh
        V1 = fem.functionspace(mesh, ("Lagrange", 1, (3,)))
        shear = fem.Function(V1, name="contact_shear")
        stick = fem.Function(self.P1, name="contact_stick")
        if self.friction is None:
            return shear, stick, 0.0
        d = self.p1_dofs
        m = fem.assemble_vector(self._m_form)
        m0 = fem.assemble_vector(self._m0_form)
        with self._as_solved():
            b = [fem.assemble_vector(f) for f in (*self._shear_forms, self._stick_forms[0])]
            area = fem.assemble_scalar(self._stick_forms[1])
        for vec in (m, m0, *b):
            vec.scatter_reverse(dolfinx.la.InsertMode.add)
            vec.scatter_forward()
        t = shear.x.array.reshape(-1, 3)
        with np.errstate(divide="ignore", invalid="ignore"):
            for i in range(3):
                t[d, i] = np.where(m.array[d] > 0, b[i].array[d] / m.array[d], 0.0)
            stick.x.array[d] = np.where(m0.array[d] > 0, b[3].array[d] / m0.array[d], 0.0)
        return shear, stick, mesh.comm.allreduce(area, op=MPI.SUM)

    def pressure_p1(self) -> tuple[fem.Function, fem.Function, np.ndarray, np.ndarray]:
        """Cauchy and nominal contact pressure as P1 functions (MPa, zero off the surface),
        plus the nodal deformed and undeformed areas ``int phi_i da``, ``int phi_i dA`` (mm^2)
        of the P1 surface dofs ``self.p1_dofs``.

        ``sum_i p_i a_i = int p_c da = int p_N dA`` (the normal contact force)."""
        b = fem.assemble_vector(self._b_form)
        m = fem.assemble_vector(self._m_form)
        m0 = fem.assemble_vector(self._m0_form)
        for vec in (b, m, m0):
            vec.scatter_reverse(dolfinx.la.InsertMode.add)
            vec.scatter_forward()
        pc = fem.Function(self.P1, name="contact_pressure")
        pn = fem.Function(self.P1, name="contact_pressure_nominal")
        d = self.p1_dofs
        with np.errstate(divide="ignore", invalid="ignore"):
            pc.x.array[d] = np.where(m.array[d] > 0, b.array[d] / m.array[d], 0.0)
            pn.x.array[d] = np.where(m0.array[d] > 0, b.array[d] / m0.array[d], 0.0)
        return pc, pn, m.array[d].copy(), m0.array[d].copy()
