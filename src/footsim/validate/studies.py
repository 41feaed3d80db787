"""The published studies footsim is validated against, with the figures used.

Every figure is as published (abstract or table, said in the measurement's ``note``); a
direction-only entry is a study that reports the sign of a change or a significant difference
without a usable magnitude and spread. Pressures in kPa, changes in % of the baseline.
"""

from __future__ import annotations

from footsim.validate.evidence import Measurement, Study

# ---------------------------------------------------------------- barefoot walking, platform
PUTTI_2008 = Study(
    cite="Putti, Arnold, Cochrane & Abboud 2008, Gait Posture 27:501-505",
    n="53 healthy adults (17 F)",
    instrument="emed ST4 platform (4 sensors/cm²)",
    condition="barefoot walking, peak pressure per mask",
)
PUTTI_MTH2 = Measurement(PUTTI_2008, 361.0, 104.0, "kPa", note="abstract")
PUTTI_MTH3 = Measurement(PUTTI_2008, 330.0, 84.0, "kPa", note="abstract")
PUTTI_HALLUX = Measurement(PUTTI_2008, 321.0, 141.0, "kPa", note="abstract")

SHORTEN_1989 = Study(
    cite="Shorten, Eden & Himmelsbach 1989, J Biomech 22:1083 (congress abstract)",
    n="131 adults (66 F)",
    instrument="capacitance pressure mat, 70 Hz",
    condition="barefoot walking at 1.5 m/s",
)
SHORTEN_FOREFOOT_PEAK = Measurement(
    SHORTEN_1989,
    737.0,
    226.0,
    "kPa",
    note="forefoot peak pressure at 1.5 m/s (635 ± 211 at 1.0, 794 ± 217 kPa at 2.0 m/s)",
)

PUTTI_CENTRAL = Measurement(
    PUTTI_2008,
    1.0,
    None,
    "kPa",
    kind="sign",
    note="the highest peak pressures of the foot under MTH2 and MTH3 (abstract)",
)

KANATLI_2008 = Study(
    cite="Kanatli, Yetkin, Simsek, Ozturk, Esen & Besli 2008, Acta Orthop Traumatol Turc 42:26-30",
    n="106 healthy adults (45 F), 20-35 y",
    instrument="EMED-SF platform",
    condition="barefoot walking; MTH1, MTH2-3 and MTH4-5 columns",
)
KANATLI_MIDSTANCE_CENTRAL = Measurement(
    KANATLI_2008,
    1.0,
    None,
    "kPa",
    kind="sign",
    note="mid-stance: peak pressure of the MTH2-3 column above the medial and the lateral "
    "column, p = 0.000 (abstract)",
)
KANATLI_PRESWING_MEDIAL = Measurement(
    KANATLI_2008,
    1.0,
    None,
    "kPa",
    kind="sign",
    note="pre-swing: pressures of the medial (MTH1) column above the lateral (MTH4-5) "
    "column (abstract)",
)

HENNIG_MILANI_1993 = Study(
    cite="Hennig & Milani 1993, Z Orthop (the tripod support of the foot)",
    n="111 adults",
    instrument="pressure platform",
    condition="barefoot standing and walking",
)
HENNIG_MTH3_OVER_MTH1 = Measurement(
    HENNIG_MILANI_1993,
    1.0,
    None,
    "kPa",
    kind="sign",
    note="peak pressure under MTH3 substantially higher than under MTH1 and MTH5 (abstract)",
)
HENNIG_MTH3_OVER_MTH5 = HENNIG_MTH3_OVER_MTH1

# ---------------------------------------------------------------- barefoot standing, platform
ZEBRIS_2020 = Study(
    cite="Zebris normative values 2020, J Physiol Anthropol, doi 10.1186/s40101-020-00246-6",
    n="416 healthy adults 18-65 y (208 F)",
    instrument="zebris FDM-S platform",
    condition="bipedal barefoot standing, right foot",
)
ZEBRIS_FOREFOOT_PEAK = Measurement(
    ZEBRIS_2020,
    85.9,
    None,
    "kPa",
    note="forefoot maximum pressure, right foot, 8.59 N/cm² (no SD in the text read)",
)

# ---------------------------------------------------------------- tissue under the heads
CAVANAGH_1999 = Study(
    cite="Cavanagh 1999, J Biomech 32(6)",
    n="5 healthy adults",
    instrument="7.5 MHz ultrasound under a walkway",
    condition="barefoot walking, late stance",
)
CAVANAGH_MTH2_COMPRESSION = Measurement(
    CAVANAGH_1999,
    45.7,
    None,
    "%",
    note="maximum compression of the 15.2 mm tissue under MTH2, late stance (abstract; no SD)",
)

# ---------------------------------------------------------------- fat-pad thickness
ABOUAESHA_2001 = Study(
    cite="Abouaesha, van Schie, Griffiths, Young & Boulton 2001, Diabetes Care 24:1270-1274",
    n="157 neuropathic diabetic adults",
    instrument="optical pedobarograph; ultrasound for thickness",
    condition="barefoot walking; thickness standing",
)
ABOUAESHA_THINNER_HIGHER = Measurement(
    ABOUAESHA_2001,
    1.0,
    None,
    "%",
    kind="sign",
    note="peak pressure vs tissue thickness at every MTH, -0.61 < r < -0.26, P < 0.0001",
)

# ---------------------------------------------------------------- insoles
HAHNI_2016 = Study(
    cite="Hähni, Hirschmüller & Baur 2016, J Foot Ankle Res, doi 10.1186/s13047-016-0176-z",
    n="23 asymptomatic runners (13 F)",
    instrument="pedar-X in-shoe insole",
    condition="treadmill running 2.78 m/s, neutral shoe",
)
HAHNI_CUSHIONING = Measurement(
    HAHNI_2016,
    -1.0,
    None,
    "%",
    kind="sign",
    note="forefoot peak 313 ± 69 → 281 ± 80 kPa with a forefoot-cushioning orthosis (-10 %)",
)

# ---------------------------------------------------------------- heel height
SPEKSNIJDER_2005 = Study(
    cite="Speksnijder, vd Munckhof, Moonen & Walenkamp 2005, The Foot 15:17-21",
    n="10 healthy women",
    instrument="in-shoe pressure insole",
    condition="walking, heel 1.95 ± 1.06 vs 5.91 ± 1.03 cm",
)
SPEKSNIJDER_CENTRAL = Measurement(
    SPEKSNIJDER_2005,
    30.0,
    None,
    "%",
    note="peak pressure under the central forefoot (MT2-4) +30 %, high vs low heel (no SD)",
)
HAWKEY_2015 = Study(
    cite="Hawkey & Gardiner 2015, J Sports Ther 1:5-10",
    n="16 women experienced in high heels",
    instrument="in-shoe pressure insole",
    condition="walking, heel 1.5 / 5.3 / 9 cm",
)
HAWKEY_MTH2_RISES = Measurement(
    HAWKEY_2015, 1.0, None, "%", kind="sign", note="MTH2 peak rises with heel height, P = 0.006"
)
HAWKEY_MTH5_FALLS = Measurement(
    HAWKEY_2015, -1.0, None, "%", kind="sign", note="MTH5 peak falls with heel height, P = 0.002"
)

# ---------------------------------------------------------------- second metatarsal length
RODGERS_CAVANAGH_1989 = Study(
    cite="Rodgers & Cavanagh 1989, Med Sci Sports Exerc 21:23-28",
    n="45 (30 with Morton's foot, 15 controls)",
    instrument="1000-element piezoceramic platform",
    condition="barefoot walking 1.6-2 m/s",
)
RODGERS_MTH2_RISES = Measurement(
    RODGERS_CAVANAGH_1989,
    1.0,
    None,
    "%",
    kind="sign",
    note="MTH2 peak pressure higher in Morton's foot, P < 0.005 (abstract)",
)
FLEISCHER_2018 = Study(
    cite="Fleischer, Hshieh, Crews, Waverly, Jones, Klein, Weil & Weil 2018, Foot Ankle Int 39:560",
    n="100 clinic patients",
    instrument="pedobarography",
    condition="barefoot walking",
)
FLEISCHER_MTH2_RISES = Measurement(
    FLEISCHER_2018,
    1.0,
    None,
    "%",
    kind="sign",
    note="MT2/MT1 length ratio vs MTPJ2/MTPJ1 peak-pressure ratio, r = 0.24",
)

# ---------------------------------------------------------------- metatarsal pad
KANG_2006 = Study(
    cite="Kang, Chen, Chen & Hsi 2006, BMC Musculoskelet Disord 7:95",
    n="13 patients with metatarsalgia (18 feet)",
    instrument="in-shoe pressure insole, MTH2 mask",
    condition="walking; teardrop polyurethane pad just proximal to MTH2",
)
KANG_MTH2_FALLS = Measurement(
    KANG_2006,
    -1.0,
    None,
    "%",
    kind="sign",
    note="the pad lowered the MTH2 maximal peak pressure and pressure-time integral (abstract)",
)

LANDORF_2020 = Study(
    cite="Landorf, Ackland, Bonanno, Menz & Forghany 2020, J Foot Ankle Res 13:18",
    n="36 adults aged 65 or over with a history of forefoot pain",
    instrument="pedar-X in-shoe system; masks proximal to, beneath and distal to the heads",
    condition="walking in standardised shoes; Emsold dome and Langer PPT pad spanning MT2-4, "
    "distal border 5 mm proximal to, in line with, or 5 mm distal to the heads",
)
LANDORF_DOMES_OFFLOAD = Measurement(
    LANDORF_2020,
    -1.0,
    None,
    "%",
    kind="sign",
    note="in the mask distal to the heads, where pressures were highest, all six dome "
    "conditions lowered peak pressure against no pad, by 45-60 kPa (F = 8.125, p < 0.001); "
    "only the proximal position did so without raising the pressure where the pad sat "
    "(abstract; positions from the paper's table of borders)",
)

LEE_2014 = Study(
    cite="Lee, Landorf, Bonanno & Menz 2014, J Foot Ankle Res 7:18",
    n="37 adults (31 F) with forefoot pain, 73.5 ± 4.8 y",
    instrument="pedar-X in-shoe system, forefoot mask",
    condition="walking 8 m in a standardised shoe; metatarsal dome 10 mm proximal or 5 mm "
    "distal to the heads, against the shoe alone",
)
LEE_DOME_DISTAL = Measurement(
    LEE_2014,
    -17.0,
    None,
    "%",
    note="forefoot peak pressure with the dome 5 mm distal to the heads, p < 0.001 (abstract, "
    "no SD; which border of the dome is not said there: read as the distal border, as in "
    "the same group's 2020 protocol)",
)
