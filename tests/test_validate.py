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
    resolved = suite.scenarios(cases.CASES, mesh)
    assert len(resolved) == sum(len(c.runs) for c in cases.CASES)
    for (name, role), scenario in resolved.items():
        preset = suite.MESHES[mesh]["mesh"]["preset"]
        assert scenario.mesh.preset == preset, (name, role)
    # roles of one case differ: every intervention compares two different scenarios
    for case in cases.CASES:
        hashes = [resolved[(case.name, r)].content_hash() for r in case.runs]
        assert len(set(hashes)) == len(hashes), case.name


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
