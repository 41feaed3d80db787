"""Pictures drawn from result folders (never re-solving): PyVista, off-screen where needed.

Every function takes a :class:`footsim.results.Result` (or a run folder) and returns the
PyVista plotter, or the PNG path when ``path`` is given. Pressures and stresses are shown in
kPa with perceptually uniform, colour-blind-safe colour maps (``cividis`` for pressure,
``inferno`` for stress).

Views:
- :func:`pressure_map`: the plantar skin seen from below, as on a pressure platform: toes up,
  and for a right foot seen from below the medial side (MT1) on the right. Head outlines are
  drawn at the reference positions, each MTH region labelled with its peak pressure.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from footsim import results

PRESSURE_CMAP = "cividis"
STRESS_CMAP = "inferno"
WINDOW = (1200, 900)


def _result(result) -> results.Result:
    if isinstance(result, results.Result):
        return result
    return results.load(result)


def _plotter(window_size):
    import pyvista as pv

    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
    pv.OFF_SCREEN = True
    pl = pv.Plotter(off_screen=True, window_size=list(window_size))
    pl.set_background("white")
    return pl


def _finish(pl, path):
    if path is None:
        return pl
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.screenshot(str(path))
    pl.close()
    return path


def _platform_view(pl, bounds) -> None:
    """Camera below the foot looking up, toes (+x) up in the image, medial (-y) on the right."""
    xmin, xmax, ymin, ymax, _, _ = bounds
    w, h = pl.window_size
    aspect = w / h
    # leave the right 20 % of the image to the colour bar
    scale = 0.58 * max(xmax - xmin, (ymax - ymin) / (0.78 * aspect))
    cx = 0.5 * (xmin + xmax)
    cy = 0.5 * (ymin + ymax) + 0.11 * 2.0 * scale * aspect
    pl.camera_position = [(cx, cy, -500.0), (cx, cy, 0.0), (1.0, 0.0, 0.0)]
    pl.camera.parallel_projection = True
    pl.camera.parallel_scale = scale


def pressure_map(
    result,
    path: str | Path | None = None,
    *,
    clim: tuple[float, float] | None = None,
    surface: str = "plantar",
    window_size: tuple[int, int] = WINDOW,
    title: str | None = None,
):
    """Plantar pressure (kPa) seen from below with head outlines and regional peaks.

    ``clim`` fixes the colour range in kPa (default 0 .. peak); ``surface="insole"`` draws the
    insole/pad top instead of the skin.
    """
    import pyvista as pv

    res = _result(result)
    mesh = res.plantar if surface == "plantar" else res.insole_top
    if mesh is None:
        raise ValueError(f"{res.folder}: no {surface} surface in this result")
    mesh = mesh.extract_surface(algorithm=None) if not isinstance(mesh, pv.PolyData) else mesh
    flat = mesh.copy()
    flat.points[:, 2] = 0.0
    p = np.asarray(flat.point_data["pressure_kPa"])
    peak = float(p.max()) if p.size else 0.0
    clim = clim or (0.0, max(peak, 1.0))
    pl = _plotter(window_size)
    pl.add_mesh(
        flat,
        scalars="pressure_kPa",
        cmap=PRESSURE_CMAP,
        clim=clim,
        smooth_shading=False,
        show_edges=False,
        scalar_bar_args={
            "title": "Pressure (kPa)",
            "vertical": True,
            "position_x": 0.85,
            "position_y": 0.15,
            "height": 0.7,
            "width": 0.06,
            "title_font_size": 22,
            "label_font_size": 18,
            "color": "black",
            "fmt": "%.0f",
        },
    )
    heads = np.asarray(res.summary.get("head_centres_mm", []), dtype=float)
    radii = np.asarray(res.summary.get("head_radii_mm", []), dtype=float)
    table = res.regions
    labels, label_points = [], []
    for k, (c, r) in enumerate(zip(heads, radii, strict=True)):
        circle = pv.Circle(radius=float(r), resolution=60)
        circle.points[:, :2] += c[:2]
        circle.points[:, 2] = -0.5
        pl.add_mesh(circle.extract_feature_edges(), color="white", line_width=3)
        name = f"MTH{k + 1}"
        value = float(table.loc[name, "peak_kPa"]) if name in table.index else float("nan")
        labels.append(f"{name}\n{value:.0f} kPa")
        label_points.append([c[0] - 1.6 * r - 6.0, c[1], -1.0])
    if labels:
        pl.add_point_labels(
            np.asarray(label_points),
            labels,
            font_size=18,
            text_color="black",
            shape_color="white",
            shape_opacity=0.75,
            point_size=1,
            show_points=False,
            always_visible=True,
        )
    name = title or res.summary.get("name", "")
    total = res.summary.get("figures", {}).get("reaction_N")
    heading = f"{name}: plantar pressure"
    if total is not None:
        heading += f" ({total:.0f} N, peak {peak:.0f} kPa)"
    pl.add_text(heading, position="upper_left", font_size=14, color="black")
    pl.add_text(
        "toes up, medial (MT1) left: a right foot as a pressure platform shows it",
        position="lower_left",
        font_size=10,
        color="black",
    )
    _platform_view(pl, flat.bounds)
    return _finish(pl, path)
