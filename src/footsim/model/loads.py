"""Load presets: standing and push-off forces on the forefoot, scaled by body mass, with
their sources (N, kg, deg).
"""

from __future__ import annotations

from dataclasses import dataclass

import footsim  # noqa: F401  (must precede dolfinx)

#: Standard gravity (m/s^2).
G = 9.81


#: Share of the single-foot load carried by the forefoot in quiet bipedal standing: 44-45 %
#: of the plantar load (Zebris 2020 normative pressure study; cf. Cavanagh, Rodgers & Iiboshi
#: 1987, Foot Ankle 7:262, heel 60 % / forefoot 28 % / midfoot 8 %).  We use 0.445.
FOREFOOT_SHARE_STANDING = 0.445


#: Vertical ground reaction at push-off (second peak of the walking GRF, carried almost
#: entirely by the forefoot): ~1.1 body weight at normal walking speed (Keller et al. 1996,
#: Clin Biomech 11:253; Perry & Burnfield 2010, Gait Analysis, 2nd ed.).
PUSH_OFF_BW = 1.1


#: Heel rise (sagittal rotation of the metatarsals, distal end down) at push-off. The
#: metatarsal-floor inclination grows by ~20-30 deg from standing to terminal stance
#: (Perry & Burnfield 2010); on a forefoot chunk pivoting about the heads we impose a modest
#: 10 deg by default (toe dorsiflexion is NOT imposed: the phalanges follow the soft tissue).
PUSH_OFF_HEEL_RISE_DEG = 10.0


#: Anterior (propulsive) ground shear over the vertical ground force at push-off: 0.10 BW
#: anterior at 1.06 BW vertical, 75 % of stance, the boundary conditions of a subject-specific
#: foot model (J Orthop Translat 2020, 27:139, Table 1, n = 1); the required coefficient of
#: friction of level walking is of this order at push-off. With friction the load stepping
#: moves the bones distally or proximally until the ground's horizontal force on the forefoot
#: is this share of the vertical one (without friction there is no horizontal force to set).
PUSH_OFF_SHEAR_RATIO = 0.10 / 1.06


@dataclass(frozen=True)
class LoadCase:
    """A load preset: target vertical force (N), heel-rise rotation (deg) and the horizontal
    (distal, +x) ground force on the forefoot that friction must carry (N; 0 in quiet standing)."""

    name: str
    force_N: float
    heel_rise_deg: float = 0.0
    description: str = ""
    shear_N: float = 0.0


def standing(
    body_mass_kg: float = 70.0,
    forefoot_share: float = FOREFOOT_SHARE_STANDING,
    heel_rise_deg: float = 0.0,
):
    """Quiet bipedal standing: half the body weight per foot times the forefoot share, the
    metatarsals as they rest (``heel_rise_deg`` 0) unless a rotation is asked for."""
    F = 0.5 * body_mass_kg * G * forefoot_share
    text = f"0.5 x {body_mass_kg:g} kg x {G} m/s^2 x forefoot share {forefoot_share:g}"
    if heel_rise_deg:
        text += f", heel rise {heel_rise_deg:g} deg"
    return LoadCase("standing", F, heel_rise_deg, text)


def push_off(
    body_mass_kg: float = 70.0,
    bw_fraction: float = PUSH_OFF_BW,
    heel_rise_deg: float = PUSH_OFF_HEEL_RISE_DEG,
):
    """Push-off in walking: ~1.1 body weight on the forefoot with the heel raised, and the
    propulsive ground shear (:data:`PUSH_OFF_SHEAR_RATIO` of it, distal)."""
    F = bw_fraction * body_mass_kg * G
    return LoadCase(
        "push_off",
        F,
        heel_rise_deg,
        f"{bw_fraction:g} x {body_mass_kg:g} kg x {G} m/s^2, heel rise {heel_rise_deg:g} deg",
        PUSH_OFF_SHEAR_RATIO * F,
    )


PRESETS = {"standing": standing, "push_off": push_off}
