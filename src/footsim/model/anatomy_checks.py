"""The geometric checks of an anatomy, before any meshing: bones that would intersect each
other, leave the soft tissue or cross the cut, and phalanges that would touch (mm)."""

from __future__ import annotations

import math

import numpy as np

from footsim.model.anatomy import MTP_GAP_MM, Anatomy, AnatomyError
from footsim.model.cortical import check_tube


def check_anatomy(a: Anatomy) -> None:
    """Raise :class:`AnatomyError` when the bones would intersect each other, leave the
    envelope, or the fat pad would be thinner than the plantar plate."""
    c, r = a.head_centres(), a.head_radii()
    rs = np.asarray(a.shaft_radius_mm)
    for k in range(5):
        if rs[k] >= r[k] - 0.5:
            raise AnatomyError(
                f"shaft_radius_mm[{k}] = {rs[k]:g} mm must be at least 0.5 mm smaller than "
                f"head_radius_mm[{k}] = {r[k]:g} mm"
            )
    check_tube(a)
    for k in range(4):
        gap = np.linalg.norm(c[k + 1] - c[k]) - r[k] - r[k + 1]
        if gap < 1.0:
            raise AnatomyError(
                f"heads MTH{k + 1} and MTH{k + 2} intersect (gap {gap:.2f} mm < 1 mm): "
                f"reduce head_radius_mm ({r[k]:g}, {r[k + 1]:g}) or move the rays apart"
            )
        d = _segment_distance(
            c[k], c[k] + 80 * a.axes()[k], c[k + 1], c[k + 1] + 80 * a.axes()[k + 1]
        )
        if d < rs[k] + rs[k + 1] + 0.5:
            raise AnatomyError(
                f"shafts of MT{k + 1} and MT{k + 2} intersect (axis distance {d:.2f} mm < "
                f"{rs[k] + rs[k + 1] + 0.5:.2f} mm): reduce shaft_radius_mm"
            )
    bases_x = a.bases_xy_mm()[:, 0]
    if a.cut_x_mm <= bases_x.max() + 2.0:
        raise AnatomyError(
            f"cut_x_mm = {a.cut_x_mm:g} mm must lie distal to every metatarsal base "
            f"(allowed: > {bases_x.max() + 2.0:.1f} mm)"
        )
    if (c[:, 0] - r).min() < a.cut_x_mm + 3.0:
        raise AnatomyError(
            f"cut_x_mm = {a.cut_x_mm:g} mm cuts through a metatarsal head (allowed: < "
            f"{(c[:, 0] - r).min() - 3.0:.1f} mm)"
        )
    t = np.asarray(a.tissue_thickness_mm)
    skin = a.skin_thickness_mm
    with_skin = f" and skin_thickness_mm = {skin:g}" if skin else ""
    if 0.0 < skin < 0.5:
        raise AnatomyError(
            f"skin_thickness_mm = {skin:g} mm is too thin to mesh (allowed: 0 = no skin "
            "layer, or 0.5 to 4 mm)"
        )
    need = a.plate_thickness_mm + 2.0 + skin
    for k in range(1, 5):
        if a.plates and t[k] < need:
            raise AnatomyError(
                f"tissue_thickness_mm[{k}] = {t[k]:g} mm is thinner than the plantar plate "
                f"plus 2 mm of fat (allowed: >= {need:g} mm with plate_thickness_mm = "
                f"{a.plate_thickness_mm:g}{with_skin})"
            )
    under_mth2 = float(a.tissue_under_heads_mm()[1])
    if a.plates and a.mt2_extra_length_mm > 0.0 and under_mth2 < need:
        drop = t[1] - under_mth2
        raise AnatomyError(
            f"mt2_extra_length_mm = {a.mt2_extra_length_mm:g} mm lowers MTH2 along its shaft "
            f"and leaves {under_mth2:.2f} mm of tissue under it, thinner than the plantar "
            f"plate plus 2 mm of fat (allowed: >= {need:g} mm; shorten the extra length or "
            f"raise tissue_thickness_mm[1] = {t[1]:g} mm to >= {need + drop:.2f} mm)"
        )
    need = 0.6 * a.sesamoid_radius_mm + 2.0 + skin
    if a.sesamoids and t[0] < need:
        raise AnatomyError(
            f"tissue_thickness_mm[0] = {t[0]:g} mm leaves no fat under the sesamoids "
            f"(allowed: >= {need:g} mm{with_skin})"
        )
    if skin:
        for name, value in (
            ("tissue_thickness_mm", float(t.min())),
            ("dorsal_cover_mm", a.dorsal_cover_mm),
            ("medial_cover_mm", a.medial_cover_mm),
            ("lateral_cover_mm", a.lateral_cover_mm),
            ("medial_rounding_mm", a.medial_rounding_mm),
            ("lateral_rounding_mm", a.lateral_rounding_mm),
            ("distal_rounding_mm", a.distal_rounding_mm),
        ):
            if value < skin + 1.0:
                raise AnatomyError(
                    f"skin_thickness_mm = {skin:g} mm leaves less than 1 mm of fat or "
                    f"rounding where {name} = {value:g} mm (allowed: skin_thickness_mm "
                    f"<= {value - 1.0:g} mm)"
                )
    if a.phalanges:
        _check_phalanges(a)
    for name, rounding, cover in (
        ("medial_rounding_mm", a.medial_rounding_mm, a.medial_cover_mm),
        ("lateral_rounding_mm", a.lateral_rounding_mm, a.lateral_cover_mm),
    ):
        if rounding > cover + 2.0 + min(t):
            raise AnatomyError(
                f"{name} = {rounding:g} mm would cut into the heads (allowed: <= "
                f"{cover + 2.0 + min(t):g} mm)"
            )
    if a.distal_rounding_mm > a.distal_extension_mm:
        raise AnatomyError(
            f"distal_rounding_mm = {a.distal_rounding_mm:g} mm would cut into the heads "
            f"(allowed: <= distal_extension_mm = {a.distal_extension_mm:g} mm)"
        )
    _check_plantar_cap(a)  # last: the checks above name a more specific cause


def _bones_outside_cap(a: Anatomy) -> list[str]:
    """The bones whose extreme points (each head's front, sides and bottom, each shaft's
    bottom and sides at the cut plane) lie outside the ellipsoid of the plantar cap, whose
    intersection with the envelope box is the soft tissue (:func:`footsim.mesh.solids.
    _envelope`): they would stick out of the sole."""
    ea, eb, ec = a._cap_axes()
    lx, ly = a.plantar_low_point_mm()
    c, r = a.head_centres(), a.head_radii()
    axes, rs = a.axes(), np.asarray(a.shaft_radius_mm)
    out = []
    for k in range(5):
        at_cut = c[k] + (a.cut_x_mm - c[k, 0]) / axes[k, 0] * axes[k]
        points = [c[k] + d for d in r[k] * np.array([[1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, -1]])]
        points += [at_cut + d for d in rs[k] * np.array([[0, 1, 0], [0, -1, 0], [0, 0, -1]])]
        p = np.asarray(points)
        q = ((p[:, 0] - lx) / ea) ** 2 + ((p[:, 1] - ly) / eb) ** 2 + ((p[:, 2] - ec) / ec) ** 2
        if not np.all(q < 1.0):
            out.append(f"MT{k + 1}")
    return out + _corners_above_dorsal(a)


def _corners_above_dorsal(a: Anatomy) -> list[str]:
    """The corners of the envelope box where the plantar cap rises to within the smallest
    edge rounding of the dorsal face: the fillet of radius r that rounds a plantar edge
    takes about r of the side wall above that edge, so the wall must be at least that high.
    On the default foot (coarse preset) the wall at the worst corner and what gmsh made:
    radii (70, 70) -6.9 mm, (120, 40) -17.1 mm and (171, 57) 1.4 mm: "Could not compute
    fillet"; (63, 119) 5.0 mm: a mesh below the quality floor at size 5 mm (min SICN 0.020,
    found by tests/test_scenario_properties.py); (100, 100) 8.2 mm, (90, 140) 11.5 mm,
    (60, 400) 14.5 mm and the default (120, 400) 19.0 mm: meshed."""
    x0, x1, y0, y1 = a.envelope_box_mm()
    z0, slope = a.dorsal_plane()
    room = 0.5 * min(a.medial_rounding_mm, a.lateral_rounding_mm, a.distal_rounding_mm)
    out = []
    for x, xs in ((x0, "proximal"), (x1, "distal")):
        for y, ys in ((y0, "medial"), (y1, "lateral")):
            if float(a.plantar_height_mm(x, y)) > z0 - slope * x - room:
                out.append(f"the {xs}-{ys} corner")
    return out


def _check_plantar_cap(a: Anatomy) -> None:
    """:class:`AnatomyError` when the plantar cap of ``plantar_curvature_radius_mm`` is too
    curved to enclose the bones and reach the sides of the envelope below its dorsal face;
    the message gives the smallest radii of the same ratio that
    do (bisection on a common scale; the heads' heights follow the cap)."""
    outside = _bones_outside_cap(a)
    if not outside:
        return
    rx, ry = a.plantar_curvature_radius_mm
    lo, hi = 1.0, 5000.0 / max(rx, ry)
    if _bones_outside_cap(a.model_copy(update={"plantar_curvature_radius_mm": (hi * rx, hi * ry)})):
        need = "no radii of this ratio do"
    else:
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            scaled = a.model_copy(update={"plantar_curvature_radius_mm": (mid * rx, mid * ry)})
            lo, hi = (lo, mid) if not _bones_outside_cap(scaled) else (mid, hi)
        need = f">= ({hi * rx:.1f}, {hi * ry:.1f}) mm at this ratio"
    raise AnatomyError(
        f"plantar_curvature_radius_mm = ({rx:g}, {ry:g}) mm makes a plantar cap too curved "
        f"to enclose {', '.join(outside)} below the dorsal face (allowed: {need})"
    )


def _check_phalanges(a: Anatomy) -> None:
    """The proximal phalanges sit on their heads, clear each other, and keep at least 2 mm
    of plantar tissue (plus the skin layer) between them and the unloaded sole."""
    r, rp = a.head_radii(), np.asarray(a.phalanx_radius_mm)
    for k in range(5):
        if rp[k] > r[k] - 0.5:
            raise AnatomyError(
                f"phalanx_radius_mm[{k}] = {rp[k]:g} mm must be at least 0.5 mm smaller "
                f"than head_radius_mm[{k}] = {r[k]:g} mm (allowed: <= {r[k] - 0.5:g} mm)"
            )
    base, tip = a.phalanx_segments()
    d = a.toe_axis()
    start = base + np.sqrt((r + MTP_GAP_MM) ** 2 - rp**2)[:, None] * d  # rim of the base
    for k in range(4):
        gap = _segment_distance(start[k], tip[k], start[k + 1], tip[k + 1])
        if gap < rp[k] + rp[k + 1] + 1.0:
            raise AnatomyError(
                f"proximal phalanges {k + 1} and {k + 2} come within {gap:.2f} mm of each "
                f"other's axes (allowed: >= {rp[k] + rp[k + 1] + 1.0:.2f} mm): reduce "
                "phalanx_radius_mm"
            )
    need = 2.0 + a.skin_thickness_mm
    cos_t = math.cos(math.radians(a.toe_angle_deg))
    for k in range(5):
        for t in np.linspace(0.0, 1.0, 25):
            p = start[k] + t * (tip[k] - start[k])
            low = p[2] - rp[k] / cos_t if t < 1.0 else p[2] - rp[k]
            clearance = low - float(a.plantar_height_mm(p[0], p[1]))
            if clearance < need:
                raise AnatomyError(
                    f"toe_angle_deg = {a.toe_angle_deg:g} deg puts proximal phalanx "
                    f"{k + 1} {clearance:.2f} mm above the sole at x = {p[0]:.1f} mm "
                    f"(allowed: >= {need:g} mm of plantar tissue): raise toe_angle_deg "
                    "or reduce phalanx_radius_mm"
                )


def _segment_distance(p0, p1, q0, q1) -> float:
    """Smallest distance between segments p0-p1 and q0-q1 (mm), by dense sampling."""
    s = np.linspace(0.0, 1.0, 81)
    P = p0[None, :] + s[:, None] * (p1 - p0)[None, :]
    Q = q0[None, :] + s[:, None] * (q1 - q0)[None, :]
    return float(np.min(np.linalg.norm(P[:, None, :] - Q[None, :, :], axis=2)))
