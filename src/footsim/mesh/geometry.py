"""The forefoot (and footwear) as a tagged tetrahedral mesh, built with gmsh's OCC kernel.

:func:`build_mesh` turns :class:`~footsim.model.anatomy.Anatomy` and
:class:`~footsim.model.footwear.Footwear` into a folder ``meshes/<hash>/`` holding ``mesh.msh``,
``mesh.xdmf`` (+ ``.h5``, cell and facet tags), ``params.json``, ``tags.json``
(:func:`footsim.mesh.tags.registry`) and ``quality.json``; the folder is named by a hash of the
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
With cortical tubes (``Anatomy.cortical_tube``) each tube's wall is meshed at half its
thickness, two elements across, whatever the preset (:func:`_wall_sizes`); the canal's wall is
the free surface ``MEDULLARY_CANAL``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from footsim import folders
from footsim.mesh import tags
from footsim.mesh.io import _write_xdmf
from footsim.mesh.quality import _check_quality, cad_volumes, mesh_quality
from footsim.mesh.session import ForefootMesh, GeometryError, _configure, _gmsh, initialize_gmsh
from footsim.mesh.solids import _foot_entities, _footwear_entities
from footsim.model.anatomy import Anatomy
from footsim.model.cortical import wall_size_mm
from footsim.model.footwear import Footwear
from footsim.model.scenarios import SESAMOID_SIZE_RANGE_MM, SIZE_RANGE_MM
from footsim.model.versions import GEOMETRY_VERSION, MT2_LENGTH_VERSION

PRESETS: dict[str, tuple[float, float]] = {
    "coarse": (4.5, 10.0),
    "default": (3.0, 8.0),
    "fine": (2.0, 6.0),
}
"""Element sizes (fine under the heads, coarse elsewhere) in mm per preset."""


CURVATURE_ELEMENTS = {"coarse": 0, "default": 24, "fine": 32}
"""Elements per 2 pi of curvature on curved surfaces (bone heads and shafts) per preset; 0 is
off. 24 keeps the chordal volume loss of every meshed bone under 2 % (20 lost 2.05 % of MT2)."""


RAMP_MM = 2.0
"""With cortical tubes, the distance (mm) over which the size grows from the wall's
(:func:`~footsim.model.cortical.wall_size_mm`) to the coarse size outside it: a short ramp
keeps the refinement in the bone (the soft tissue around the coarse shafts went from 10k to 30k
tetrahedra with it, 43k with a 10 mm ramp), at a smallest SICN of the tissue still above 0.2."""


def sizes(preset: str, size_mm: float | None) -> tuple[float, float]:
    """(fine, coarse) element sizes in mm for a preset or an explicit fine size (within
    :data:`~footsim.model.scenarios.SIZE_RANGE_MM`)."""
    if preset not in PRESETS:
        raise GeometryError(f"preset = {preset!r} is not one of {', '.join(PRESETS)}")
    fine, coarse = PRESETS[preset]
    if size_mm is not None:
        lo, hi = SIZE_RANGE_MM[preset]
        if not lo <= size_mm <= hi:
            raise GeometryError(
                f"size_mm = {size_mm:g} mm is outside the range of preset {preset!r} "
                f"(allowed: {lo:g} .. {hi:g} mm)"
            )
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
    if anatomy.mt2_extra_length_mm != 0.0:
        params["mt2_length_version"] = MT2_LENGTH_VERSION
    return params


def check_sesamoid_size(anatomy: Anatomy, sesamoid_size_mm: float | None) -> None:
    """:class:`GeometryError` unless ``sesamoid_size_mm`` is None or a size in
    :data:`~footsim.model.scenarios.SESAMOID_SIZE_RANGE_MM` on an anatomy that has the
    sesamoids."""
    if sesamoid_size_mm is None:
        return
    lo, hi = SESAMOID_SIZE_RANGE_MM
    if not lo <= sesamoid_size_mm <= hi:
        raise GeometryError(
            f"sesamoid_size_mm = {sesamoid_size_mm:g} mm is outside the allowed {lo:g} .. {hi:g} mm"
        )
    if not anatomy.sesamoids:
        raise GeometryError(
            f"sesamoid_size_mm = {sesamoid_size_mm:g} mm refines under the sesamoids, but "
            "anatomy.sesamoids is false"
        )


def params_hash(params: dict[str, Any]) -> str:
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
        if a.cortical_tube and set(gmsh.model.getAdjacencies(2, s)[0]) & bone_vols:
            out[int(tags.Surface.MEDULLARY_CANAL)].append(s)  # bone on the outside: a canal
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
        # keeps rising as the mesh is refined there (docs/limitations.md)
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
    smallest = min(fine, sesamoid or fine)
    if anatomy.cortical_tube:
        background = _wall_sizes(gmsh, anatomy, volumes, background, coarse)
        smallest = min(smallest, float(wall_size_mm(anatomy).min()))
    f.setAsBackgroundMesh(background)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", curvature)
    gmsh.option.setNumber("Mesh.MeshSizeMax", coarse)
    gmsh.option.setNumber("Mesh.MeshSizeMin", 0.5 * smallest)
    return shift


def _wall_sizes(gmsh, a: Anatomy, volumes: dict[int, list[int]], background: int, coarse: float):
    """The size field with the cortical walls refined: within half a wall's thickness of its
    faces (so, everywhere in the wall) the size is :func:`~footsim.model.cortical.wall_size_mm`,
    growing linearly to ``coarse`` over :data:`RAMP_MM` outside; the smallest of these and
    ``background``. Returns the new background field."""
    f = gmsh.model.mesh.field
    fields = [background]
    for ray, (t, h) in enumerate(zip(a.cortical_thickness_mm, wall_size_mm(a), strict=True), 1):
        faces = gmsh.model.getBoundary(
            [(3, v) for v in volumes[int(tags.cortex(ray))]], combined=True, oriented=False
        )
        dist = f.add("Distance")
        f.setNumbers(dist, "SurfacesList", [abs(tag) for _, tag in faces])
        f.setNumber(dist, "Sampling", 100)  # points per direction: < h / 2 apart on a shaft
        ramp = f.add("Threshold")
        f.setNumber(ramp, "InField", dist)
        f.setNumber(ramp, "SizeMin", float(h))
        f.setNumber(ramp, "SizeMax", coarse)
        f.setNumber(ramp, "DistMin", 0.5 * float(t))
        f.setNumber(ramp, "DistMax", 0.5 * float(t) + RAMP_MM)
        fields.append(ramp)
    out = f.add("Min")
    f.setNumbers(out, "FieldsList", fields)
    return out


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

    Every parameter is checked before gmsh runs (:class:`~footsim.model.anatomy.AnatomyError`,
    :class:`~footsim.model.footwear.FootwearError`, :class:`GeometryError`). The mesh folder's
    lock is held while meshing (a second process wants the same mesh: it waits and reuses it)
    and staging folders of killed builds are removed (:mod:`footsim.folders`).
    """
    anatomy = anatomy or Anatomy()
    footwear = footwear or Footwear()
    fine, coarse = sizes(preset, size_mm)
    check_sesamoid_size(anatomy, sesamoid_size_mm)
    footwear.check(anatomy)
    params = params_dict(anatomy, footwear, preset, size_mm, sesamoid_size_mm)
    folder = Path(outdir) / params_hash(params)
    folders.clean_stale(Path(outdir))  # (before taking a lock: it skips locked folders)
    with folders.locked(folder):
        sizes_mm = (fine, coarse)
        return _build_mesh(anatomy, footwear, preset, sizes_mm, sesamoid_size_mm, params, folder)


def _build_mesh(anatomy, footwear, preset, sizes_mm, sesamoid_size_mm, params, folder):
    """:func:`build_mesh` once its parameters are checked and it holds ``folder``'s lock."""
    fine, coarse = sizes_mm
    outdir, digest = folder.parent, folder.name
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
        q = mesh_quality(gmsh)
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
        folders.fsync_tree(staging)
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
