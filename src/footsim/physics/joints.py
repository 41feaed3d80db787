"""Joints between rigid bodies: translational and rotational springs, hinges (mm, N, rad).

A joint connects body ``a`` (``None``: the ground) and body ``b`` at a joint centre ``c``
(reference configuration, mm), with axes ``e_1, e_2, e_3`` (orthonormal rows of ``axes``,
reference configuration) that move with body ``a``. Its stored energy is::

    E = 1/2 sum_i kt_i (e_i . d)^2 + 1/2 sum_i kr_i (e_i . psi)^2,
    d   = R_a^T (x_b(c) - x_a(c))            (separation of the two copies of c, frame of a),
    psi = log(R_a^T R_b)                      (relative rotation vector, frame of a),

with ``kt`` in N/mm and ``kr`` in N mm/rad per axis. ``psi`` is the exact matrix logarithm
(:func:`footsim.physics.rigid_body.rotation_log`), so a moment ``M`` about an axis with
stiffness ``k`` turns that axis by exactly ``M/k`` at any angle below ``pi``. The residual
and the tangent are UFL derivatives of ``E`` (:class:`footsim.physics.rigid_body.RigidBodies`).

A hinge (:func:`hinge`) is such a joint whose off-axis rotations and translations are held by
stiff springs (a penalty: their compliance is the hinge's play, state it with the results)
and whose axis turns against a passive rotational stiffness (0: free). No default stiffness is
given: TMT joint stiffness and first-ray mobility (e.g. Glasoe et al.) and passive MTP
stiffness are scenario inputs that must carry their own source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl

from footsim.physics.rigid_body import RigidBodies, rotation_log


def _frame(axes) -> np.ndarray:
    A = np.asarray(axes, dtype=float).reshape(3, 3)
    if not np.allclose(A @ A.T, np.eye(3), atol=1e-9):
        raise ValueError(f"joint axes are not orthonormal rows: {A}")
    return A


def frame_from_axis(axis) -> np.ndarray:
    """An orthonormal frame (rows) whose second row is the unit ``axis`` (a hinge axis)."""
    a = np.asarray(axis, dtype=float)
    a = a / np.linalg.norm(a)
    helper = np.eye(3)[int(np.argmin(np.abs(a)))]
    e1 = np.cross(a, helper)
    e1 /= np.linalg.norm(e1)
    e3 = np.cross(e1, a)
    return np.array([e1, a, e3])


@dataclass(frozen=True)
class Joint:
    """Linear + rotational spring between ``body_a`` (None: ground) and ``body_b``.

    Args:
        name: name of the joint.
        body_a: proximal body name, or None for the ground.
        body_b: distal body name.
        centre: joint centre ``c`` (mm, reference configuration).
        translational_stiffness: ``kt`` per axis (N/mm).
        rotational_stiffness: ``kr`` per axis (N mm/rad).
        axes: joint axes as orthonormal rows (reference configuration; default x, y, z).
        range_rad: ``(lower, upper)`` end of the free range of the rotation about the second
            axis, ``e_2 . psi`` (rad; None: no end); beyond it ``stop_stiffness`` (N mm/rad)
            adds to the rotational stiffness (the ligaments drawn tight at the end of the
            range): ``E += 1/2 k_stop (<e_2.psi - upper>_+^2 + <lower - e_2.psi>_+^2)``.
    """

    name: str
    body_a: str | None
    body_b: str
    centre: tuple[float, float, float]
    translational_stiffness: tuple[float, float, float]
    rotational_stiffness: tuple[float, float, float]
    axes: tuple = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    range_rad: tuple[float | None, float | None] = (None, None)
    stop_stiffness: float = 0.0

    def __post_init__(self) -> None:
        _frame(self.axes)
        if min(self.translational_stiffness) < 0 or min(self.rotational_stiffness) < 0:
            raise ValueError(f"joint {self.name}: stiffnesses must be >= 0")

    def separation(self, bodies: RigidBodies):
        """``d`` (mm, UFL): the two copies of the centre, in the frame of body a."""
        gap = bodies.position(self.body_b, self.centre) - bodies.position(self.body_a, self.centre)
        return bodies.rotation(self.body_a).T * gap

    def relative_rotation(self, bodies: RigidBodies):
        """``psi = log(R_a^T R_b)`` (rad, UFL), in the frame of body a."""
        return rotation_log(bodies.rotation(self.body_a).T * bodies.rotation(self.body_b))

    def energy(self, bodies: RigidBodies):
        """Stored energy ``E`` (N mm, UFL scalar of the body unknowns)."""
        d, psi = self.separation(bodies), self.relative_rotation(bodies)
        E = 0
        for e, kt, kr in zip(
            _frame(self.axes), self.translational_stiffness, self.rotational_stiffness, strict=True
        ):
            e = ufl.as_vector([float(c) for c in e])
            if kt:
                E += 0.5 * kt * ufl.dot(e, d) ** 2
            if kr:
                E += 0.5 * kr * ufl.dot(e, psi) ** 2
        lower, upper = self.range_rad
        if self.stop_stiffness > 0.0 and (lower is not None or upper is not None):
            e2 = ufl.as_vector([float(c) for c in _frame(self.axes)[1]])
            angle = ufl.dot(e2, psi)
            if upper is not None:
                E += 0.5 * self.stop_stiffness * ufl.max_value(angle - float(upper), 0.0) ** 2
            if lower is not None:
                E += 0.5 * self.stop_stiffness * ufl.max_value(float(lower) - angle, 0.0) ** 2
        return E

    def angles(self, bodies: RigidBodies) -> np.ndarray:
        """Relative rotation about each joint axis, ``e_i . psi`` (rad)."""
        psi = self.relative_rotation(bodies)
        return np.array(
            [
                bodies.evaluate(ufl.dot(ufl.as_vector([float(c) for c in e]), psi))
                for e in _frame(self.axes)
            ]
        )


def hinge(
    name: str,
    body_a: str | None,
    body_b: str,
    centre,
    axis,
    stiffness: float,
    constraint_stiffness: float,
    constraint_rotational_stiffness: float,
    range_rad: tuple[float | None, float | None] = (None, None),
) -> Joint:
    """A hinge about ``axis`` (reference configuration, turning with body a) through
    ``centre`` (mm): passive rotational ``stiffness`` about the axis (N mm/rad; 0: free), and
    the other motions held by ``constraint_stiffness`` (N/mm, the three translations) and
    ``constraint_rotational_stiffness`` (N mm/rad, the two off-axis rotations); beyond
    ``range_rad`` (rad, about the axis) the rotation is held by
    ``constraint_rotational_stiffness`` too (:class:`Joint`)."""
    return Joint(
        name=name,
        body_a=body_a,
        body_b=body_b,
        centre=tuple(float(c) for c in centre),
        translational_stiffness=(constraint_stiffness,) * 3,
        rotational_stiffness=(
            constraint_rotational_stiffness,
            stiffness,
            constraint_rotational_stiffness,
        ),
        axes=tuple(map(tuple, frame_from_axis(axis))),
        range_rad=range_rad,
        stop_stiffness=constraint_rotational_stiffness if range_rad != (None, None) else 0.0,
    )


__all__ = ["Joint", "frame_from_axis", "hinge"]
