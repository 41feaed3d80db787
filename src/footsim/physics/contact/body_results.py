"""The results of a two-body contact (:class:`~footsim.physics.contact.body.BodyContact`):
contact force and area, the pressure and the friction's shear recovered on the slave's P1
nodes, and the pressure the master surface carries (mm, N, MPa).
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import numpy as np  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip

from footsim.physics.contact.surface import TargetSurface, _Evaluation


class BodyContactResults:
    """The results of :class:`~footsim.physics.contact.body.BodyContact` (a mixin: it reads the
    contact's surfaces, evaluation and friction)."""

    def force(self) -> np.ndarray:
        """Contact force on the slave body ``int (p_N n + t_T) dA`` (N), 3 components."""
        ev = self.evaluate()
        p = self._pressure(ev).ravel()
        f = np.einsum("q,qi->i", p * self.W.ravel(), ev.normal)
        if self.friction is not None:
            f += np.einsum("q,qi->i", self.W.ravel(), self._tangential(ev)[0])
        return f

    def _tangential(self, ev: _Evaluation) -> tuple[np.ndarray, np.ndarray]:
        """The friction's traction (nominal, MPa; (points, 3)) on the slave and its stick
        indicator (points,) at every slave quadrature point of the state ``ev``."""
        p = self._pressure(ev).ravel()
        t, stick = np.zeros((p.size, 3)), np.zeros(p.size)
        act = np.nonzero(p > 0)[0]
        if act.size:
            s = self.friction.state(ev, act, p[act])
            t[act], stick[act] = s.t, s.stick
        return t, stick

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
        d, k = self.p1_dofs, self._p1_nodes  # this process's P1 dofs, their surface nodes
        pc.x.array[d] = b[k] / m[k]
        pn.x.array[d] = b[k] / m0[k]
        return pc, pn, m[k].copy(), m0[k].copy()

    def shear_p1(self) -> tuple[fem.Function, fem.Function, float]:
        """The friction's tangential traction on the slave as a P1 vector function (Cauchy:
        force per deformed area, MPa), the fraction of each P1 node's reference tributary
        area that sticks (0 to 1; 0 off contact), both zero off the surface, and the deformed
        area in stick (mm^2), as the last committed step was solved (the current state before
        any commit).  Lumped with the P1 weights as :meth:`pressure_p1`: ``sum_i t_i a_i`` is
        the tangential contact force.  Frictionless: zeros."""
        mesh = self.body.mesh
        V1 = fem.functionspace(mesh, ("Lagrange", 1, (3,)))
        shear = fem.Function(V1, name="contact_shear")
        stick = fem.Function(self.P1, name="contact_stick")
        if self.friction is None:
            return shear, stick, 0.0
        ev = self.evaluate()
        fr = self.friction
        if fr.committed:
            t, st = fr.t_solved, fr.stick_solved
        else:
            t, st = self._tangential(ev)
        n = len(self.X)
        w = self.W[:, :, None] * self.Lq[None, :, :]  # (nfs, nq, 3 corners)
        idx = np.broadcast_to(self.s_nodes[:, None, :3], w.shape).ravel()
        nfs, nq = self.W.shape
        b = [np.bincount(idx, (w * t[:, i].reshape(nfs, nq, 1)).ravel(), n) for i in range(3)]
        _, m, m0 = self._slave_corner_sums(ev)
        bs = np.bincount(idx, (w * st.reshape(nfs, nq, 1)).ravel(), n)
        d, k = self.p1_dofs, self._p1_nodes
        tt = shear.x.array.reshape(-1, 3)
        for i in range(3):
            tt[d, i] = np.divide(b[i][k], m[k], out=np.zeros(len(k)), where=m[k] > 0)
        stick.x.array[d] = np.divide(bs[k], m0[k], out=np.zeros(len(k)), where=m0[k] > 0)
        area = float(np.sum(self.W * ev.da_dA[:, None] * st.reshape(nfs, nq)))
        return shear, stick, area

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
