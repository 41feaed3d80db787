"""``footsim validate``: the verdict rule, the cases' inputs, and a quick run end to end.

The end-to-end test runs the quick standing cases on the teaching mesh (7 mm): two barefoot
standing runs, judged against the published measurements of ``footsim.validate.studies``.
The standing pattern (MTH3 above MTH1 and MTH5; a thinner fat pad raises the peak) is the
model's agreement with those studies, so a change that breaks it fails here.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import footsim  # noqa: F401
from footsim.validate import cases, studies, suite
from footsim.validate.evidence import Measurement, Study
from footsim.validate.verdicts import Verdict, verdict

STUDY = Study("Someone 2000, J Test 1:1", "10", "platform", "walking")
finite = st.floats(-1e4, 1e4, allow_nan=False)


@given(mean=finite, sd=st.floats(0.01, 1e3), model=finite)
def test_magnitude_verdict_is_the_distance_in_standard_deviations(mean, sd, model):
    v = verdict(model, Measurement(STUDY, mean, sd, "kPa"))
    gap = abs(model - mean)
    if gap <= sd:
        assert v is Verdict.WITHIN
    elif gap <= 2 * sd:
        assert v is Verdict.NEAR
    else:
        assert v is (Verdict.OUTSIDE_HIGH if model > mean else Verdict.OUTSIDE_LOW)


@given(mean=finite.filter(lambda x: abs(x) > 1e-6), sd=st.floats(0.01, 1e3), model=finite)
def test_a_change_of_the_wrong_sign_is_opposite_however_close(mean, sd, model):
    v = verdict(model, Measurement(STUDY, mean, sd, "%"), signed=True)
    if model * mean < 0:
        assert v is Verdict.OPPOSITE
    else:
        assert v is not Verdict.OPPOSITE


@given(sign=st.sampled_from([1.0, -1.0]), model=finite.filter(lambda x: x != 0.0))
def test_direction_only_measurements_give_same_direction_or_opposite(sign, model):
    v = verdict(model, Measurement(STUDY, sign, None, "%", kind="sign"), signed=True)
    assert v is (Verdict.SAME_DIRECTION if model * sign > 0 else Verdict.OPPOSITE)
    assert v.agrees == (model * sign > 0)


def test_failed_and_unspread_figures():
    m = Measurement(STUDY, 45.7, None, "%")
    assert verdict(None, m) is Verdict.FAILED
    assert verdict(math.nan, m) is Verdict.FAILED
    assert verdict(40.0, m) is Verdict.NO_SPREAD
    with pytest.raises(ValueError, match="sign measurement has mean"):
        Measurement(STUDY, 0.5, None, "%", kind="sign")
    with pytest.raises(ValueError, match="sd = -1"):
        Measurement(STUDY, 1.0, -1.0, "kPa")


def test_every_measurement_names_its_study_sample_and_instrument():
    found = [m for m in vars(studies).values() if isinstance(m, Measurement)]
    assert len(found) >= 12
    for m in found:
        assert m.study.cite and m.study.n and m.study.instrument and m.study.condition
        assert any(ch.isdigit() for ch in m.study.cite), m.study.cite  # a year at least
    for case in cases.CASES:
        for comp in case.comparisons:
            assert "(" in comp.label and comp.label.endswith(")"), comp.label  # the unit


@pytest.mark.parametrize("mesh", sorted(suite.MESHES))
def test_every_case_resolves_to_valid_scenarios(mesh):
    resolved = suite.scenarios(cases.CASES, mesh, sensitivity=True)
    expected = sum(len(c.runs) * (1 + len(c.sensitivity)) for c in cases.CASES)
    assert len(resolved) == expected
    for key, scenario in resolved.items():
        preset = suite.MESHES[mesh]["mesh"]["preset"]
        assert scenario.mesh.preset == preset, key
    # every intervention compares different scenarios; every variation changes its runs
    for case in cases.CASES:
        hashes = [resolved[(case.name, r, "")].content_hash() for r in case.runs]
        assert len(set(hashes)) == len(hashes), case.name
        for v in case.sensitivity:
            for r in case.runs:
                assert resolved[(case.name, r, v.label)].content_hash() not in hashes, v.label


def test_unknown_case_or_mesh_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(suite.ValidationError, match="'standing' is not a validation case"):
        suite.select(["standing"])
    with pytest.raises(suite.ValidationError, match="mesh = 'huge'"):
        suite.scenarios(cases.CASES, "huge")
    out = subprocess.run(
        [sys.executable, "-m", "footsim", "validate", "--only", "pad", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "'pad' is not a validation case" in out.stderr
    assert not any(tmp_path.iterdir())


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    folder = tmp_path_factory.mktemp("validation")
    only = ["standing-regions", "fat-pad-thickness"]
    v = suite.validate(folder, mesh="teaching", only=only, workers=1, progress=False)
    return v


def test_quick_standing_cases_run_and_agree_with_the_measured_pattern(quick):
    from footsim.validate import report

    rows = quick.rows.set_index("comparison")
    assert (quick.runs["status"] == "done").all()
    assert len(quick.runs) == 2  # the barefoot standing run is shared by both cases
    pattern = rows[rows["measured_kind"] == "sign"]
    assert len(pattern) == 6
    assert (pattern["verdict"] == "same direction").all(), pattern["verdict"]
    peak = rows.loc["forefoot peak pressure, 8.47 mm sensors (kPa)"]
    assert 20.0 < peak["model"] < 500.0 and peak["verdict"] == "no SD published"
    paths = report.write_report(quick)
    text = paths["markdown"].read_text()
    assert "Zebris normative values 2020" in text and "same direction" in text
    html = paths["html"].read_text()
    assert html.count("data:image/png;base64,") == 2 and "<script" not in html


def test_sensor_peaks_average_the_nodal_peaks_down(quick):
    """A sensor averages the pressure over its square: its peak cannot exceed the nodal peak
    of its region (a unit or area slip in the resampling would)."""
    from footsim.validate.quantities import RunView

    folder = quick.runs[quick.runs["scenario"] == "barefoot-standing"]["folder"].iloc[0]
    view = RunView(folder)
    nodal = view.result.regions["peak_kPa"]
    platform, insole = view.sensor_peaks("platform"), view.sensor_peaks("insole")
    for head in ("MTH2", "MTH3"):
        assert 0.3 * nodal[head] < platform[head] <= nodal[head] * (1 + 1e-9)
        assert 0.0 < insole[head] <= nodal[head] * (1 + 1e-9)


def test_a_second_validation_solves_nothing(quick):
    v = suite.validate(
        quick.folder, mesh="teaching", only=["standing-regions"], workers=1, progress=False
    )
    assert v.runs["cached"].all()
    assert (
        v.rows["model"].tolist()
        == quick.rows[quick.rows["case"] == "standing-regions"]["model"].tolist()
    )


def test_tissue_compression_is_the_bone_to_skin_distance_loaded_over_unloaded():
    """A head whose lowest point sits 12 mm above the skin and sinks 4 mm (moving 1.3 mm
    forwards) onto skin that stays on the ground: 1 - 8/12 of compression."""
    import numpy as np
    import pyvista as pv

    from footsim.post.results import Result
    from footsim.validate.quantities import RunView, tissue_compression_pct

    centres = [[-4.0, -24.0, 20.0], [0.0, 0.0, 20.0], [0, 18, 19], [-11, 35, 18], [-20, 50, 17]]
    bone = np.array([[0.0, 0.0, 12.0], [0.0, 0.0, 13.5], [40.0, 40.0, 30.0], [0.0, 3.0, 14.0]])
    volume = pv.PolyData(bone).cast_to_unstructured_grid()
    volume.point_data["displacement_mm"] = np.tile([1.3, 0.0, -4.0], (len(bone), 1))
    x, y = np.meshgrid(np.arange(-10.0, 10.5, 1.0), np.arange(-10.0, 10.5, 1.0))
    skin = pv.PolyData(np.column_stack([x.ravel(), y.ravel(), np.zeros(x.size)]))
    skin.point_data["displacement_mm"] = np.zeros((skin.n_points, 3))
    result = Result(
        folder=".",
        summary={"head_centres_mm": centres, "head_radii_mm": [9.5, 8.0, 7.6, 7.0, 6.5]},
        regions=None,
        plantar=skin,
        volume=volume,
        insole_top=None,
    )
    view = RunView(".")
    view.__dict__["result"] = result  # the cached property, filled by hand
    assert tissue_compression_pct("run", 2)({"run": view}) == pytest.approx(100 / 3, rel=1e-12)


@pytest.mark.slow
def test_every_case_runs_on_the_teaching_mesh(tmp_path):
    """The whole suite on the teaching mesh (push-off with the jointed skeleton: ~6 min a run
    on 2 cores): every run converges and every comparison gets a model figure."""
    v = suite.validate(tmp_path, mesh="teaching", workers=2, progress=False)
    assert (v.runs["status"] == "done").all(), v.runs[["scenario", "reason"]]
    assert (v.rows["verdict"] != "failed").all(), v.rows[["comparison", "reason"]]
    assert set(v.rows["case"]) == set(cases.case_names())


def _fails_at_5cm(scenario, root, **kwargs):
    """A runner for the failure path: the 5 cm heel does not converge; the other runs
    'finish' without result files."""
    from footsim import run as pipeline
    from footsim.post import results

    folder = pipeline.run_folder(scenario, root)
    failed = scenario.name == "heel-5cm"
    summary = {
        "name": scenario.name,
        "hash": scenario.content_hash(),
        "status": "failed" if failed else "done",
        "reason": "SolverError: step 3 did not converge" if failed else "",
    }
    staging = results.staging_dir(folder)
    results.write_json_atomic(staging / "summary.json", summary)
    results.commit(staging, folder)
    return pipeline.RunOutcome(summary["status"], summary["reason"], folder, summary)


def test_a_failed_run_stays_in_the_report_as_failed_with_its_reason(tmp_path):
    from footsim.validate import report

    v = suite.validate(
        tmp_path,
        mesh="teaching",
        only=["heel-height"],
        workers=1,
        progress=False,
        runner=_fails_at_5cm,
    )
    assert v.failed_runs == 1
    rows = v.rows.set_index("comparison")
    first = rows.iloc[0]  # 0 -> 5 cm
    assert first["verdict"] == "failed" and "did not converge" in first["reason"]
    assert first["model"] is None or math.isnan(first["model"])
    for _, row in rows.iloc[1:].iterrows():  # 0 -> 8 cm: its runs 'finished', no files
        assert row["verdict"] == "failed" and "plantar.vtu" in row["reason"]
    text = report.write_report(v)["markdown"].read_text()
    assert text.count("| failed: ") == 3 and "0 failed" not in text
