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
adjacent to the surface (a nodal field of the displacement degree); the resulting
penetration is ``g ~ p h / (factor E)``, i.e. a strain ``p / (factor E)`` of the first element
layer.  Tangential tractions are zero; a Coulomb
friction law would add a tangential term driven by the slip of ``x`` on the obstacle
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
            (a nodal field, so graded meshes get a graded penalty).
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
        self.kappa = fem.Function(self.L, name="penalty")
        if kappa is None:
            mats = np.unique(
                body.material_tags.values[np.isin(body.material_tags.indices, self.cells)]
            )
            E = min(body.materials[int(i)].youngs_modulus for i in mats)
            self.E = mesh.comm.allreduce(E, op=MPI.MIN)
            h = ufl.CellDiameter(mesh)
            expr = fem.Expression(
                penalty_parameter(self.E, h, self.options.penalty_factor),
                self.L.element.interpolation_points,
            )
            self.kappa.interpolate(expr, cells0=self.cells)
        else:
            self.kappa.x.array[:] = kappa
        self.kappa.x.scatter_forward()
        k = self.kappa.x.array[self.dofs]
        n = mesh.comm.allreduce(k.size, op=MPI.SUM)
        self.kappa_value = mesh.comm.allreduce(float(k.sum()), op=MPI.SUM) / max(n, 1)

        fqd = self.options.facet_quadrature_degree or 2 * self.options.degree + 1
        self.ds = ufl.Measure(
            "ds", domain=mesh, subdomain_data=facet_tags, metadata={"quadrature_degree": fqd}
        )(self.tag)

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
        self.P1 = fem.functionspace(mesh, ("Lagrange", 1))
        phi = ufl.TestFunction(self.P1)
        self._b_form = fem.form(self.pc * phi * self.da_dA * self.ds)
        self._m_form = fem.form(phi * self.da_dA * self.ds)
        self._m0_form = fem.form(phi * self.ds)
        self._p1_dofs = fem.locate_dofs_topological(self.P1, tdim - 1, self.facets)
        self._force_forms = [fem.form(self.pN * self.normal[i] * self.ds) for i in range(3)]
        self._area_form = fem.form(
            ufl.conditional(ufl.gt(self.pN, 0.0), 1.0, 0.0) * self.da_dA * self.ds
        )
        self._area0_form = fem.form(1.0 * self.ds)

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


__all__ = [
    "ContactSurface",
    "HeightField",
    "Obstacle",
    "RigidPlane",
    "facet_size",
    "penalty_parameter",
]
