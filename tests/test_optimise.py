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


PRESSURE_TIME = """kind = "pressure_time"
regions = ["MTH2", "MTH3", "MTH4"]
[objective.phases]
standing = { seconds = 0.2 }
push-off = { seconds = 0.3, set = { "load.case" = "push_off" } }"""
FIGURE = 'kind = "figure"\nfigure = "bowl_kPa"'


def write_pressure_time_study(folder: Path, extra: str = "") -> Path:
    """The bowl study with the pressure-time objective over standing and push-off."""
    path = write_study(folder, extra)
    path.write_text(path.read_text().replace(FIGURE, PRESSURE_TIME))
    return path


def test_pressure_time_sums_each_postures_sensor_peaks_times_its_seconds(tmp_path):
    """One design (x = 9, h = 6) run standing and at push-off by the bowl: the objective is
    0.2 s x its standing peak + 0.3 s x its push-off peak, read on the platform's sensors;
    the pressure under the pad is the larger of the two postures' (30 h at push-off)."""
    from footsim.optimise.objectives import evaluate
    from footsim.run.batch import resolve_runner

    st = load_study(write_pressure_time_study(tmp_path, "[constraints]\npad_peak_kPa = 150.0"))
    runs = study.run_design(st, {X: 9.0, H: 6.0}, tmp_path / "runs", resolve_runner(BOWL))
    assert runs["reason"] == "" and set(runs["folders"]) == {"standing", "push-off"}
    standing = 100.0 + 2.0**2 + 4.0 * 0.5**2
    push_off = 2.0 * (100.0 + 4.0**2 + 4.0 * 0.5**2)
    figures = evaluate(st.spec, runs["folders"])
    assert figures["objective"] == pytest.approx(0.2 * standing + 0.3 * push_off, rel=1e-6)
    assert figures["pad_peak_kPa"] == pytest.approx(30.0 * 6.0, rel=1e-6)
    assert figures["constraints"] == [pytest.approx(30.0 * 6.0 - 150.0, rel=1e-6)]
    assert st.spec.objective.unit == "kPa s"


def test_a_pressure_time_study_finds_the_optimum_of_both_postures(tmp_path):
    """Standing's optimum is x = 7 mm, push-off's x = 13 mm (twice as steep): with 0.2 and
    0.3 s the combined optimum is x = (0.2 * 7 + 0.6 * 13) / 0.8 = 11.5 mm, h = 5.5 mm,
    0.2 (100 + 4.5^2) + 0.6 (100 + 1.5^2) = 85.4 kPa s; without the pad 181.6 kPa s."""
    path = write_pressure_time_study(tmp_path)
    ostudy = study.optimise(path, tmp_path / "out", trials=40, runner=BOWL)
    best = outputs.best_trial(ostudy)
    assert best.values[0] < 87.5
    assert abs(best.params[X] - 11.5) < 1.7 and abs(best.params[H] - 5.5) < 0.85
    assert {"folder_standing", "folder_push-off"} <= set(best.user_attrs)
    assert best.user_attrs["folder"] == best.user_attrs["folder_standing"]
    assert outputs.read_baseline(tmp_path / "out" / "bowl") == "objective 181.6"
    paths = outputs.write_outputs(ostudy, load_study(path), tmp_path / "out" / "bowl")
    assert "the study ran it as standing, push-off" in paths["best"].read_text()
    assert "kPa s" in paths["html"].read_text()


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
    for old, new, message in (
        (FIGURE, FIGURE + "\n[objective.phases]\nstanding = { seconds = 0.2 }", "only for that"),
        (FIGURE, 'kind = "pressure_time"', "needs \\[objective.phases\\]"),
    ):
        path.write_text(write_study(tmp_path).read_text().replace(old, new))
        with pytest.raises(StudyError, match=message):
            load_study(path)
    moved = write_pressure_time_study(tmp_path).read_text()
    moved = moved.replace('"load.case" = "push_off"', f'"{H}" = 4.0')
    path.write_text(moved)
    with pytest.raises(StudyError, match="sets the design variable"):
        load_study(path)


def _completed(db: Path) -> int:
    """Finished trials in the study storage ``db``, read without writing (0 before the
    study has created its tables)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return con.execute("select count(*) from trials where state = 'COMPLETE'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_study_opened_while_another_process_creates_its_tables_loads_it(tmp_path, monkeypatch):
    """The storage's tables created by another process between our check and our CREATE
    TABLE: SQLite refuses it, and the study is opened again (loaded) instead of failing."""
    import optuna
    from sqlalchemy.exc import OperationalError

    spec = study.load_study(write_study(tmp_path))
    real, calls = optuna.create_study, []

    def racing(**kwargs):
        calls.append(kwargs["study_name"])
        if len(calls) == 1:
            real(**kwargs)  # the other process's tables (and study)...
            raise OperationalError(
                "CREATE TABLE studies", {}, Exception("table studies already exists")
            )
        return real(**kwargs)

    monkeypatch.setattr(optuna, "create_study", racing)
    opened = study.open_study(spec, tmp_path / "out", trials=4)
    assert len(calls) == 2 and opened.study_name == spec.spec.name


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
    done = 0
    db = out / "bowl" / "study.db"
    while time.time() < deadline and done < 4:
        time.sleep(0.3)
        done = _completed(db)  # read-only: the poll must not create the storage's tables
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
