"""Parametric anatomy of the right forefoot: five metatarsals, plantar soft tissue, plates.

Frame and units: millimetres; x distal (towards the toes), y medial (MT1) -> lateral (MT5),
z up. The lowest point of the unloaded plantar skin touches z = 0; in the default anatomy the
centre of the second metatarsal head (MTH2) lies at x = 0.

Each metatarsal is a cylindrical shaft ending in a spherical head. Its *base* (proximal end) is
fixed in the ground plane; the head centre lies ``(length - head_radius) cos(declination)``
distal to it, and its height follows from the plantar tissue thickness under it (below). So
the metatarsal parabola follows from the bases plus the lengths. ``mt2_extra_length_mm``
lengthens the MT2 shaft from its unchanged base at its unchanged declination, as a longer bone
would be: MTH2 moves distally by ``e cos(declination)`` and plantarly by ``e sin(declination)``,
so the tissue under it is thinner than ``tissue_thickness_mm[1]`` (which is the thickness under
the head of the normal-length MT2) by that drop plus the rise of the sole where the head now
sits (:meth:`Anatomy.tissue_under_heads_mm`). The
bases lie on the oblique tarsometatarsal line that puts the default heads on the parabola of
Dominguez-Maldonado et al. 2014 (ScientificWorldJournal 2014:169, 169 feet): relative to MTH2,
MTH3 -4.4 mm, MTH4 -11.2 mm, MTH5 -20.2 mm; MTH1 -4 mm (MT2 protrusion beyond MT1 by
Coughlin's method, Chauhan et al. 2011, Foot Ankle Surg 17:128).

The plantar soft tissue is one smooth body enclosing the bones: a box whose plantar face is a
shallow ellipsoidal cap (convex down, lowest point at z = 0) with rounded medial, lateral and
distal plantar edges, and an inclined dorsal face. The plantar tissue thickness under each head
(skin to the lowest point of the head, *total* soft tissue including skin, unloaded) is a
parameter; each head's height follows from it. The model ends proximally at the cut plane
``x = cut_x_mm`` where the loads are applied through the bones.

Optional parts, each a switch: the two sesamoids under MTH1 (on), the plantar plates of MTP 2-5
(on), a separate skin layer (off), cortical tubes for the metatarsal shafts (off:
:mod:`footsim.model.cortical`), and the five proximal phalanges (off). A proximal phalanx
is a cylinder with a rounded tip whose base is hollowed by a sphere :data:`MTP_GAP_MM` larger
than its head, about the head centre (the MTP joint rotates about it), inclined
``toe_angle_deg`` above the ground; with phalanges the envelope is prolonged to
``distal_extension_mm`` past the longest phalanx, one paddle of soft tissue (no web spaces),
in which the middle and distal phalanges are soft tissue.

Every check that can be made before gmsh runs is made in :meth:`Anatomy.check`: it raises
:class:`AnatomyError` naming the parameter, its value and the allowed range.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field, model_validator

from footsim.model.schema import Frozen

#: The five rays (metatarsals) by number, medial (1, the hallux ray) to lateral (5).
RAYS = (1, 2, 3, 4, 5)

Five = tuple[float, float, float, float, float]
Four = tuple[float, float, float, float]
Length = Annotated[float, Field(ge=40.0, le=95.0)]
Angle = Annotated[float, Field(ge=0.0, le=45.0)]
HeadRadius = Annotated[float, Field(ge=4.0, le=14.0)]
ShaftRadius = Annotated[float, Field(ge=2.0, le=9.0)]
Thickness = Annotated[float, Field(ge=2.0, le=30.0)]
PhLength = Annotated[float, Field(ge=10.0, le=40.0)]
PhRadius = Annotated[float, Field(ge=2.0, le=8.0)]
Cortex = Annotated[float, Field(ge=0.5, le=8.5)]
FrontalRadius = Annotated[float, Field(gt=0.0, le=5000.0)]
"""The frontal radius of curvature of the plantar cap (mm): positive; 5 m is flat under a
100 mm forefoot (sag 0.25 mm). Whether the cap it makes encloses the bones and leaves room for
the rounded edges is checked by :func:`footsim.model.anatomy_checks.check_anatomy`."""
SagittalRadius = Annotated[float, Field(ge=66.0, le=5000.0)]
"""The sagittal radius of curvature of the plantar cap (mm), as :data:`FrontalRadius`, and at
least 66 mm: on the default foot, coarse preset at 4.5 and 5.5 mm, every cap of sagittal
radius 66-75 mm with frontal radii 150-1000 mm meshed, while 63-64 mm with 119-150 mm fell
below the mesh quality floor (min SICN 0.015-0.033 < 0.05)."""

MTP_GAP_MM = 2.0
"""Joint space between a metatarsal head and the concave base of its proximal phalanx (mm):
two layers of articular cartilage of ~1 mm; meshed as soft tissue (the joint is a soft,
bonded capsule, not a sliding contact)."""


class AnatomyError(ValueError):
    """Anatomy parameters that cannot make a valid forefoot (named parameter, value, range)."""


# Default head positions in the ground plane (mm), used only to place the bases.
_DEFAULT_HEAD_X = (-4.0, 0.0, -4.44, -11.17, -20.21)  # Dominguez-Maldonado 2014; Chauhan 2011
_DEFAULT_HEAD_Y = (-24.0, 0.0, 18.0, 35.0, 51.0)  # intermetatarsal head spacing ~17-24 mm


class Anatomy(Frozen):
    """Parameters of the forefoot (mm, degrees). All defaults are an adult male right foot.

    Per-ray tuples are ordered MT1 (medial) ... MT5 (lateral).
    """

    _added_fields: ClassVar[tuple[str, ...]] = (
        "skin_thickness_mm",
        "phalanges",
        "phalanx_length_mm",
        "phalanx_radius_mm",
        "toe_angle_deg",
        "cortical_tube",
        "cortical_thickness_mm",
    )

    lengths_mm: tuple[Length, Length, Length, Length, Length] = Field(
        (63.0, 72.0, 69.0, 67.0, 64.0),
        description="metatarsal length, base to distal tip of the head (mm). Typical adult "
        "MT1 60-65, MT2 70-75, MT3 68-70, MT4 66-68, MT5 63-66 mm (anatomy texts; MT1 "
        "56.4 +/- 4.4 mm in Patil et al. 2017, J Clin Diagn Res 11(9):AC05, men)",
    )
    mt2_extra_length_mm: float = Field(
        0.0,
        ge=-4.0,
        le=10.0,
        description="extra length of MT2 (Morton's foot, mm): the shaft is this much longer "
        "from its unchanged base at its unchanged declination, so MTH2 moves distally by e "
        "cos(declination) and plantarly by e sin(declination) (6 mm at 15 deg: 5.8 mm "
        "distally, 1.55 mm down), and the sole keeps its shape: the tissue under MTH2 thins "
        "by that drop (tissue_thickness_mm[1] is the thickness under the normal-length "
        "head; raise it by the drop to keep the tissue instead). Morton's foot MTH2 lies "
        "8-28 mm distal to MTH1 by palpation (Rodgers & Cavanagh 1989, Med Sci Sports Exerc "
        "21:S94)",
    )
    declination_deg: tuple[Angle, Angle, Angle, Angle, Angle] = Field(
        (20.0, 15.0, 10.0, 8.0, 5.0),
        description="metatarsal declination to the ground (deg): MT1 20-21 deg normal "
        "(radiographic first metatarsal declination), MT2-MT5 about 15, 10, 8, 5 deg "
        "(textbook values, decreasing laterally)",
    )
    head_radius_mm: tuple[HeadRadius, HeadRadius, HeadRadius, HeadRadius, HeadRadius] = Field(
        (9.5, 8.0, 7.6, 7.0, 6.5),
        description="head radius (mm): half the vertical head height, MTH2 16.1 +/- 1.4 mm "
        "decreasing to MTH5 13.0 +/- 1.1 mm (Fraser et al. 2017, Foot Ankle Surg 23:246, CT, "
        "n = 80); MTH1 larger (~19 mm)",
    )
    shaft_radius_mm: tuple[ShaftRadius, ShaftRadius, ShaftRadius, ShaftRadius, ShaftRadius] = Field(
        (6.5, 4.5, 4.2, 4.2, 4.5),
        description="shaft radius (mm): MT1 width ~13.7 mm (Patil et al. 2017), lesser "
        "shafts ~8-9 mm wide",
    )
    tissue_thickness_mm: tuple[Thickness, Thickness, Thickness, Thickness, Thickness] = Field(
        (9.5, 12.0, 11.5, 10.5, 8.5),
        description="total plantar soft-tissue thickness under each head, skin surface to the "
        "lowest point of the head, unloaded (mm). MRI: MTH1 8.7, MTH2 10.6 mm (Oh et al. 2018, "
        "J Foot Ankle Surg 57:1, no diabetes); ultrasound: MTH2 15.2 mm (Cavanagh 1999, "
        "J Biomech 32:623); MTH1 8.5, MTH5 5.5 mm in over-60s (Mickle et al. 2011, J Orthop "
        "Res 29:1042). A thinned/atrophic pad is this tuple scaled down",
    )
    cut_x_mm: float = Field(
        -40.0,
        ge=-70.0,
        le=-25.0,
        description="x of the proximal cut plane (mm): the model ends here; the metatarsal "
        "shafts cross it and carry the load",
    )
    dorsal_cover_mm: float = Field(
        4.0, ge=2.0, le=15.0, description="soft tissue over the highest bone point (mm)"
    )
    dorsal_slope_deg: float = Field(
        15.0, ge=0.0, le=30.0, description="inclination of the dorsal surface (deg, down distally)"
    )
    medial_cover_mm: float = Field(
        8.0, ge=3.0, le=25.0, description="soft tissue medial to MTH1 (mm)"
    )
    lateral_cover_mm: float = Field(
        8.0, ge=3.0, le=25.0, description="soft tissue lateral to MTH5 (mm)"
    )
    distal_extension_mm: float = Field(
        18.0,
        ge=5.0,
        le=45.0,
        description="soft tissue distal to the most distal bone (mm): past the heads it is "
        "the sulcus and toe pulp; with phalanges, past their tips, the rest of the toes",
    )
    medial_rounding_mm: float = Field(
        10.0, ge=1.0, le=25.0, description="radius of the medial plantar edge (mm)"
    )
    lateral_rounding_mm: float = Field(
        10.0, ge=1.0, le=25.0, description="radius of the lateral plantar edge (mm)"
    )
    distal_rounding_mm: float = Field(
        10.0, ge=1.0, le=25.0, description="radius of the distal plantar edge (mm)"
    )
    plantar_curvature_radius_mm: tuple[SagittalRadius, FrontalRadius] = Field(
        (120.0, 400.0),
        description="radii of curvature of the plantar surface at its lowest point, "
        "sagittal (x) and frontal (y) (mm): the unloaded ball of the foot is gently rounded; "
        "the cap they make must enclose the forefoot (checked)",
    )
    plate_length_mm: float = Field(
        20.0, ge=5.0, le=30.0, description="plantar plate length (mm), Ormond Filho 2016 (MRI)"
    )
    plate_width_mm: float = Field(
        9.0, ge=3.0, le=14.0, description="plantar plate width (mm), Ormond Filho 2016 (MRI)"
    )
    plate_thickness_mm: float = Field(
        2.0,
        ge=1.0,
        le=4.0,
        description="plantar plate thickness under the head (mm), Ormond Filho 2016 (MRI)",
    )
    plates: bool = Field(True, description="model the plantar plates of MTP 2-5")
    sesamoids: bool = Field(
        True,
        description="model the two sesamoids under MTH1 (on by default: they carry most of "
        "the load under the first ray and shape the MTH1 pressure peak)",
    )
    skin_thickness_mm: float = Field(
        0.0,
        ge=0.0,
        le=4.0,
        description="thickness of a separate skin layer over the whole envelope but the cut "
        "(mm; volume SKIN, material 'skin'); 0 = no layer (default): the skin is part of the "
        "encapsulated soft tissue, as in the Lemmon/Cheung fit of the bulk tissue. Plantar "
        "skin 1.71 +/- 0.31 mm (epidermis 0.55, dermis 1.16; heel 2.19, medial arch 1.41 mm; "
        "Kim et al. 2025, Clin Anat, doi:10.1002/ca.70030, ultrasound and histology, 35 feet)",
    )
    phalanges: bool = Field(
        False,
        description="model the five proximal phalanges in toes that prolong the envelope "
        "(the middle and distal phalanges are soft tissue). Off by default: the validated "
        "figures are those of the toe-less forefoot, whose 18 mm of tissue distal to the "
        "heads stands for the sulcus and toe pulp; turn on to study the toes' share of the "
        "load at push-off (the toes are passive: no flexor force is applied)",
    )
    phalanx_length_mm: tuple[PhLength, PhLength, PhLength, PhLength, PhLength] = Field(
        (28.0, 22.0, 20.0, 18.0, 17.0),
        description="proximal phalanx length along its axis, from the deepest point of the "
        "concave base to the tip (mm). Hallux 28.0 +/- 2.4 mm in men (Patil et al. 2017, J "
        "Clin Diagn Res 11(9):AC05, radiographs, 60 adults); the lesser ones shorter, "
        "decreasing laterally (typical adult values)",
    )
    phalanx_radius_mm: tuple[PhRadius, PhRadius, PhRadius, PhRadius, PhRadius] = Field(
        (5.5, 4.0, 3.8, 3.6, 3.6),
        description="proximal phalanx radius (mm; a cylinder with a rounded tip): hallux "
        "~11 mm wide; lesser phalangeal heads 9.7, 9.0, 8.5, 8.7 mm wide for toes 2-5 (Kaur "
        "et al., J Am Podiatr Med Assoc, article 21-211, radiographs of 150 feet), shafts narrower",
    )
    toe_angle_deg: float = Field(
        0.0,
        ge=-10.0,
        le=45.0,
        description="inclination of the proximal phalanges above the ground (deg, tips up): 0 "
        "= parallel to the ground, the toes lying flat as in barefoot standing, so each MTP "
        "joint is extended by its metatarsal's declination (MTP1 20 deg); a heeled shoe "
        "raises the declination and with it the MTP extension (mtp_dorsiflexion_deg)",
    )
    sesamoid_radius_mm: float = Field(
        4.5, ge=2.0, le=7.0, description="sesamoid radius (mm); ~10 x 8 mm sesamoids"
    )
    cortical_tube: bool = Field(
        False,
        description="model each metatarsal shaft, from the cut to the head, as a tube of "
        "cortical bone (CORTEX1-5, 'cortical_bone', E 17 GPa) around a hollow canal, the head "
        "solid 'bone'; off by default (footsim.model.cortical)",
    )
    cortical_thickness_mm: tuple[Cortex, Cortex, Cortex, Cortex, Cortex] = Field(
        (3.1, 2.2, 2.0, 2.0, 2.2),
        description="cortical wall of each shaft with cortical_tube (mm; the canal, shaft "
        "radius minus this, at least 0.5 mm): MT5 from its CT-measured canal, MT1-MT4 not "
        "measured, MT5's canal-to-shaft ratio carried over (an assumption: sweep it); "
        "sources in footsim.model.cortical",
    )

    # ----------------------------------------------------------------- derived geometry
    def declinations_rad(self) -> np.ndarray:
        return np.radians(np.asarray(self.declination_deg, dtype=float))

    def effective_lengths_mm(self) -> np.ndarray:
        """Metatarsal lengths (mm), base to the distal tip of the head, with MT2's extra
        length."""
        lengths = np.asarray(self.lengths_mm, dtype=float)
        lengths[1] += self.mt2_extra_length_mm
        return lengths

    def bases_xy_mm(self) -> np.ndarray:
        """(5, 2) base positions in the ground plane (mm), fixed by the *default* skeleton."""
        default = Anatomy.model_construct()
        d = default.declinations_rad()
        L = np.asarray(default.lengths_mm) - np.asarray(default.head_radius_mm)
        x = np.asarray(_DEFAULT_HEAD_X) - L * np.cos(d)
        return np.column_stack([x, _DEFAULT_HEAD_Y])

    def plantar_height_mm(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Height of the unloaded plantar skin at (x, y) (mm), away from the rounded edges."""
        x0, y0 = self.plantar_low_point_mm()
        rx, ry = self.plantar_curvature_radius_mm
        a, b, c = self._cap_axes()
        q = ((np.asarray(x) - x0) / a) ** 2 + ((np.asarray(y) - y0) / b) ** 2
        return c - c * np.sqrt(np.clip(1.0 - q, 0.0, None))

    def _cap_axes(self) -> tuple[float, float, float]:
        """Semi-axes (a, b, c) of the ellipsoid whose bottom is the plantar surface."""
        rx, ry = self.plantar_curvature_radius_mm
        c = rx  # ellipsoid with a = c = rx: sagittal radius rx; b^2 / c = ry
        return rx, math.sqrt(ry * c), c

    def plantar_low_point_mm(self) -> tuple[float, float]:
        """(x, y) of the lowest plantar point (mm): between MTH2 and MTH3 at the head line."""
        return -3.0, 9.0

    def head_centres(self) -> np.ndarray:
        """(5, 3) head-sphere centres (mm), rays 1..5.

        Each head of the given length sits ``tissue_thickness_mm`` above the unloaded sole;
        MT2's extra length then carries MTH2 further along its shaft (distally and down)."""
        bases = self.bases_xy_mm()
        d = self.declinations_rad()
        L = np.asarray(self.lengths_mm, dtype=float) - np.asarray(self.head_radius_mm)
        x = bases[:, 0] + L * np.cos(d)
        y = bases[:, 1]
        z = (
            self.plantar_height_mm(x, y)
            + np.asarray(self.tissue_thickness_mm)
            + np.asarray(self.head_radius_mm)
        )
        e = self.mt2_extra_length_mm
        x[1] += e * math.cos(d[1])
        z[1] -= e * math.sin(d[1])
        return np.column_stack([x, y, z])

    def tissue_under_heads_mm(self) -> np.ndarray:
        """(5,) unloaded plantar tissue between the lowest point of each head and the sole
        (mm): ``tissue_thickness_mm``, but under an MT2 with extra length, thinner by the
        head's drop along its shaft and the sole's rise where the head now sits."""
        c = self.head_lowest_points()
        return c[:, 2] - self.plantar_height_mm(c[:, 0], c[:, 1])

    def head_radii(self) -> np.ndarray:
        return np.asarray(self.head_radius_mm, dtype=float)

    def head_lowest_points(self) -> np.ndarray:
        """(5, 3) lowest point of each head (mm)."""
        c = self.head_centres()
        c[:, 2] -= self.head_radii()
        return c

    def axes(self) -> np.ndarray:
        """(5, 3) unit vectors along each shaft, from the head centre proximally (up)."""
        d = self.declinations_rad()
        return np.column_stack([-np.cos(d), np.zeros(5), np.sin(d)])

    def shaft_height_at_cut_mm(self) -> np.ndarray:
        """z of each shaft axis where it crosses the cut plane (mm)."""
        c = self.head_centres()
        ax = self.axes()
        s = (self.cut_x_mm - c[:, 0]) / ax[:, 0]
        return c[:, 2] + s * ax[:, 2]

    def dorsal_plane(self) -> tuple[float, float]:
        """(z0, slope): the dorsal surface is z = z0 - slope * x, clearing every bone by
        ``dorsal_cover_mm`` (mm)."""
        slope = math.tan(math.radians(self.dorsal_slope_deg))
        c, ax = self.head_centres(), self.axes()
        need = []
        for k in range(5):
            need.append(c[k, 2] + self.head_radius_mm[k] + slope * c[k, 0])
            s = (self.cut_x_mm - c[k, 0]) / ax[k, 0]
            for t in np.linspace(0.0, s, 20):
                p = c[k] + t * ax[k]
                need.append(
                    p[2] + self.shaft_radius_mm[k] / math.cos(math.asin(ax[k, 2])) + slope * p[0]
                )
        if self.phalanges:
            for k, (p0, p1) in enumerate(zip(*self.phalanx_segments(), strict=True)):
                for t in np.linspace(0.0, 1.0, 20):
                    p = p0 + t * (p1 - p0)
                    # the highest point of a circle or sphere of radius r_p about p
                    # measured by z + slope x is at most r_p sqrt(1 + slope^2) above p
                    need.append(
                        p[2] + slope * p[0] + self.phalanx_radius_mm[k] * math.hypot(1.0, slope)
                    )
        return float(max(need) + self.dorsal_cover_mm), slope

    def envelope_box_mm(self) -> tuple[float, float, float, float]:
        """(x_min, x_max, y_min, y_max) of the soft-tissue envelope (mm): it ends
        ``distal_extension_mm`` beyond the most distal bone (a head, or a phalanx tip)."""
        c, r = self.head_centres(), self.head_radii()
        y_min = float(min(c[:, 1] - r) - self.medial_cover_mm)
        y_max = float(max(c[:, 1] + r) + self.lateral_cover_mm)
        distal = float(max(c[:, 0] + r))
        if self.phalanges:
            distal = max(distal, float(self.phalanx_tips()[:, 0].max()))
        x_max = distal + self.distal_extension_mm
        return self.cut_x_mm, x_max, y_min, y_max

    def toe_axis(self) -> np.ndarray:
        """Unit vector along the proximal phalanges, from the MTP joint distally (tips up by
        ``toe_angle_deg``)."""
        t = math.radians(self.toe_angle_deg)
        return np.array([math.cos(t), 0.0, math.sin(t)])

    def mtp_dorsiflexion_deg(self) -> np.ndarray:
        """(5,) MTP joint extension (deg): the angle between each metatarsal's axis, carried
        on distally, and its proximal phalanx (declination + toe angle)."""
        return np.degrees(self.declinations_rad()) + self.toe_angle_deg

    def phalanx_segments(self) -> tuple[np.ndarray, np.ndarray]:
        """((5, 3), (5, 3)): for each proximal phalanx the centre of the concave base's
        sphere (the head centre: the MTP joint rotates about it) and the centre of the
        rounded tip (mm). The cylinder of ``phalanx_radius_mm`` runs between the concave base
        (a sphere of radius head + :data:`MTP_GAP_MM` about the head centre) and the tip."""
        c, r = self.head_centres(), self.head_radii()
        rp = np.asarray(self.phalanx_radius_mm)
        s_end = r + MTP_GAP_MM + np.asarray(self.phalanx_length_mm) - rp
        return c, c + s_end[:, None] * self.toe_axis()[None, :]

    def phalanx_tips(self) -> np.ndarray:
        """(5, 3) most distal point of each proximal phalanx (mm)."""
        _, tip_centres = self.phalanx_segments()
        return tip_centres + np.asarray(self.phalanx_radius_mm)[:, None] * self.toe_axis()

    def near_phalanges(self, points: np.ndarray) -> np.ndarray:
        """(n,) True for points (n, 3; mm) in an MTP joint space (closer to a head centre than
        head radius + :data:`MTP_GAP_MM`, on the phalanx's side) or within
        :data:`MTP_GAP_MM` of a proximal phalanx (of its axis, from the head centre to the tip,
        by ``phalanx_radius_mm`` + gap): joint capsule and toe, not plantar fat pad. All
        False without phalanges."""
        points = np.asarray(points, dtype=float).reshape(-1, 3)
        out = np.zeros(len(points), dtype=bool)
        if not self.phalanges:
            return out
        d = self.toe_axis()
        radii = np.asarray(self.phalanx_radius_mm) + MTP_GAP_MM
        for c, r, tip, rp in zip(
            self.head_centres(), self.head_radii(), self.phalanx_segments()[1], radii, strict=True
        ):
            rel = points - c
            along = rel @ d
            out |= (np.linalg.norm(rel, axis=1) < r + MTP_GAP_MM) & (along > 0.0)
            t = np.clip(along, 0.0, float(np.linalg.norm(tip - c)))
            out |= np.linalg.norm(rel - t[:, None] * d, axis=1) < rp
        return out

    def phalanx_volume_mm3(self, ray: int) -> float:
        """Analytic volume (mm^3) of proximal phalanx ``ray``: cylinder of radius r_p from the
        head centre to the tip centre (axial distance s_end), plus the hemispherical tip, minus
        its part inside the ball of radius R = head + gap (the concave base):
        pi r_p^2 s_end - 2 pi / 3 (R^3 - (R^2 - r_p^2)^(3/2)) + 2 pi r_p^3 / 3."""
        k = ray - 1
        base, tip = self.phalanx_segments()
        s_end = float(np.linalg.norm(tip[k] - base[k]))
        rp = self.phalanx_radius_mm[k]
        R = self.head_radius_mm[k] + MTP_GAP_MM
        cap = 2.0 * math.pi / 3.0 * (R**3 - (R**2 - rp**2) ** 1.5)
        return math.pi * rp**2 * s_end - cap + 2.0 * math.pi * rp**3 / 3.0

    def plate_boxes(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Plantar plate boxes under MTP 2-5: ray -> (corner, extent) in mm (before the head
        is carved out of them). The plate spans the plantar joint capsule from 6 mm proximal
        of the head centre; it is ``plate_thickness_mm`` thick under the head."""
        c, r = self.head_centres(), self.head_radii()
        out = {}
        for k in (1, 2, 3, 4):
            low = c[k, 2] - r[k]
            x0 = c[k, 0] - 6.0
            corner = np.array(
                [x0, c[k, 1] - self.plate_width_mm / 2, low - self.plate_thickness_mm]
            )
            extent = np.array(
                [self.plate_length_mm, self.plate_width_mm, self.plate_thickness_mm + 0.4 * r[k]]
            )
            out[k + 1] = (corner, extent)
        return out

    def sesamoid_centres(self) -> np.ndarray:
        """(2, 3) centres of the medial and lateral sesamoids under MTH1 (mm)."""
        c, r = self.head_centres()[0], self.head_radii()[0]
        rs = self.sesamoid_radius_mm
        z = c[2] - r + 0.4 * rs
        return np.array([[c[0] - 2.0, c[1] - 5.5, z], [c[0] - 2.0, c[1] + 5.5, z]])

    def bone_volume_mm3(self, ray: int) -> float:
        """Analytic volume (mm^3) of metatarsal ``ray`` inside the model: the shaft from the cut
        plane to the head centre (an obliquely cut cylinder: pi r^2 times its axis length)
        united with the head sphere; with ``cortical_tube``, less the hollow medullary canal
        (:func:`footsim.model.cortical.canal_volume_mm3`)."""
        from footsim.model.cortical import canal_volume_mm3

        k = ray - 1
        c, ax = self.head_centres()[k], self.axes()[k]
        rs, rh = self.shaft_radius_mm[k], self.head_radius_mm[k]
        axis_len = (self.cut_x_mm - c[0]) / ax[0]
        h0 = math.sqrt(rh**2 - rs**2)
        overlap = math.pi * rs**2 * h0 + math.pi * (rh**2 * (rh - h0) - (rh**3 - h0**3) / 3)
        solid = math.pi * rs**2 * axis_len + 4.0 / 3.0 * math.pi * rh**3 - overlap
        return solid - canal_volume_mm3(self, ray)

    # ----------------------------------------------------------------- validation
    def check(self) -> None:
        """Raise :class:`AnatomyError` when the bones would intersect each other, leave the
        envelope, or the fat pad would be thinner than the plantar plate."""
        from footsim.model.anatomy_checks import check_anatomy

        check_anatomy(self)

    @model_validator(mode="after")
    def _validate(self) -> Anatomy:
        self.check()
        return self
