"""The OCC solids of the forefoot and its footwear: bones (solid, or a head and a cortical
tube around a hollow canal), phalanges, the soft-tissue envelope, the insole (flat or with a
toe spring) and the metatarsal pad (mm).
"""

from __future__ import annotations

import math

import numpy as np

from footsim.mesh.session import _gmsh
from footsim.model.anatomy import MTP_GAP_MM, Anatomy
from footsim.model.cortical import canal_radius_mm, shaft_end_mm
from footsim.model.footwear import Footwear


# --------------------------------------------------------------------------- gmsh model
def _box_between(occ, x0, x1, y0, y1, z0, z1) -> int:
    return occ.addBox(x0, y0, z0, x1 - x0, y1 - y0, z1 - z0)


def _bone(occ, centre, axis, r_shaft, r_head, cut_x) -> int:
    """Shaft + head of one metatarsal, trimmed at the cut plane (OCC volume tag)."""
    s = (cut_x - 5.0 - centre[0]) / axis[0]  # go 5 mm past the cut
    d = axis * s
    cyl = occ.addCylinder(*centre, *d, r_shaft)
    head = occ.addSphere(*centre, r_head)
    fused, _ = occ.fuse([(3, cyl)], [(3, head)])
    keep = _box_between(occ, cut_x, 500, -500, 500, -500, 500)
    out, _ = occ.intersect(fused, [(3, keep)])
    return out[0][1]


def _tube_bone(occ, centre, axis, r_shaft, r_head, r_canal, s_end, cut_x) -> tuple[int, int, int]:
    """One metatarsal with a cortical tube (:mod:`footsim.model.cortical`): OCC volume tags
    ``(head, cortex, canal)``. The cortex is the shaft's cylinder from the plane ``s_end``
    proximal of the head centre (where it meets the head sphere) to the cut, less the coaxial
    canal of radius ``r_canal``; the head is the sphere distal of that plane (the sphere's part
    proximal of it lies inside the cylinder). The canal runs 10 mm past the cut, so that it
    can hollow the soft tissue there too (the caller removes it)."""
    start = centre + s_end * axis
    s_far = (cut_x - 5.0 - centre[0]) / axis[0]  # go 5 mm past the cut
    outer = occ.addCylinder(*start, *(axis * (s_far - s_end)), r_shaft)
    sphere = occ.addSphere(*centre, r_head)
    head, _ = occ.cut([(3, sphere)], [(3, outer)], removeTool=False)
    s_canal = (cut_x - 10.0 - centre[0]) / axis[0]
    canal = occ.addCylinder(*start, *(axis * (s_canal - s_end)), r_canal)
    tube, _ = occ.cut([(3, outer)], [(3, canal)], removeTool=False)
    keep = _box_between(occ, cut_x, 500, -500, 500, -500, 500)
    cortex, _ = occ.intersect(tube, [(3, keep)])
    return head[0][1], cortex[0][1], canal


def _phalanx(occ, a: Anatomy, k: int, base: np.ndarray, tip: np.ndarray) -> int:
    """Proximal phalanx ``k`` (0-based; OCC volume tag): a cylinder with a hemispherical tip
    whose base is hollowed by the sphere of radius head + :data:`~footsim.model.anatomy.MTP_GAP_MM`
    about the head centre ``base`` (a concave base, the joint space even all over)."""
    rp = a.phalanx_radius_mm[k]
    R = a.head_radius_mm[k] + MTP_GAP_MM
    d = a.toe_axis()
    s0 = math.sqrt(R**2 - rp**2) - 1.0  # start inside the hollowing sphere at every radius
    start = base + s0 * d
    cyl = occ.addCylinder(*start, *(tip - start), rp)
    end = occ.addSphere(*tip, rp)
    body, _ = occ.fuse([(3, cyl)], [(3, end)])
    hollow = occ.addSphere(*base, R)
    out, _ = occ.cut(body, [(3, hollow)])
    return out[0][1]


def _envelope(occ, a: Anatomy, inset: float = 0.0) -> int:
    """Soft-tissue envelope (OCC volume tag); with ``inset`` > 0 (mm) the same body moved
    inwards by ``inset`` on every face but the cut plane (the inside of the skin layer):
    planes offset, edge fillets of radius ``r - inset`` about the same axes, the plantar
    ellipsoid with semi-axes shortened by ``inset`` (exact offset in the sagittal plane, where
    the cap is spherical; within ``inset^2 / (2 b)`` across it)."""
    x0, x1, y0, y1 = a.envelope_box_mm()
    x1, y0, y1 = x1 - inset, y0 + inset, y1 - inset
    z_dorsal0, slope = a.dorsal_plane()
    z_dorsal0 -= inset * math.sqrt(1.0 + slope**2)
    top = z_dorsal0 - slope * x0 + 10.0
    box = _box_between(occ, x0, x1, y0, y1, -5.0, top)
    ea, eb, ec = (s - inset for s in a._cap_axes())
    lx, ly = a.plantar_low_point_mm()
    centre_z = a._cap_axes()[2]
    cap = occ.addSphere(lx, ly, centre_z, ea)
    occ.dilate([(3, cap)], lx, ly, centre_z, 1.0, eb / ea, ec / ea)
    body, _ = occ.intersect([(3, box)], [(3, cap)])
    # dorsal face: remove everything above z = z_dorsal0 - slope * x
    big = 400.0
    cutter = occ.addBox(-big / 2, -big / 2, 0.0, big, big, big)
    occ.rotate([(3, cutter)], 0, 0, 0, 0, 1, 0, math.atan(slope))  # plane z = z0 - slope x
    occ.translate([(3, cutter)], 0, 0, z_dorsal0)
    body, _ = occ.cut(body, [(3, cutter)])
    vol = body[0][1]
    occ.synchronize()
    # round the plantar medial, lateral and distal edges and the two distal corners
    gmsh = _gmsh()
    faces = gmsh.model.getBoundary([(3, vol)], combined=False, oriented=False)
    curves = {abs(c) for _, c in gmsh.model.getBoundary(faces, combined=False, oriented=False)}
    edges, radii = [], []
    eps = 1e-6
    for e in sorted(curves):
        xmin, ymin, zmin, xmax, ymax, zmax = occ.getBoundingBox(1, e)
        if xmax <= x0 + eps:
            continue  # on the cut plane
        lo, hi = gmsh.model.getParametrizationBounds(1, e)
        mx, _, mz = gmsh.model.getValue(1, e, [0.5 * (lo[0] + hi[0])])
        if abs(mz - (z_dorsal0 - slope * mx)) < 1e-3:
            continue  # dorsal edges
        vertical = xmax - xmin < 1e-3 and ymax - ymin < 1e-3
        if vertical:
            if abs(xmin - x1) < 1e-3:
                edges.append(e)
                radii.append(min(a.distal_rounding_mm, a.medial_rounding_mm, a.lateral_rounding_mm))
        elif abs(ymin - y0) < 1e-3 and abs(ymax - y0) < 1e-3:
            edges.append(e)
            radii.append(a.medial_rounding_mm)
        elif abs(ymin - y1) < 1e-3 and abs(ymax - y1) < 1e-3:
            edges.append(e)
            radii.append(a.lateral_rounding_mm)
        elif abs(xmin - x1) < 1e-3 and abs(xmax - x1) < 1e-3:
            edges.append(e)
            radii.append(a.distal_rounding_mm)
    if edges:
        out = occ.fillet([vol], edges, [r - inset for r in radii], removeVolume=True)
        vol = out[0][1]
    return vol


def _foot_entities(occ, a: Anatomy) -> dict[str, list[tuple[int, int]]]:
    """Create the foot's OCC volumes; returns input entities per part name."""
    parts: dict[str, list[tuple[int, int]]] = {}
    c, ax = a.head_centres(), a.axes()
    canals = []
    for k in range(5):
        rs, rh = a.shaft_radius_mm[k], a.head_radius_mm[k]
        if a.cortical_tube:
            ri, s_end = canal_radius_mm(a)[k], shaft_end_mm(a)[k]
            head, cortex, canal = _tube_bone(occ, c[k], ax[k], rs, rh, ri, s_end, a.cut_x_mm)
            parts[f"MT{k + 1}"] = [(3, head)]
            parts[f"CORTEX{k + 1}"] = [(3, cortex)]
            canals.append((3, canal))
        else:
            parts[f"MT{k + 1}"] = [(3, _bone(occ, c[k], ax[k], rs, rh, a.cut_x_mm))]
    if a.phalanges:
        for k, (base, tip) in enumerate(zip(*a.phalanx_segments(), strict=True)):
            parts[f"PHALANX{k + 1}"] = [(3, _phalanx(occ, a, k, base, tip))]
    if a.sesamoids:
        for name, centre in zip(
            ("SESAMOID_MEDIAL", "SESAMOID_LATERAL"), a.sesamoid_centres(), strict=True
        ):
            s = occ.addSphere(*centre, a.sesamoid_radius_mm)
            tool = occ.addSphere(*c[0], a.head_radius_mm[0])
            out, _ = occ.cut([(3, s)], [(3, tool)])
            parts[name] = out
    if a.plates:
        for ray, (corner, extent) in a.plate_boxes().items():
            b = occ.addBox(*corner, *extent)
            tool = occ.addSphere(*c[ray - 1], a.head_radius_mm[ray - 1])
            out, _ = occ.cut([(3, b)], [(3, tool)])
            parts[f"PLATE{ray}"] = out
    envelope = _envelope(occ, a)
    if a.skin_thickness_mm > 0.0:
        inner = _envelope(occ, a, inset=a.skin_thickness_mm)
        skin, _ = occ.cut([(3, envelope)], [(3, inner)], removeTool=False)
        parts["SKIN"] = skin
        envelope = inner
    if canals:  # hollow: the canals are no part of the tissue either
        out, _ = occ.cut([(3, envelope)], canals)
        envelope = out[0][1]
    parts["SOFT_TISSUE"] = [(3, envelope)]
    return parts


def _bent_insole(occ, a: Anatomy, ins, xa: float, xe: float, ya: float, ye: float) -> int:
    """The insole with a toe spring (OCC volume tag): its side profile in the x-z plane (flat,
    an arc about the centre ``C`` above the toe break, straight at ``toe_spring_deg``; top and
    bottom concentric, ``thickness_mm`` apart, the distal end cut square to the slope) extruded
    across y from ``ya`` to ``ye``. The top's flat part is at z = 0."""
    from footsim.model.footwear import TOE_SPRING_BEND_RADIUS_MM as R

    t, th = ins.thickness_mm, math.radians(ins.toe_spring_deg)
    xb = ins.toe_break_x_mm(a)
    r = R - t
    c = occ.addPoint(xb, ya, R - t)
    direction = np.array([math.cos(th), math.sin(th)])
    down = np.array([math.sin(th), -math.cos(th)])  # from the top to the bottom, sloped part
    t2 = np.array([xb, R - t]) + r * down  # end of the top's arc
    t3 = t2 + (xe - t2[0]) / direction[0] * direction  # top's distal end, at x = xe
    b2, b3 = t2 + t * down, t3 + t * down
    pts = [
        occ.addPoint(x, ya, z)
        for x, z in (
            (xa, -t),
            (xb, -t),
            tuple(b2),
            tuple(b3),
            tuple(t3),
            tuple(t2),
            (xb, 0.0),
            (xa, 0.0),
        )
    ]
    p1, p2, pb2, pb3, pt3, pt2, q2, q1 = pts
    curves = [
        occ.addLine(p1, p2),
        occ.addCircleArc(p2, c, pb2),
        occ.addLine(pb2, pb3),
        occ.addLine(pb3, pt3),
        occ.addLine(pt3, pt2),
        occ.addCircleArc(pt2, c, q2),
        occ.addLine(q2, q1),
        occ.addLine(q1, p1),
    ]
    face = occ.addPlaneSurface([occ.addCurveLoop(curves)])
    out = occ.extrude([(2, face)], 0.0, ye - ya, 0.0)
    occ.remove([(0, c)])
    return next(tag for dim, tag in out if dim == 3)


def _footwear_entities(occ, a: Anatomy, fw: Footwear) -> tuple[dict, float]:
    """Insole (+ pad) volumes, lowered so that they do not overlap the unloaded foot."""
    ins = fw.insole
    assert ins is not None
    x0, x1, y0, y1 = a.envelope_box_mm()
    m = ins.margin_mm
    parts: dict[str, list[tuple[int, int]]] = {}
    if ins.toe_spring_deg > 0:
        box = _bent_insole(occ, a, ins, x0 - m, x1 + m, y0 - m, y1 + m)
    else:
        box = _box_between(occ, x0 - m, x1 + m, y0 - m, y1 + m, -ins.thickness_mm, 0.0)
    shift = 0.0
    if fw.pad is not None:
        p = fw.pad
        px, py = p.apex_xy(a)
        prox, dist = p.semi_lengths_mm()

        halves = []
        for semi, side in ((dist, 1.0), (prox, -1.0)):
            # the half of a unit paraboloid z = 1 - r^2 (r <= 1) with y >= 0 (its profile
            # is exactly the quadratic Bezier (0, 1), (1/2, 1), (1, 0), revolved by pi about
            # z), turned to side * x >= 0 and stretched to (semi, width / 2, height)
            pts = [occ.addPoint(*q) for q in ((0, 0, 1), (0.5, 0, 1), (1, 0, 0), (0, 0, 0))]
            profile = occ.addBezier(pts[:3])
            loop = occ.addCurveLoop(
                [profile, occ.addLine(pts[2], pts[3]), occ.addLine(pts[3], pts[0])]
            )
            out = occ.revolve([(2, occ.addPlaneSurface([loop]))], 0, 0, 0, 0, 0, 1, math.pi)
            occ.remove([(0, pts[1])])  # the Bezier's control point
            e = next(tag for dim, tag in out if dim == 3)
            occ.rotate([(3, e)], 0, 0, 0, 0, 0, 1, -side * math.pi / 2)
            occ.dilate([(3, e)], 0, 0, 0, semi, p.width_mm / 2, p.height_mm)
            occ.translate([(3, e)], px, py, 0.0)
            halves.append((3, e))
        dome_out = occ.fuse(halves[:1], halves[1:])[0]
        frag, fmap = occ.fragment([(3, box)], dome_out)
        parts["INSOLE"] = fmap[0]
        parts["PAD"] = [e for e in frag if e not in fmap[0]]
        # lower the footwear until the pad clears the skin (sampled on the pad footprint)
        u = np.linspace(-1.0, 1.0, 41)
        X, Y = np.meshgrid(px + u * max(prox, dist), py + u * p.width_mm / 2)
        dome_z = p.height_at(a, X, Y)
        inside = dome_z > 0
        skin_z = a.plantar_height_mm(X, Y)
        shift = float(max(0.0, (dome_z - skin_z)[inside].max()))
        entities = parts["INSOLE"] + parts["PAD"]
    else:
        parts["INSOLE"] = [(3, box)]
        entities = parts["INSOLE"]
    if ins.toe_spring_deg > 0:  # ... and until the toe spring clears it
        X, Y = np.meshgrid(np.linspace(x0 - m, x1 + m, 141), np.linspace(y0 - m, y1 + m, 61))
        rise = ins.top_height_mm(a, X) - a.plantar_height_mm(X, Y)
        shift = max(shift, float(rise.max()))
    if shift > 0:
        occ.translate(entities, 0, 0, -shift)
    return parts, shift
