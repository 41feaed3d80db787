"""Helpers shared by the sweep tests (``test_sweeps.py``, ``test_faults.py``).

The tests import this module by name: pytest puts this folder on ``sys.path`` (the tests are
not a package), as it does for the runner modules ``_sweep_runners`` and ``_fault_runs``.
"""

from __future__ import annotations

import sys
from pathlib import Path

COARSE = '[mesh]\npreset = "coarse"\n'


def write_mass_sweep(folder: Path, masses, base: str = COARSE) -> Path:
    """A sweep ``mass`` over ``load.body_mass_kg`` = ``masses`` (kg) on ``base.toml`` (the
    scenario ``base``), written to ``folder``; returns the sweep file's path."""
    (folder / "base.toml").write_text(base)
    values = ", ".join(f"{m:.1f}" for m in masses)
    path = folder / "sweep.toml"
    path.write_text(
        f'name = "mass"\nbase = "base.toml"\n[parameters]\n"load.body_mass_kg" = [{values}]\n'
    )
    return path


def sweep_command(path: Path, root: Path, runner: str, workers: int) -> list[str]:
    """``footsim sweep`` of the sweep file ``path`` into ``root`` with the runner ``runner``
    (``module:function``, the module on ``PYTHONPATH``), without a progress bar."""
    return [
        sys.executable,
        "-m",
        "footsim",
        "sweep",
        str(path),
        "-o",
        str(root),
        "--workers",
        str(workers),
        "--runner",
        runner,
        "--no-progress",
    ]


def block_motion_with_bent_mt2(vol, mt2_tags) -> None:
    """Set ``vol.point_data["displacement_mm"]`` (a synthetic forefoot volume, pyvista) to a
    rigid motion of the whole (10 deg about the y axis through (-3, 9, 0) mm, then 4 mm down)
    plus an upward bend of the MT2 cells' points (``tag`` in ``mt2_tags``) of
    0.002 (x + 40)^2 mm: 3.2 mm at x = 0, zero at the cut x = -40 mm."""
    import numpy as np

    from footsim.post.results import _cell_point_ids

    X = np.asarray(vol.points)
    th, pivot = np.radians(10.0), np.array([-3.0, 9.0, 0.0])
    R = np.array([[np.cos(th), 0, np.sin(th)], [0, 1, 0], [-np.sin(th), 0, np.cos(th)]])
    U = (X - pivot) @ R.T + pivot - X + np.array([0.0, 0.0, -4.0])
    on_mt2 = np.unique(_cell_point_ids(vol)[np.isin(vol.cell_data["tag"], list(mt2_tags))])
    U[on_mt2, 2] += 0.002 * (X[on_mt2, 0] + 40.0) ** 2
    vol.point_data["displacement_mm"] = U
