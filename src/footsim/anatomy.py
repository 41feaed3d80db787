"""Parametric anatomy of the right forefoot: five metatarsals, plantar soft tissue, plates.

Frame and units: millimetres; x distal (towards the toes), y medial (MT1) -> lateral (MT5),
z up. The lowest point of the unloaded plantar skin touches z = 0; in the default anatomy the
centre of the second metatarsal head (MTH2) lies at x = 0.

Each metatarsal is a cylindrical shaft ending in a spherical head. Its *base* (proximal end) is
fixed in the ground plane; the head centre lies ``(length - head_radius) cos(declination)``
distal to it, and its height follows from the plantar tissue thickness under it (below). So
the metatarsal parabola follows from the bases plus the lengths, and ``mt2_extra_length_mm``
moves only MTH2, horizontally and distally: the tissue under it keeps its thickness, and the
MT2 shaft, from its base to the moved head, is a little flatter. The
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

Every check that can be made before gmsh runs is made in :meth:`Anatomy.check`: it raises
:class:`AnatomyError` naming the parameter, its value and the allowed range.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

from footsim.schema import Frozen

RAYS = (1, 2, 3, 4, 5)

Five = tuple[float, float, float, float, float]
Four = tuple[float, float, float, float]
Length = Annotated[float, Field(ge=40.0, le=95.0)]
Angle = Annotated[float, Field(ge=0.0, le=45.0)]
HeadRadius = Annotated[float, Field(ge=4.0, le=14.0)]
ShaftRadius = Annotated[float, Field(ge=2.0, le=9.0)]
Thickness = Annotated[float, Field(ge=2.0, le=30.0)]


class AnatomyError(ValueError):
    """Anatomy parameters that cannot make a valid forefoot (named parameter, value, range)."""


# Default head positions in the ground plane (mm), used only to place the bases.
_DEFAULT_HEAD_X = (-4.0, 0.0, -4.44, -11.17, -20.21)  # Dominguez-Maldonado 2014; Chauhan 2011
_DEFAULT_HEAD_Y = (-24.0, 0.0, 18.0, 35.0, 51.0)  # intermetatarsal head spacing ~17-24 mm


class Anatomy(Frozen):
    """Parameters of the forefoot (mm, degrees). All defaults are an adult male right foot.

    Per-ray tuples are ordered MT1 (medial) ... MT5 (lateral).
    """

    _added_defaults: ClassVar[dict[str, Any]] = {"skin_thickness_mm": 0.0}

    lengths_mm: tuple[Length, Length, Length, Length, Length] = Field(
        (63.0, 72.0, 69.0, 67.0, 64.0),
        description="metatarsal length, base to distal tip of the head (mm). Typical adult "
        "MT1 60-65, MT2 70-75, MT3 68-70, MT4 66-68, MT5 63-66 mm (anatomy texts; MT1 "
        "56.4 +/- 4.4 mm in Patil et al. 2017, J Clin Diagn Res 11:AC01, men)",
    )
    mt2_extra_length_mm: float = Field(
        0.0,
        ge=-4.0,
        le=10.0,
        description="extra length of MT2 (Morton's foot, mm): MTH2 moves this far distally "
        "with the tissue under it kept at its thickness; Morton's foot MTH2 lies 8-28 mm "
        "distal to MTH1 by palpation (Rodgers & Cavanagh 1989, Med Sci Sports Exerc 21:S94)",
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
        description="soft tissue distal to the most distal head (mm): the sulcus and toe "
        "pulp when the phalanges are not modelled",
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
    plantar_curvature_radius_mm: tuple[float, float] = Field(
        (120.0, 400.0),
        description="radii of curvature of the plantar surface at its lowest point, "
        "sagittal (x) and frontal (y) (mm): the unloaded ball of the foot is gently rounded",
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
    sesamoid_radius_mm: float = Field(
        4.5, ge=2.0, le=7.0, description="sesamoid radius (mm); ~10 x 8 mm sesamoids"
    )

    # ----------------------------------------------------------------- derived geometry
    def declinations_rad(self) -> np.ndarray:
        return np.radians(np.asarray(self.declination_deg, dtype=float))

    def effective_lengths_mm(self) -> np.ndarray:
        """Lengths (mm) with the MT2 extra length (only its ground-plane part matters)."""
        return np.asarray(self.lengths_mm, dtype=float)

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
        """(5, 3) head-sphere centres (mm), rays 1..5."""
        bases = self.bases_xy_mm()
        d = self.declinations_rad()
        L = self.effective_lengths_mm() - np.asarray(self.head_radius_mm)
        x = bases[:, 0] + L * np.cos(d)
        x[1] += self.mt2_extra_length_mm
        y = bases[:, 1]
        z = (
            self.plantar_height_mm(x, y)
            + np.asarray(self.tissue_thickness_mm)
            + np.asarray(self.head_radius_mm)
        )
        return np.column_stack([x, y, z])

    def head_radii(self) -> np.ndarray:
        return np.asarray(self.head_radius_mm, dtype=float)

    def head_lowest_points(self) -> np.ndarray:
        """(5, 3) lowest point of each head (mm)."""
        c = self.head_centres()
        c[:, 2] -= self.head_radii()
        return c

    def axes(self) -> np.ndarray:
        """(5, 3) unit vectors along each shaft, from the head centre proximally (up)."""
        c = self.head_centres()
        d = self.declinations_rad().copy()
        # MT2 with extra length: the shaft runs from its (unchanged) base to the moved head
        base2_z = c[1, 2] + (self.lengths_mm[1] - self.head_radius_mm[1]) * math.sin(d[1])
        base2_x = self.bases_xy_mm()[1, 0]
        d[1] = math.atan2(base2_z - c[1, 2], c[1, 0] - base2_x)
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
        return float(max(need) + self.dorsal_cover_mm), slope

    def envelope_box_mm(self) -> tuple[float, float, float, float]:
        """(x_min, x_max, y_min, y_max) of the soft-tissue envelope (mm)."""
        c, r = self.head_centres(), self.head_radii()
        y_min = float(min(c[:, 1] - r) - self.medial_cover_mm)
        y_max = float(max(c[:, 1] + r) + self.lateral_cover_mm)
        x_max = float(max(c[:, 0] + r) + self.distal_extension_mm)
        return self.cut_x_mm, x_max, y_min, y_max

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
        united with the head sphere."""
        k = ray - 1
        c, ax = self.head_centres()[k], self.axes()[k]
        rs, rh = self.shaft_radius_mm[k], self.head_radius_mm[k]
        axis_len = (self.cut_x_mm - c[0]) / ax[0]
        h0 = math.sqrt(rh**2 - rs**2)
        overlap = math.pi * rs**2 * h0 + math.pi * (rh**2 * (rh - h0) - (rh**3 - h0**3) / 3)
        return math.pi * rs**2 * axis_len + 4.0 / 3.0 * math.pi * rh**3 - overlap

    # ----------------------------------------------------------------- validation
    def check(self) -> None:
        """Raise :class:`AnatomyError` when the bones would intersect each other, leave the
        envelope, or the fat pad would be thinner than the plantar plate."""
        c, r = self.head_centres(), self.head_radii()
        rs = np.asarray(self.shaft_radius_mm)
        for k in range(5):
            if rs[k] >= r[k] - 0.5:
                raise AnatomyError(
                    f"shaft_radius_mm[{k}] = {rs[k]:g} mm must be at least 0.5 mm smaller than "
                    f"head_radius_mm[{k}] = {r[k]:g} mm"
                )
        for k in range(4):
            gap = np.linalg.norm(c[k + 1] - c[k]) - r[k] - r[k + 1]
            if gap < 1.0:
                raise AnatomyError(
                    f"heads MTH{k + 1} and MTH{k + 2} intersect (gap {gap:.2f} mm < 1 mm): "
                    f"reduce head_radius_mm ({r[k]:g}, {r[k + 1]:g}) or move the rays apart"
                )
            d = _segment_distance(
                c[k], c[k] + 80 * self.axes()[k], c[k + 1], c[k + 1] + 80 * self.axes()[k + 1]
            )
            if d < rs[k] + rs[k + 1] + 0.5:
                raise AnatomyError(
                    f"shafts of MT{k + 1} and MT{k + 2} intersect (axis distance {d:.2f} mm < "
                    f"{rs[k] + rs[k + 1] + 0.5:.2f} mm): reduce shaft_radius_mm"
                )
        bases_x = self.bases_xy_mm()[:, 0]
        if self.cut_x_mm <= bases_x.max() + 2.0:
            raise AnatomyError(
                f"cut_x_mm = {self.cut_x_mm:g} mm must lie distal to every metatarsal base "
                f"(allowed: > {bases_x.max() + 2.0:.1f} mm)"
            )
        if (c[:, 0] - r).min() < self.cut_x_mm + 3.0:
            raise AnatomyError(
                f"cut_x_mm = {self.cut_x_mm:g} mm cuts through a metatarsal head (allowed: < "
                f"{(c[:, 0] - r).min() - 3.0:.1f} mm)"
            )
        t = np.asarray(self.tissue_thickness_mm)
        skin = self.skin_thickness_mm
        with_skin = f" and skin_thickness_mm = {skin:g}" if skin else ""
        if 0.0 < skin < 0.5:
            raise AnatomyError(
                f"skin_thickness_mm = {skin:g} mm is too thin to mesh (allowed: 0 = no skin "
                "layer, or 0.5 to 4 mm)"
            )
        need = self.plate_thickness_mm + 2.0 + skin
        for k in range(1, 5):
            if self.plates and t[k] < need:
                raise AnatomyError(
                    f"tissue_thickness_mm[{k}] = {t[k]:g} mm is thinner than the plantar plate "
                    f"plus 2 mm of fat (allowed: >= {need:g} mm with plate_thickness_mm = "
                    f"{self.plate_thickness_mm:g}{with_skin})"
                )
        need = 0.6 * self.sesamoid_radius_mm + 2.0 + skin
        if self.sesamoids and t[0] < need:
            raise AnatomyError(
                f"tissue_thickness_mm[0] = {t[0]:g} mm leaves no fat under the sesamoids "
                f"(allowed: >= {need:g} mm{with_skin})"
            )
        if skin:
            for name, value in (
                ("tissue_thickness_mm", float(t.min())),
                ("dorsal_cover_mm", self.dorsal_cover_mm),
                ("medial_cover_mm", self.medial_cover_mm),
                ("lateral_cover_mm", self.lateral_cover_mm),
                ("medial_rounding_mm", self.medial_rounding_mm),
                ("lateral_rounding_mm", self.lateral_rounding_mm),
                ("distal_rounding_mm", self.distal_rounding_mm),
            ):
                if value < skin + 1.0:
                    raise AnatomyError(
                        f"skin_thickness_mm = {skin:g} mm leaves less than 1 mm of fat or "
                        f"rounding where {name} = {value:g} mm (allowed: skin_thickness_mm "
                        f"<= {value - 1.0:g} mm)"
                    )
        for name, rounding, cover in (
            ("medial_rounding_mm", self.medial_rounding_mm, self.medial_cover_mm),
            ("lateral_rounding_mm", self.lateral_rounding_mm, self.lateral_cover_mm),
        ):
            if rounding > cover + 2.0 + min(t):
                raise AnatomyError(
                    f"{name} = {rounding:g} mm would cut into the heads (allowed: <= "
                    f"{cover + 2.0 + min(t):g} mm)"
                )
        if self.distal_rounding_mm > self.distal_extension_mm:
            raise AnatomyError(
                f"distal_rounding_mm = {self.distal_rounding_mm:g} mm would cut into the heads "
                f"(allowed: <= distal_extension_mm = {self.distal_extension_mm:g} mm)"
            )

    @model_validator(mode="after")
    def _validate(self) -> Anatomy:
        self.check()
        return self


def _segment_distance(p0, p1, q0, q1) -> float:
    """Smallest distance between segments p0-p1 and q0-q1 (mm), by dense sampling."""
    s = np.linspace(0.0, 1.0, 81)
    P = p0[None, :] + s[:, None] * (p1 - p0)[None, :]
    Q = q0[None, :] + s[:, None] * (q1 - q0)[None, :]
    return float(np.min(np.linalg.norm(P[:, None, :] - Q[None, :, :], axis=2)))
