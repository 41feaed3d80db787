"""Pictures drawn from result folders (never re-solving): PyVista, off-screen where needed.

Every function takes a :class:`footsim.results.Result` (or a run folder) and returns the
PyVista plotter, or the PNG path when ``path`` is given. Pressures and stresses are shown in
kPa with perceptually uniform, colour-blind-safe colour maps (``cividis`` for pressure,
``inferno`` for stress).

Views:
- :func:`pressure_map`: the plantar pressure as a pressure platform shows a right foot: toes
  up, medial side (MT1) on the left, the footprint as seen from above. Head outlines are
  drawn at the reference positions, each MTH region labelled with its peak pressure.
- :func:`sensor_view`, :func:`section`, :func:`deformed_view`, :func:`compare`,
  :func:`sweep_plot`, :func:`animation`.

In Jupyter, :func:`show` displays a returned plotter interactively through PyVista's trame
backend where it is installed (``pip install "footsim[interactive]"``), else as a static image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from footsim import results

PRESSURE_CMAP = "cividis"
STRESS_CMAP = "inferno"
WINDOW = (1200, 900)
PRESSURE_BAR = {  # vertical pressure colour bar at the right of a plantar map
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
}


def jupyter_backend() -> str:
    """PyVista's Jupyter backend for :func:`show`: ``"trame"`` (interactive, server and
    client rendering) where trame and trame-vtk are installed, else ``"static"`` (a PNG)."""
    import importlib.util

    have = all(importlib.util.find_spec(m) is not None for m in ("trame", "trame_vtk"))
    return "trame" if have else "static"


def show(plotter, backend: str | None = None):
    """Display a plotter returned by a view (called without ``path``) in Jupyter:
    interactive where trame is installed, a static image elsewhere (see :func:`jupyter_backend`)."""
    return plotter.show(jupyter_backend=backend or jupyter_backend())


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
    radii = np.asarray(res.summary.get("head_radii_mm", []), dtype=float)
    if surface == "plantar":  # the regional table's peaks
        table = res.regions
        names = [f"MTH{k + 1}" for k in range(len(heads))]
        head_peaks = [
            float(table.loc[n, "peak_kPa"]) if n in table.index else np.nan for n in names
        ]
    else:  # the insole's own peaks in the heads' regions (reference positions, ground plane)
        region = results.assign_regions(np.asarray(mesh.points), heads) if len(heads) else []
        head_peaks = [float(p[region == k].max(initial=0.0)) for k in range(len(heads))]
    labels, label_points = [], []
    _head_outlines(pl, res.summary)
    for k, (c, r) in enumerate(zip(heads, radii, strict=True)):
        name = f"MTH{k + 1}"
        value = head_peaks[k]
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

    Returns the matplotlib figure, or the PNG path when ``path`` is given.
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


# --------------------------------------------------------------------------- sensors
SENSORS = {
    "platform": (5.0, 5.0),
    "insole": (14.0, 14.0),
}
"""Sensor pitch and side (mm) of common devices: a pressure platform with 4 sensors/cm^2
(5 mm pitch; novel emed-x, manufacturer specification) and an in-shoe insole with ~2 cm^2
sensors (about 14 x 14 mm; novel pedar-x, manufacturer specification)."""


@dataclass(frozen=True)
class SensorGrid:
    """Pressure resampled onto a sensor grid: cell centres (mm), force (N) and pressure (kPa)
    per sensor, and the force of the contact surface it came from (N)."""

    x_mm: np.ndarray
    y_mm: np.ndarray
    force_N: np.ndarray
    pressure_kPa: np.ndarray
    pitch_mm: float
    surface_force_N: float

    @property
    def total_force_N(self) -> float:
        return float(self.force_N.sum())

    def region_peaks(self, heads_mm: np.ndarray) -> dict[str, float]:
        """Peak sensor pressure (kPa) per region (sensor centres assigned like plantar nodes)."""
        X, Y = np.meshgrid(self.x_mm, self.y_mm, indexing="ij")
        pts = np.column_stack([X.ravel(), Y.ravel(), np.zeros(X.size)])
        region = results.assign_regions(pts, heads_mm)
        p = self.pressure_kPa.ravel()
        return {
            name: float(p[region == k].max(initial=0.0)) for k, name in enumerate(results.REGIONS)
        }


def sensor_grid(
    result, kind: str = "platform", *, pitch_mm: float | None = None, subsample: int = 10
) -> SensorGrid:
    """Resample the plantar contact pressure onto a sensor grid, conserving force.

    The deformed plantar surface is projected onto the ground; each sensor's force is the
    integral of the pressure over its square (midpoint rule on ``subsample`` x ``subsample``
    points per sensor), and its pressure is that force over the sensor area, as a device reports.
    """
    import pyvista as pv

    res = _result(result)
    pitch = pitch_mm or SENSORS[kind][0]
    surf = res.plantar.extract_surface(algorithm=None).copy()
    surf.points = surf.points + np.asarray(surf.point_data["displacement_mm"])
    surf.points[:, 2] = 0.0
    p = np.asarray(surf.point_data["pressure_kPa"])
    loaded = surf.extract_points(p > 0.0, adjacent_cells=True)
    xmin, xmax, ymin, ymax = loaded.bounds[:4] if loaded.n_points else surf.bounds[:4]
    nx = int(np.ceil((xmax - xmin) / pitch)) + 1
    ny = int(np.ceil((ymax - ymin) / pitch)) + 1
    x0 = xmin - 0.5 * (nx * pitch - (xmax - xmin))
    y0 = ymin - 0.5 * (ny * pitch - (ymax - ymin))
    h = pitch / subsample
    fine = pv.ImageData(
        dimensions=(nx * subsample, ny * subsample, 1),
        spacing=(h, h, 1.0),
        origin=(x0 + 0.5 * h, y0 + 0.5 * h, 0.0),
    )
    sampled = fine.sample(surf, tolerance=1e-3)
    q = np.where(
        np.asarray(sampled.point_data["vtkValidPointMask"], bool),
        np.asarray(sampled.point_data["pressure_kPa"]),
        0.0,
    ).reshape(ny * subsample, nx * subsample)  # (y, x): VTK orders x fastest
    force = q.reshape(ny, subsample, nx, subsample).sum(axis=(1, 3)).T * h * h / 1000.0
    a = np.asarray(res.plantar.point_data.get("node_area_mm2", np.zeros(len(p))))
    surface_force = float(np.sum(p * a) / 1000.0) if a.any() else float("nan")
    return SensorGrid(
        x_mm=x0 + pitch * (np.arange(nx) + 0.5),
        y_mm=y0 + pitch * (np.arange(ny) + 0.5),
        force_N=force,
        pressure_kPa=1000.0 * force / pitch**2,
        pitch_mm=pitch,
        surface_force_N=surface_force,
    )


def sensor_view(
    result,
    path: str | Path | None = None,
    *,
    kind: str = "platform",
    pitch_mm: float | None = None,
    window_size: tuple[int, int] = WINDOW,
):
    """The sensor map (pixelated, kPa) that a platform or in-shoe device would show."""
    import pyvista as pv

    res = _result(result)
    grid = sensor_grid(res, kind, pitch_mm=pitch_mm)
    pitch = grid.pitch_mm
    img = pv.ImageData(
        dimensions=(len(grid.x_mm) + 1, len(grid.y_mm) + 1, 1),
        spacing=(pitch, pitch, 1.0),
        origin=(grid.x_mm[0] - pitch / 2, grid.y_mm[0] - pitch / 2, 0.0),
    )
    img.cell_data["pressure_kPa"] = grid.pressure_kPa.ravel(order="F")
    pl = _plotter(window_size)
    peak = float(grid.pressure_kPa.max())
    _head_outlines(pl, res.summary)
    pl.add_mesh(
        img,
        scalars="pressure_kPa",
        cmap=PRESSURE_CMAP,
        clim=(0.0, max(peak, 1.0)),
        show_edges=True,
        edge_color="#444444",
        lighting=False,
        scalar_bar_args={
            "title": "Sensor pressure (kPa)",
            "vertical": True,
            "position_x": 0.85,
            "position_y": 0.15,
            "height": 0.7,
            "width": 0.06,
            "color": "black",
            "fmt": "%.0f",
        },
    )
    pl.add_text(
        f"{res.name}: {kind} sensors {pitch:g} mm, peak {peak:.0f} kPa, "
        f"sum {grid.total_force_N:.0f} N",
        position="upper_left",
        font_size=14,
        color="black",
    )
    _platform_view(pl, img.bounds)
    return _finish(pl, path)


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
    res = _result(result)
    vol = _warped_volume(res, warp)
    tag = np.asarray(vol.cell_data["tag"])
    pl = _plotter(window_size)
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
    return _finish(pl, path)
