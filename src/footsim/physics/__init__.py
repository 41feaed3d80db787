"""The mechanics as forms: hyperelastic bodies, their materials, contact items, the rigid
block that drives the bones, and rigid bones with their joints, bands and tendons
(units: mm, N, MPa)."""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "hyperelasticity": ["Hyperelasticity", "max_principal_green_strain"],
        "block": ["RigidBlock"],
        "contact": [
            "BodyContact",
            "ContactItem",
            "ContactSurface",
            "CoulombLaw",
            "HeightField",
            "RigidPlane",
            "TargetSurface",
        ],
        "materials": ["MATERIALS", "Material"],
        "rigid_body": ["DRIVER", "RigidBodies", "RigidBody"],
        "joints": ["Joint", "hinge"],
        "bands": ["Band", "Tendon"],
    },
)
