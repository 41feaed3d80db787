"""What every picture shares: colour maps, window size, off-screen plotters, the platform
view and the Jupyter display.
"""

from __future__ import annotations

from pathlib import Path

from footsim._render import prefer_headless
from footsim.post import results

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
    prefer_headless()
    import pyvista as pv

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
