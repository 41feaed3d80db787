"""The forefoot (and footwear) as a tagged tetrahedral mesh, built with gmsh's OCC kernel.

:func:`build_mesh` turns :class:`~footsim.anatomy.Anatomy` and
:class:`~footsim.footwear.Footwear` into a folder ``meshes/<hash>/`` holding ``mesh.msh``,
``mesh.xdmf`` (+ ``.h5``, cell and facet tags), ``params.json``, ``tags.json``
(:func:`footsim.tags.registry`) and ``quality.json``; the folder is named by a hash of the
parameters, so the same geometry is never meshed twice, and it is written under a temporary
name and renamed when complete. :func:`load_dolfinx` reads it back as
``(mesh, cell_tags, facet_tags)``; :func:`to_dolfinx` builds straight into dolfinx without a
file round-trip.

Construction: the bones (shaft cylinder + head sphere per ray, sesamoids under MTH1), the
plantar plates (boxes under MTP 2-5 with the heads carved out) and the soft-tissue envelope (a
box whose plantar face is an ellipsoidal cap, with rounded plantar edges and an inclined dorsal
face) are fragmented into one conforming mesh: bones are bonded to the soft tissue. The insole
(and the pad, fused to it but tagged apart) is a second body that shares no node with the foot;
it is lowered until nothing of it overlaps the unloaded foot.

Sizes are graded: ``size_fine`` in the plantar soft tissue under the heads (a box field),
``size_coarse`` elsewhere. Presets (mm): ``coarse`` 4.5 / 10 (tests, a few seconds),
``default`` 3.0 / 8, ``fine`` 2.0 / 6 (convergence studies); the solver uses quadratic
displacements on these linear tetrahedra. ``sesamoid_size_mm`` (optional) refines two more
boxes, from the sole up to the centre of each sesamoid, where the push-off MTH1 peak sits.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from footsim import tags
from footsim.anatomy import MTP_GAP_MM, Anatomy
from footsim.footwear import Footwear

GEOMETRY_VERSION = "4"
"""Bumped whenever the construction changes, so cached meshes are rebuilt (bump
:data:`footsim.scenarios.MODEL_VERSION` with it: cached results depend on the mesh)."""

PRESETS: dict[str, tuple[float, float]] = {
    "coarse": (4.5, 10.0),
    "default": (3.0, 8.0),
    "fine": (2.0, 6.0),
}
"""Element sizes (fine under the heads, coarse elsewhere) in mm per preset."""

CURVATURE_ELEMENTS = {"coarse": 0, "default": 24, "fine": 32}
"""Elements per 2 pi of curvature on curved surfaces (bone heads and shafts) per preset; 0 is
off. 24 keeps the chordal volume loss of every meshed bone under 2 % (20 lost 2.05 % of MT2)."""

QUALITY_FLOOR = {"min_sicn": 0.05, "min_dihedral_deg": 3.0}
"""Quality floor every preset must meet (gmsh SICN and dihedral angle of the worst tet); the
medians are far higher (see ``quality.json``). Checked after meshing; a mesh below it is an
error."""


class GeometryError(ValueError):
    """The geometry could not be built; the message names the parameters that caused it."""


@dataclass(frozen=True)
class ForefootMesh:
    """A built, saved mesh: its folder and what was measured on it."""

    folder: Path
    num_nodes: int
    num_cells: int
    quality: dict[str, Any]
    footwear_shift_mm: float
    build_time_s: float
    cached: bool = False
    params: dict[str, Any] = field(default_factory=dict)


def sizes(preset: str, size_mm: float | None) -> tuple[float, float]:
    """(fine, coarse) element sizes in mm for a preset or an explicit fine size."""
    if preset not in PRESETS:
        raise GeometryError(f"preset = {preset!r} is not one of {', '.join(PRESETS)}")
    fine, coarse = PRESETS[preset]
    if size_mm is not None:
        if not 0.5 <= size_mm <= 15.0:
            raise GeometryError(f"size_mm = {size_mm:g} mm is outside the allowed 0.5 .. 15 mm")
        coarse = coarse * size_mm / fine
        fine = size_mm
    return fine, coarse


def params_dict(
    anatomy: Anatomy,
    footwear: Footwear | None,
    preset: str,
    size_mm: float | None,
    sesamoid_size_mm: float | None = None,
) -> dict[str, Any]:
    params = {
        "anatomy": anatomy.model_dump(mode="json"),
        "footwear": (footwear or Footwear()).model_dump(mode="json"),
        "preset": preset,
        "size_mm": size_mm,
        "geometry_version": GEOMETRY_VERSION,
    }
    if sesamoid_size_mm is not None:  # (absent otherwise: earlier meshes keep their key)
        params["sesamoid_size_mm"] = sesamoid_size_mm
    return params


def check_sesamoid_size(anatomy: Anatomy, sesamoid_size_mm: float | None) -> None:
    """:class:`GeometryError` unless ``sesamoid_size_mm`` is None or a size in 0.3 .. 15 mm
    on an anatomy that has the sesamoids."""
    if sesamoid_size_mm is None:
        return
    if not 0.3 <= sesamoid_size_mm <= 15.0:
        raise GeometryError(
            f"sesamoid_size_mm = {sesamoid_size_mm:g} mm is outside the allowed 0.3 .. 15 mm"
        )
    if not anatomy.sesamoids:
        raise GeometryError(
            f"sesamoid_size_mm = {sesamoid_size_mm:g} mm refines under the sesamoids, but "
            "anatomy.sesamoids is false"
        )


def params_hash(params: dict[str, Any]) -> str:
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def _phalanx(occ, a: Anatomy, k: int, base: np.ndarray, tip: np.ndarray) -> int:
    """Proximal phalanx ``k`` (0-based; OCC volume tag): a cylinder with a hemispherical tip
    whose base is hollowed by the sphere of radius head + :data:`~footsim.anatomy.MTP_GAP_MM`
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


def _gmsh():
    import gmsh

    return gmsh


def initialize_gmsh():
    """``gmsh.initialize(interruptible=False)``, then SIGPIPE ignored again; returns ``gmsh``.

    gmsh's first initialisation in a process (OpenCASCADE's signal set-up) puts SIGPIPE back
    to the operating system's default, terminate, behind Python's back (``signal.getsignal``
    still says ignored).  A later write to a pipe whose reader died (a sweep's parent writing
    to a crashed pool worker) then killed the whole process instead of raising
    ``BrokenPipeError``: a test session that had meshed in-process died that way in the
    sweep tests.  Every footsim gmsh session starts here.
    """
    import signal
    import threading

    gmsh = _gmsh()
    gmsh.initialize(interruptible=False)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    return gmsh


def _foot_entities(occ, a: Anatomy) -> dict[str, list[tuple[int, int]]]:
    """Create the foot's OCC volumes; returns input entities per part name."""
    parts: dict[str, list[tuple[int, int]]] = {}
    c, ax = a.head_centres(), a.axes()
    bones = []
    for k in range(5):
        tag = _bone(occ, c[k], ax[k], a.shaft_radius_mm[k], a.head_radius_mm[k], a.cut_x_mm)
        bones.append((3, tag))
        parts[f"MT{k + 1}"] = [(3, tag)]
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
    parts["SOFT_TISSUE"] = [(3, envelope)]
    return parts


def _bent_insole(occ, a: Anatomy, ins, xa: float, xe: float, ya: float, ye: float) -> int:
    """The insole with a toe spring (OCC volume tag): its side profile in the x-z plane (flat,
    an arc about the centre ``C`` above the toe break, straight at ``toe_spring_deg``; top and
    bottom concentric, ``thickness_mm`` apart, the distal end cut square to the slope) extruded
    across y from ``ya`` to ``ye``. The top's flat part is at z = 0."""
    from footsim.footwear import TOE_SPRING_BEND_RADIUS_MM as R

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


def _classify_surfaces(
    gmsh, volumes: dict[int, list[int]], a: Anatomy, fw: Footwear, shift: float
) -> dict[int, list[int]]:
    """Facet groups: outer skin split plantar/dorsal, cut plane split bone/soft, insole."""
    occ = gmsh.model.occ
    cut = a.cut_x_mm
    z_dorsal0, slope = a.dorsal_plane()
    foot_vols = [v for t, vs in volumes.items() if t in {int(x) for x in tags.FOOT} for v in vs]
    bone_vols = {v for t, vs in volumes.items() if t in {int(x) for x in tags.RIGIDISH} for v in vs}
    out: dict[int, list[int]] = {int(s): [] for s in tags.Surface}
    boundary = gmsh.model.getBoundary([(3, v) for v in foot_vols], combined=True, oriented=False)
    for _, s in boundary:
        s = abs(s)
        xmin, ymin, zmin, xmax, ymax, zmax = occ.getBoundingBox(2, s)
        if xmax < cut + 1e-4:
            up, _ = gmsh.model.getAdjacencies(2, s)
            kind = tags.Surface.CUT_BONE if set(up) & bone_vols else tags.Surface.CUT_SOFT
            out[int(kind)].append(s)
            continue
        com = occ.getCenterOfMass(2, s)
        on_dorsal_plane = abs(com[2] - (z_dorsal0 - slope * com[0])) < 1e-3 and zmin > 5.0
        kind = tags.Surface.DORSAL_SKIN if on_dorsal_plane else tags.Surface.PLANTAR_SKIN
        out[int(kind)].append(s)
    fw_vols = [v for t, vs in volumes.items() if t in {int(x) for x in tags.FOOTWEAR} for v in vs]
    if fw_vols and fw.insole is not None:
        bottom = -fw.insole.thickness_mm - shift
        fb = gmsh.model.getBoundary([(3, v) for v in fw_vols], combined=True, oriented=False)
        x0, x1, y0, y1 = a.envelope_box_mm()
        m = fw.insole.margin_mm
        ins = fw.insole
        th = math.radians(ins.toe_spring_deg)
        xe = x1 + m  # the top's distal end; the end face is square to the sloped part
        end = np.array([xe, ins.top_height_mm(a, xe) - shift])
        for _, s in fb:
            s = abs(s)
            xmin, ymin, zmin, xmax, ymax, zmax = occ.getBoundingBox(2, s)
            lo, hi = gmsh.model.getParametrizationBounds(2, s)
            px, _, pz = gmsh.model.getValue(2, s, 0.5 * (np.asarray(lo) + np.asarray(hi)))
            on_bottom = abs(pz - (bottom + ins.bottom_height_mm(a, px))) < 1e-4
            if (
                abs(ymax - ymin) < 1e-4 and min(abs(ymin - (y0 - m)), abs(ymax - (y1 + m))) < 1e-4
            ) or (abs(xmax - xmin) < 1e-4 and abs(xmin - (x0 - m)) < 1e-4):
                out[int(tags.Surface.INSOLE_SIDE)].append(s)
            elif abs((px - end[0]) * math.cos(th) + (pz - end[1]) * math.sin(th)) < 1e-4:
                out[int(tags.Surface.INSOLE_SIDE)].append(s)  # the distal end
            elif on_bottom:
                out[int(tags.Surface.INSOLE_BOTTOM)].append(s)
            else:
                out[int(tags.Surface.INSOLE_TOP)].append(s)
    return {k: v for k, v in out.items() if v}


def _build_model(
    anatomy: Anatomy,
    footwear: Footwear,
    fine: float,
    coarse: float,
    curvature: int = 0,
    sesamoid: float | None = None,
) -> float:
    """Create the gmsh model (geometry, physical groups, size fields); returns the footwear
    shift (mm). gmsh must be initialised. ``sesamoid``: element size (mm) in the fat between
    each sesamoid and the sole (default: ``fine``)."""
    gmsh = _gmsh()
    occ = gmsh.model.occ
    gmsh.model.add("forefoot")
    parts = _foot_entities(occ, anatomy)
    order = [k for k in parts if k != "SOFT_TISSUE"] + ["SOFT_TISSUE"]
    inputs = [e for k in order for e in parts[k]]
    owner = [k for k in order for _ in parts[k]]
    _, fmap = occ.fragment(inputs[:-1], inputs[-1:])
    volumes: dict[int, list[int]] = {}
    claimed: set[int] = set()
    for name, children in zip(owner, fmap, strict=True):
        tag = int(tags.Volume[name])
        for _, v in children:
            if v in claimed:
                continue
            claimed.add(v)
            volumes.setdefault(tag, []).append(v)
    shift = 0.0
    if footwear.insole is not None:
        fparts, shift = _footwear_entities(occ, anatomy, footwear)
        for name, ents in fparts.items():
            volumes.setdefault(int(tags.Volume[name]), []).extend(v for _, v in ents)
    occ.synchronize()
    for tag, vs in volumes.items():
        gmsh.model.addPhysicalGroup(3, vs, tag, name=tags.Volume(tag).name)
    for tag, ss in _classify_surfaces(gmsh, volumes, anatomy, footwear, shift).items():
        gmsh.model.addPhysicalGroup(2, ss, tag, name=tags.Surface(tag).name)

    # graded sizes: fine in the plantar tissue under the heads and in the contact zone
    c, r = anatomy.head_centres(), anatomy.head_radii()
    x0, x1, y0, y1 = anatomy.envelope_box_mm()
    f = gmsh.model.mesh.field
    box = f.add("Box")
    f.setNumber(box, "VIn", fine)
    f.setNumber(box, "VOut", coarse)
    f.setNumber(box, "XMin", float(min(c[:, 0] - r)) - 12.0)
    f.setNumber(box, "XMax", x1 + 2.0)
    f.setNumber(box, "YMin", y0 - 2.0)
    f.setNumber(box, "YMax", y1 + 2.0)
    f.setNumber(
        box, "ZMin", -shift - 1.0 - (footwear.insole.thickness_mm if footwear.insole else 0.0)
    )
    f.setNumber(box, "ZMax", float(max(c[:, 2])))
    f.setNumber(box, "Thickness", 3.0 * coarse)
    background = box
    if sesamoid is not None:
        # the fat between each sesamoid and the sole: at push-off the MTH1 peak sits there and
        # keeps rising as the mesh is refined there (README, "Mesh convergence at push-off")
        rs = anatomy.sesamoid_radius_mm
        fields = [box]
        for cs in anatomy.sesamoid_centres():
            b = f.add("Box")
            f.setNumber(b, "VIn", sesamoid)
            f.setNumber(b, "VOut", coarse)
            f.setNumber(b, "XMin", float(cs[0] - rs))
            f.setNumber(b, "XMax", float(cs[0] + rs))
            f.setNumber(b, "YMin", float(cs[1] - rs))
            f.setNumber(b, "YMax", float(cs[1] + rs))
            f.setNumber(b, "ZMin", -shift - 1.0)
            f.setNumber(b, "ZMax", float(cs[2]))
            f.setNumber(b, "Thickness", 2.0)
            fields.append(b)
        background = f.add("Min")
        f.setNumbers(background, "FieldsList", fields)
    f.setAsBackgroundMesh(background)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", curvature)
    gmsh.option.setNumber("Mesh.MeshSizeMax", coarse)
    gmsh.option.setNumber("Mesh.MeshSizeMin", 0.5 * min(fine, sesamoid or fine))
    return shift


def _configure(gmsh) -> None:
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.option.setNumber("General.NumThreads", 1)
    gmsh.option.setNumber("Mesh.RandomSeed", 1)
    gmsh.option.setNumber("Mesh.Algorithm", 6)
    gmsh.option.setNumber("Mesh.Algorithm3D", 1)
    gmsh.option.setNumber("Mesh.Optimize", 1)
    gmsh.option.setNumber("Mesh.OptimizeNetgen", 1)
    gmsh.option.setNumber("Geometry.OCCParallel", 0)


def _generate(
    anatomy: Anatomy,
    footwear: Footwear,
    fine: float,
    coarse: float,
    curvature: int,
    sesamoid: float | None = None,
) -> float:
    gmsh = _gmsh()
    try:
        shift = _build_model(anatomy, footwear, fine, coarse, curvature, sesamoid)
        gmsh.model.mesh.generate(3)
    except Exception as exc:
        raise GeometryError(
            f"gmsh failed ({exc}) for anatomy {anatomy.model_dump()} and footwear "
            f"{footwear.model_dump()}"
        ) from exc
    return shift


def cad_volumes(gmsh=None) -> dict[str, float]:
    """Exact (OCC) volume in mm^3 of each physical volume of the current model."""
    gmsh = gmsh or _gmsh()
    out = {}
    for dim, ptag in gmsh.model.getPhysicalGroups(3):
        ents = gmsh.model.getEntitiesForPhysicalGroup(dim, ptag)
        out[gmsh.model.getPhysicalName(dim, ptag)] = float(
            sum(gmsh.model.occ.getMass(3, int(e)) for e in ents)
        )
    return out


def quality(gmsh=None) -> dict[str, Any]:
    """Per-volume quality of the current gmsh mesh: min/median SICN, min dihedral angle."""
    gmsh = gmsh or _gmsh()
    report: dict[str, Any] = {}
    for dim, ptag in gmsh.model.getPhysicalGroups(3):
        name = gmsh.model.getPhysicalName(dim, ptag)
        sicn, dihedral = [], []
        for ent in gmsh.model.getEntitiesForPhysicalGroup(dim, ptag):
            types, elems, nodes = gmsh.model.mesh.getElements(3, ent)
            for _, e, n in zip(types, elems, nodes, strict=True):
                if len(e) == 0:
                    continue
                sicn.append(gmsh.model.mesh.getElementQualities(e, "minSICN"))
                dihedral.append(_min_dihedral(gmsh, n.reshape(-1, 4)))
        if not sicn:
            continue
        s, d = np.concatenate(sicn), np.concatenate(dihedral)
        report[name] = {
            "cells": int(s.size),
            "min_sicn": float(s.min()),
            "median_sicn": float(np.median(s)),
            "min_dihedral_deg": float(d.min()),
            "inverted": int((s <= 0).sum()),
        }
    return report


def _min_dihedral(gmsh, tets: np.ndarray) -> np.ndarray:
    """Smallest dihedral angle (deg) of each tetrahedron."""
    tags_, coords, _ = gmsh.model.mesh.getNodes()
    lookup = np.zeros(int(tags_.max()) + 1, dtype=np.int64)
    lookup[tags_.astype(np.int64)] = np.arange(tags_.size)
    X = coords.reshape(-1, 3)[lookup[tets.astype(np.int64)]]
    faces = ((1, 2, 3), (0, 2, 3), (0, 1, 3), (0, 1, 2))
    normals = []
    for f0, f1, f2 in faces:
        n = np.cross(X[:, f1] - X[:, f0], X[:, f2] - X[:, f0])
        normals.append(n / np.linalg.norm(n, axis=1)[:, None])
    angles = []
    for i in range(4):
        for j in range(i + 1, 4):
            cosang = np.abs(np.einsum("ij,ij->i", normals[i], normals[j]))
            angles.append(180.0 - np.degrees(np.arccos(np.clip(cosang, -1, 1))))
    A = np.minimum.reduce(angles)
    return np.minimum(A, 180.0 - A)


def _check_quality(q: dict[str, Any]) -> None:
    for name, row in q.items():
        if row["inverted"] or row["min_sicn"] < QUALITY_FLOOR["min_sicn"]:
            raise GeometryError(
                f"mesh quality of {name} below the floor: min SICN {row['min_sicn']:.3f} < "
                f"{QUALITY_FLOOR['min_sicn']} ({row['inverted']} inverted)"
            )


def build_mesh(
    anatomy: Anatomy | None = None,
    footwear: Footwear | None = None,
    *,
    preset: str = "default",
    size_mm: float | None = None,
    sesamoid_size_mm: float | None = None,
    outdir: str | Path = "meshes",
) -> ForefootMesh:
    """Build (or find in the cache) the mesh for these parameters and save it to ``outdir``.

    Every parameter is checked before gmsh runs (:class:`~footsim.anatomy.AnatomyError`,
    :class:`~footsim.footwear.FootwearError`, :class:`GeometryError`).
    """
    anatomy = anatomy or Anatomy()
    footwear = footwear or Footwear()
    fine, coarse = sizes(preset, size_mm)
    check_sesamoid_size(anatomy, sesamoid_size_mm)
    footwear.check(anatomy)
    params = params_dict(anatomy, footwear, preset, size_mm, sesamoid_size_mm)
    digest = params_hash(params)
    outdir = Path(outdir)
    folder = outdir / digest
    if (folder / "quality.json").exists():
        meta = json.loads((folder / "quality.json").read_text())
        return ForefootMesh(
            folder,
            meta["num_nodes"],
            meta["num_cells"],
            meta["quality"],
            meta["footwear_shift_mm"],
            meta["build_time_s"],
            True,
            params,
        )
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    staging = Path(tempfile.mkdtemp(dir=outdir, prefix=f".{digest}.", suffix=".tmp"))
    staging.chmod(0o755)
    gmsh = initialize_gmsh()
    try:
        _configure(gmsh)
        shift = _generate(
            anatomy, footwear, fine, coarse, CURVATURE_ELEMENTS[preset], sesamoid_size_mm
        )
        cad = cad_volumes(gmsh)
        q = quality(gmsh)
        _check_quality(q)
        node_tags, _, _ = gmsh.model.mesh.getNodes()
        num_cells = sum(row["cells"] for row in q.values())
        gmsh.write(str(staging / "mesh.msh"))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        gmsh.finalize()
    try:
        _write_xdmf(staging)
        build_time = time.perf_counter() - t0
        meta = {
            "num_nodes": int(node_tags.size),
            "num_cells": int(num_cells),
            "quality": q,
            "footwear_shift_mm": shift,
            "build_time_s": build_time,
            "cad_volume_mm3": cad,
            "sizes_mm": {"fine": fine, "coarse": coarse},
        }
        (staging / "params.json").write_text(json.dumps(params, indent=2))
        (staging / "tags.json").write_text(json.dumps(tags.registry(), indent=2))
        (staging / "quality.json").write_text(json.dumps(meta, indent=2))
        if folder.exists():  # another process finished the same mesh meanwhile
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ForefootMesh(
        folder, meta["num_nodes"], meta["num_cells"], q, shift, build_time, False, params
    )


def _write_xdmf(folder: Path) -> None:
    """mesh.xdmf (+ .h5) with the cell and facet tags, written by dolfinx from mesh.msh."""
    from dolfinx.io import XDMFFile
    from mpi4py import MPI

    mesh, cell_tags, facet_tags = _read_msh(folder / "mesh.msh", MPI.COMM_SELF)
    mesh.topology.create_connectivity(2, 3)
    with XDMFFile(MPI.COMM_SELF, folder / "mesh.xdmf", "w") as f:
        f.write_mesh(mesh)
        f.write_meshtags(cell_tags, mesh.geometry)
        f.write_meshtags(facet_tags, mesh.geometry)


def _read_msh(path: Path, comm):
    from dolfinx.io import gmsh as dgmsh

    gmsh = initialize_gmsh()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        if comm.rank == 0:
            gmsh.open(str(path))
        data = dgmsh.model_to_mesh(gmsh.model, comm, 0, gdim=3)
    finally:
        gmsh.finalize()
    data.cell_tags.name = "cell_tags"
    data.facet_tags.name = "facet_tags"
    return data.mesh, data.cell_tags, data.facet_tags


def load_dolfinx(folder: str | Path, comm=None):
    """``(mesh, cell_tags, facet_tags)`` of a saved mesh folder (distributed over ``comm``)."""
    from mpi4py import MPI

    return _read_msh(Path(folder) / "mesh.msh", comm or MPI.COMM_WORLD)


def to_dolfinx(
    anatomy: Anatomy | None = None,
    footwear: Footwear | None = None,
    *,
    preset: str = "default",
    size_mm: float | None = None,
    sesamoid_size_mm: float | None = None,
    comm=None,
):
    """Build the mesh and hand it to dolfinx directly (no file), via ``model_to_mesh``."""
    from dolfinx.io import gmsh as dgmsh
    from mpi4py import MPI

    anatomy = anatomy or Anatomy()
    footwear = footwear or Footwear()
    fine, coarse = sizes(preset, size_mm)
    check_sesamoid_size(anatomy, sesamoid_size_mm)
    footwear.check(anatomy)
    comm = comm or MPI.COMM_WORLD
    gmsh = initialize_gmsh()
    try:
        _configure(gmsh)
        if comm.rank == 0:
            _generate(anatomy, footwear, fine, coarse, CURVATURE_ELEMENTS[preset], sesamoid_size_mm)
        data = dgmsh.model_to_mesh(gmsh.model, comm, 0, gdim=3)
    finally:
        gmsh.finalize()
    return data.mesh, data.cell_tags, data.facet_tags


def quality_report(mesh: ForefootMesh) -> str:
    """Printable quality table of a built mesh."""
    lines = [
        f"mesh {mesh.folder}: {mesh.num_nodes} nodes, {mesh.num_cells} tetrahedra, built in "
        f"{mesh.build_time_s:.1f} s{' (cached)' if mesh.cached else ''}",
        f"{'volume':<18}{'cells':>8}{'min SICN':>10}{'median':>9}{'min dihedral':>14}",
    ]
    for name, row in mesh.quality.items():
        lines.append(
            f"{name:<18}{row['cells']:>8}{row['min_sicn']:>10.3f}{row['median_sicn']:>9.3f}"
            f"{row['min_dihedral_deg']:>12.1f} deg"
        )
    lines.append(f"floor: min SICN >= {QUALITY_FLOOR['min_sicn']}, no inverted tetrahedra")
    return "\n".join(lines)


def quicklook_png(
    mesh: ForefootMesh | str | Path, path: str | Path, window_size: tuple[int, int] = (1200, 800)
) -> Path:
    """Quick look of a saved mesh: bones opaque, soft tissue translucent, plates and footwear
    coloured; seen from medial-plantar-distal. Returns the PNG path."""
    import meshio
    import pyvista as pv

    folder = Path(mesh.folder if isinstance(mesh, ForefootMesh) else mesh)
    m = meshio.read(folder / "mesh.msh")
    cells = m.get_cells_type("tetra")
    tagdata = m.get_cell_data("gmsh:physical", "tetra")
    grid = pv.UnstructuredGrid({pv.CellType.TETRA: cells}, m.points)
    grid.cell_data["tag"] = tagdata
    pv.OFF_SCREEN = True
    pl = pv.Plotter(off_screen=True, window_size=list(window_size))
    pl.set_background("white")
    groups = [
        (set(map(int, tags.RIGIDISH)), dict(color="#b8ab8a", opacity=1.0), "bone"),
        (set(map(int, tags.PLATES)), dict(color="#1f77b4", opacity=1.0), "plantar plates"),
        ({int(tags.Volume.SOFT_TISSUE)}, dict(color="#f4a582", opacity=0.25), "soft tissue"),
        ({int(tags.Volume.SKIN)}, dict(color="#bdbdbd", opacity=0.15), "skin layer"),
        ({int(tags.Volume.INSOLE)}, dict(color="#66a61e", opacity=0.6), "insole"),
        ({int(tags.Volume.PAD)}, dict(color="#e7298a", opacity=0.9), "metatarsal pad"),
    ]
    for members, style, label in groups:
        sel = np.isin(grid.cell_data["tag"], list(members))
        if sel.any():
            part = grid.extract_cells(np.flatnonzero(sel)).extract_surface(algorithm=None)
            pl.add_mesh(part, smooth_shading=True, label=label, **style)
    pl.add_legend(bcolor="white", face="rectangle", size=(0.2, 0.18))
    pl.add_axes(xlabel="x distal", ylabel="y lateral", zlabel="z up")
    pl.view_vector((0.55, -1.0, 0.45), viewup=(0.0, 0.0, 1.0))
    pl.reset_camera()
    pl.camera.zoom(1.25)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.screenshot(str(path))
    pl.close()
    return path
