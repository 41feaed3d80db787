"""The cortical tube of the elastic metatarsals (``Anatomy.cortical_tube``): its geometry, the
element size in its wall, and the analytic volumes the meshed bones are checked against (mm).

Without the tube each metatarsal shaft is a solid round rod of one homogenised bone (E 7300
MPa). With it, each shaft from the cut plane to the plane where its cylinder meets the head
sphere (``head_radius**2 = shaft_radius**2 + s_end**2`` at the axial distance ``s_end`` from
the head centre) is a tube of cortical bone, ``cortical_thickness_mm`` thick, around a
*hollow* medullary canal open at the cut; the head distal of that plane stays solid,
homogenised bone. A round tube has the second moment of area ``pi (r_o^4 - r_i^4) / 4``.

Why hollow rather than a soft marrow: marrow (fat and blood-forming tissue, nearly fluid)
carries a negligible share of a shaft's bending stiffness against a cortex of some 17 GPa,
so the beam idealisation leaves it out; meshed as a soft volume it would add
unknowns and a soft island inside bone (with rigid jointed bones, a body bonded on every
side), and would enter the soft tissue's stress figures. The canal's wall is a free surface
of its own tag (``MEDULLARY_CANAL``), never a contact surface.

Why these thicknesses (:attr:`~footsim.model.anatomy.Anatomy.cortical_thickness_mm`, MT1-MT5
3.1 / 2.2 / 2.0 / 2.0 / 2.2 mm): MT5's 2.2 = (9.0 mm shaft - 4.7 mm canal) / 2, the canal the
mean of its AP and lateral widths at the apex of the shaft's curve, 4.1 +/- 0.9 and 5.3 +/- 1.1
mm (CT, 241 patients, "Multiplanar CT analysis of fifth metatarsal morphology", PubMed
26678426); the isthmus's coronal width, 5.0 mm (Ochenjele et al. 2015, Foot Ankle Int 36:293,
CT, 119 patients), agrees. MT1-MT4 are not measured here: MT5's canal-to-shaft ratio (0.52)
is carried over, a canal of 0.48 x ``shaft_radius_mm`` (an assumption: sweep it). Cortical
bone's modulus: 17.0 GPa longitudinal (Reilly & Burstein 1975, J Biomech 8:393), taken as
isotropic.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from footsim.model.anatomy import Anatomy

#: The smallest medullary canal radius (mm) a tube may leave: thinner canals are not meshed.
MIN_CANAL_RADIUS_MM = 0.5

#: Elements across the cortical wall: the wall's element size is its thickness over this. Two
#: quadratic tetrahedra across a 2 mm wall: the bending strain, linear across the section, is
#: represented exactly by each quadratic element; two keep the tetrahedra of the thin wall
#: well shaped (``tests/test_cortical.py`` checks a tube cantilever against beam theory).
WALL_ELEMENTS = 2


def shaft_end_mm(a: Anatomy) -> np.ndarray:
    """(5,) axial distance (mm) from each head centre to the plane where the shaft's cylinder
    meets the head sphere: ``sqrt(head_radius^2 - shaft_radius^2)``. The tube ends there."""
    rh = np.asarray(a.head_radius_mm, dtype=float)
    rs = np.asarray(a.shaft_radius_mm, dtype=float)
    return np.sqrt(rh**2 - rs**2)


def shaft_axis_length_mm(a: Anatomy) -> np.ndarray:
    """(5,) distance (mm) along each shaft's axis from the head centre to the cut plane."""
    c, ax = a.head_centres(), a.axes()
    return (a.cut_x_mm - c[:, 0]) / ax[:, 0]


def tube_length_mm(a: Anatomy) -> np.ndarray:
    """(5,) length (mm) of each cortical tube along its axis, from the cut plane (where the
    axis crosses it) to the head: the obliquely cut tube has the volume of a straight one
    this long."""
    return shaft_axis_length_mm(a) - shaft_end_mm(a)


def canal_radius_mm(a: Anatomy) -> np.ndarray:
    """(5,) medullary canal radius (mm): shaft radius less the cortical thickness; zeros
    without ``cortical_tube``."""
    if not a.cortical_tube:
        return np.zeros(5)
    return np.asarray(a.shaft_radius_mm, dtype=float) - np.asarray(a.cortical_thickness_mm)


def canal_volume_mm3(a: Anatomy, ray: int) -> float:
    """Volume (mm^3) of the hollow canal of metatarsal ``ray`` (0 without the tube)."""
    k = ray - 1
    return float(math.pi * canal_radius_mm(a)[k] ** 2 * tube_length_mm(a)[k])


def cortex_volume_mm3(a: Anatomy, ray: int) -> float:
    """Volume (mm^3) of the cortical tube of metatarsal ``ray`` (volume ``CORTEX<ray>``)."""
    k = ray - 1
    rs, ri = a.shaft_radius_mm[k], canal_radius_mm(a)[k]
    return float(math.pi * (rs**2 - ri**2) * tube_length_mm(a)[k])


def second_moment_mm4(a: Anatomy, ray: int) -> float:
    """Second moment of area (mm^4) of shaft ``ray``'s section: ``pi (r_o^4 - r_i^4) / 4``
    (the solid rod's ``pi r^4 / 4`` without the tube)."""
    k = ray - 1
    return float(math.pi * (a.shaft_radius_mm[k] ** 4 - canal_radius_mm(a)[k] ** 4) / 4.0)


def wall_size_mm(a: Anatomy) -> np.ndarray:
    """(5,) element size (mm) in each cortical wall: its thickness over
    :data:`WALL_ELEMENTS`."""
    return np.asarray(a.cortical_thickness_mm, dtype=float) / WALL_ELEMENTS


def check_tube(a: Anatomy) -> None:
    """:class:`~footsim.model.anatomy.AnatomyError` unless every tube leaves a canal of at
    least :data:`MIN_CANAL_RADIUS_MM` (checked only with ``cortical_tube``)."""
    from footsim.model.anatomy import AnatomyError

    if not a.cortical_tube:
        return
    for k, (rs, t) in enumerate(zip(a.shaft_radius_mm, a.cortical_thickness_mm, strict=True)):
        if t > rs - MIN_CANAL_RADIUS_MM:
            raise AnatomyError(
                f"cortical_thickness_mm[{k}] = {t:g} mm leaves no medullary canal in "
                f"shaft_radius_mm[{k}] = {rs:g} mm (allowed: 0.5 .. {rs - MIN_CANAL_RADIUS_MM:g} "
                f"mm, a canal of at least {MIN_CANAL_RADIUS_MM:g} mm radius)"
            )
