"""Sweep engine: schema, expansion, cache, resume after a kill, failures, pool = Dask."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

import footsim  # noqa: F401
from _helpers import sweep_command, write_mass_sweep
from footsim.run import sweeps

HERE = Path(__file__).parent
RUNNER = "_sweep_runners:fake"


def _calls(path):
    return sorted(p.name.split(".")[0] for p in Path(path).glob("*")) if path.exists() else []


@pytest.fixture
def calls(tmp_path, monkeypatch):
    d = tmp_path / "calls"
    monkeypatch.setenv("FOOTSIM_TEST_CALLS", str(d))
    monkeypatch.setenv("PYTHONPATH", str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return d


def test_ranges_and_product_and_zip(tmp_path):
    spec = sweeps.SweepSpec(
        name="s",
        base="b.toml",
        parameters={
            "footwear.pad.apex_x_mm": {"start": -15.0, "stop": 5.0, "step": 2.5},
            "footwear.pad.height_mm": [4, 6],
        },
    )
    grid = spec.grid()
    assert len(grid) == 9 * 2
    x = [g["footwear.pad.apex_x_mm"] for g in grid[::2]]
    assert x == [-15.0, -12.5, -10.0, -7.5, -5.0, -2.5, 0.0, 2.5, 5.0]
    with pytest.raises(ValueError, match="equal length"):
        sweeps.SweepSpec(
            name="s",
            base="b",
            mode="zip",
            parameters={"load.body_mass_kg": [60, 70], "mesh.size_mm": [5]},
        )


def test_schema_errors_name_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nbase = "b.toml"\nmodes = "zip"\n[parameters]\n"a" = [1]\n')
    with pytest.raises(sweeps.SweepError, match="modes: unknown key.*did you mean 'mode'"):
        sweeps.load_spec(path)


def test_invalid_variant_is_a_failed_row_and_others_run(tmp_path, calls):
    path = write_mass_sweep(tmp_path, [60.0, 500.0, 70.0])
    table = sweeps.run_sweep(path, tmp_path / "r", runner=RUNNER, workers=1, progress=False)
    assert list(table["status"]) == ["done", "failed", "done"]
    assert "body_mass_kg" in table.loc[1, "reason"] and "250" in table.loc[1, "reason"]
    assert table.loc[2, "MTH2_peak_kPa"] == pytest.approx(210.0)


def test_second_run_solves_nothing(tmp_path, calls):
    path = write_mass_sweep(tmp_path, [60.0, 70.0, 80.0])
    first = sweeps.run_sweep(path, tmp_path / "r", runner=RUNNER, workers=1, progress=False)
    n = len(_calls(calls))
    assert n == 3 and list(first["status"]) == ["done", "done", "failed"]
    second = sweeps.run_sweep(path, tmp_path / "r", runner=RUNNER, workers=1, progress=False)
    assert len(_calls(calls)) == n  # nothing solved again, the failure is not retried
    assert second["cached"].all()
    pd.testing.assert_frame_equal(
        first.drop(columns="cached"), second.drop(columns="cached"), check_dtype=False
    )
    sweeps.run_sweep(
        path, tmp_path / "r", runner=RUNNER, workers=1, progress=False, retry_failed=True
    )
    assert len(_calls(calls)) == n + 1  # only the failed one is retried
    parquet = pd.read_parquet(tmp_path / "r" / "mass" / "table.parquet")
    assert len(parquet) == 3


def test_adding_values_to_a_sweep_reuses_finished_runs(tmp_path, calls):
    """Runs are found by content hash, not by their index in the sweep: extending the sweep at
    its front shifts every index but solves only the new value."""
    path = write_mass_sweep(tmp_path, [60.0, 70.0])
    sweeps.run_sweep(path, tmp_path / "r", runner=RUNNER, workers=1, progress=False)
    assert len(_calls(calls)) == 2
    path = write_mass_sweep(tmp_path, [50.0, 60.0, 70.0])
    table = sweeps.run_sweep(path, tmp_path / "r", runner=RUNNER, workers=1, progress=False)
    assert len(_calls(calls)) == 3  # only 50 kg was solved
    assert list(table["cached"]) == [False, True, True]
    assert (table["status"] == "done").all()
    assert table.loc[2, "MTH2_peak_kPa"] == pytest.approx(210.0)  # the 70 kg run, reused


def test_worker_crash_is_recorded_and_others_finish(tmp_path, calls):
    path = write_mass_sweep(tmp_path, [60.0, 90.0, 70.0, 75.0])
    table = sweeps.run_sweep(path, tmp_path / "r", runner=RUNNER, workers=2, progress=False)
    by_mass = table.set_index("load.body_mass_kg")
    assert by_mass.loc[90.0, "status"] == "failed"
    assert "crashed" in by_mass.loc[90.0, "reason"]
    assert (by_mass.drop(index=90.0)["status"] == "done").all()


def test_a_run_killed_beside_a_crash_is_not_blamed_for_it(tmp_path, calls):
    """60 kg runs beside the 90 kg run that kills its worker: both lose their pool, both are
    run again alone, and only the 90 kg run is recorded as the crash."""
    path = write_mass_sweep(tmp_path, [60.0, 90.0, 70.0])
    table = sweeps.run_sweep(
        path, tmp_path / "r", runner="_sweep_runners:slow_beside_crash", workers=2, progress=False
    )
    by_mass = table.set_index("load.body_mass_kg")
    assert by_mass.loc[90.0, "status"] == "failed"
    assert "crashed" in by_mass.loc[90.0, "reason"]
    assert (by_mass.drop(index=90.0)["status"] == "done").all(), by_mass["reason"].to_dict()


def test_killed_sweep_resumes_without_redoing_finished_runs(tmp_path, calls):
    path = write_mass_sweep(tmp_path, [50.0, 55.0, 60.0, 65.0, 70.0, 75.0])
    root = tmp_path / "r"
    cmd = sweep_command(path, root, "_sweep_runners:slow", workers=1)
    env = dict(os.environ)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    table_path = root / "mass" / "table.csv"
    deadline = time.time() + 120
    while time.time() < deadline:
        if table_path.exists() and len(pd.read_csv(table_path)) >= 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = set(pd.read_csv(table_path)["index"])
    assert 2 <= len(finished) < 6
    done_calls = _calls(calls)
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    final = pd.read_csv(table_path)
    assert sorted(final["index"]) == list(range(6)) and (final["status"] == "done").all()
    after = _calls(calls)
    for i in finished:  # each run finished before the kill ran exactly once
        assert after.count(f"mass-{i:03d}") == 1
    assert len(after) <= len(done_calls) + (6 - len(finished))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited and waits for its new parent to reap it


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_pool_workers_end_when_the_driver_is_killed(tmp_path, calls):
    """``kill -9`` of ``footsim sweep`` must not leave its workers solving in the background."""
    path = write_mass_sweep(tmp_path, [50.0, 55.0])
    cmd = sweep_command(path, tmp_path / "r", "_sweep_runners:sleepy", workers=2)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids_dir = calls / "pids"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(pids_dir.glob("*"))) < 2:
        time.sleep(0.1)
    pids = [int(p.name) for p in pids_dir.glob("*")]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 15
    while time.time() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids), "pool workers outlived the killed driver"
    assert not (tmp_path / "r" / "mass" / "table.csv").exists() or (
        pd.read_csv(tmp_path / "r" / "mass" / "table.csv").empty
    )


def test_dask_local_cluster_gives_the_pool_table(tmp_path, calls):
    pytest.importorskip("distributed")
    path = write_mass_sweep(tmp_path, [60.0, 70.0, 80.0])
    pool = sweeps.run_sweep(path, tmp_path / "a", runner=RUNNER, workers=2, progress=False)
    dask = sweeps.run_sweep(
        path, tmp_path / "b", runner=RUNNER, workers=2, scheduler="local", progress=False
    )
    cols = ["index", "load.body_mass_kg", "status", "reason", "hash", "MTH2_peak_kPa"]
    pd.testing.assert_frame_equal(pool[cols], dask[cols])


@pytest.mark.slow
def test_real_sweep_on_the_coarse_forefoot(tmp_path):
    path = tmp_path / "sweep.toml"
    (tmp_path / "base.toml").write_text('[load]\ncase = "standing"\n[mesh]\npreset = "coarse"\n')
    path.write_text(
        'name = "real"\nbase = "base.toml"\n[parameters]\n"load.body_mass_kg" = [60.0, 70.0]\n'
    )
    table = sweeps.run_sweep(path, tmp_path / "r", workers=2, progress=False)
    assert (table["status"] == "done").all(), table["reason"].tolist()
    assert table.loc[1, "MTH2_peak_kPa"] > table.loc[0, "MTH2_peak_kPa"]
