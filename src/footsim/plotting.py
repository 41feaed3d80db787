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


def _platform_view(pl, bounds, *, aspect: float | None = None, bar: str = "right") -> None:
    """Camera below the foot looking up, toes (+x) up in the image, medial (-y) left for a right
    foot, as pressure platforms show it; room is left for the colour bar (``right``/``bottom``).
    ``aspect`` is width / height of the (sub)plot, default the window's."""
    xmin, xmax, ymin, ymax, _, _ = bounds
    if aspect is None:
        w, h = pl.window_size
        aspect = w / h
    cx, cy = 0.5 * (xmin + xmax), 0.5 * (ymin + ymax)
    if bar == "right":  # the right 20 % of the image is the colour bar's
        scale = 0.58 * max(xmax - xmin, (ymax - ymin) / (0.78 * aspect))
        cy += 0.11 * 2.0 * scale * aspect
    else:  # the bottom 22 %
        scale = 0.55 * max((xmax - xmin) / 0.78, (ymax - ymin) / aspect)
        cx -= 0.11 * 2.0 * scale
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


# --------------------------------------------------------------------------- comparisons
def common_grid(a, b, spacing_mm: float = 1.0):
    """Sample the plantar pressure (kPa) of two results on one ground-plane grid.

    Works across different meshes (e.g. a longer MT2): both surfaces are flattened onto z = 0
    and probed at the same grid points. Returns ``(grid, pa, pb, valid)`` with ``valid`` the
    common footprint (points covered by both surfaces).
    """
    import pyvista as pv

    flats = []
    for res in (a, b):
        s = res.plantar.extract_surface(algorithm=None)
        s = s.copy()
        s.points[:, 2] = 0.0
        flats.append(s)
    xmin = min(f.bounds[0] for f in flats)
    xmax = max(f.bounds[1] for f in flats)
    ymin = min(f.bounds[2] for f in flats)
    ymax = max(f.bounds[3] for f in flats)
    nx = int(np.ceil((xmax - xmin) / spacing_mm)) + 1
    ny = int(np.ceil((ymax - ymin) / spacing_mm)) + 1
    grid = pv.ImageData(
        dimensions=(nx, ny, 1), spacing=(spacing_mm, spacing_mm, 1.0), origin=(xmin, ymin, 0.0)
    )
    sampled = [grid.sample(f, tolerance=1e-3) for f in flats]
    pa, pb = (np.asarray(s.point_data["pressure_kPa"]) for s in sampled)
    valid = np.asarray(sampled[0].point_data["vtkValidPointMask"], bool) & np.asarray(
        sampled[1].point_data["vtkValidPointMask"], bool
    )
    return grid, pa, pb, valid


def compare(
    result_a,
    result_b,
    path: str | Path | None = None,
    *,
    spacing_mm: float = 1.0,
    window_size: tuple[int, int] = (1800, 700),
):
    """A and B side by side on one pressure scale (kPa) and the difference B - A (kPa) on the
    common plantar footprint, all seen as on a pressure platform."""
    a, b = _result(result_a), _result(result_b)
    grid, pa, pb, valid = common_grid(a, b, spacing_mm)
    top = float(max(pa.max(), pb.max(), 1.0))
    diff = np.where(valid, pb - pa, np.nan)
    span = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 1.0
    span = max(span, 1.0)
    import pyvista as pv

    pl = pv.Plotter(off_screen=True, window_size=list(window_size), shape=(1, 3), border=False)
    pl.set_background("white")
    panels = (
        (pa, f"A: {a.name}", PRESSURE_CMAP, (0.0, top), "Pressure (kPa)"),
        (pb, f"B: {b.name}", PRESSURE_CMAP, (0.0, top), "Pressure (kPa) "),
        (diff, "B - A", "RdBu_r", (-span, span), "B - A (kPa)"),
    )
    for col, (values, label, cmap, clim, bar) in enumerate(panels):
        pl.subplot(0, col)
        g = grid.copy()
        g.point_data["value"] = np.where(valid | (col < 2), values, np.nan)
        pl.add_mesh(
            g,
            scalars="value",
            cmap=cmap,
            clim=clim,
            nan_opacity=0.0,
            scalar_bar_args={
                "title": bar,
                "color": "black",
                "fmt": "%.0f",
                "title_font_size": 18,
                "label_font_size": 14,
                "position_x": 0.15,
                "position_y": 0.04,
                "width": 0.7,
            },
        )
        pl.add_text(label, position="upper_left", font_size=12, color="black")
        _platform_view(pl, grid.bounds, aspect=window_size[0] / 3 / window_size[1], bar="bottom")
    return _finish(pl, path)


# --------------------------------------------------------------------------- sweeps
def sweep_plot(
    sweep,
    path: str | Path | None = None,
    *,
    x: str | None = None,
    regions: tuple[str, ...] = ("MTH1", "MTH2", "MTH3", "MTH4", "MTH5"),
    quantity: str = "peak_kPa",
):
    """Per-region ``quantity`` against the varied parameter: one line per MTH (matplotlib);
    a heat map of MTH2 for a two-parameter sweep. ``sweep`` is a sweep folder or its table.

    Returns the matplotlib figure, or the PNG path when ``path`` is given.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    table = pd.read_csv(Path(sweep) / "table.csv") if not isinstance(sweep, pd.DataFrame) else sweep
    fixed = {"index", "status", "reason", "cached", "hash", "folder"}
    params = [c for c in table.columns if "." in c and c not in fixed]
    done = table[table["status"] == "done"]
    unit = "kPa" if quantity.endswith("kPa") else ""
    label = quantity.replace("_kPa", "").replace("_", " ")
    if len(params) >= 2 and x is None:
        p0, p1 = params[:2]
        pivot = done.pivot_table(index=p1, columns=p0, values=f"MTH2_{quantity}")
        fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
        im = ax.imshow(
            pivot.values,
            origin="lower",
            aspect="auto",
            cmap=PRESSURE_CMAP,
            extent=(pivot.columns.min(), pivot.columns.max(), pivot.index.min(), pivot.index.max()),
        )
        fig.colorbar(im, ax=ax, label=f"MTH2 {label} ({unit})")
        ax.set_xlabel(p0)
        ax.set_ylabel(p1)
    else:
        x = x or params[0]
        fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
        colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(regions)))
        markers = "os^Dv"
        for k, (region, colour) in enumerate(zip(regions, colours, strict=True)):
            col = f"{region}_{quantity}"
            if col in done:
                d = done.sort_values(x)
                ax.plot(d[x], d[col], marker=markers[k % 5], color=colour, label=region)
        ax.set_xlabel(x)
        ax.set_ylabel(f"{label} ({unit})")
        ax.legend(title="region")
        ax.grid(alpha=0.3)
    failed = int((table["status"] != "done").sum())
    ax.set_title(f"{label} per region" + (f"  ({failed} failed runs not shown)" if failed else ""))
    fig.tight_layout()
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
