"""``footsim optimise``: the study file, the optimiser on a known bowl, constraints, resume.

The runner ``_optimise_runners.bowl`` stands in for a solve behind the same interface (a real
run folder per design, cached by content hash): its objective has a known optimum, so the
study's answer can be checked against it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import footsim  # noqa: F401
from footsim.optimise import outputs, study
from footsim.optimise.spec import StudyError, load_study

HERE = Path(__file__).parent
SCENARIOS = HERE.parent / "scenarios"
BOWL = "_optimise_runners:bowl"

STUDY = """name = "bowl"
base = "{base}"
sampler = "tpe"
seed = 1
[variables]
"footwear.pad.apex_proximal_to_mth_mm" = {{ low = -5.0, high = 20.0 }}
"footwear.pad.height_mm" = {{ low = 3.0, high = 8.0 }}
[objective]
kind = "figure"
figure = "bowl_kPa"
{extra}"""
X = "footwear.pad.apex_proximal_to_mth_mm"
H = "footwear.pad.height_mm"


def write_study(folder: Path, extra: str = "") -> Path:
    path = folder / "study.toml"
    path.write_text(STUDY.format(base=SCENARIOS / "pad-5mm-proximal.toml", extra=extra))
    return path


@pytest.fixture(autouse=True)
def runners_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("PYTHONPATH", str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def test_the_study_finds_the_known_optimum(tmp_path):
    path = write_study(tmp_path)
    ostudy = study.optimise(path, tmp_path / "out", trials=40, runner=BOWL)
    best = outputs.best_trial(ostudy)
    assert best.values[0] < 103.0  # optimum 100 kPa at x = 7, h = 5.5
    assert abs(best.params[X] - 7.0) < 1.7 and abs(best.params[H] - 5.5) < 0.85
    table = outputs.trials_table(ostudy)
    failed = table[table["state"] == "FAIL"]
    assert len(table) == 40 and len(failed) >= 1  # apexes beyond 18 mm fail
    assert (failed["reason"].str.contains("did not converge")).all()
    assert outputs.read_baseline(tmp_path / "out" / "bowl") == "objective 200.0"  # no pad
    paths = outputs.write_outputs(ostudy, load_study(path), tmp_path / "out" / "bowl")
    best_scenario = paths["best"].read_text()
    assert f"apex_proximal_to_mth_mm = {best.params[X]}" in best_scenario
    assert "data:image/png;base64," in paths["html"].read_text()
    for picture in ("history", "importances", "slices", "map"):
        assert paths[picture].stat().st_size > 10_000, picture


def test_a_share_constraint_moves_the_optimum_to_its_bound(tmp_path):
    path = write_study(tmp_path, "[constraints]\nhead_share_max = { MTH1 = 0.3 }\n")
    ostudy = study.optimise(path, tmp_path / "out", trials=40, runner=BOWL)
    best = outputs.best_trial(ostudy)
    assert best.params[X] <= 5.0 + 1e-9  # MTH1's share 0.1 + 0.04 x <= 0.3
    assert best.values[0] < 108.0  # constrained optimum 104 kPa at x = 5, h = 5.5
    assert best.user_attrs["share_MTH1"] <= 0.3


def test_bad_study_files_are_refused_before_anything_runs(tmp_path):
    path = write_study(tmp_path, "[constraints]\nhead_share_max = { MTH9 = 0.3 }\n")
    with pytest.raises(StudyError, match="MTH9"):
        load_study(path)
    path.write_text(path.read_text().replace("low = 3.0, high = 8.0", "low = 8.0, high = 3.0"))
    with pytest.raises(StudyError, match="low = 8.0 must be below high = 3.0"):
        load_study(path)
    bad = (
        write_study(tmp_path)
        .read_text()
        .replace("footwear.pad.height_mm", "footwear.pad.hieght_mm")
    )
    path.write_text(bad)
    out = subprocess.run(
        [sys.executable, "-m", "footsim", "optimise", str(path), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "hieght_mm" in out.stderr
    assert not (tmp_path / "o").exists()


def test_a_killed_study_resumes_without_losing_a_finished_trial(tmp_path):
    import optuna
    from optuna.trial import TrialState

    path = write_study(tmp_path)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "footsim",
        "optimise",
        str(path),
        "--trials",
        "12",
        "-o",
        str(out),
        "--runner",
        "_optimise_runners:slow_bowl",
    ]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL)
    url = study.storage_url(out / "bowl")
    deadline = time.time() + 120
    done: list = []
    while time.time() < deadline and len(done) < 4:
        time.sleep(0.3)
        try:
            s = optuna.load_study(study_name="bowl", storage=url)
            done = s.get_trials(states=(TrialState.COMPLETE,))
        except Exception:  # noqa: BLE001 - the storage is not created yet
            continue
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {
        t.number: t.values[0]
        for t in optuna.load_study(study_name="bowl", storage=url).get_trials(
            states=(TrialState.COMPLETE,)
        )
    }
    assert 4 <= len(before) < 12
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    s = optuna.load_study(study_name="bowl", storage=url)
    after = {t.number: t for t in s.get_trials()}
    for number, value in before.items():  # nothing finished was lost or redone
        assert after[number].state == TrialState.COMPLETE and after[number].values[0] == value
    finished = [t for t in after.values() if t.state != TrialState.RUNNING]
    assert len(finished) == len(after) >= 12


@pytest.mark.parametrize("path", sorted((HERE.parent / "studies").glob("*.toml")))
def test_shipped_study_files_load(path):
    st = load_study(path)
    assert st.scenario({}).footwear.pad is not None


def test_two_workers_and_a_resumed_study_propose_designs_of_their_own(tmp_path):
    """Each worker, and each resumption, samples with a seed of its own: no design is proposed
    twice (with one seed for all, two workers' first random designs were the same)."""
    path = write_study(tmp_path)
    study.optimise(path, tmp_path / "out", trials=6, workers=2, runner=BOWL)
    ostudy = study.optimise(path, tmp_path / "out", trials=10, runner=BOWL)  # resumed
    designs = [(t.params[X], t.params[H]) for t in ostudy.get_trials()]
    assert len(designs) >= 10
    assert len(set(designs)) == len(designs), designs


def test_a_study_on_a_dask_cluster_shares_its_storage(tmp_path):
    """Two trials at a time as Dask tasks on a local cluster, sharing the SQLite storage:
    the trials asked for are finished, none proposed twice, and the best is the bowl's."""
    path = write_study(tmp_path)
    ostudy = study.optimise(
        path, tmp_path / "out", trials=8, workers=2, runner=BOWL, scheduler="local"
    )
    table = outputs.trials_table(ostudy)
    assert int(table["state"].isin(["COMPLETE", "FAIL"]).sum()) >= 8
    assert (table.loc[table["state"] == "FAIL", X] > 18.0).all()  # the bowl's failures only
    designs = [(t.params[X], t.params[H]) for t in ostudy.get_trials()]
    assert len(set(designs)) == len(designs)
    best = outputs.best_trial(ostudy)
    assert best.values[0] == pytest.approx(
        100 + (best.params[X] - 7) ** 2 + 4 * (best.params[H] - 5.5) ** 2
    )
