"""Material laws of the forefoot and the footwear (units: MPa, 1/MPa, dimensionless).

One class per law with its derivation (:mod:`~footsim.physics.materials.laws`), the named
materials with their sources and the registry a scenario picks from
(:mod:`~footsim.physics.materials.library`), and the homogeneous-deformation curves used to
check them (:mod:`~footsim.physics.materials.curves`).
"""

from footsim.physics.materials.curves import (
    compression_curve,
    drucker_stable_range,
    mode_stress_tangent,
)
from footsim.physics.materials.laws import (
    FibreReinforced,
    Hyperfoam,
    Material,
    NeoHookean,
    Ogden,
    Polynomial,
)
from footsim.physics.materials.library import (
    BONE,
    BONE_RIGID,
    CORTICAL_BONE,
    EVA,
    MATERIALS,
    PAD,
    PLANTAR_PLATE,
    PLANTAR_PLATE_FIBRES,
    POLYURETHANE,
    PORON,
    RIGID_INSOLE,
    SKIN,
    SOFT_TISSUE,
    SOFT_TISSUE_NEOHOOKEAN,
    SOFT_TISSUE_OGDEN,
    default_assignment,
    resolve,
)

__all__ = [
    "BONE",
    "BONE_RIGID",
    "CORTICAL_BONE",
    "EVA",
    "MATERIALS",
    "PAD",
    "PLANTAR_PLATE",
    "PLANTAR_PLATE_FIBRES",
    "POLYURETHANE",
    "PORON",
    "RIGID_INSOLE",
    "SKIN",
    "SOFT_TISSUE",
    "SOFT_TISSUE_NEOHOOKEAN",
    "SOFT_TISSUE_OGDEN",
    "FibreReinforced",
    "Hyperfoam",
    "Material",
    "NeoHookean",
    "Ogden",
    "Polynomial",
    "compression_curve",
    "default_assignment",
    "drucker_stable_range",
    "mode_stress_tangent",
    "resolve",
]
