"""Stress cut-aways through a ray and deformed views of the whole forefoot (kPa, mm)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from footsim.post import results
from footsim.post.plotting.common import STRESS_CMAP, WINDOW, _finish, _plotter, _result

# --------------------------------------------------------------------------- volumes
_BONE_TAGS = (1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15)

_FOOTWEAR_TAGS = (40, 41)


def _warped_volume(res: results.Result, warp: float):
    if res.volume is None:
        raise ValueError(f"{res.folder}: no volume.vtu in this result (output.fields = false?)")
    vol = res.volume.copy()
    vol.points = vol.points + warp * np.asarray(vol.point_data["displacement_mm"])
    return vol


def section_cells(result, *, ray: int = 2, plane: str = "sagittal", warp: float = 1.0):
    """The cells a cut-away shows: those of the (deformed) volume that the section plane
    crosses. Sagittal: the plane y = y of the head of ``ray``; frontal: x = mean head x."""
    res = _result(result)
    vol = _warped_volume(res, warp)
    heads = np.asarray(res.summary["head_centres_mm"])
    if plane == "sagittal":
        normal, origin = (0.0, 1.0, 0.0), (0.0, float(heads[ray - 1, 1]), 0.0)
    elif plane == "frontal":
        normal, origin = (1.0, 0.0, 0.0), (float(heads[:, 0].mean()), 0.0, 0.0)
    else:
        raise ValueError(f"plane must be 'sagittal' or 'frontal', not {plane!r}")
    return vol.slice(normal=normal, origin=origin, generate_triangles=False), normal, origin


def section(
    result,
    path: str | Path | None = None,
    *,
    ray: int = 2,
    plane: str = "sagittal",
    quantity: str = "von_mises",
    warp: float = 1.0,
    window_size: tuple[int, int] = WINDOW,
):
    """Cut-away through ray ``ray`` (sagittal) or through the heads (frontal), deformed: soft
    tissue and plates coloured by von Mises or maximum shear stress (kPa), bones grey."""
    res = _result(result)
    cut, normal, _ = section_cells(res, ray=ray, plane=plane, warp=warp)
    field = {"von_mises": "von_mises_kPa", "max_shear": "max_shear_kPa"}[quantity]
    tag = np.asarray(cut.cell_data["tag"])
    bone = np.isin(tag, _BONE_TAGS)
    shoe = np.isin(tag, _FOOTWEAR_TAGS)
    soft = ~(bone | shoe)
    pl = _plotter(window_size)
    label = "von Mises stress (kPa)" if quantity == "von_mises" else "max shear stress (kPa)"
    fat = np.isin(tag, (30, 31))
    note = ""
    if soft.any():
        part = cut.extract_cells(np.flatnonzero(soft))
        # the colour range is the fat pad's: the stiffer plantar plates may lie above it
        values = np.asarray(cut.cell_data[field])
        top = float(np.percentile(values[fat], 99.5)) if fat.any() else float(values.max())
        if values[soft & ~fat].size and values[soft & ~fat].max() > top:
            note = "; plantar plate above the scale (white)"
        pl.add_mesh(
            part,
            scalars=field,
            cmap=STRESS_CMAP,
            clim=(0.0, max(top, 1.0)),
            above_color="white",
            scalar_bar_args={
                "title": label,
                "color": "black",
                "fmt": "%.0f",
                "position_x": 0.2,
                "position_y": 0.05,
                "width": 0.6,
            },
        )
    if bone.any():
        pl.add_mesh(cut.extract_cells(np.flatnonzero(bone)), color="#bdbdbd")
    if shoe.any():
        pl.add_mesh(cut.extract_cells(np.flatnonzero(shoe)), color="#66a61e", opacity=0.8)
    where = f"ray {ray}" if plane == "sagittal" else "the heads"
    pl.add_text(
        f"{res.name}: {plane} section through {where} (deformed x{warp:g}); bone grey{note}",
        position="upper_left",
        font_size=12,
        color="black",
    )
    pl.view_vector(
        (-normal[0], -normal[1], -normal[2]) if plane == "sagittal" else normal,
        viewup=(0.0, 0.0, 1.0),
    )
    pl.camera.parallel_projection = True
    pl.reset_camera()
    pl.camera.zoom(1.3)
    return _finish(pl, path)


def deformed_view(
    result,
    path: str | Path | None = None,
    *,
    warp: float = 1.0,
    window_size: tuple[int, int] = WINDOW,
):
    """The deformed forefoot in 3-D: bones opaque, soft tissue translucent, footwear green."""
    pl = _plotter(window_size)
    add_deformed(pl, result, warp=warp)
    return _finish(pl, path)


def add_deformed(pl, result, *, warp: float = 1.0):
    """Draw the deformed forefoot of ``result`` into the plotter ``pl`` (displacements times
    ``warp``) and aim its camera: what :func:`deformed_view` shows, for a plotter that lives on
    (the studio's rotatable 3-D view)."""
    res = _result(result)
    vol = _warped_volume(res, warp)
    tag = np.asarray(vol.cell_data["tag"])
    groups = (
        (np.isin(tag, _BONE_TAGS), {"color": "#b8ab8a", "opacity": 1.0}),
        (np.isin(tag, (22, 23, 24, 25)), {"color": "#1f77b4", "opacity": 1.0}),
        (np.isin(tag, (30, 31)), {"color": "#f4a582", "opacity": 0.3}),
        (np.isin(tag, _FOOTWEAR_TAGS), {"color": "#66a61e", "opacity": 0.7}),
    )
    for sel, style in groups:
        if sel.any():
            surf = vol.extract_cells(np.flatnonzero(sel)).extract_surface(algorithm=None)
            pl.add_mesh(surf, smooth_shading=True, **style)
    pl.add_text(
        f"{res.name}: deformed (x{warp:g})", position="upper_left", font_size=14, color="black"
    )
    pl.view_vector((0.55, -1.0, 0.45), viewup=(0.0, 0.0, 1.0))
    pl.reset_camera()
    pl.camera.zoom(1.25)
    return pl
