"""Pressure-platform and in-shoe sensor grids: the plantar pressure averaged over square
sensors as a measuring device would report it (mm, kPa).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from footsim.post import results
from footsim.post.plotting.common import (
    PRESSURE_CMAP,
    WINDOW,
    _finish,
    _platform_view,
    _plotter,
    _result,
)
from footsim.post.plotting.maps import _head_outlines

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
    over_pad: np.ndarray | None = None  # (nx, ny) bool: the sensor's centre is over the pad

    @property
    def total_force_N(self) -> float:
        return float(self.force_N.sum())

    def region_peaks(self, heads_mm: np.ndarray) -> dict[str, float]:
        """Peak sensor pressure (kPa) per region (sensor centres assigned like plantar nodes;
        a sensor over the skin of the pad's footprint, outside the heads' regions, is ``pad``)."""
        X, Y = np.meshgrid(self.x_mm, self.y_mm, indexing="ij")
        pts = np.column_stack([X.ravel(), Y.ravel(), np.zeros(X.size)])
        pad = None if self.over_pad is None else self.over_pad.ravel()
        region = results.assign_regions(pts, heads_mm, pad)
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
        over_pad=_over_pad(
            surf, x0 + pitch * (np.arange(nx) + 0.5), y0 + pitch * (np.arange(ny) + 0.5), pitch
        ),
    )


def _over_pad(surf, x_mm: np.ndarray, y_mm: np.ndarray, pitch: float) -> np.ndarray | None:
    """Sensors (nx, ny) whose centre lies over plantar skin of the ``pad`` region (the node
    nearest to the centre on the projected surface, within one pitch), or None when the
    surface carries no regions."""
    if "region" not in surf.point_data:
        return None
    from scipy.spatial import cKDTree

    X, Y = np.meshgrid(x_mm, y_mm, indexing="ij")
    dist, nearest = cKDTree(surf.points[:, :2]).query(np.column_stack([X.ravel(), Y.ravel()]))
    region = np.asarray(surf.point_data["region"])[nearest]
    pad = (region == results.REGIONS.index("pad")) & (dist <= pitch)
    return pad.reshape(X.shape)


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
