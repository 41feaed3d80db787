"""Rigid bodies with six global unknowns each, solved together with the tissue (mm, N, MPa).

Each body ``b`` has a translation ``U_b`` (mm) of its reference point ``X_b`` and a rotation
vector ``theta_b`` (rad); its rotation is the exact exponential map (Rodrigues' formula)::

    R(theta) = I + sin(t)/t [theta]_x + (1 - cos t)/t^2 [theta]_x^2,   t = |theta|,

so finite rotations carry no small-angle error (rotation vectors up to ``|theta| < pi``). A
material point ``P`` of the body is carried to ``x_b(P) = X_b + U_b + R_b (P - X_b)``.

The twelve, eighteen, ... unknowns live in one dolfinx *real* function space (a global,
mesh-independent block of ``6 n`` dofs; ``basix.ufl.real_element``, native in dolfinx 0.11,
the element scifem's ``create_real_functionspace`` forwards to there) that is appended to the
tissue's blocks ``[u, (p)]`` of the monolithic Newton system: the bodies' motion is solved for,
never prescribed, and there are no unknowns inside bone.

Tissue bonded to a body's surface ``Gamma_b`` (facet tags) follows it through the coupling
energy::

    Pi_c = sum_b int_{Gamma_b} kappa/2 |u - w_b(X)|^2 dA,   w_b(X) = U_b + (R_b - I)(X - X_b),

a stiff penalty tie (``kappa`` in N/mm^3: traction per mm of mismatch); its error is the
mismatch ``t / kappa`` (t the bond traction, MPa), which :func:`coupling_penalty` scales to
``1/factor`` of the compliance of a tissue cell; the verification shows the results do not
depend on ``kappa`` to the stated tolerance. Joints, bands and other energies that depend
only on the body unknowns (:mod:`footsim.physics.joints`, :mod:`footsim.physics.bands`) are
integrated over a single cell divided by its volume (an exact "point" integral of a constant
integrand), so that UFL differentiates every term: residual and Jacobian are consistent by
construction. Applied forces (N) at a body's reference point and moments (N mm) are dead
loads; the moment's virtual work ``M . delta phi`` uses the spatial virtual rotation
``[delta phi]_x = delta R R^T`` (exact for finite rotations; not a potential).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import footsim  # noqa: F401  (must precede dolfinx)

import basix.ufl  # noqa: E402  isort: skip
import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import ufl  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

#: Below this ``|theta|^2`` (rad^2) the Rodrigues coefficients are evaluated by their Taylor
#: series (four terms: truncation below 1e-20), which keeps their derivatives finite at 0.
_SMALL_ANGLE_SQ = 1e-4
#: Below this ``sin^2`` of the relative angle the logarithm uses its series (see rotation_log).
_SMALL_SIN_SQ = 1e-6


#: Name of the driven block (the tarsus and the leg above it) in joints, bands and tendons: its
#: motion is prescribed by the load stepping (:meth:`RigidBodies.drive`), not solved for.
DRIVER = "tarsus"


def skew(a):
    """``[a]_x``: the matrix of the cross product ``a x .`` (UFL)."""
    return ufl.as_matrix([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])


def axial(W):
    """The axial vector of the skew part of ``W`` (UFL): ``w`` with ``[w]_x = (W - W^T)/2``."""
    return 0.5 * ufl.as_vector([W[2, 1] - W[1, 2], W[0, 2] - W[2, 0], W[1, 0] - W[0, 1]])


def rotation(theta):
    """Rotation matrix of the rotation vector ``theta`` (rad), Rodrigues' formula (UFL)."""
    t2 = ufl.dot(theta, theta)
    t = ufl.sqrt(t2)
    small = ufl.lt(t2, _SMALL_ANGLE_SQ)
    a = ufl.conditional(small, 1 - t2 / 6 + t2**2 / 120 - t2**3 / 5040, ufl.sin(t) / t)
    b = ufl.conditional(small, 0.5 - t2 / 24 + t2**2 / 720 - t2**3 / 40320, (1 - ufl.cos(t)) / t2)
    K = skew(theta)
    return ufl.Identity(3) + a * K + b * K * K


def rotation_log(R):
    """Rotation vector ``psi`` (rad) of the rotation matrix ``R``, ``|psi| < pi`` (UFL).

    ``s = axial(R) = sin(phi) n`` and ``c = (tr R - 1)/2 = cos(phi)`` give
    ``psi = atan2(|s|, c) / |s| * s``; for ``|s|^2 < 1e-6`` and ``c > 0`` the factor is the
    series ``(1/c)(1 - x/3 + x^2/5 - x^3/7)``, ``x = |s|^2 / c^2`` (of ``atan(y)/y``), smooth at
    the identity."""
    s = axial(R)
    c = 0.5 * (ufl.tr(R) - 1.0)
    s2 = ufl.dot(s, s)
    x = s2 / c**2
    small = ufl.And(ufl.lt(s2, _SMALL_SIN_SQ), ufl.gt(c, 0.0))
    f = ufl.conditional(
        small, (1 - x / 3 + x**2 / 5 - x**3 / 7) / c, ufl.atan2(ufl.sqrt(s2), c) / ufl.sqrt(s2)
    )
    return f * s


def rotation_matrix_np(theta: np.ndarray) -> np.ndarray:
    """Rodrigues' formula in numpy (rotation vector in rad)."""
    theta = np.asarray(theta, dtype=float)
    t = float(np.linalg.norm(theta))
    K = np.array(
        [[0, -theta[2], theta[1]], [theta[2], 0, -theta[0]], [-theta[1], theta[0], 0]], dtype=float
    )
    if t < 1e-8:
        return np.eye(3) + K + 0.5 * K @ K
    return np.eye(3) + np.sin(t) / t * K + (1 - np.cos(t)) / t**2 * K @ K


def spatial_tangent_np(theta: np.ndarray) -> np.ndarray:
    """``T(theta)`` with ``delta phi = T delta theta`` (the spatial virtual rotation of a
    variation of the rotation vector; the left Jacobian of SO(3)):
    ``T = I + (1 - cos t)/t^2 [theta]_x + (t - sin t)/t^3 [theta]_x^2``."""
    theta = np.asarray(theta, dtype=float)
    t = float(np.linalg.norm(theta))
    K = np.array(
        [[0, -theta[2], theta[1]], [theta[2], 0, -theta[0]], [-theta[1], theta[0], 0]], dtype=float
    )
    if t < 1e-6:
        return np.eye(3) + 0.5 * K + K @ K / 6.0
    return np.eye(3) + (1 - np.cos(t)) / t**2 * K + (t - np.sin(t)) / t**3 * K @ K


def coupling_penalty(E: float, h: float, factor: float = 1.0e3) -> float:
    """Bond penalty ``kappa = factor * E / h`` (N/mm^3) for tissue of Young's modulus ``E``
    (MPa) and cell size ``h`` (mm): the surface's mismatch from the rigid motion is then about
    ``1/factor`` of the deformation of one tissue cell under the same traction (the contact
    penalty's scaling, :func:`footsim.contact.penalty_parameter`, with a stiffer factor)."""
    return factor * E / h


@dataclass(frozen=True)
class RigidBody:
    """One rigid body.

    Args:
        name: unique name.
        centre: reference point ``X_b`` (mm): the point whose translation is ``U_b``, where the
            applied force acts and about which the applied moment and the rotation act.
        surfaces: facet tags of the bone surface the tissue is bonded to (empty: a body
            connected only through joints and bands).
    """

    name: str
    centre: tuple[float, float, float]
    surfaces: tuple[int, ...] = ()


class RigidBodies:
    """The rigid bodies of a model, their unknowns, loads and energy terms.

    Args:
        mesh: the tissue mesh (mm); the unknowns live in a real space on it.
        bodies: the bodies.
        facet_tags: facet tags holding the bodies' ``surfaces``.
        penalty: bond penalty ``kappa`` (N/mm^3, :func:`coupling_penalty`).
    """

    def __init__(
        self,
        mesh: dolfinx.mesh.Mesh,
        bodies: Sequence[RigidBody],
        facet_tags: dolfinx.mesh.MeshTags | None = None,
        penalty: float = 0.0,
    ):
        names = [b.name for b in bodies]
        if len(set(names)) != len(names):
            raise ValueError(f"body names are not unique: {names}")
        if any(b.surfaces for b in bodies) and (facet_tags is None or penalty <= 0.0):
            raise ValueError("bonded surfaces need facet_tags and a penalty > 0 (N/mm^3)")
        self.mesh = mesh
        self.bodies = list(bodies)
        self.index = {b.name: i for i, b in enumerate(bodies)}
        self.facet_tags = facet_tags
        self.penalty = fem.Constant(mesh, float(penalty))
        n = len(bodies)
        self.Q = fem.functionspace(mesh, basix.ufl.real_element(mesh.basix_cell(), (n, 6)))
        self.q = fem.Function(self.Q, name="rigid_body_unknowns")
        self.s = ufl.TestFunction(self.Q)
        self.force = fem.Constant(mesh, np.zeros((n, 3)))  # N, at each centre
        self.moment = fem.Constant(mesh, np.zeros((n, 3)))  # N mm
        self.items: list = []  # joints, bands: objects with energy(self) (N mm)
        self.point_forces: list = []  # (body index, point (mm), Constant force (N))
        # the "point" measure: one owned cell of rank 0, divided by its volume
        tdim = mesh.topology.dim
        cells = np.array([0] if mesh.comm.rank == 0 else [], dtype=np.int32)
        one = dolfinx.mesh.meshtags(mesh, tdim, cells, np.ones_like(cells))
        self._dx1 = ufl.Measure(
            "dx", domain=mesh, subdomain_data=one, subdomain_id=1, metadata={"quadrature_degree": 0}
        )
        vol = mesh.comm.allreduce(fem.assemble_scalar(fem.form(1.0 * self._dx1)), op=MPI.SUM)
        self._point_weight = 1.0 / vol
        self._ds = ufl.Measure("ds", domain=mesh, subdomain_data=facet_tags)
        self._scalar_forms: dict = {}
        # the driven block (DRIVER): vertical translation w (mm), distal translation s (mm)
        # and rotation theta (rad) about the y axis through pivot (mm), set by the load
        # stepping, not solved for
        self.driver_w = fem.Constant(mesh, 0.0)
        self.driver_s = fem.Constant(mesh, 0.0)
        self.driver_theta = fem.Constant(mesh, 0.0)
        self.driver_pivot = np.zeros(3)
        # a virtual rigid motion (dU, dphi) of the driven block, always zero: the derivative of
        # the energy with respect to it is the wrench the bodies exert on the block
        R1 = fem.functionspace(mesh, basix.ufl.real_element(mesh.basix_cell(), (6,)))
        self._driver_delta = fem.Function(R1)
        self._driver_test = ufl.TestFunction(R1)
        #: scales every tendon's tension (:class:`footsim.physics.bands.Tendon`), 0..1
        self.tendon_scale = fem.Constant(mesh, 1.0)

    # ------------------------------------------------------------------------ kinematics (UFL)
    def _i(self, body: str | int) -> int:
        return body if isinstance(body, int) else self.index[body]

    def _driver_rotation(self):
        c, s = ufl.cos(self.driver_theta), ufl.sin(self.driver_theta)
        dphi = ufl.as_vector([self._driver_delta[k] for k in range(3, 6)])
        return (ufl.Identity(3) + skew(dphi)) * ufl.as_matrix([[c, 0, s], [0, 1, 0], [-s, 0, c]])

    def translation(self, body):
        i = self._i(body)
        return ufl.as_vector([self.q[i, k] for k in range(3)])

    def rotation_vector(self, body):
        i = self._i(body)
        return ufl.as_vector([self.q[i, k] for k in range(3, 6)])

    def rotation(self, body):
        """``R_b`` (UFL); ``body`` None: the ground (identity); :data:`DRIVER`: the driven
        block's ``R_y(theta)``."""
        if body is None:
            return ufl.Identity(3)
        if body == DRIVER:
            return self._driver_rotation()
        return rotation(self.rotation_vector(body))

    def centre(self, body) -> np.ndarray:
        return np.asarray(self.bodies[self._i(body)].centre, dtype=float)

    def position(self, body, P):
        """Current position (mm, UFL) of the material point ``P`` (reference mm) of ``body``;
        ``body`` None: the ground point ``P``; :data:`DRIVER`: the point of the driven block."""
        P = ufl.as_vector([float(c) for c in P])
        if body is None:
            return P
        if body == DRIVER:
            c = ufl.as_vector([float(v) for v in self.driver_pivot])
            w = ufl.as_vector([self.driver_s, 0.0, self.driver_w])
            dU = ufl.as_vector([self._driver_delta[k] for k in range(3)])
            return c + self._driver_rotation() * (P - c) + w + dU
        Xc = ufl.as_vector([float(c) for c in self.centre(body)])
        return Xc + self.translation(body) + self.rotation(body) * (P - Xc)

    def surface_displacement(self, body, X):
        """Displacement ``w_b(X) = U_b + (R_b - I)(X - X_b)`` (mm, UFL) of the body's points."""
        Xc = ufl.as_vector([float(c) for c in self.centre(body)])
        return self.translation(body) + (self.rotation(body) - ufl.Identity(3)) * (X - Xc)

    def point_integral(self, expr):
        """``expr`` (a UFL scalar of the body unknowns only) as an integral (exact)."""
        return expr * self._point_weight * self._dx1

    # ------------------------------------------------------------------------ model assembly
    def add(self, item) -> None:
        """Add a joint, band or any object with ``energy(bodies)`` (UFL scalar, N mm)."""
        self.items.append(item)

    def set_load(self, body, force=None, moment=None) -> None:
        """Dead force (N) at the body's centre and moment (N mm)."""
        i = self._i(body)
        if force is not None:
            self.force.value[i] = force
        if moment is not None:
            self.moment.value[i] = moment

    def add_point_force(self, body, point, force) -> fem.Constant:
        """A dead force (N) on the material point ``point`` (reference mm) of ``body``;
        returns its Constant (to be changed, e.g. by load stepping)."""
        f = fem.Constant(self.mesh, np.asarray(force, dtype=float))
        self.point_forces.append((self._i(body), tuple(point), f))
        return f

    def coupling_energy(self, u):
        """``Pi_c`` (N mm, UFL form) of the bonded surfaces for the tissue displacement ``u``."""
        X = ufl.SpatialCoordinate(self.mesh)
        terms = [
            self.penalty / 2 * ufl.dot(d, d) * self._ds(int(tag))
            for b in self.bodies
            for tag in b.surfaces
            for d in [u - self.surface_displacement(b.name, X)]
        ]
        return sum(terms) if terms else None

    def energy(self):
        """Stored energy of joints and bands (N mm, UFL form), or None."""
        terms = [item.energy(self) for item in self.items]
        return self.point_integral(sum(terms)) if terms else None

    def external_work_rate(self):
        """Virtual work of the applied loads for the test function (UFL form)."""
        s = self.s
        dW = 0
        for i in range(len(self.bodies)):
            dU = ufl.as_vector([s[i, k] for k in range(3)])
            R = self.rotation(i)
            dphi = axial(ufl.derivative(R, self.q, s) * R.T)
            dW += ufl.dot(ufl.as_vector([self.force[i, k] for k in range(3)]), dU)
            dW += ufl.dot(ufl.as_vector([self.moment[i, k] for k in range(3)]), dphi)
        for i, P, f in self.point_forces:
            dW += ufl.dot(f, ufl.derivative(self.position(i, P), self.q, s))
        return self.point_integral(dW)

    def residual(self, u, v):
        """``(F_u_extra, F_q)``: the coupling's contribution to the tissue residual (test
        function ``v``; None without bonded surfaces) and the residual of the body unknowns."""
        Pi_c = self.coupling_energy(u)
        E = self.energy()
        F_q = -self.external_work_rate()
        F_u = None
        if Pi_c is not None:
            F_q += ufl.derivative(Pi_c, self.q, self.s)
            F_u = ufl.derivative(Pi_c, u, v)
        if E is not None:
            F_q += ufl.derivative(E, self.q, self.s)
        return F_u, F_q

    @property
    def has_tendons(self) -> bool:
        from footsim.physics.bands import Tendon

        return any(isinstance(item, Tendon) and item.tension_N > 0 for item in self.items)

    def set_tendon_level(self, level: float) -> None:
        """Pull every tendon with ``level`` (0..1) times its tension."""
        self.tendon_scale.value = float(level)

    def drive(self, w: float, theta: float | None = None, s: float | None = None) -> None:
        """Move the driven block to translation ``w`` (mm, up), rotation ``theta`` (rad) and
        distal translation ``s`` (mm)."""
        self.driver_w.value = float(w)
        if theta is not None:
            self.driver_theta.value = float(theta)
        if s is not None:
            self.driver_s.value = float(s)

    def follow_driver(self) -> None:
        """Set every body to the driven block's rigid motion (a state without load)."""
        theta = float(self.driver_theta.value)
        R = rotation_matrix_np(np.array([0.0, theta, 0.0]))
        q = self.q.x.array.reshape(-1, 6)
        for i, b in enumerate(self.bodies):
            X = np.asarray(b.centre, dtype=float)
            x = self.driver_pivot + R @ (X - self.driver_pivot)
            x[2] += float(self.driver_w.value)
            x[0] += float(self.driver_s.value)
            q[i, :3] = x - X
            q[i, 3:] = (0.0, theta, 0.0)
        self.q.x.scatter_forward()

    def driver_wrench(self) -> tuple[np.ndarray, np.ndarray]:
        """Force (N) and moment (N mm, about the block's current pivot ``pivot + (s, 0, w)``) that
        the bodies exert on the driven block through joints, bands and tendons anchored on it:
        minus the derivative of their energy with respect to a virtual rigid motion of the
        block (exact at any rotation; the first-order rotation ``I + [dphi]_x`` is exact for
        the derivative at zero)."""
        if "driver" not in self._scalar_forms:
            E = self.energy()
            form = (
                None
                if E is None
                else fem.form(ufl.derivative(E, self._driver_delta, self._driver_test))
            )
            self._scalar_forms["driver"] = (E, form)
        _, form = self._scalar_forms["driver"]
        if form is None:
            return np.zeros(3), np.zeros(3)
        vec = fem.assemble_vector(form)
        vec.scatter_reverse(dolfinx.la.InsertMode.add)
        g = self.mesh.comm.bcast(vec.array[:6].copy() if self.mesh.comm.rank == 0 else None)
        return -g[:3], -g[3:]

    # ------------------------------------------------------------------------ post-processing
    def values(self, body) -> np.ndarray:
        """``(U (mm), theta (rad))`` of the body as a numpy array of 6."""
        i = self._i(body)
        return self.q.x.array.reshape(-1, 6)[i].copy()

    def rotation_matrix(self, body) -> np.ndarray:
        return rotation_matrix_np(self.values(body)[3:])

    def evaluate(self, expr) -> float:
        """Value of a UFL scalar of the body unknowns (compiled once per expression object)."""
        key = id(expr)
        if key not in self._scalar_forms:
            self._scalar_forms[key] = (expr, fem.form(self.point_integral(expr)))
        _, form = self._scalar_forms[key]
        return self.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def wrench(self, generalized: np.ndarray, body) -> tuple[np.ndarray, np.ndarray]:
        """Force (N) and moment (N mm, about the body's current centre) equivalent to the
        generalized force ``generalized`` (6, work-conjugate to ``(U, theta)``):
        ``f = g_U``, ``m = T(theta)^{-T} g_theta`` (:func:`spatial_tangent_np`)."""
        theta = self.values(body)[3:]
        T = spatial_tangent_np(theta)
        return generalized[:3], np.linalg.solve(T.T, generalized[3:])

    def generalized_force(self, energy_form, body) -> np.ndarray:
        """``-d(energy)/d(U, theta)`` of ``body`` (6 numbers): the generalized force an energy
        term (a UFL form in the body unknowns) exerts on the body."""
        key = ("g", id(energy_form))
        if key not in self._scalar_forms:
            self._scalar_forms[key] = (
                energy_form,
                fem.form(ufl.derivative(energy_form, self.q, self.s)),
            )
        _, form = self._scalar_forms[key]
        vec = fem.assemble_vector(form)
        vec.scatter_reverse(dolfinx.la.InsertMode.add)
        g = self.mesh.comm.bcast(vec.array[: self.q.x.array.size].copy(), root=0)
        return -g.reshape(-1, 6)[self._i(body)]


__all__ = [
    "DRIVER",
    "RigidBodies",
    "RigidBody",
    "axial",
    "coupling_penalty",
    "rotation",
    "rotation_log",
    "rotation_matrix_np",
    "skew",
    "spatial_tangent_np",
]
