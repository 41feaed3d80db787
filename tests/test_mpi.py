"""The same contact solve under ``mpirun -n 2`` matches the serial one (relative 1e-6 on the
reactions and the peak pressure), augmented-Lagrangian updates included: a small block on
the rigid ground and a hemisphere on a deformable block (default run), the coarse forefoot
(``slow``)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).parent / "mpi"
MPIRUN = shutil.which("mpirun", path=str(Path(sys.executable).parent)) or shutil.which("mpirun")


def _run(script: str, *prefix: str, args: tuple[str, ...] = ()) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [*prefix, sys.executable, str(SCRIPTS / script), *args],
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
    _assert_same_fields(serial["fields"], parallel["fields"])


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_friction_on_two_processes_matches_the_serial_solve():
    """The patch block with Coulomb friction (mu = 0.3): the tissue spreading on the curved
    obstacle sticks in the middle and slips at the rim; under ``mpirun -n 2`` the friction's
    history (nodal fields committed per load step) and the unsymmetric Jacobian give the same
    iterations, forces, shear and stick area as serially (1e-6), the shear node by node."""
    _assert_same_friction("patch_block.py", "0.3")


def _assert_same_friction(script: str, mu: str) -> None:
    """``script`` with friction ``mu``, serially and under ``mpirun -n 2``: part of the contact
    slips; the same Newton and augmented-Lagrangian iterations, forces, peak pressure and
    shear, stick area (1e-6), and fields node by node, the shear and stick included."""
    serial = _run(script, args=(mu,))
    parallel = _run(script, MPIRUN, "-n", "2", args=(mu,))
    assert serial["size"] == 1 and parallel["size"] == 2
    assert serial["peak_shear_kPa"] > 0 and 0 < serial["stick_area_mm2"]
    assert serial["stick_area_mm2"] < serial["contact_area_mm2"]  # part of it slips
    for key in ("newton_iterations", "uzawa_iterations"):
        assert parallel[key] == serial[key], key
    for key in ("reaction_contact_N", "peak_pressure_MPa", "peak_shear_kPa", "stick_area_mm2"):
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key
    np.testing.assert_allclose(parallel["contact_force_N"], serial["contact_force_N"],
                               rtol=0, atol=1e-6 * serial["reaction_contact_N"])  # fmt: skip
    _assert_same_fields(serial["fields"], parallel["fields"])
    s = _sorted(serial["fields"]["nodal"]["x"], serial["fields"]["nodal"])
    p = _sorted(parallel["fields"]["nodal"]["x"], parallel["fields"]["nodal"])
    for key in ("skin_shear_kPa", "stick"):
        scale = np.abs(s[key]).max()
        np.testing.assert_allclose(p[key], s[key], rtol=0, atol=1e-6 * scale, err_msg=key)


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_rigid_bodies_on_two_processes_match_the_serial_solve():
    """Rigid-body unknowns (a real space, owned by one process) bonded to tissue distributed
    over two processes: the bar's six unknowns and the support reactions as serially."""
    serial = _run("rigid_bar.py")
    parallel = _run("rigid_bar.py", MPIRUN, "-n", "2")
    assert serial["size"] == 1 and parallel["size"] == 2
    assert serial["converged"] and parallel["converged"]
    assert np.allclose(parallel["U"], serial["U"], rtol=1e-6, atol=1e-12)
    for key in ("springs_N", "block_N"):
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_two_body_contact_on_two_processes_matches_the_serial_solve():
    """Two-body contact (a tissue hemisphere pressed into a softer block, non-matching
    meshes; each process projects with the surfaces gathered from all, and assembles the
    rows it owns) under ``mpirun -n 2``: the same Newton and augmented-Lagrangian iterations
    as serially, the reactions, peak pressure and area to 1e-6, the fields node by node."""
    serial = _run("two_body.py")
    parallel = _run("two_body.py", MPIRUN, "-n", "2")
    assert serial["size"] == 1 and parallel["size"] == 2
    assert serial["uzawa_iterations"] >= 1  # the augmented Lagrangian ran
    assert parallel["num_dofs"] == serial["num_dofs"]
    for key in ("newton_iterations", "uzawa_iterations"):
        assert parallel[key] == serial[key], key
    for key in ("reaction_contact_N", "reaction_dirichlet_N", "peak_pressure_MPa",
                "contact_area_mm2", "travel_mm"):  # fmt: skip
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key
    assert serial["reaction_contact_N"] == pytest.approx(0.5, rel=0.005)
    _assert_same_fields(serial["fields"], parallel["fields"])
    # the block's top and the pressure it carries, node by node
    s = _sorted(serial["target"]["x"], serial["target"])
    p = _sorted(parallel["target"]["x"], parallel["target"])
    np.testing.assert_allclose(p["points"], s["points"], atol=1e-12)
    assert s["pressure_MPa"].max() > 0
    for key in ("pressure_MPa", "area_mm2"):
        np.testing.assert_allclose(p[key], s[key], rtol=0, atol=1e-6 * s[key].max(), err_msg=key)


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_two_body_friction_on_two_processes_matches_the_serial_solve():
    """The hemisphere on the block with Coulomb friction between them (mu = 0.3): the friction's
    history (per slave quadrature point, replicated like the projection) and its unsymmetric
    Jacobian give under ``mpirun -n 2`` the same iterations, forces, shear and stick area as
    serially (1e-6), the shear node by node; part of the contact slips."""
    _assert_same_friction("two_body.py", "0.3")


def _sorted(points: list, data: dict) -> dict:
    """``data`` (arrays over ``points``) in the lexicographic order of the points (rounded to
    1e-9, as the coordinates differ in the last bits)."""
    pts = np.asarray(points)
    order = np.lexsort(np.round(pts, 9).T[::-1])
    return {k: np.asarray(v)[order] for k, v in data.items()} | {"points": pts[order]}


def _assert_same_fields(serial: dict, parallel: dict) -> None:
    """The fields gathered for a result folder on rank 0 equal the serial ones node by node
    and cell by cell (matched by coordinates, as the numbering differs)."""
    s = _sorted(serial["nodal"]["x"], serial["nodal"])
    p = _sorted(parallel["nodal"]["x"], parallel["nodal"])
    assert p["points"].shape == s["points"].shape
    np.testing.assert_allclose(p["points"], s["points"], atol=1e-12)
    assert s["on_surface"].sum() > 0 and np.array_equal(p["on_surface"], s["on_surface"])
    assert s["pressure_kPa"].max() > 0
    for key in ("displacement_mm", "pressure_kPa", "node_area_mm2"):
        scale = np.abs(s[key]).max()
        np.testing.assert_allclose(p[key], s[key], rtol=0, atol=1e-6 * scale, err_msg=key)
    s = _sorted(serial["cell_centres"], serial["cells"])
    p = _sorted(parallel["cell_centres"], parallel["cells"])
    np.testing.assert_allclose(p["points"], s["points"], atol=1e-12)
    assert np.array_equal(p["tag"], s["tag"])
    for key in ("von_mises_kPa", "max_shear_kPa", "strain_pct"):
        scale = np.abs(s[key]).max()
        np.testing.assert_allclose(p[key], s[key], rtol=0, atol=1e-6 * scale, err_msg=key)


@pytest.mark.slow
@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_forefoot_on_two_processes_matches_the_serial_solve():
    """The coarse default forefoot in standing (62k unknowns; a fresh LU per Newton step, so
    that both take the same load path, see tests/mpi/forefoot.py; 7 min for both here, with
    another job on the cores)."""
    serial = _run("forefoot.py")
    parallel = _run("forefoot.py", MPIRUN, "-n", "2")
    print(json.dumps({"serial": serial, "parallel": parallel}, indent=1))
    assert parallel["num_dofs"] == serial["num_dofs"]
    assert parallel["uzawa_iterations"] == serial["uzawa_iterations"]
    for key in ("reaction_contact_N", "reaction_dirichlet_N", "peak_pressure_kPa",
                "contact_area_mm2"):  # fmt: skip
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key


@pytest.mark.slow
@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_footsim_run_under_mpirun_writes_the_serial_result(tmp_path):
    """``mpirun -n 2 footsim run`` on a small forefoot (coarse grading, 7 mm under the heads,
    30 N, load steps kept; ~50 s each way here): the summary figures, the regional table and
    the written fields equal the serial run's."""
    import pyvista as pv

    scenario = tmp_path / "small.toml"
    scenario.write_text(
        'name = "small"\n[load]\ncase = "standing"\nforce_N = 30.0\n'
        '[mesh]\npreset = "coarse"\nsize_mm = 7.0\n[output]\nsteps = true\n'
        "[solver]\nreuse_factorization = false\n"  # the same load path (tests/mpi/forefoot.py)
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", FOOTSIM_MESH_DIR=str(tmp_path / "meshes"))
    footsim = [sys.executable, "-m", "footsim", "run", str(scenario), "--no-png"]
    folders = {}
    for label, prefix in (("serial", []), ("parallel", [MPIRUN, "-n", "2"])):
        out = tmp_path / label
        proc = subprocess.run(
            [*prefix, *footsim, "-o", str(out)],
            capture_output=True, text=True, timeout=1800, env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        assert proc.stdout.count("small: done") == 1  # rank 0 reports, once
        (folders[label],) = out.iterdir()
    summaries = {k: json.loads((f / "summary.json").read_text()) for k, f in folders.items()}
    assert summaries["parallel"]["mpi_processes"] == 2
    serial, parallel = summaries["serial"]["figures"], summaries["parallel"]["figures"]
    assert serial["MTH2_peak_kPa"] > 0
    for key, value in serial.items():
        if key != "wall_time_s":
            assert parallel[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    for name in ("plantar.vtu", "volume.vtu"):
        a, b = (pv.read(folders[k] / name) for k in ("serial", "parallel"))
        assert (a.n_points, a.n_cells) == (b.n_points, b.n_cells), name
    steps = [sorted((folders[k] / "steps").iterdir()) for k in ("serial", "parallel")]
    assert len(steps[0]) == len(steps[1]) > 1


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun on this machine")
def test_sweep_under_mpirun_is_refused_once(tmp_path):
    """``footsim sweep`` spreads runs over workers, not MPI ranks: under ``mpirun`` it stops
    before running anything, with its reason printed once (by rank 0), not once per rank."""
    sweep = Path(__file__).parents[1] / "sweeps" / "pad-position.toml"
    proc = subprocess.run(
        [MPIRUN, "-n", "2", sys.executable, "-m", "footsim", "sweep", str(sweep),
         "--output", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=600, env=dict(os.environ, OMP_NUM_THREADS="1"),
    )  # fmt: skip
    assert proc.returncode != 0
    assert proc.stderr.count("footsim sweep runs under one process, not mpirun -n 2") == 1
    assert not (tmp_path / "out").exists()
