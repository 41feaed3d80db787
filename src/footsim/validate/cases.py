"""The validation cases: shipped scenarios, the measurements they are compared with, and how.

A :class:`Case` runs one or more shipped scenarios (:func:`footsim.model.bundled.shipped`,
with overrides) and holds :class:`Comparison` rows: a model quantity
(:mod:`footsim.validate.quantities`) against a published measurement
(:mod:`footsim.validate.studies`). Nothing here is fitted to a measurement: the scenarios'
inputs come from anatomy, tissue and gait literature (their own docstrings and comments), and
each comparison says on which grid the model is read (a platform's 5 mm sensors, an in-shoe
insole's 14 mm) so that a peak is compared as the instrument measured it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from footsim.validate import quantities as q
from footsim.validate import studies as s
from footsim.validate.evidence import Measurement
from footsim.validate.quantities import Quantity


@dataclass(frozen=True)
class Comparison:
    """One row of the report: ``label`` (what is compared, unit included), the model
    ``quantity`` and the ``measured`` figure; ``signed`` for a change or a difference (its
    sign is compared first, :func:`footsim.validate.verdicts.verdict`)."""

    label: str
    quantity: Quantity
    measured: Measurement
    signed: bool = False


@dataclass(frozen=True)
class Variation:
    """A sensitivity run: the case's runs with ``overrides`` (dotted scenario keys), an input
    at an end of its published range (``source``)."""

    label: str
    overrides: dict[str, Any]
    source: str


@dataclass(frozen=True)
class Case:
    """A validation case.

    ``runs`` maps a run's role in the case to a shipped scenario's name and dotted overrides
    (``{"anatomy.mt2_extra_length_mm": 3.0}``); ``load`` (``standing`` / ``push_off``) picks
    the mesh-convergence uncertainty shown next to the model's figures
    (:data:`footsim.validate.suite.MESH_UNCERTAINTY_PCT`); ``caveat`` is printed with the case
    (e.g. an input that is not measured); ``quick`` puts it in ``footsim validate --quick``;
    ``counted`` False keeps it out of the tally (its inputs are not all published fits);
    ``sensitivity`` the :class:`Variation` runs of ``footsim validate --sensitivity``."""

    name: str
    title: str
    runs: dict[str, tuple[str, dict[str, Any]]]
    comparisons: tuple[Comparison, ...]
    load: Literal["standing", "push_off"]
    caveat: str = ""
    quick: bool = True
    counted: bool = True
    sensitivity: tuple[Variation, ...] = ()


def _central_minus(run: str, *others: str) -> Quantity:
    """The central column's peak (the larger of MTH2 and MTH3, platform) minus the largest
    of ``others``."""
    central = q.largest(q.sensor_peak(run, "MTH2"), q.sensor_peak(run, "MTH3"))
    return q.difference(central, q.largest(*(q.sensor_peak(run, r) for r in others)))


BODY_WEIGHT_N = 70.0 * 9.81
"""The validation scenarios' body weight (N): 70 kg, their ``load.body_mass_kg``."""

PUSH_OFF_SENSITIVITY = (
    Variation(
        "vertical force 1.06 BW",
        {"load.force_N": round(1.06 * BODY_WEIGHT_N, 1)},
        "the forefoot's vertical ground force at 75 % stance, J Orthop Translat 2020, 27:139",
    ),
    Variation(
        "vertical force 1.2 BW",
        {"load.force_N": round(1.2 * BODY_WEIGHT_N, 1)},
        "the second peak of the vertical ground force at 1.5 m/s, Keller et al. 1996",
    ),
    Variation(
        "flexor tendons at 60 % stance",
        {"load_path.push_off_fhl_bw": 0.48, "load_path.push_off_fdl_bw": 0.16},
        "FHL 0.48 and FDL 0.16 BW against 0.57 and 0.19 at 75 % stance, J Orthop Translat "
        "2020, 27:139, Table 1",
    ),
)
"""The push-off cases' sensitivity: the vertical force and the flexor tendons at the ends of
their published ranges. The tissue law is not varied at push-off: the one law published for
plantar tissue at these strains is Petre et al.'s (2013) Ogden fit, which the cases use (the
polynomial of the standing scenarios does not converge at push-off loads)."""

STANDING_TISSUE_SENSITIVITY = (
    Variation(
        "tissue: Petre et al. 2013 Ogden law",
        {
            "materials.SOFT_TISSUE": "soft_tissue_ogden",
            "solver.penalty_factor": 100.0,
            "solver.max_uzawa": 12,
        },
        "the one-term Ogden fit to in-vivo MRI deformation of plantar tissue (Petre et al. "
        "2013, J Biomech Eng 135:061001) in place of Lemmon et al.'s (1997) polynomial, with "
        "the penalty it needs (scenarios/barefoot-push-off.toml): the two published fits",
    ),
)
"""The footwear cases' sensitivity (standing): the soft tissue's law at the other published
fit. The load is not varied: the forefoot's share of standing body weight was published
without its spread (zebris normative study 2020: 44.3 and 45.5 %, right and left)."""

HEADS = tuple(f"MTH{k}" for k in range(1, 6))
ZEBRIS_PITCH_MM = 8.47
"""Sensor spacing of the zebris FDM platforms (mm), as written in their pressure exports
(8.466 mm in x and y)."""

STANDING_REGIONS = Case(
    name="standing-regions",
    title="Barefoot quiet standing: forefoot peak pressure and its pattern",
    runs={"barefoot": ("barefoot-standing", {})},
    load="standing",
    comparisons=(
        Comparison(
            "forefoot peak pressure, 8.47 mm sensors (kPa)",
            q.largest(*(q.sensor_peak("barefoot", h, pitch_mm=ZEBRIS_PITCH_MM) for h in HEADS)),
            s.ZEBRIS_FOREFOOT_PEAK,
        ),
        Comparison(
            "MTH3 peak minus MTH1 peak, platform (kPa)",
            q.difference(q.sensor_peak("barefoot", "MTH3"), q.sensor_peak("barefoot", "MTH1")),
            s.HENNIG_MTH3_OVER_MTH1,
            signed=True,
        ),
        Comparison(
            "MTH3 peak minus MTH5 peak, platform (kPa)",
            q.difference(q.sensor_peak("barefoot", "MTH3"), q.sensor_peak("barefoot", "MTH5")),
            s.HENNIG_MTH3_OVER_MTH5,
            signed=True,
        ),
        Comparison(
            "central (MTH2-3) peak minus MTH1 peak, platform (kPa)",
            _central_minus("barefoot", "MTH1"),
            s.KANATLI_MIDSTANCE_CENTRAL,
            signed=True,
        ),
        Comparison(
            "central (MTH2-3) peak minus lateral (MTH4-5) peak, platform (kPa)",
            _central_minus("barefoot", "MTH4", "MTH5"),
            s.KANATLI_MIDSTANCE_CENTRAL,
            signed=True,
        ),
    ),
    caveat="The model stands on one forefoot at half body weight times the forefoot share "
    "(70 kg); the cohorts' body mass is not matched. Kanatli's columns are from mid-stance "
    "in walking, the phase closest to standing.",
)

PUSH_OFF_REGIONS = Case(
    name="push-off-regions",
    title="Barefoot push-off: peak pressure under the heads and the hallux",
    runs={"jointed": ("push-off-jointed", {})},
    load="push_off",
    comparisons=(
        Comparison("MTH2 peak, platform (kPa)", q.sensor_peak("jointed", "MTH2"), s.PUTTI_MTH2),
        Comparison("MTH3 peak, platform (kPa)", q.sensor_peak("jointed", "MTH3"), s.PUTTI_MTH3),
        Comparison(
            "hallux peak, platform (kPa)", q.sensor_peak("jointed", "hallux"), s.PUTTI_HALLUX
        ),
        Comparison(
            "forefoot (MTH1-5) peak, platform (kPa)",
            q.largest(*(q.sensor_peak("jointed", h) for h in HEADS)),
            s.SHORTEN_FOREFOOT_PEAK,
        ),
        Comparison(
            "central (MTH2-3) peak minus MTH1 peak, platform (kPa)",
            _central_minus("jointed", "MTH1"),
            s.PUTTI_CENTRAL,
            signed=True,
        ),
        Comparison(
            "MTH1 peak minus lateral (MTH4-5) peak, platform (kPa)",
            q.difference(
                q.sensor_peak("jointed", "MTH1"),
                q.largest(q.sensor_peak("jointed", "MTH4"), q.sensor_peak("jointed", "MTH5")),
            ),
            s.KANATLI_PRESWING_MEDIAL,
            signed=True,
        ),
        Comparison(
            "MTH3 peak minus MTH5 peak, platform (kPa)",
            q.difference(q.sensor_peak("jointed", "MTH3"), q.sensor_peak("jointed", "MTH5")),
            s.HENNIG_MTH3_OVER_MTH5,
            signed=True,
        ),
    ),
    caveat="One posture (10° heel rise, 1.1 body weight of 70 kg on the forefoot) against the "
    "peak of a whole roll-over; Shorten et al.'s mat does not give its sensor size (read on "
    "the 5 mm grid); the rigid jointed skeleton with toes and flexor tendons. The "
    "stiffnesses of rays 2-5 and the lesser MTP joints are not measured (footsim.model.loadpath).",
    quick=False,
    sensitivity=PUSH_OFF_SENSITIVITY,
)

TISSUE_COMPRESSION = Case(
    name="tissue-compression",
    title="Compression of the soft tissue under MTH2 at push-off",
    runs={"jointed": ("push-off-jointed", {})},
    load="push_off",
    comparisons=(
        Comparison(
            "tissue compression under MTH2 (%)",
            q.tissue_compression_pct("jointed", 2),
            s.CAVANAGH_MTH2_COMPRESSION,
        ),
    ),
    caveat="Model: the distance from the head's lowest bone node to the skin below it, "
    "deformed against unloaded (the model's unloaded tissue under MTH2 is its anatomy input, "
    "not the 15.2 mm of the five subjects measured).",
    quick=False,
    sensitivity=PUSH_OFF_SENSITIVITY,
)

FAT_PAD = Case(
    name="fat-pad-thickness",
    title="Thinner tissue under the heads: peak pressure rises",
    runs={"normal": ("barefoot-standing", {}), "thinned": ("thinned-fat-pad", {})},
    load="standing",
    comparisons=tuple(
        Comparison(
            f"{h} peak change, tissue thinned to ~60 %, platform (%)",
            q.change_pct(q.sensor_peak("normal", h), q.sensor_peak("thinned", h)),
            s.ABOUAESHA_THINNER_HIGHER,
            signed=True,
        )
        for h in ("MTH2", "MTH3")
    ),
    caveat="Measured across a neuropathic diabetic cohort in walking (a correlation, not an "
    "intervention); the model thins every head's tissue of one foot, standing.",
)

HEEL_HEIGHT = Case(
    name="heel-height",
    title="Heel height: the central heads take more, the fifth less",
    runs={
        "flat": ("heel-0cm", {}),
        "5cm": ("heel-5cm", {}),
        "8cm": ("heel-8cm", {}),
    },
    load="standing",
    comparisons=(
        Comparison(
            "central (MTH2-3) peak change, 0 → 5 cm heel, in-shoe sensors (%)",
            q.change_pct(
                q.largest(*(q.sensor_peak("flat", h, "insole") for h in ("MTH2", "MTH3"))),
                q.largest(*(q.sensor_peak("5cm", h, "insole") for h in ("MTH2", "MTH3"))),
            ),
            s.SPEKSNIJDER_CENTRAL,
            signed=True,
        ),
        Comparison(
            "MTH2 peak change, 0 → 8 cm heel, in-shoe sensors (%)",
            q.change_pct(
                q.sensor_peak("flat", "MTH2", "insole"), q.sensor_peak("8cm", "MTH2", "insole")
            ),
            s.HAWKEY_MTH2_RISES,
            signed=True,
        ),
        Comparison(
            "MTH5 peak change, 0 → 8 cm heel, in-shoe sensors (%)",
            q.change_pct(
                q.sensor_peak("flat", "MTH5", "insole"), q.sensor_peak("8cm", "MTH5", "insole")
            ),
            s.HAWKEY_MTH5_FALLS,
            signed=True,
        ),
    ),
    caveat="Standing on a rigid sole, against walking in shoes. The forefoot's share of the "
    "load at each heel height is an input from shod pressure studies "
    "(footsim.model.footwear.HEEL_FOREFOOT_SHARE), so part of the rise is put in, not predicted.",
)

MT2_LENGTH = Case(
    name="mt2-length",
    title="Morton's foot: a longer second metatarsal loads its head more at push-off",
    runs={
        "normal": ("push-off-jointed", {}),
        "long": ("push-off-jointed", {"anatomy.mt2_extra_length_mm": 3.0}),
    },
    load="push_off",
    comparisons=tuple(
        Comparison(
            "MTH2 peak change, MT2 3 mm longer, platform (%)",
            q.change_pct(q.sensor_peak("normal", "MTH2"), q.sensor_peak("long", "MTH2")),
            m,
            signed=True,
        )
        for m in (s.RODGERS_MTH2_RISES, s.FLEISCHER_MTH2_RISES)
    ),
    quick=False,
    sensitivity=PUSH_OFF_SENSITIVITY,
)

INSOLE = Case(
    name="soft-insole",
    title="A soft cushioning insole lowers the peaks under the heads",
    runs={"barefoot": ("barefoot-standing", {}), "insole": ("soft-insole", {})},
    load="standing",
    comparisons=tuple(
        Comparison(
            f"{h} peak change, 6 mm soft insole against bare rigid ground, in-shoe sensors (%)",
            q.change_pct(
                q.sensor_peak("barefoot", h, "insole"), q.sensor_peak("insole", h, "insole")
            ),
            s.HAHNI_CUSHIONING,
            signed=True,
        )
        for h in ("MTH2", "MTH3")
    ),
    caveat="NOT COUNTED: the soft foam's modulus is Cheung & Zhang's (2005) 0.3 MPa, but its "
    "Poisson ratio and stiffening exponent are illustrative, not a published fit.",
    counted=False,
    sensitivity=STANDING_TISSUE_SENSITIVITY,
)

PAD = Case(
    name="metatarsal-pad",
    title="A metatarsal pad just proximal to the heads offloads MTH2",
    runs={"insole": ("eva-insole", {}), "pad": ("pad-5mm-proximal", {})},
    load="standing",
    comparisons=(
        Comparison(
            "MTH2 peak change, 5 mm pad with its apex 5 mm proximal, in-shoe sensors (%)",
            q.change_pct(
                q.sensor_peak("insole", "MTH2", "insole"), q.sensor_peak("pad", "MTH2", "insole")
            ),
            s.KANG_MTH2_FALLS,
            signed=True,
        ),
    ),
    caveat="NOT COUNTED: the EVA insole's and the pad foam's constants are illustrative, not "
    "published fits. Standing, against walking in the study.",
    counted=False,
    sensitivity=STANDING_TISSUE_SENSITIVITY,
)

PAD_APEX_MM = {"proximal": 24.5, "in-line": 20.0, "distal": 15.0}
"""The shipped 40 mm dome's apex (mm proximal to the MTH2-3 line; it sits mid-length, so its
distal border is 20 mm nearer the heads) for Landorf et al.'s three positions of the distal
border: 4.5 mm proximal to the heads (5 mm in the study: 24.8 mm is the insole's limit for
this dome), in line with them, and 5 mm distal to them."""

PAD_PLACEMENT = Case(
    name="pad-placement",
    title="Where a metatarsal dome offloads: distal border proximal to, in line with, or "
    "distal to the heads",
    runs={
        "insole": ("eva-insole", {}),
        **{
            where: ("pad-5mm-proximal", {"footwear.pad.apex_proximal_to_mth_mm": apex})
            for where, apex in PAD_APEX_MM.items()
        },
    },
    load="standing",
    comparisons=(
        *(
            Comparison(
                f"forefoot (MTH1-5) peak change, dome's distal border {where} the heads, "
                "in-shoe sensors (%)",
                q.change_pct(
                    q.largest(*(q.sensor_peak("insole", h, "insole") for h in HEADS)),
                    q.largest(*(q.sensor_peak(run, h, "insole") for h in HEADS)),
                ),
                s.LANDORF_DOMES_OFFLOAD,
                signed=True,
            )
            for run, where in (
                ("proximal", "4.5 mm proximal to"),
                ("in-line", "in line with"),
                ("distal", "5 mm distal to"),
            )
        ),
        Comparison(
            "forefoot (MTH1-5) peak change, dome's distal border 5 mm distal to the heads, "
            "in-shoe sensors (%)",
            q.change_pct(
                q.largest(*(q.sensor_peak("insole", h, "insole") for h in HEADS)),
                q.largest(*(q.sensor_peak("distal", h, "insole") for h in HEADS)),
            ),
            s.LEE_DOME_DISTAL,
            signed=True,
        ),
    ),
    caveat="NOT COUNTED: the EVA insole's and the pad foam's constants are illustrative, not "
    "published fits. Standing, against walking in the studies; the model's heads' regions "
    "(15 mm about each head) against Landorf et al.'s mask distal to the heads; a 40 x 30 x "
    "5 mm dome, the studies' commercial domes' sizes not matched.",
    quick=False,
    counted=False,
    sensitivity=STANDING_TISSUE_SENSITIVITY,
)

CASES: tuple[Case, ...] = (
    STANDING_REGIONS,
    PUSH_OFF_REGIONS,
    TISSUE_COMPRESSION,
    FAT_PAD,
    HEEL_HEIGHT,
    MT2_LENGTH,
    INSOLE,
    PAD,
    PAD_PLACEMENT,
)
"""Every case, in the order of the report."""


def case_names() -> list[str]:
    return [c.name for c in CASES]
