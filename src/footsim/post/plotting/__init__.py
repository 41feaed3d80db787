"""Pictures drawn from result folders, never by re-solving (PyVista, off-screen where needed).

One face for the plotting modules: plantar pressure maps, comparisons and sweep curves
(:mod:`~footsim.post.plotting.maps`), plantar shear maps (:mod:`~footsim.post.plotting.shear`),
platform and in-shoe sensor grids
(:mod:`~footsim.post.plotting.sensors`), stress cut-aways and deformed views
(:mod:`~footsim.post.plotting.sections`). Pressures in kPa, lengths in mm.
"""

from footsim.post.plotting.common import (
    PRESSURE_BAR,
    PRESSURE_CMAP,
    STRESS_CMAP,
    WINDOW,
    jupyter_backend,
    show,
)
from footsim.post.plotting.maps import animation, common_grid, compare, pressure_map, sweep_plot
from footsim.post.plotting.sections import add_deformed, deformed_view, section, section_cells
from footsim.post.plotting.sensors import SENSORS, SensorGrid, sensor_grid, sensor_view
from footsim.post.plotting.shear import shear_map

__all__ = [
    "PRESSURE_BAR",
    "PRESSURE_CMAP",
    "SENSORS",
    "STRESS_CMAP",
    "WINDOW",
    "SensorGrid",
    "add_deformed",
    "animation",
    "common_grid",
    "compare",
    "deformed_view",
    "jupyter_backend",
    "pressure_map",
    "section",
    "section_cells",
    "sensor_grid",
    "sensor_view",
    "shear_map",
    "show",
    "sweep_plot",
]
