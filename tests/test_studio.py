"""footsim studio without a browser: the form checked by the scenario schema (limits, errors by
field, the hash of a shipped design), the outline's pixel <-> mm map, the run queue's worker
process (a refused scenario, a cancelled run), and studies of the pad run with the cheap bowl
runner of tests/_optimise_runners.py (kPa, and kPa s for the pressure-time objective). The
browser test is tests/test_studio_browser.py.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("trame", reason="the `studio` extra (trame) is part of `test`")

from footsim.model import keys  # noqa: E402
from footsim.model.bundled import shipped  # noqa: E402
from footsim.model.footwear import apply_heel  # noqa: E402
from footsim.studio import design, outline  # noqa: E402
from footsim.studio.jobs import Queue  # noqa: E402
from footsim.validate.suite import MESHES  # noqa: E402


def test_slider_limits_are_the_schemas_bounds():
    """Each slider spans exactly what the schema accepts, read from the field's metadata."""
    limits = {c.key: c.limits for c in design.CONTROLS if c.kind == "slider"}
    assert limits["load.body_mass_kg"] == (20.0, 250.0)
    assert limits["anatomy.tissue_thickness_mm.1"] == (2.0, 30.0)
    assert limits["footwear.pad.apex_proximal_to_mth_mm"] == (-10.0, 30.0)
    for key, (lo, hi) in limits.items():
        assert lo < hi, key
        assert keys.key_error(key.rsplit(".", 1)[0] if key[-1].isdigit() else key) is None


def test_the_start_design_is_the_shipped_pad_scenario_and_keeps_its_hash():
    """A design left as it starts is the shipped pad scenario on the teaching mesh: same
    physics, same hash, so its cached run is found again."""
    base = design.start_base()
    reference = shipped(design.START_SCENARIO, MESHES[design.START_MESH])
    checked = design.check(base, design.values_of(reference))
    assert checked.ok, checked
    assert checked.scenario.content_hash() == reference.content_hash()


def test_each_error_is_shown_next_to_its_field():
    base = design.start_base()
    values = design.values_of(design.check(base, {}).scenario)
    bad = design.check(base, dict(values, load__body_mass_kg=300.0))
    assert not bad.ok
    assert set(bad.field_errors) == {"load__body_mass_kg"}
    assert "300.0" in bad.field_errors["load__body_mass_kg"]
    assert "le 250" in bad.field_errors["load__body_mass_kg"]
    # a check across tables (the pad against the insole and the foot) lands on the field
    # its message names first
    beside = design.check(base, dict(values, footwear__pad__apex_y_mm=80.0))
    assert set(beside.field_errors) == {"footwear__pad__apex_y_mm"}
    assert "outside the insole" in beside.field_errors["footwear__pad__apex_y_mm"]
    # rigid jointed bones stand on an insole with a pad
    assert design.check(base, dict(values, load_path__bones="rigid")).ok


def test_switches_remove_the_tables_and_moves_change_the_design():
    base = design.start_base()
    values = design.values_of(design.check(base, {}).scenario)
    barefoot = design.check(base, dict(values, footwear__insole=False)).scenario
    assert barefoot.footwear.insole is None and barefoot.footwear.pad is None
    no_pad = design.check(base, dict(values, footwear__pad=False)).scenario
    assert no_pad.footwear.insole is not None and no_pad.footwear.pad is None
    moved = dict(values, footwear__pad__apex_proximal_to_mth_mm=12.0)
    moved["footwear__pad__apex_y_mm"] += 4.0
    pad = design.check(base, moved).scenario.footwear.pad
    assert pad.apex_proximal_to_mth_mm == 12.0
    assert pad.apex_y_mm == pytest.approx(values["footwear__pad__apex_y_mm"] + 4.0)
    thin = dict(values, anatomy__tissue_thickness_mm__1=6.0)
    assert design.check(base, thin).scenario.anatomy.tissue_thickness_mm[1] == 6.0
    coarse = design.check(base, dict(values, mesh="coarse")).scenario
    assert coarse.mesh.preset == "coarse" and coarse.mesh.size_mm is None


def _frame():
    scenario = shipped(design.START_SCENARIO)
    anatomy = apply_heel(scenario.anatomy, scenario.footwear)
    return anatomy, scenario.footwear, outline.Frame.around(anatomy, scenario.footwear)


@settings(max_examples=50, deadline=None)
@given(st.floats(-60.0, 40.0), st.floats(-50.0, 70.0))
def test_outline_pixels_and_millimetres_are_inverse(x, y):
    _, _, frame = _frame()
    u, v = frame.to_px(x, y)
    assert np.allclose(frame.to_mm(u, v), (x, y), atol=1e-9)


def test_the_outline_puts_the_heads_and_the_pad_where_the_model_has_them():
    """The heads' circles sit at the heads' centres and the pad's cross at its apex; a pointer
    on the cross gives back the pad's own position."""
    anatomy, footwear, frame = _frame()
    svg = outline.svg(anatomy, footwear, frame)
    u, v = frame.to_px(*anatomy.head_centres()[1][:2])
    assert f'cx="{u:.1f}" cy="{v:.1f}"' in svg
    au, av = frame.to_px(*footwear.pad.apex_xy(anatomy))
    proximal, y = outline.pad_position_at(anatomy, frame, au, av)
    assert proximal == pytest.approx(footwear.pad.apex_proximal_to_mth_mm, abs=0.25)
    assert y == pytest.approx(footwear.pad.apex_xy(anatomy)[1], abs=0.25)
    # toes are up: a pointer higher in the picture is more distal (less proximal)
    assert outline.pad_position_at(anatomy, frame, au, av - 20)[0] < proximal


def _queue_run(tmp_path, toml_text, *, cancel_after_s=None):
    events = []

    async def go():
        q = Queue(tmp_path, workers=1, on_change=lambda j: events.append((j.status, j.message)))
        job = q.submit("t", toml_text)
        if cancel_after_s is not None:
            await asyncio.sleep(cancel_after_s)
            q.cancel(job.id)
        while not job.finished:
            await asyncio.sleep(0.1)
        return job

    return asyncio.run(go()), events


def test_a_refused_scenario_fails_its_job_with_the_reason(tmp_path):
    job, _ = _queue_run(tmp_path, "[load]\nbody_mass_kg = 400.0\n")
    assert job.status == "failed"
    assert "load.body_mass_kg = 400.0" in job.reason and "le 250" in job.reason


def test_a_cancelled_run_leaves_nothing_behind(tmp_path):
    """Cancel while the worker is meshing: the job says so, and no run folder or staging
    folder is left in the results folder."""
    text = shipped("barefoot-standing").to_toml()
    job, events = _queue_run(tmp_path, text, cancel_after_s=3.0)
    assert job.status == "cancelled", events
    left = [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")]
    assert left == [], left


def test_the_worker_is_this_interpreter():
    assert Queue(".").python == sys.executable


def test_a_study_of_the_design_runs_and_is_followed(tmp_path, monkeypatch):
    """A study of the start design's pad, written as files ``footsim optimise`` reads, run in
    its own process with the bowl runner (optimum: apex 7 mm proximal, 5.5 mm high, 100 kPa)
    and followed from its storage: every trial listed, the best is the smallest."""
    from footsim.optimise.spec import load_study
    from footsim.studio import studies

    tests = str(__import__("pathlib").Path(__file__).parent)
    monkeypatch.setenv("PYTHONPATH", tests)
    scenario = design.check(design.start_base(), {}).scenario
    path = studies.write_study(
        tmp_path, scenario, apex_mm=(0.0, 16.0), height_mm=(3.0, 7.0), objective="fat-pad-stress"
    )
    study = load_study(path)
    assert set(study.spec.variables) == {studies.APEX_KEY, studies.HEIGHT_KEY}
    assert (
        study.scenario(
            {studies.APEX_KEY: 7.0, studies.HEIGHT_KEY: 5.5}
        ).footwear.pad.apex_proximal_to_mth_mm
        == 7.0
    )
    assert (
        studies.write_study(
            tmp_path,
            scenario,
            apex_mm=(0.0, 16.0),
            height_mm=(3.0, 7.0),
            objective="fat-pad-stress",
        )
        == path
    )  # the same study again: the same name, so it resumes

    async def go():
        run = studies.StudyRun(path, tmp_path, trials=8, runner="_optimise_runners:bowl")
        run.start()
        while not run.finished:
            await asyncio.sleep(0.2)
        return run

    run = asyncio.run(go())
    assert run.status == "done", run.message
    assert len(run.rows) == 8 and all(r["state"] == "complete" for r in run.rows)
    best = min(r["objective"] for r in run.rows)
    assert run.best["objective"] == best
    bowl = 100 + (run.best["apex_mm"] - 7) ** 2 + 4 * (run.best["height_mm"] - 5.5) ** 2
    assert best == pytest.approx(bowl, abs=0.1)
    assert (run.folder / "best.toml").exists() and (run.folder / "report.html").exists()


def test_a_study_needs_a_pad(tmp_path):
    from footsim.studio import studies

    values = design.values_of(design.check(design.start_base(), {}).scenario)
    barefoot = design.check(design.start_base(), dict(values, footwear__pad=False)).scenario
    with pytest.raises(ValueError, match="footwear.pad"):
        studies.write_study(tmp_path, barefoot, apex_mm=(0, 10), height_mm=(3, 7))


def test_a_missing_browser_fails_the_browser_test_with_what_to_install(monkeypatch, tmp_path):
    from _browser import CHROMIUM_ENV, chromium_path

    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    with pytest.raises(pytest.fail.Exception, match="make browser"):
        chromium_path()


def test_the_app_places_the_pad_within_the_fields_limits(tmp_path):
    """The app without a browser: a pointer on the outline sets the apex fields; one beyond
    the drawing's ends is held at the fields' limits, as their sliders are."""
    from footsim.studio.app import Studio

    app = Studio(tmp_path / "results")
    width = app._frame.size_px[0]
    proximal = design.PAD_KEYS[0].replace(".", "__")
    anatomy, frame = app._anatomy, app._frame
    u, v = frame.to_px(*anatomy.head_centres()[1][:2])  # on MTH2's centre
    app.place_pad(float(u), float(v), width)
    expected = outline.pad_position_at(anatomy, frame, float(u), float(v))
    assert (app.state[proximal], app.state["footwear__pad__apex_y_mm"]) == expected
    app.place_pad(float(u), 10_000.0, width)  # far proximal, off the drawing
    assert app.state[proximal] == design.BY_NAME[proximal].limits[1]
    app.place_pad(float(u), -10_000.0, width)  # far distal
    assert app.state[proximal] == design.BY_NAME[proximal].limits[0]


def test_the_run_list_reads_run_folders_newest_first(tmp_path):
    """Run folders (with a summary) are listed newest first, failed ones marked, other
    folders (the pictures of comparisons, staging folders) left out."""
    import json
    import os

    from footsim.studio import pictures

    def summary(name, status, mtime, peak=None):
        folder = tmp_path / name
        folder.mkdir()
        data = {
            "name": name,
            "status": status,
            "reason": "SolverError: x" if status == "failed" else "",
        }
        if peak is not None:
            data["solution"] = {"peak_pressure_kPa": peak}
        (folder / "summary.json").write_text(json.dumps(data))
        os.utime(folder / "summary.json", (mtime, mtime))

    summary("a-1", "done", 100, peak=123.4)
    summary("b-2", "failed", 300)
    summary("c-3", "done", 200)  # done, without a solution summary (a test runner's)
    (tmp_path / "compare").mkdir()
    (tmp_path / ".a-1.x.tmp").mkdir()
    runs = pictures.list_runs(tmp_path)
    assert [r.folder for r in runs] == ["b-2", "c-3", "a-1"]
    assert [r.label for r in runs] == ["b-2 (failed)", "c-3", "a-1: peak 123 kPa"]


PRESSURE_TIME_STUDY = Path(__file__).parents[1] / "studies" / "pad-pressure-time.toml"
"""The shipped pressure-time study, whose postures the studio's pressure-time objective takes."""


def test_a_pressure_time_study_from_the_app_is_in_kpa_s_and_gives_back_its_best_design(
    tmp_path, monkeypatch
):
    """The Optimise tab's pressure-time objective, in-process without a browser: the postures
    of ``studies/pad-pressure-time.toml`` (standing and push-off), each design run once per
    posture by the bowl runner (push-off: twice as steep, optimum 13 mm proximal); the trials
    table, its heading and the best design say kPa s; *Use the best design* puts the best pad
    into the form, in the design's own (standing) posture."""
    import optuna

    from footsim.optimise.spec import load_study
    from footsim.optimise.study import storage_url
    from footsim.studio.app import Studio

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))  # the bowl runner
    app = Studio(tmp_path / "results", study_runner="_optimise_runners:bowl")
    app.state.update(
        study_objective="pressure-time",
        study_trials=6,
        study_apex=[0.0, 16.0],
        study_height=[3.0, 7.0],
    )

    async def go():
        app.start_study()
        assert app.study is not None, app.state.study_message
        while not app.study.finished:
            await asyncio.sleep(0.2)

    asyncio.run(go())
    s = app.state
    assert s.study_status == "done", s.study_message
    phases = load_study(app.study.path).spec.objective.phases
    assert phases == load_study(PRESSURE_TIME_STUDY).spec.objective.phases  # the one source
    trials = optuna.load_study(
        study_name=app.study.path.stem, storage=storage_url(app.study.folder)
    ).trials
    assert len(phases) == 2  # each design run once per posture
    assert all({f"folder_{p}" for p in phases} <= set(t.user_attrs) for t in trials)
    rows = s.study_rows
    assert len(rows) == 6 and all(r["state"] == "complete" for r in rows)
    seconds = [p.seconds for p in phases.values()]  # standing, push-off
    for r in rows:
        x, h = r["apex_mm"], r["height_mm"]
        standing = 100 + (x - 7) ** 2 + 4 * (h - 5.5) ** 2
        push_off = 2 * (100 + (x - 13) ** 2 + 4 * (h - 5.5) ** 2)
        assert r["objective"] == pytest.approx(
            seconds[0] * standing + seconds[1] * push_off, abs=0.3
        )
    best = min(rows, key=lambda r: r["objective"])
    assert s.study_best.endswith(f": {best['objective']:g} kPa s"), s.study_best
    headings = {h["key"]: h["title"] for h in s.study_headers}
    assert headings["objective"] == "Objective kPa s"
    assert "kPa s" in (app.study.folder / "report.html").read_text()
    app.use_best_design()
    assert s[design.PAD_KEYS[0].replace(".", "__")] == pytest.approx(best["apex_mm"], abs=0.01)
    assert s["footwear__pad__height_mm"] == pytest.approx(best["height_mm"], abs=0.01)
    assert s["load__case"] == "standing"  # the design, not its push-off posture
    assert app.check_design().ok


def test_a_pressure_time_study_starts_from_the_study_files_posture(tmp_path):
    """The postures are the study file's, over its standing base: a design already at
    push-off would run push-off as its 'standing' posture, so it is refused, saying why."""
    from footsim.studio import studies

    values = design.values_of(design.check(design.start_base(), {}).scenario)
    push_off = design.check(design.start_base(), dict(values, load__case="push_off")).scenario
    with pytest.raises(ValueError, match="load.case"):
        studies.write_study(
            tmp_path, push_off, apex_mm=(0, 16), height_mm=(3, 7), objective="pressure-time"
        )
