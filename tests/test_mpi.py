"""The same contact solve under ``mpirun -n 2`` matches the serial one (relative 1e-6 on the
reactions and the peak pressure), augmented-Lagrangian updates included."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "mpi" / "patch_block.py"
MPIRUN = shutil.which("mpirun", path=str(Path(sys.executable).parent)) or shutil.which("mpirun")


def _run(*prefix: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [*prefix, sys.executable, str(SCRIPT)],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT "))


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_two_processes_match_the_serial_solve():
    serial = _run()
    parallel = _run(MPIRUN, "-n", "2")
    assert serial["size"] == 1 and parallel["size"] == 2
    assert serial["uzawa_iterations"] >= 1  # the augmented Lagrangian ran
    assert parallel["num_dofs"] == serial["num_dofs"]
    assert parallel["uzawa_iterations"] == serial["uzawa_iterations"]
    for key in ("reaction_contact_N", "reaction_dirichlet_N", "peak_pressure_MPa",
                "contact_area_mm2"):  # fmt: skip
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key
