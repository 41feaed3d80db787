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
