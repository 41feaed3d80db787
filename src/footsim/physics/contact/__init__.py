"""Contact of the plantar skin, frictionless or with Coulomb friction (units: mm, N, MPa).

Two contact items share one interface (:class:`~footsim.physics.contact.item.ContactItem`):
:class:`ContactSurface` presses a body onto a rigid obstacle (:class:`RigidPlane`,
:class:`HeightField`), :class:`BodyContact` onto a second deformable body (the insole and
pad), whose side of the contact :class:`TargetSurface` reports.
"""

from footsim.physics.contact.body import BodyContact
from footsim.physics.contact.friction import CoulombLaw, Friction
from footsim.physics.contact.ground import ContactSurface
from footsim.physics.contact.item import ContactItem
from footsim.physics.contact.obstacles import (
    RAISE_FACTOR,
    HeightField,
    Obstacle,
    RigidPlane,
    facet_size,
    penalty_parameter,
    softest_tangent,
)
from footsim.physics.contact.surface import TargetSurface

__all__ = [
    "RAISE_FACTOR",
    "BodyContact",
    "ContactItem",
    "ContactSurface",
    "CoulombLaw",
    "Friction",
    "HeightField",
    "Obstacle",
    "RigidPlane",
    "TargetSurface",
    "facet_size",
    "penalty_parameter",
    "softest_tangent",
]
