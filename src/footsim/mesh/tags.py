"""The single registry of mesh tag numbers and names.

Every volume (cell tag) and surface (facet tag) that a solver or a picture needs
has one number here; the geometry writes these numbers into the gmsh physical
groups and beside each saved mesh (``tags.json``), the solver and the plots read
them from here. Never use a bare tag number elsewhere.
"""

from __future__ import annotations

from enum import IntEnum


class Volume(IntEnum):
    """Cell tags (gmsh physical volumes)."""

    MT1 = 1
    MT2 = 2
    MT3 = 3
    MT4 = 4
    MT5 = 5
    SESAMOID_MEDIAL = 6
    SESAMOID_LATERAL = 7
    PHALANX1 = 11
    PHALANX2 = 12
    PHALANX3 = 13
    PHALANX4 = 14
    PHALANX5 = 15
    PLATE2 = 22
    PLATE3 = 23
    PLATE4 = 24
    PLATE5 = 25
    SOFT_TISSUE = 30
    SKIN = 31
    INSOLE = 40
    PAD = 41
    CORTEX1 = 51  # the cortical tubes of the shafts (Anatomy.cortical_tube; MT1..5 the heads)
    CORTEX2 = 52
    CORTEX3 = 53
    CORTEX4 = 54
    CORTEX5 = 55


class Surface(IntEnum):
    """Facet tags (gmsh physical surfaces)."""

    PLANTAR_SKIN = 101  # outer soft-tissue surface facing down/sideways: the contact surface
    DORSAL_SKIN = 102  # outer soft-tissue surface facing up
    CUT_BONE = 103  # metatarsal bases on the proximal cut plane (load is applied here)
    CUT_SOFT = 104  # soft tissue (and plates) on the proximal cut plane
    INSOLE_TOP = 105  # top of the insole, pad included: contact surface of the footwear
    INSOLE_BOTTOM = 106  # bottom of the insole, resting on rigid ground
    INSOLE_SIDE = 107  # insole rim
    MEDULLARY_CANAL = 108  # wall of the hollow canals of the cortical tubes: a free surface


BONES = (Volume.MT1, Volume.MT2, Volume.MT3, Volume.MT4, Volume.MT5)
CORTICES = (Volume.CORTEX1, Volume.CORTEX2, Volume.CORTEX3, Volume.CORTEX4, Volume.CORTEX5)
SESAMOIDS = (Volume.SESAMOID_MEDIAL, Volume.SESAMOID_LATERAL)
PHALANGES = (Volume.PHALANX1, Volume.PHALANX2, Volume.PHALANX3, Volume.PHALANX4, Volume.PHALANX5)
PLATES = (Volume.PLATE2, Volume.PLATE3, Volume.PLATE4, Volume.PLATE5)
RIGIDISH = BONES + CORTICES + SESAMOIDS + PHALANGES  # bone material
FOOT = RIGIDISH + PLATES + (Volume.SOFT_TISSUE, Volume.SKIN)
FOOTWEAR = (Volume.INSOLE, Volume.PAD)

GROUPS: dict[str, tuple[Volume, ...]] = {
    "ALL_BONES": RIGIDISH,
    "METATARSALS": BONES + CORTICES,
    "CORTICES": CORTICES,
    "SESAMOIDS": SESAMOIDS,
    "PHALANGES": PHALANGES,
    "PLATES": PLATES,
}
"""Names for several volumes at once (scenario ``[materials]`` keys). A scenario's single
volumes override its groups."""


def volumes_named(name: str) -> tuple[Volume, ...]:
    """The volume tags a name stands for: one :class:`Volume` or a :data:`GROUPS` entry."""
    key = name.upper()
    if key in GROUPS:
        return GROUPS[key]
    return (Volume[key],)


def metatarsal(ray: int) -> Volume:
    """Volume tag of metatarsal ``ray`` (1 = hallux side ... 5 = little toe side)."""
    return Volume(ray)


def cortex(ray: int) -> Volume:
    """Volume tag of the cortical tube of metatarsal ``ray`` (with ``Anatomy.cortical_tube``;
    :func:`metatarsal` is then its head)."""
    return Volume(50 + ray)


def ray_volumes(ray: int) -> tuple[Volume, Volume]:
    """Every volume of metatarsal ``ray``: its head (the whole bone without the tube) and its
    cortical tube."""
    return metatarsal(ray), cortex(ray)


def plate(ray: int) -> Volume:
    """Volume tag of the plantar plate under MTP joint ``ray`` (2..5)."""
    return Volume(20 + ray)


BONE_SURFACE_OFFSET = 200
"""Facet tag of the cavity a bone volume leaves in the tissue: ``200 + volume`` (rigid bones)."""


def bone_surface(volume: int) -> int:
    """Facet tag of the tissue's face bonded to bone ``volume`` once the bone's cells are
    removed (:func:`footsim.mesh.cavities.remove_bones`): ``BONE_SURFACE_OFFSET + volume``."""
    return BONE_SURFACE_OFFSET + int(Volume(volume))


def registry() -> dict[str, dict[str, int]]:
    """All tags as ``{"volumes": {name: tag}, "surfaces": {name: tag}}`` (written beside meshes)."""
    return {
        "volumes": {v.name: int(v) for v in Volume},
        "surfaces": {s.name: int(s) for s in Surface},
    }
