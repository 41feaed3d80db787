"""The same contact solve under ``mpirun -n 2`` matches the serial one (relative 1e-6 on the
reactions and the peak pressure), augmented-Lagrangian updates included: a small block
(default run) and the coarse forefoot (``slow``)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent / "mpi"
MPIRUN = shutil.which("mpirun", path=str(Path(sys.executable).parent)) or shutil.which("mpirun")


def _run(script: str, *prefix: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [*prefix, sys.executable, str(SCRIPTS / script)],
        capture_output=True, text=True, timeout=1800, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT "))


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_two_processes_match_the_serial_solve():
    serial = _run("patch_block.py")
    parallel = _run("patch_block.py", MPIRUN, "-n", "2")
    assert serial["size"] == 1 and parallel["size"] == 2
    assert serial["uzawa_iterations"] >= 1  # the augmented Lagrangian ran
    assert parallel["num_dofs"] == serial["num_dofs"]
    assert parallel["uzawa_iterations"] == serial["uzawa_iterations"]
    for key in ("reaction_contact_N", "reaction_dirichlet_N", "peak_pressure_MPa",
                "contact_area_mm2"):  # fmt: skip
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key


@pytest.mark.slow
@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_forefoot_on_two_processes_matches_the_serial_solve():
    """The coarse default forefoot in standing (62k unknowns, ~3 min serial, ~2 min on two
    processes here)."""
    serial = _run("forefoot.py")
    parallel = _run("forefoot.py", MPIRUN, "-n", "2")
    print(json.dumps({"serial": serial, "parallel": parallel}, indent=1))
    assert parallel["num_dofs"] == serial["num_dofs"]
    assert parallel["uzawa_iterations"] == serial["uzawa_iterations"]
    for key in ("reaction_contact_N", "reaction_dirichlet_N", "peak_pressure_kPa",
                "contact_area_mm2"):  # fmt: skip
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key
