"""Coulomb friction between two deformable bodies: the tangential traction at the slave
quadrature points of :class:`~footsim.physics.contact.body.BodyContact`, its history over the
load steps and its linearisation (mm, N, MPa).

The penalty regularisation and return mapping of :mod:`~footsim.physics.contact.friction`
(Wriggers 2006, Computational Contact Mechanics, 2nd ed., sec. 5.2 and 6.3; Laursen 2002,
Computational Contact and Impact Mechanics, ch. 5), for a point that slides over a deformable
master surface.  After each converged load step every slave quadrature point is *anchored*
where it projects on the master: the master facet and the barycentric coordinates ``L_a``
there (a material point of the master), the master's unit normal ``n_a``, the tangential
traction ``t_n`` the point carried (nominal, MPa) and its offset ``D_n = x_s - x_m(L_a)``
(mm).  During the next step, with ``x_m(L_a)`` the anchor's current position::

    D       = x_s - x_m(L_a),
    t_trial = P_a (t_n - eps_T (D - D_n)),     P_a = I - n_a n_a,
    t_T     = t_trial                          if |t_trial| <= mu p_N   (stick)
              mu p_N t_trial / |t_trial|       otherwise               (slip)

and the pair of forces ``+t_T`` on the slave point, ``-t_T`` on the anchor acts through the
virtual work ``-int_{Gamma_s0} t_T . (v_s - v_m(L_a)) dA``.  ``D - D_n`` is the slave point's
slip relative to the master's material point since the last step: the traction opposes the
relative motion of the two surfaces, and in stick the point slips by ``|t_T| / eps_T`` only.
``eps_T`` is the initial normal penalty of the point (N/mm^3), as on the ground: the tissue's
shear stiffness does not grow with the pressure as its compression tangent does.

Within a step the tangent plane is the anchor's (``n_a`` fixed): the traction then has a
normal component of at most ``|t_T| sin(theta)``, ``theta`` the turn of the master's normal
within the step (at the commit the traction is projected on the new tangent plane), and the
residual is a function of the displacement alone whose exact derivative Newton uses
(:meth:`BodyFriction.tangent`; checked against finite differences in the tests).  In slip
the derivative of ``mu p_N`` brings in the whole linearised gap of the normal contact.  The
history is per slave quadrature point and replicated on every process, as the projection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from footsim.physics.contact.friction import TRACTION_FLOOR_MPA, CoulombLaw
from footsim.physics.contact.surface import _p2_triangle_basis


@dataclass
class FrictionState:
    """The friction at the active (pressed) slave points of one evaluation: the anchors'
    nodes ``nodes`` (na, slave + master nodes) with their weights ``c`` (``N_s``, ``-M(L_a)``),
    the traction ``t`` (na, 3; nominal, MPa, on the slave), the trial traction ``t_trial``,
    its norm ``norm`` and the stick indicator ``stick`` (na,)."""

    nodes: np.ndarray
    c: np.ndarray
    t: np.ndarray
    t_trial: np.ndarray
    norm: np.ndarray
    stick: np.ndarray


class BodyFriction:
    """The history and the tangential traction of a two-body contact.

    Args:
        law: :class:`~footsim.physics.contact.friction.CoulombLaw` (``mu > 0``).
        eps_T: tangential penalty (N/mm^3) at each slave quadrature point, (nfs, nq).
        s_nodes, m_nodes: the slave and master facets' nodes (compact numbering, as
            :class:`~footsim.physics.contact.body.BodyContact`).
        Ns: the slave facet's shape functions at its quadrature points (nq, slave nodes).
    """

    def __init__(self, law: CoulombLaw, eps_T: np.ndarray, s_nodes, m_nodes, Ns):
        if not law.mu > 0.0:
            raise ValueError(f"friction coefficient mu = {law.mu!r}: a BodyFriction needs mu > 0")
        self.law = law
        self.mu = float(law.mu)
        self.eps_T = np.asarray(eps_T, dtype=float).ravel().copy()
        self.s_nodes, self.m_nodes, self.Ns = s_nodes, m_nodes, Ns
        self.nq = Ns.shape[0]
        n = self.eps_T.size
        self.facet = np.zeros(n, dtype=np.int64)  # the anchor's master facet
        self.L = np.zeros((n, 3))  # its barycentric coordinates
        self.n_a = np.zeros((n, 3))  # the master's normal there (the step's tangent plane)
        self.t_n = np.zeros((n, 3))  # committed traction (nominal, MPa)
        self.D_n = np.zeros((n, 3))  # committed offset slave point - anchor (mm)
        self.t_solved = np.zeros((n, 3))  # the traction the last committed step was solved with
        self.stick_solved = np.zeros(n)  # and its stick indicator (1: stuck and pressed)
        self._committed = False

    @property
    def history(self) -> list[np.ndarray]:
        """The arrays a committed step changes (saved and restored in place with the state
        when a step is undone)."""
        return [self.facet, self.L, self.n_a, self.t_n, self.D_n, self.t_solved,
                self.stick_solved]  # fmt: skip

    # -------------------------------------------------------------------------- anchors
    def _anchor_nodes(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nodes (m, slave + master nodes) and weights ``(N_s, -M(L_a))`` of the anchored pairs
        at the slave quadrature points ``points`` (flat indices)."""
        f, q = np.divmod(points, self.nq)
        nodes = np.concatenate([self.s_nodes[f], self.m_nodes[self.facet[points]]], axis=1)
        L = self.L[points]
        M = _p2_triangle_basis(L) if self.m_nodes.shape[1] == 6 else L
        return nodes, np.concatenate([self.Ns[q], -M], axis=1)

    def _offset(self, x: np.ndarray, nodes: np.ndarray, c: np.ndarray) -> np.ndarray:
        """``D = x_s - x_m(L_a)`` (mm) at the current nodal positions ``x``."""
        return np.einsum("qa,qai->qi", c, x[nodes])

    def anchor(self, ev, t: np.ndarray | None = None) -> None:
        """Anchor every slave point at its projection of the evaluation ``ev`` with the
        tangential traction ``t`` ((n, 3), projected on the new tangent plane; None: none)."""
        n = ev.normal
        self.facet[:] = ev.master
        self.L[:] = ev.bary
        self.n_a[:] = n
        if t is None:
            self.t_n[:] = 0.0
        else:
            self.t_n[:] = t - np.einsum("qi,qi->q", t, n)[:, None] * n
        self.D_n[:] = ev.xs - ev.xm

    def reset(self, ev) -> None:
        """No tangential load at the current positions (after a rigid pre-positioning)."""
        self.anchor(ev)
        self.t_solved[:] = 0.0
        self.stick_solved[:] = 0.0
        self._committed = False

    def commit(self, ev, active: np.ndarray, p: np.ndarray) -> None:
        """The converged state ``ev`` (pressures ``p`` at the ``active`` points) becomes the
        start of the next step: its traction is kept as solved and carried by the new
        anchors."""
        s = self.state(ev, active, p)
        t = np.zeros_like(self.t_n)
        t[active] = s.t
        stick = np.zeros(len(t))
        stick[active] = s.stick
        self.t_solved[:] = t
        self.stick_solved[:] = stick
        self._committed = True
        self.anchor(ev, t)

    @property
    def committed(self) -> bool:
        """Whether a step has been committed since the last :meth:`reset`."""
        return self._committed

    # -------------------------------------------------------------------------- traction
    def state(self, ev, active: np.ndarray, p: np.ndarray) -> FrictionState:
        """The return mapping at the ``active`` slave points with pressures ``p`` (MPa)."""
        nodes, c = self._anchor_nodes(active)
        D = self._offset(ev.x, nodes, c)
        n = self.n_a[active]
        trial = self.t_n[active] - self.eps_T[active, None] * (D - self.D_n[active])
        trial -= np.einsum("qi,qi->q", trial, n)[:, None] * n
        norm = np.sqrt(np.einsum("qi,qi->q", trial, trial) + TRACTION_FLOOR_MPA**2)
        limit = self.mu * p
        stick = (norm <= limit) & (p > 0.0)
        t = np.where(stick[:, None], trial, (limit / norm)[:, None] * trial)
        return FrictionState(nodes, c, t, trial, norm, stick.astype(float))

    def tangent(self, s: FrictionState, active: np.ndarray, W: np.ndarray, kW: np.ndarray):
        """The derivative of the friction's residual ``r_a = -W c_a t`` at the active points:
        ``K`` (na, nodes, 3, nodes, 3), the block over the anchored pair's own nodes (the
        return mapping of the trial traction), and ``a`` (na, nodes, 3) with ``dr = a dg``
        the slip's dependence on the pressure, ``dp = -kappa dg`` (``kW = kappa W``)::

            stick:  dt = -eps_T P_a dD,
            slip:   dt = -eps_T mu p / |t_trial| (I - s s) P_a dD + mu s dp,  s = t_trial/|t_trial|.
        """
        n = self.n_a[active]
        P = np.eye(3)[None] - np.einsum("qi,qj->qij", n, n)
        shat = s.t_trial / s.norm[:, None]
        slip = s.stick == 0.0
        ratio = np.linalg.norm(s.t, axis=1) / s.norm  # slip: mu p / |t_trial|
        radial = np.eye(3)[None] - np.einsum("qi,qj->qij", shat, shat)
        A = np.where(
            slip[:, None, None], ratio[:, None, None] * np.einsum("qij,qjk->qik", radial, P), P
        )
        coef = W * self.eps_T[active]
        K = np.einsum("q,qa,qb,qij->qaibj", coef, s.c, s.c, A)
        a = np.einsum("q,qa,qi->qai", np.where(slip, self.mu * kW, 0.0), s.c, shat)
        return K, a
