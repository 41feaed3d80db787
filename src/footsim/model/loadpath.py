"""The load path: how the body's load reaches the plantar tissue (scenario table ``[load_path]``).

``bones = "elastic"`` (default): each metatarsal is an elastic body clamped, with the others, to
one rigid block at the proximal cut that the load stepping drives. ``bones = "rigid"``: each
bone is a rigid body (no unknowns inside bone) jointed to the tarsus that the load stepping
drives: tarsometatarsal hinges with each ray's sagittal stiffness, MTP hinges with passive
dorsiflexion stiffness to the proximal phalanges, the plantar fascia as tension-only slips
(windlass) and, at push-off, the long flexors' and peroneus longus's tensions scaled by body
weight (:mod:`footsim.physics.skeleton`). Units: N, mm, rad, body weights (BW).

Sources of the defaults (n, method):

- First ray: dorsal excursion ~5 mm in healthy feet (4.9 mm, Klaue device, 119 feet: Grebing &
  Coughlin 2004, Foot Ankle Int 25:467) under the 55 N standard load of the Glasoe device
  (Glasoe, Yack & Saltzman 2000, Foot Ankle Int 21:240): 55 / 5 = 11 N/mm at the head.
- Rays 2-5: no measured stiffness was found. The central rays are the least mobile (the MT2
  base moves < 0.2 mm under 600 N in CT of 16 cadaver limbs, EORS 2019; Lisfranc ligament
  190 ± 57 N/mm, Kura et al. 2001, J Orthop Trauma 15:107) and the lateral ones the most
  (MT5-cuboid motion about twice MT1-cuneiform motion, Lundgren et al. 2008, Gait Posture
  28:93, bone pins, n = 6). The defaults 22, 22, 5.5, 5.5 N/mm (twice and half the first
  ray's) encode that order, not a measurement; sweep them.
- Range of the rays' dorsal motion: the first head's excursion on the Klaue device, 4.9 mm
  (the same study: 55 N over it is the stiffness above); beyond it the joint is held stiff
  (the ligaments drawn tight). Rays 2-5 unmeasured: half (2, 3) and twice (4, 5) that.
- MTP joints: passive dorsiflexion quasi-stiffness of the hallux 854 ± 836 N mm/rad (Heng et
  al. 2016, J Foot Ankle Res 9:39, n = 13); no lesser-toe value was found, the hallux's is used.
- Plantar fascia: whole-aponeurosis stiffness 203.7 ± 50.5 N/mm (Kitaoka et al. 1994, Foot
  Ankle Int 15:557, cadaver) over its length 128 ± 17 mm (n = 20 limbs, Orthop Traumatol
  Prosthet 2019:70): EA = 2.6e4 N, shared over the slips by cross-section 30/24/19/15/11 %
  (bundle widths x thicknesses, Chen et al. 2014, PLoS One 9:e84347, 8 cadavers). Natural
  length with the MTP joints plantarflexed 13.8 deg (0.241 rad) in standing (Nozaki et al.
  2022, Sci Rep, shear-wave elastography, n = 20): that stretch comes from the loaded arch,
  which the rigid tarsus does not model, so the default slips are taut, not stretched, with
  the toes in their reference posture.
- Tendon tensions at push-off (75 % of stance, vertical GRF 1.06 BW): flexor hallucis longus
  0.57 BW, flexor digitorum longus 0.19 BW, peroneus longus 0 (0.39 BW at 60 % of stance), from
  the boundary conditions of a subject-specific foot model (J Orthop Translat 2020, 27:139,
  Table 1, n = 1). At standing no tendon force is applied.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from footsim.model.loads import G
from footsim.model.schema import Frozen

Positive = Annotated[float, Field(gt=0.0, le=1.0e5)]
NonNegative = Annotated[float, Field(ge=0.0, le=1.0e6)]
Five = tuple[Positive, Positive, Positive, Positive, Positive]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class LoadPathSpec(Frozen):
    """How the bones carry the load (see the module docstring for the sources)."""

    bones: Literal["elastic", "rigid"] = Field(
        "elastic",
        description="'elastic': elastic metatarsals clamped to one block at the cut; 'rigid': "
        "rigid bones jointed to the tarsus, with fascia and tendons",
    )
    ray_stiffness_N_per_mm: Five = Field(
        (11.0, 22.0, 22.0, 5.5, 5.5),
        description="sagittal stiffness of each ray at its head (N/mm; a dorsal force over the "
        "head's travel), rays 1-5: 11 from first-ray mobility (55 N over ~5 mm: Glasoe 2000, "
        "Grebing & Coughlin 2004); rays 2-5 unmeasured, twice and half that by their order of "
        "mobility (Lundgren 2008)",
    )
    ray_dorsal_range_mm: Five = Field(
        (4.9, 2.45, 2.45, 9.8, 9.8),
        description="dorsal excursion of each head over its TMT joint's range of motion (mm), "
        "beyond which the joint is held stiff: ray 1 4.9 mm (Klaue device, healthy feet, "
        "Grebing & Coughlin 2004, n = 119); rays 2-5 unmeasured, half and twice that by "
        "their order of mobility (Lundgren 2008)",
    )
    mtp_stiffness_Nmm_per_rad: Five = Field(
        (854.0, 854.0, 854.0, 854.0, 854.0),
        description="passive dorsiflexion stiffness of each MTP joint (N mm/rad): hallux "
        "854 +- 836 (Heng et al. 2016, n = 13); lesser toes unmeasured, the hallux's",
    )
    fascia_EA_N: NonNegative = Field(
        2.6e4,
        description="axial stiffness EA of the whole plantar fascia (N): 203.7 N/mm (Kitaoka "
        "1994) times its length 128 mm; 0: no fascia",
    )
    fascia_shares: tuple[Share, Share, Share, Share, Share] = Field(
        (0.30, 0.24, 0.19, 0.15, 0.11),
        description="share of EA in the slip to each toe, rays 1-5 (by cross-section, Chen et "
        "al. 2014)",
    )
    fascia_slack_mtp_deg: float = Field(
        0.0,
        ge=0.0,
        le=45.0,
        description="MTP plantarflexion (deg) at which the fascia is at its natural length: 0, "
        "taut with the toes in their reference posture. In standing feet it is at its "
        "natural length only at 13.8 deg (Nozaki et al. 2022), the stretch of the loaded "
        "arch, which the rigid tarsus does not model; a pre-stretch without the arch's "
        "counter-force would curl the toes",
    )
    push_off_fhl_bw: float = Field(
        0.57, ge=0.0, le=2.0, description="flexor hallucis longus tension at push-off (BW)"
    )
    push_off_fdl_bw: float = Field(
        0.19, ge=0.0, le=2.0, description="flexor digitorum longus tension at push-off (BW)"
    )
    push_off_pl_bw: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        description="peroneus longus tension at push-off (BW): 0 at 75 % of stance, 0.39 at 60 %",
    )
    joint_constraint_N_per_mm: float = Field(
        1.0e4,
        ge=1.0e2,
        le=1.0e6,
        description="stiffness holding the joints' other motions (N/mm; x 100 mm^2 for their "
        "off-axis rotations, N mm/rad): their play is the force over it (0.01 mm at 100 N)",
    )

    def tendon_tensions_N(self, case: str, body_mass_kg: float) -> dict[str, float]:
        """Tendon tensions (N) of a load case: the push-off fractions of body weight; none at
        standing."""
        if case != "push_off":
            return {}
        bw = body_mass_kg * G
        return {
            "fhl": self.push_off_fhl_bw * bw,
            "fdl": self.push_off_fdl_bw * bw,
            "pl": self.push_off_pl_bw * bw,
        }


def skeleton_for(spec: LoadPathSpec, anatomy, case: str, body_mass_kg: float):
    """The solver's :class:`~footsim.physics.skeleton.Skeleton` of a rigid-bone scenario, or
    None for elastic bones."""
    if spec.bones != "rigid":
        return None
    import math

    from footsim.physics.skeleton import Landmarks, Skeleton, SkeletonSpec

    return Skeleton(
        Landmarks.of(anatomy),
        SkeletonSpec(
            ray_stiffness_N_per_mm=tuple(spec.ray_stiffness_N_per_mm),
            mtp_stiffness_Nmm_per_rad=tuple(spec.mtp_stiffness_Nmm_per_rad),
            ray_dorsal_range_mm=tuple(spec.ray_dorsal_range_mm),
            fascia_stiffness_N=tuple(spec.fascia_EA_N * s for s in spec.fascia_shares),
            fascia_slack_mtp_rad=math.radians(spec.fascia_slack_mtp_deg),
            tendon_tension_N=spec.tendon_tensions_N(case, body_mass_kg),
            constraint_stiffness=spec.joint_constraint_N_per_mm,
        ),
    )


__all__ = ["LoadPathSpec", "skeleton_for"]
