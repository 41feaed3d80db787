"""Mesh quality (SICN, dihedral angles) with its floor, volumes of the built solids, and a
quick-look picture of a mesh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from footsim._render import prefer_headless
from footsim.mesh import tags
from footsim.mesh.session import ForefootMesh, GeometryError, _gmsh

QUALITY_FLOOR = {"min_sicn": 0.05, "min_dihedral_deg": 3.0}
"""Quality floor every preset must meet (gmsh SICN and dihedral angle of the worst tet); the
medians are far higher (see ``quality.json``). Checked after meshing; a mesh below it is an
error."""


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


def mesh_quality(gmsh=None) -> dict[str, Any]:
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
    prefer_headless()
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
