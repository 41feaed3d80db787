"""The plantar shear map: the friction's tangential traction on the skin (kPa), seen from
below as a pressure platform shows the foot, with arrows along the traction and the regional
peaks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from footsim.post.plotting.common import (
    PRESSURE_BAR,
    STRESS_CMAP,
    WINDOW,
    _finish,
    _platform_view,
    _plotter,
    _result,
)
from footsim.post.plotting.maps import _head_labels, _head_outlines

#: Largest arrow (mm) on the map: about half the spacing of the metatarsal heads.
ARROW_MM = 8.0

#: Arrows are drawn on the nodes of a grid of this spacing (mm) over the loaded skin.
ARROW_SPACING_MM = 4.0


def shear_map(
    result,
    path: str | Path | None = None,
    *,
    clim: tuple[float, float] | None = None,
    window_size: tuple[int, int] = WINDOW,
    title: str | None = None,
):
    """The magnitude of the tangential traction the ground exerts on the plantar skin (kPa,
    ``skin_shear_magnitude_kPa`` of ``plantar.vtu``) with arrows along it (their length
    proportional to it, the largest :data:`ARROW_MM` long), the heads' outlines and each
    head's peak shear. ``clim`` fixes the colour range (kPa; default 0 .. peak).

    Raises ValueError for a result without shear (frictionless, or written before footsim
    wrote it)."""
    res = _result(result)
    mesh = res.plantar
    if mesh is None or "skin_shear_kPa" not in mesh.point_data:
        raise ValueError(
            f"{res.folder}: no plantar shear in this result (written before footsim stored "
            "it: run it again with --force)"
        )
    flat = mesh.extract_surface(algorithm=None) if hasattr(mesh, "cells") else mesh.copy()
    flat.points[:, 2] = 0.0
    t = np.asarray(flat.point_data["skin_shear_kPa"])
    magnitude = np.linalg.norm(t[:, :2], axis=1)
    flat.point_data["shear_kPa"] = magnitude
    peak = float(magnitude.max()) if magnitude.size else 0.0
    if peak <= 0.0:
        raise ValueError(
            f"{res.folder}: the skin carries no shear (a frictionless run: [contact] "
            "ground_friction = 0 barefoot, insole_friction = 0 on an insole, its default)"
        )
    clim = clim or (0.0, peak)
    pl = _plotter(window_size)
    pl.add_mesh(
        flat,
        scalars="shear_kPa",
        cmap=STRESS_CMAP,
        clim=clim,
        show_edges=False,
        lighting=False,
        scalar_bar_args=dict(PRESSURE_BAR, title="Shear on the skin (kPa)"),
    )
    arrows = _arrow_points(np.asarray(flat.points), t, magnitude, peak)
    if arrows is not None:
        pl.add_mesh(arrows, color="white", lighting=False)
    _head_outlines(pl, res.summary, colour="cyan")
    table = res.regions
    names = [f"MTH{k + 1}" for k in range(len(res.summary.get("head_centres_mm", [])))]
    column = "peak_skin_shear_kPa"
    _head_labels(
        pl, res.summary, [table.loc[n, column] if n in table.index else np.nan for n in names]
    )
    name = title or res.summary.get("name", "")
    pl.add_text(
        f"{name}: shear on the skin (peak {peak:.0f} kPa)",
        position="upper_left",
        font_size=14,
        color="black",
    )
    under = "ground" if res.insole_top is None else "insole"
    pl.add_text(
        f"arrows: the {under}'s traction on the skin; toes up, medial (MT1) left",
        position="lower_left",
        font_size=10,
        color="black",
    )
    _platform_view(pl, flat.bounds)
    return _finish(pl, path)


def _arrow_points(points: np.ndarray, t: np.ndarray, magnitude: np.ndarray, peak: float):
    """Arrow glyphs (PyVista) at the loaded node nearest each node of a grid of
    :data:`ARROW_SPACING_MM` (mm), scaled to the traction, or None without any."""
    import pyvista as pv

    loaded = magnitude > 0.05 * peak
    if not loaded.any():
        return None
    p, v = points[loaded], t[loaded]
    cells = np.floor(p[:, :2] / ARROW_SPACING_MM).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    cloud = pv.PolyData(p[first] + np.array([0.0, 0.0, -0.3]))
    direction = v[first].copy()
    direction[:, 2] = 0.0
    cloud["traction"] = direction * (ARROW_MM / peak)
    return cloud.glyph(orient="traction", scale="traction", factor=1.0, geom=pv.Arrow())
