"""Footwear: insole, metatarsal pad and heel height (parameters only; meshing is in geometry).

- Barefoot (``Footwear()``): nothing is meshed; the ground is the rigid plane z = 0.
- :class:`Insole`: a foam layer of ``thickness_mm`` under the whole forefoot; its bottom rests
  on the rigid ground, its top is the contact surface. It is meshed as a separate body that
  shares no nodes with the foot, placed so that it touches the unloaded foot without overlap.
- :class:`MetatarsalPad`: a pad raised from the insole top, ``height_mm`` high, ``length_mm``
  along x and ``width_mm`` along y, with skived edges (an elliptic paraboloid: the flanks meet
  the insole at a bevel, not in a step): a ``"dome"`` (apex in the middle) or a
  ``"teardrop"`` (rounded distal end, long proximal taper: the apex, its highest and widest
  point, one third of the length from the distal end), its apex placed relative to the heads
  (``apex_proximal_to_mth_mm`` proximal to the midpoint of MTH2 and MTH3, resolved against the
  actual heads) or in absolute coordinates (``apex_x_mm``, a pad glued in a shoe stays put when
  the foot changes). Typical: 4-8 mm high, apex 5-10 mm proximal to MTH2-3 (Hsi et al. 2005,
  Foot Ankle Int 26:498; Hastings et al. 2007, J Orthop Sports Phys Ther 37:S2).
- Heel height: :func:`apply_heel` raises the metatarsal declination and
  :func:`forefoot_load_share` the forefoot's share of the standing load.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from footsim.model.anatomy import Anatomy
from footsim.model.schema import Frozen as _Frozen

INSOLE_MATERIALS = ("eva", "polyurethane", "poron", "rigid")


class FootwearError(ValueError):
    """Footwear parameters that cannot be built (named parameter, value, allowed range)."""


#: Radius (mm) of the bend of the insole's bottom at the toe break (its top: this minus the
#: thickness). A model choice: a smooth rocker over about one metatarsal-head diameter.
TOE_SPRING_BEND_RADIUS_MM = 30.0


def _bent_profile(s: np.ndarray, r: float, theta: float) -> np.ndarray:
    """Rise (mm) at distance ``s`` (mm) past the bend start of a line that turns upward
    through ``theta`` (rad) on an arc of radius ``r`` (mm), then goes straight."""
    s_end = r * math.sin(theta)
    arc = r - np.sqrt(np.clip(r**2 - np.minimum(s, s_end) ** 2, 0.0, None))
    return np.where(s <= 0.0, 0.0, arc + np.maximum(s - s_end, 0.0) * math.tan(theta))


class Insole(_Frozen):
    """A foam insole under the forefoot."""

    thickness_mm: float = Field(
        6.0,
        ge=2.0,
        le=20.0,
        description="thickness (mm); commercial insoles 6.3/9.5/12.7 mm (Goske et al. 2006, "
        "J Biomech 39:2363)",
    )
    material: str = Field(
        "eva", description=f"insole material, one of {', '.join(INSOLE_MATERIALS)}"
    )
    margin_mm: float = Field(
        8.0, ge=2.0, le=30.0, description="insole extent beyond the forefoot outline (mm)"
    )
    toe_spring_deg: float = Field(
        0.0,
        ge=0.0,
        le=40.0,
        description="toe spring: upward bend of the insole distal to the toe break (deg); 0 = "
        "flat. Shoes and sandals of 10-40 deg were studied by Sichting et al. 2020, Sci Rep 10 "
        "(doi:10.1038/s41598-020-71247-9): 'the upward curvature of the sole below the "
        "metatarsal heads'",
    )
    toe_break_distal_to_mth2_mm: float = Field(
        0.0,
        ge=-10.0,
        le=25.0,
        description="x where the toe spring's bend starts, distal to the MTH2 centre (mm)",
    )

    _added_fields: ClassVar[tuple[str, ...]] = ("toe_spring_deg", "toe_break_distal_to_mth2_mm")

    def toe_break_x_mm(self, anatomy: Anatomy) -> float:
        """x (mm) where the bend of the toe spring starts."""
        return float(anatomy.head_centres()[1][0] + self.toe_break_distal_to_mth2_mm)

    def top_height_mm(self, anatomy: Anatomy, x) -> np.ndarray:
        """Height (mm) of the insole top above its flat part at ``x`` (mm): 0 proximal to the
        toe break, then an arc of radius ``TOE_SPRING_BEND_RADIUS_MM - thickness`` turning
        through ``toe_spring_deg``, then straight at that angle."""
        return _bent_profile(
            np.asarray(x, dtype=float) - self.toe_break_x_mm(anatomy),
            TOE_SPRING_BEND_RADIUS_MM - self.thickness_mm,
            math.radians(self.toe_spring_deg),
        )

    def bottom_height_mm(self, anatomy: Anatomy, x) -> np.ndarray:
        """Height (mm) of the insole bottom above its flat part at ``x`` (mm): the bend of
        radius ``TOE_SPRING_BEND_RADIUS_MM`` concentric with the top's."""
        return _bent_profile(
            np.asarray(x, dtype=float) - self.toe_break_x_mm(anatomy),
            TOE_SPRING_BEND_RADIUS_MM,
            math.radians(self.toe_spring_deg),
        )

    @field_validator("material")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in INSOLE_MATERIALS:
            raise ValueError(
                f"unknown insole material {value!r} (allowed: {', '.join(INSOLE_MATERIALS)})"
            )
        return value


#: Share of a teardrop pad's length distal to its apex (the rounded end).
TEARDROP_DISTAL_SHARE = 1.0 / 3.0


class MetatarsalPad(_Frozen):
    """A metatarsal pad on the insole top: a dome or a teardrop, with skived edges.

    Both are made of elliptic paraboloids ``z = height (1 - (dx/a)^2 - (dy/(width/2))^2)`` over
    the insole top, ``a`` the semi-length: the dome is one (``a = length/2`` each side of the
    apex); the teardrop joins a short distal one (``a = length/3``) and a long proximal one
    (``a = 2 length/3``) at the apex, where both have the same cross-section and a horizontal
    tangent along x (a smooth surface).  The flanks meet the insole top at a bevel of slope
    ``2 height / a`` (the default dome: 27 deg distally and proximally, 34 deg at the sides),
    as the skived (bevelled) edges of felt and foam pads do (a pad with vertical sides is a
    5 mm step under the skin: its flank under MTH2 takes 0.7 MPa of contact pressure at 12 N of
    push-off load on the default mesh, where Newton fails).  Commercial "teardrop" or
    "metatarsal dome" pads are placed with their broad end just proximal to the heads (Hsi et
    al. 2005; Hastings et al. 2007).
    """

    height_mm: float = Field(5.0, ge=1.0, le=12.0, description="apex height (mm), typical 4-8")
    length_mm: float = Field(
        40.0, ge=10.0, le=70.0, description="length along x (mm); commercial pads ~35-50 mm"
    )
    width_mm: float = Field(
        30.0, ge=10.0, le=60.0, description="width along y (mm); commercial pads ~25-35 mm"
    )
    apex_proximal_to_mth_mm: float | None = Field(
        8.0,
        ge=-10.0,
        le=30.0,
        description="apex distance proximal to the midpoint of MTH2 and MTH3 (mm); 0 = at "
        "the head line, positive = proximal. Ignored when apex_x_mm is given",
    )
    apex_x_mm: float | None = Field(
        None, ge=-80.0, le=40.0, description="absolute apex x (mm), overrides the relative one"
    )
    apex_y_mm: float | None = Field(
        None,
        ge=-60.0,
        le=80.0,
        description="absolute apex y (mm); default between MTH2 and MTH3",
    )
    _added_fields: ClassVar[tuple[str, ...]] = ("shape",)

    material: str = Field(
        "pad", description="pad material (a name in footsim.physics.materials.MATERIALS)"
    )
    shape: Literal["dome", "teardrop"] = Field(
        "dome",
        description="'dome': elliptic paraboloid, apex in the middle; 'teardrop': rounded distal "
        "end, apex one third of the length from it, long proximal taper",
    )

    @field_validator("material")
    @classmethod
    def _known_material(cls, value: str) -> str:
        from footsim.physics.materials.library import MATERIALS

        if value not in MATERIALS:
            raise ValueError(
                f"unknown material {value!r} (allowed: {', '.join(sorted(MATERIALS))})"
            )
        return value

    def apex_key(self) -> tuple[str, float]:
        """The key that places the apex along x and its value (mm): ``apex_x_mm`` when
        given, else ``apex_proximal_to_mth_mm``."""
        if self.apex_x_mm is not None:
            return "footwear.pad.apex_x_mm", self.apex_x_mm
        return "footwear.pad.apex_proximal_to_mth_mm", self.apex_proximal_to_mth_mm or 0.0

    def semi_lengths_mm(self) -> tuple[float, float]:
        """Extent (mm) of the pad proximal and distal of its apex."""
        if self.shape == "teardrop":
            d = TEARDROP_DISTAL_SHARE * self.length_mm
            return self.length_mm - d, d
        return self.length_mm / 2, self.length_mm / 2

    def x_extent_mm(self, anatomy: Anatomy) -> tuple[float, float]:
        """Proximal and distal x ends of the pad (mm)."""
        ax, _ = self.apex_xy(anatomy)
        prox, dist = self.semi_lengths_mm()
        return ax - prox, ax + dist

    def height_at(self, anatomy: Anatomy, x, y) -> np.ndarray:
        """Height of the pad surface above the insole top at ground-plane points (mm); 0
        outside its footprint."""
        ax, ay = self.apex_xy(anatomy)
        prox, dist = self.semi_lengths_mm()
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        a = np.where(x >= ax, dist, prox)
        q = ((x - ax) / a) ** 2 + ((y - ay) / (self.width_mm / 2)) ** 2
        return self.height_mm * np.clip(1.0 - q, 0.0, None)

    def covers(self, anatomy: Anatomy, x, y) -> np.ndarray:
        """True at ground-plane points (mm) over the pad's footprint."""
        return self.height_at(anatomy, x, y) > 0.0

    def apex_xy(self, anatomy: Anatomy) -> tuple[float, float]:
        """Apex position in the ground plane (mm), resolved against the actual heads."""
        c = anatomy.head_centres()
        mid = 0.5 * (c[1] + c[2])
        x = (
            self.apex_x_mm
            if self.apex_x_mm is not None
            else mid[0] - (self.apex_proximal_to_mth_mm or 0.0)
        )
        y = self.apex_y_mm if self.apex_y_mm is not None else mid[1]
        return float(x), float(y)


class Footwear(_Frozen):
    """What the forefoot stands on: barefoot (no insole) or an insole with an optional pad."""

    insole: Insole | None = Field(None, description="None: barefoot on rigid ground")
    pad: MetatarsalPad | None = Field(None, description="metatarsal pad (needs an insole)")
    heel_height_mm: float = Field(
        0.0, ge=0.0, le=100.0, description="heel height of the shoe (mm); 0 = flat"
    )

    @model_validator(mode="after")
    def _pad_needs_insole(self) -> Footwear:
        if self.pad is not None and self.insole is None:
            raise ValueError("footwear.pad needs footwear.insole (a pad sits on an insole)")
        return self

    def check(self, anatomy: Anatomy) -> None:
        """Raise :class:`FootwearError` when the pad lies outside the insole or on its toe
        spring, or when the toe spring's bend does not fit on the insole."""
        if self.insole is None:
            return
        x0, x1, y0, y1 = anatomy.envelope_box_mm()
        m = self.insole.margin_mm
        ins = self.insole
        if ins.toe_spring_deg > 0:
            mth2_x = float(anatomy.head_centres()[1][0])
            bend = TOE_SPRING_BEND_RADIUS_MM * math.sin(math.radians(ins.toe_spring_deg))
            lo, hi = x0 - m + 5.0 - mth2_x, x1 + m - 1.0 - bend - mth2_x
            if not lo <= ins.toe_break_distal_to_mth2_mm <= hi:
                raise FootwearError(
                    "footwear.insole.toe_break_distal_to_mth2_mm = "
                    f"{ins.toe_break_distal_to_mth2_mm:g} mm leaves no room for the toe spring's "
                    f"bend on the insole (allowed: {lo:.1f} .. {hi:.1f} mm for toe_spring_deg = "
                    f"{ins.toe_spring_deg:g})"
                )
        if self.pad is None:
            return
        self._check_pad(anatomy, x0 - m + 1.0, x1 + m - 1.0, y0 - m + 1.0, y1 + m - 1.0)

    def _check_pad(self, anatomy: Anatomy, lo_x: float, hi_x: float, lo_y: float, hi_y: float):
        """The pad within the insole less 1 mm (``lo_x .. hi_x``, ``lo_y .. hi_y``, mm), off
        the toe spring, and its apex under the forefoot's envelope (a pad beside the foot
        carries nothing); the message names the key that places the apex, in its own terms."""
        pad, ins = self.pad, self.insole
        x0, x1, y0, y1 = anatomy.envelope_box_mm()
        ax, ay = pad.apex_xy(anatomy)
        prox, dist = pad.semi_lengths_mm()
        hy = pad.width_mm / 2
        # allowed apex x: on the insole, under the foot, proximal to the toe spring's bend
        ax_lo, ax_hi = max(lo_x + prox, x0), min(hi_x - dist, x1)
        if ins.toe_spring_deg > 0:
            ax_hi = min(ax_hi, ins.toe_break_x_mm(anatomy) - dist)
        key, value = pad.apex_key()
        if not ax_lo <= ax <= ax_hi:
            if key.endswith("apex_x_mm"):
                lo, hi = ax_lo, ax_hi
            else:  # apex x = mid - proximal: the bounds swap
                lo, hi = value + ax - ax_hi, value + ax - ax_lo
            raise FootwearError(
                f"{key} = {value:g} mm puts the pad outside the insole, beside the foot or on "
                "its toe spring (allowed: "
                f"{lo:.1f} .. {hi:.1f} mm for a {pad.shape} of length {pad.length_mm:g} mm on an "
                f"insole with margin_mm = {ins.margin_mm:g}"
                + (f" and toe_spring_deg = {ins.toe_spring_deg:g}" if ins.toe_spring_deg else "")
                + ")"
            )
        ay_lo, ay_hi = max(lo_y + hy, y0), min(hi_y - hy, y1)
        if not ay_lo <= ay <= ay_hi:
            if pad.apex_y_mm is not None:
                where = f"footwear.pad.apex_y_mm = {pad.apex_y_mm:g} mm"
            else:
                where = f"footwear.pad.width_mm = {pad.width_mm:g} mm (apex y {ay:.1f} mm)"
            raise FootwearError(
                f"{where} puts the pad outside the insole, beside the foot (allowed: apex y "
                f"{ay_lo:.1f} .. {ay_hi:.1f} mm for width {pad.width_mm:g} mm on an insole "
                f"with margin_mm = {ins.margin_mm:g})"
            )


# ----------------------------------------------------------------------- heel height
HEEL_DECLINATION_DEG_PER_CM = 2.0
"""Increase of metatarsal declination per cm of heel (deg/cm). Radiographs of feet in shoes of
1-9 cm heel: the first metatarsal declination grows from ~20 to ~37 deg at 9 cm, i.e. ~2 deg/cm
(Mandato & Nester 1999, J Am Podiatr Med Assoc 89:75; Stefanyshyn et al. 2000, Med Sci Sports
Exerc 32:S122); applied to every ray."""

HEEL_FOREFOOT_SHARE = ((0.0, 0.445), (50.0, 0.57), (80.0, 0.69), (100.0, 0.75))
"""Forefoot share of the standing load against heel height (mm, share). Barefoot 44.5 % (Zebris
normative study, J Physiol Anthropol 2020, n = 416); 5 cm ~57 %, 8 cm ~69 % from in-shoe
pressure studies (Snow & Williams 1994, Arch Phys Med Rehabil 75:568: forefoot load rises
with heel height; Mandato & Nester 1999). Linear interpolation between the points. Corrigan et
al. 1993 found the total forefoot force on heel blocks unchanged barefoot: the shares are for
shod standing, as the scenarios use them."""


def forefoot_load_share(heel_height_mm: float) -> float:
    """Forefoot share of the single-foot standing load for a heel height (mm)."""
    h, s = np.array(HEEL_FOREFOOT_SHARE).T
    return float(np.interp(heel_height_mm, h, s))


def apply_heel(anatomy: Anatomy, footwear: Footwear) -> Anatomy:
    """The anatomy in a shoe of ``footwear.heel_height_mm``: each declination is raised by
    :data:`HEEL_DECLINATION_DEG_PER_CM` per cm (the heads stay on the ground, the bases rise)."""
    if footwear.heel_height_mm == 0.0:
        return anatomy
    extra = HEEL_DECLINATION_DEG_PER_CM * footwear.heel_height_mm / 10.0
    decl = tuple(min(45.0, d + extra) for d in anatomy.declination_deg)
    return Anatomy(**{**anatomy.model_dump(), "declination_deg": decl})
