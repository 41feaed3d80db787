"""Coulomb friction on a contact surface: the return mapping of the tangential traction and
its history over the load steps (units: mm, N, MPa).

Penalty regularisation of the stick condition with a return mapping onto the Coulomb cone
(Wriggers 2006, Computational Contact Mechanics, 2nd ed., sec. 5.2 and 6.3; Laursen 2002,
Computational Contact and Impact Mechanics, ch. 5). With ``x`` the current position of a
surface point, ``x_n`` and ``t_n`` its position and (nominal, tangential) traction at the
last committed load step, ``n`` the normal of the surface pressed on and ``P_T = I - n n``::

    t_trial = P_T (t_n - eps_T (x - x_n)),
    t_T     = t_trial                          if |t_trial| <= mu p_N   (stick)
              mu p_N t_trial / |t_trial|       otherwise               (slip)

The traction opposes the point's motion since the last step; in stick the point moves by the
elastic slip ``|t_T| / eps_T`` only (``eps_T`` the normal penalty, N/mm^3: a fraction of the
first element layer's own shear compliance), in slip ``|t_T| = mu p_N`` exactly. Newton's
tangent is UFL's derivative of ``t_T``: the consistent tangent of the return mapping, which is
not symmetric in slip. ``t_n`` and ``x_n`` are nodal fields (the multiplier's space), set
after each converged load step by :meth:`Friction.commit`: the slip is history, so the
result depends on the load path as Coulomb's law says. ``mu = 0`` adds no term at all.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import footsim  # noqa: F401  (must precede dolfinx)

import numpy as np  # noqa: E402  isort: skip
import ufl  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip

#: Below this trial traction (MPa) a point counts as free of tangential load: keeps the
#: norm differentiable at zero (a point out of contact has ``t_trial = 0``).
TRACTION_FLOOR_MPA = 1e-12


def coulomb_return(t_trial, p_N, mu: float):
    """Return mapping of the trial traction ``t_trial`` (MPa) onto the Coulomb cone of the
    pressure ``p_N`` (MPa) and coefficient ``mu``: ``(t_T, stick)``, the traction (MPa) and
    the stick indicator (1 in stick with ``p_N > 0``, else 0) as UFL expressions."""
    norm = ufl.sqrt(ufl.dot(t_trial, t_trial) + TRACTION_FLOOR_MPA**2)
    limit = mu * p_N
    stick = ufl.And(ufl.le(norm, limit), ufl.gt(p_N, 0.0))
    t_T = ufl.conditional(stick, t_trial, limit / norm * t_trial)
    return t_T, ufl.conditional(stick, 1.0, 0.0)


@dataclass(frozen=True)
class CoulombLaw:
    """Coulomb's law on one contact pair: ``mu`` the (static = kinetic) coefficient of
    friction, dimensionless, >= 0; 0 is frictionless."""

    mu: float = 0.0

    def __post_init__(self) -> None:
        if not (self.mu >= 0.0 and np.isfinite(self.mu)):
            raise ValueError(f"friction coefficient mu = {self.mu!r}: allowed mu >= 0")


class Friction:
    """Tangential traction of a contact surface and its history.

    Args:
        space: the vector Lagrange space of the surface nodes' history (the multiplier's
            degree).
        x: the current position of the surface points (UFL, mm).
        normal: the unit normal of the surface pressed on, into the body (UFL).
        p_N: the nominal normal pressure (UFL, MPa).
        eps_T: the tangential penalty (UFL or Function, N/mm^3).
        law: :class:`CoulombLaw`.
        cells: the cells on the surface (the history is interpolated there).
    """

    def __init__(self, space, x, normal, p_N, eps_T, law: CoulombLaw, cells: np.ndarray):
        self.law = law
        self.cells = cells
        self.t_n = fem.Function(space, name="tangential_traction_committed")
        self.x_n = fem.Function(space, name="position_committed")
        self._x = x
        P_T = ufl.Identity(3) - ufl.outer(normal, normal)
        self.t_trial = P_T * (self.t_n - eps_T * (x - self.x_n))
        self.traction, self.stick = coulomb_return(self.t_trial, p_N, law.mu)
        points = space.element.interpolation_points
        self._x_expr = fem.Expression(x, points)
        self._t_expr = fem.Expression(self.traction, points)
        self.reset()

    @property
    def history(self) -> list[fem.Function]:
        """The fields a load step changes when it is committed (saved and restored with the
        state by :class:`~footsim.solve.stepping.LoadStepper`)."""
        return [self.t_n, self.x_n]

    def reset(self) -> None:
        """No tangential load at the current position (after a rigid pre-positioning)."""
        self._solved_with = None
        self.t_n.x.array[:] = 0.0
        self.x_n.interpolate(self._x_expr, cells0=self.cells)
        self.x_n.x.scatter_forward()

    def commit(self) -> None:
        """Make the current (converged) state the start of the next load step: ``t_n <-
        t_T``, ``x_n <- x`` at the surface nodes. The history the step was solved with is
        kept for :meth:`as_solved`."""
        self._solved_with = [f.x.array.copy() for f in self.history]
        t = fem.Function(self.t_n.function_space)
        t.interpolate(self._t_expr, cells0=self.cells)
        self.x_n.interpolate(self._x_expr, cells0=self.cells)
        self.t_n.x.array[:] = t.x.array
        for f in (self.t_n, self.x_n):
            f.x.scatter_forward()

    @contextlib.contextmanager
    def as_solved(self):
        """Within this context the history is the one the last committed step was solved
        with: the traction and the stick indicator are then those of the converged state
        (after :meth:`commit` the trial traction is the interpolated committed one, which
        reproduces the traction only at the nodes, and the stick test between nodes is
        meaningless). Without a committed step: the current history."""
        saved = [f.x.array.copy() for f in self.history]
        try:
            for f, a in zip(self.history, self._solved_with or saved, strict=True):
                f.x.array[:] = a
            yield self
        finally:
            for f, a in zip(self.history, saved, strict=True):
                f.x.array[:] = a
