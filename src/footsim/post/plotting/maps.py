"""Pictures drawn from result folders (never re-solving): PyVista, off-screen where needed.

Every function takes a :class:`footsim.post.results.Result` (or a run folder) and returns the
PyVista plotter, or the PNG path when ``path`` is given. Pressures and stresses are shown in
kPa with perceptually uniform, colour-blind-safe colour maps (``cividis`` for pressure,
``inferno`` for stress).

This module: plantar pressure maps, load-step animations, comparisons of two runs and
sweep curves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from footsim._render import prefer_headless
from footsim.post import results
from footsim.post.plotting.common import (
    PRESSURE_BAR,
    PRESSURE_CMAP,
    WINDOW,
    _finish,
    _platform_view,
    _plotter,
    _result,
)


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

    if surface not in ("plantar", "insole"):
        raise ValueError(f"surface must be 'plantar' or 'insole', not {surface!r}")
    res = _result(result)
    mesh = res.plantar if surface == "plantar" else res.insole_top
    if mesh is None:
        why = (
            " (a run without footwear, or one written before footsim wrote insole_top.vtu: "
            "run it again with --force)"
            if surface == "insole"
            else ""
        )
        raise ValueError(f"{res.folder}: no {surface} surface in this result{why}")
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
        lighting=False,
        scalar_bar_args=PRESSURE_BAR,
    )
    heads = np.asarray(res.summary.get("head_centres_mm", []), dtype=float)
    if surface == "plantar":  # the regional table's peaks
        table = res.regions
        names = [f"MTH{k + 1}" for k in range(len(heads))]
        head_peaks = [
            float(table.loc[n, "peak_kPa"]) if n in table.index else np.nan for n in names
        ]
    else:  # the insole's own peaks in the heads' regions (reference positions, ground plane)
        region = results.assign_regions(np.asarray(mesh.points), heads) if len(heads) else []
        head_peaks = [float(p[region == k].max(initial=0.0)) for k in range(len(heads))]
    _head_outlines(pl, res.summary)
    _head_labels(pl, res.summary, head_peaks)
    name = title or res.summary.get("name", "")
    total = res.summary.get("figures", {}).get("reaction_N")
    heading = f"{name}: " + (
        "plantar pressure" if surface == "plantar" else "pressure on the insole and pad top"
    )
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


def animation(
    result,
    path: str | Path,
    *,
    fps: float = 4.0,
    window_size: tuple[int, int] = (900, 700),
) -> Path:
    """A GIF of the plantar pressure (kPa) growing through the converged load steps, on the
    final colour range, each frame titled with its step, bones' travel and contact force.

    Needs a result run with ``[output] steps = true`` (``steps/plantar_NNN.vtu``).
    """
    import pyvista as pv

    res = _result(result)
    if not res.steps:
        raise ValueError(
            f"{res.folder}: no load steps stored; run the scenario with [output] steps = true"
        )
    frames = [pv.read(p).extract_surface(algorithm=None) for p in res.steps]
    peak = max(float(np.max(f.point_data["pressure_kPa"])) for f in frames)
    flat = frames[0].copy()
    flat.points[:, 2] = 0.0
    flat.point_data["pressure_kPa"] = frames[0].point_data["pressure_kPa"]
    pl = _plotter(window_size)
    _head_outlines(pl, res.summary)
    pl.add_mesh(
        flat,
        scalars="pressure_kPa",
        cmap=PRESSURE_CMAP,
        clim=(0.0, max(peak, 1.0)),
        lighting=False,
        scalar_bar_args=PRESSURE_BAR,
    )
    _platform_view(pl, flat.bounds)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.open_gif(str(path), fps=fps)
    text = None
    for k, frame in enumerate(frames):
        flat.point_data["pressure_kPa"] = np.asarray(frame.point_data["pressure_kPa"])
        force = float(frame.field_data["force_N"][0])
        travel = float(frame.field_data["travel_mm"][0])
        phase = str(frame.field_data["phase"][0])
        if text is not None:
            pl.remove_actor(text)
        text = pl.add_text(
            f"{res.name}: step {k + 1}/{len(frames)} ({phase}), travel {travel:.2f} mm, "
            f"force {force:.0f} N",
            position="upper_left",
            font_size=12,
            color="black",
        )
        pl.write_frame()
    pl.close()
    return path


# --------------------------------------------------------------------------- comparisons
def common_grid(a, b, spacing_mm: float = 1.0):
    """Sample the plantar pressure (kPa) of two results on one ground-plane grid.

    Works across different meshes (e.g. a longer MT2): both surfaces are flattened onto z = 0
    and probed at the same grid points. Returns ``(grid, pa, pb, valid)`` with ``valid`` the
    common footprint (points covered by both surfaces).
    """
    grid, pa, pb, va, vb = _sample_both(a, b, spacing_mm)
    return grid, pa, pb, va & vb


def _sample_both(a, b, spacing_mm: float):
    """``common_grid`` with each surface's own footprint mask ``(grid, pa, pb, va, vb)``."""
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
    va, vb = (np.asarray(s.point_data["vtkValidPointMask"], bool) for s in sampled)
    return grid, pa, pb, va, vb


def _head_labels(pl, summary, values) -> None:
    """Each head's value (kPa) labelled beside it on the platform view ("MTH2 / 98 kPa")."""
    heads = np.asarray(summary.get("head_centres_mm", []), dtype=float)
    radii = np.asarray(summary.get("head_radii_mm", []), dtype=float)
    if not len(heads):
        return
    labels = [f"MTH{k + 1}\n{float(v):.0f} kPa" for k, v in enumerate(values)]
    points = [[c[0] - 1.6 * r - 6.0, c[1], -1.0] for c, r in zip(heads, radii, strict=True)]
    pl.add_point_labels(
        np.asarray(points),
        labels,
        font_size=18,
        text_color="black",
        shape_color="white",
        shape_opacity=0.75,
        point_size=1,
        show_points=False,
        always_visible=True,
    )


def _head_outlines(pl, summary, colour: str = "white") -> None:
    """The metatarsal heads projected on the ground: one circle per head (mm)."""
    import pyvista as pv

    heads = np.asarray(summary.get("head_centres_mm", []), dtype=float)
    radii = np.asarray(summary.get("head_radii_mm", []), dtype=float)
    for c, r in zip(heads, radii, strict=True):
        circle = pv.Circle(radius=float(r), resolution=60)
        circle.points[:, :2] += c[:2]
        circle.points[:, 2] = -0.5
        pl.add_mesh(circle.extract_feature_edges(), color=colour, line_width=2)


def compare(
    result_a,
    result_b,
    path: str | Path | None = None,
    *,
    spacing_mm: float = 1.0,
    window_size: tuple[int, int] = (1800, 650),
    labels: tuple[str, str] | None = None,
):
    """A and B side by side on one pressure scale (kPa) and the difference B - A (kPa) on the
    common plantar footprint, all seen as on a pressure platform, with the heads outlined
    (B's heads on the difference map). ``labels`` name A and B (default: the run names)."""
    a, b = _result(result_a), _result(result_b)
    grid, pa, pb, va, vb = _sample_both(a, b, spacing_mm)
    valid = va & vb
    top = float(max(pa.max(), pb.max(), 1.0))
    diff = np.where(valid, pb - pa, np.nan)
    span = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 1.0
    span = max(span, 1.0)
    prefer_headless()
    import pyvista as pv

    pl = pv.Plotter(off_screen=True, window_size=list(window_size), shape=(1, 3), border=False)
    pl.set_background("white")
    name_a, name_b = labels or (a.name, b.name)
    panels = (
        (pa, va, a, f"A: {name_a}", PRESSURE_CMAP, (0.0, top), "Pressure (kPa)"),
        (pb, vb, b, f"B: {name_b}", PRESSURE_CMAP, (0.0, top), "Pressure (kPa) "),
        (diff, valid, b, "B - A", "RdBu_r", (-span, span), "B - A (kPa)"),
    )
    for col, (values, mask, res, label, cmap, clim, bar) in enumerate(panels):
        pl.subplot(0, col)
        g = grid.copy()
        g.point_data["value"] = np.where(mask, values, np.nan)  # transparent off the skin
        _head_outlines(pl, res.summary, "white" if col < 2 else "black")
        pl.add_mesh(
            g,
            scalars="value",
            cmap=cmap,
            clim=clim,
            nan_opacity=0.0,
            lighting=False,
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
    With ``x`` named in a two-parameter sweep: one line per region and value of the other
    parameter (solid, dashed, dotted, ...).

    Returns the matplotlib figure, or the PNG path when ``path`` is given; ``ValueError`` when
    no run of the sweep finished (nothing to draw).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    table = pd.read_csv(Path(sweep) / "table.csv") if not isinstance(sweep, pd.DataFrame) else sweep
    fixed = {"index", "status", "reason", "cached", "hash", "folder"}
    params = [c for c in table.columns if "." in c and c not in fixed]
    params = [c for c in params if table[c].nunique() > 1] or params[:1]  # the varied ones
    done = table[table["status"] == "done"]
    if done.empty:  # an empty picture would read as a result
        reasons = sorted(set(table["reason"].astype(str))) if "reason" in table else []
        raise ValueError(
            f"nothing to draw: none of the {len(table)} runs of the sweep finished"
            + (f" (first reason: {reasons[0]})" if reasons else "")
        )
    unit = "kPa" if quantity.endswith("kPa") else ""
    label = quantity.replace("_kPa", "").replace("_", " ")
    if len(params) >= 2 and x is None and table[params[1]].nunique() <= 4:
        x = params[0]  # few values of the second parameter: one line per value reads best
    if len(params) >= 2 and x is None:
        p0, p1 = params[:2]
        pivot = done.pivot_table(index=p1, columns=p0, values=f"MTH2_{quantity}")
        fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
        xs, ys = np.arange(pivot.shape[1]), np.arange(pivot.shape[0])
        im = ax.pcolormesh(xs, ys, pivot.values, cmap=PRESSURE_CMAP, shading="nearest")
        ax.set_xticks(xs, [f"{v:g}" for v in pivot.columns])
        ax.set_yticks(ys, [f"{v:g}" for v in pivot.index])
        fig.colorbar(im, ax=ax, label=f"MTH2 {label} ({unit})")
        ax.set_xlabel(p0)
        ax.set_ylabel(p1)
        label = f"MTH2 {label}"
    else:
        x = x or params[0]
        other = next((p for p in params if p != x), None)
        # every run, failed ones with NaN figures: the lines break at a failed run instead of
        # bridging it (a straight segment across a failure would read as a result)
        runs = table.copy()
        figure_cols = [f"{r}_{quantity}" for r in regions if f"{r}_{quantity}" in runs]
        runs.loc[runs["status"] != "done", figure_cols] = np.nan
        groups = [(None, runs)] if other is None else list(runs.groupby(other))
        styles = ["-", "--", ":", "-."]
        fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
        colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(regions)))
        markers = "os^Dv"
        for k, (region, colour) in enumerate(zip(regions, colours, strict=True)):
            col = f"{region}_{quantity}"
            if col not in done:
                continue
            for g, (value, d) in enumerate(groups):
                d = d.sort_values(x)
                name = region if other is None else f"{region}, {other.split('.')[-1]} {value:g}"
                ax.plot(
                    d[x], d[col], marker=markers[k % 5], color=colour,
                    linestyle=styles[g % len(styles)], label=name,
                )  # fmt: skip
        ax.set_xlabel(x)
        ax.set_ylabel(f"{label} ({unit})")
        ax.legend(title="region", fontsize="small", ncols=1 if other is None else len(groups))
        ax.grid(alpha=0.3)
    failed = int((table["status"] != "done").sum())
    title = label if label.startswith("MTH2") else f"{label} per region"
    note = f"  ({failed} failed run{'s' if failed > 1 else ''} not shown)" if failed else ""
    ax.set_title(title + note)
    fig.tight_layout()
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
