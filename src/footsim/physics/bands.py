"""Tension-only bands between rigid bodies: plantar fascia, ligaments (mm, N).

A band runs from an anchor through via-points to an anchor; each point is a material point
of a body (or of the ground) in the reference configuration. Its current length is the
length of the polyline::

    l = sum_j |x_{j+1} - x_j|,    lambda = l / L0,

(``L0`` the slack length, mm; by default the reference length, so the band is just taut at
rest), and its stored energy and tension are::

    E = 1/2 k L0 <lambda - 1>_+^2,    T = dE/dl = k <lambda - 1>_+   (N),

with ``k`` the axial stiffness ``EA`` (N, tension per unit strain); ``<.>_+`` keeps the
positive part, so a band shorter than ``L0`` is slack and carries nothing. A via-point is a
frictionless pulley fixed to its body: the tension is the same on both sides and the point
takes the resultant, as OpenSim's path points. Wrapped around the metatarsal head (via-points
plantar of the MTP axis, at radius ``r``), the band lengthens by ``~ r * phi`` as the toe
dorsiflexes by ``phi``: the windlass mechanism (Hicks 1954, J Anat 88:25). Residual and
tangent are UFL derivatives of ``E`` (:class:`footsim.physics.rigid_body.RigidBodies`).

No default stiffness is given: the band's ``k`` and slack length are scenario inputs with
their own source (plantar fascia tensile tests, e.g. Wright & Rennels 1964).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl

from footsim.physics.rigid_body import RigidBodies


def path_length(bodies: RigidBodies, points) -> ufl.core.expr.Expr:
    """Current length (mm, UFL) of the polyline through ``points``, each ``(body, (x, y, z))``
    (a material point of the body, reference mm)."""
    x = [bodies.position(b, P) for b, P in points]
    return sum(ufl.sqrt(ufl.dot(b - a, b - a)) for a, b in zip(x[:-1], x[1:], strict=True))


@dataclass(frozen=True)
class Band:
    """A tension-only band.

    Args:
        name: name of the band.
        points: the anchors and via-points in order, each ``(body name or None, (x, y, z))``
            (reference configuration, mm; None: a ground point).
        stiffness: axial stiffness ``k = EA`` (N).
        slack_length: ``L0`` (mm); None: the reference length of the polyline.
    """

    name: str
    points: tuple
    stiffness: float
    slack_length: float | None = None

    def __post_init__(self) -> None:
        if len(self.points) < 2:
            raise ValueError(f"band {self.name}: needs two anchors")
        if self.stiffness < 0:
            raise ValueError(f"band {self.name}: stiffness must be >= 0 (N)")
        if self.rest_length <= 0:
            raise ValueError(f"band {self.name}: slack length must be > 0 (mm)")

    @property
    def reference_length(self) -> float:
        """Length of the polyline in the reference configuration (mm)."""
        P = np.array([p for _, p in self.points], dtype=float)
        return float(np.linalg.norm(np.diff(P, axis=0), axis=1).sum())

    @property
    def rest_length(self) -> float:
        """``L0`` (mm)."""
        return self.reference_length if self.slack_length is None else float(self.slack_length)

    def length(self, bodies: RigidBodies):
        """Current length ``l`` (mm, UFL)."""
        return path_length(bodies, self.points)

    def strain(self, bodies: RigidBodies):
        """``<lambda - 1>_+`` (UFL)."""
        return ufl.max_value(self.length(bodies) / self.rest_length - 1.0, 0.0)

    def energy(self, bodies: RigidBodies):
        """``E = 1/2 k L0 <lambda - 1>_+^2`` (N mm, UFL)."""
        return 0.5 * self.stiffness * self.rest_length * self.strain(bodies) ** 2

    def tension(self, bodies: RigidBodies) -> float:
        """``T = k <lambda - 1>_+`` (N) in the current state."""
        return self.stiffness * bodies.evaluate(self.strain(bodies))

    def current_length(self, bodies: RigidBodies) -> float:
        return bodies.evaluate(self.length(bodies))


@dataclass(frozen=True)
class Tendon:
    """A tendon pulled with a given tension along a path of pulleys: a muscle's force.

    The energy ``E = s T l`` (``T`` the tension, N; ``l`` the path length, mm, as
    :class:`Band`; ``s`` = ``RigidBodies.tendon_scale``, 0..1) gives the tension ``s T`` on
    every segment, and each via-point takes the resultant of its two segments: the reaction
    of the bone the tendon wraps around. Anchored on the driven block (the leg, where the
    muscle is), the tendon pulls its insertion towards the previous path point.

    Args:
        name: name of the tendon.
        points: origin, via-points and insertion, each ``(body name or None, (x, y, z))``
            (reference configuration, mm).
        tension_N: ``T`` (N).
    """

    name: str
    points: tuple
    tension_N: float

    def __post_init__(self) -> None:
        if len(self.points) < 2:
            raise ValueError(f"tendon {self.name}: needs an origin and an insertion")
        if self.tension_N < 0:
            raise ValueError(f"tendon {self.name}: tension must be >= 0 (N)")

    def length(self, bodies: RigidBodies):
        """Current path length ``l`` (mm, UFL)."""
        return path_length(bodies, self.points)

    def energy(self, bodies: RigidBodies):
        """``E = s T l`` (N mm, UFL)."""
        return bodies.tendon_scale * self.tension_N * self.length(bodies)


__all__ = ["Band", "Tendon", "path_length"]
