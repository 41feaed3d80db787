"""Scenario schema: types, unknown keys, ranges, inheritance, hashing, the shipped set."""

from pathlib import Path

import pytest

import footsim  # noqa: F401
from footsim.model import scenarios

SHIPPED = sorted((Path(__file__).parents[1] / "scenarios").glob("*.toml"))


def _toml(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_embedded_default_scenario():
    s = scenarios.load(None)
    assert s.name == "default" and s.load.case == "standing"
    assert s.footwear.insole is None


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_validates(path):
    s = scenarios.load(path)
    assert s.name == path.stem and s.description


def test_wrong_type_names_the_key(tmp_path):
    path = _toml(tmp_path, "a.toml", '[load]\nbody_mass_kg = "heavy"\n')
    with pytest.raises(scenarios.ScenarioError, match=r"load\.body_mass_kg = 'heavy'"):
        scenarios.load(path)


def test_overrides_are_merged_and_validated():
    s = scenarios.load(SHIPPED[0], overrides={"mesh": {"size_mm": 7.0}})
    assert s.mesh.size_mm == 7.0 and s.name == SHIPPED[0].stem
    with pytest.raises(scenarios.ScenarioError, match=r"mesh\.size_mm = 50"):
        scenarios.load(SHIPPED[0], overrides={"mesh": {"size_mm": 50.0}})


def test_unknown_key_suggests_the_nearest(tmp_path):
    path = _toml(tmp_path, "a.toml", '[laod]\ncase = "standing"\n')
    with pytest.raises(scenarios.ScenarioError, match="laod: unknown key.*did you mean 'load'"):
        scenarios.load(path)
    path = _toml(tmp_path, "b.toml", "[anatomy]\nmt2_extra_lenght_mm = 3.0\n")
    with pytest.raises(scenarios.ScenarioError, match="did you mean 'mt2_extra_length_mm'"):
        scenarios.load(path)


def test_out_of_range_names_key_value_and_range(tmp_path):
    path = _toml(tmp_path, "a.toml", "[load]\nbody_mass_kg = 400.0\n")
    with pytest.raises(scenarios.ScenarioError) as err:
        scenarios.load(path)
    assert "load.body_mass_kg = 400.0" in str(err.value) and "le 250" in str(err.value)
    path = _toml(tmp_path, "b.toml", "[anatomy]\nmt2_extra_length_mm = 12.0\n")
    with pytest.raises(scenarios.ScenarioError, match="mt2_extra_length_mm = 12.0.*le 10"):
        scenarios.load(path)
    path = _toml(tmp_path, "c.toml", "[solver]\npenalty_factor = 0.5\n")
    with pytest.raises(scenarios.ScenarioError, match=r"solver\.penalty_factor = 0\.5.*ge 1"):
        scenarios.load(path)
    path = _toml(tmp_path, "d.toml", "[solver]\nquadrature_degree = 1\n")
    with pytest.raises(scenarios.ScenarioError, match=r"solver\.quadrature_degree = 1.*ge 2"):
        scenarios.load(path)
    path = _toml(tmp_path, "e.toml", "[mesh]\nsesamoid_size_mm = 0.1\n")
    with pytest.raises(scenarios.ScenarioError, match=r"mesh\.sesamoid_size_mm = 0\.1.*ge 0\.3"):
        scenarios.load(path)
    # a check across two sections names both
    path = _toml(
        tmp_path, "f.toml", "[mesh]\nsesamoid_size_mm = 1.0\n[anatomy]\nsesamoids = false\n"
    )
    with pytest.raises(
        scenarios.ScenarioError,
        match=r"mesh\.sesamoid_size_mm = 1 mm refines under the sesamoids, but anatomy\.sesamoids",
    ):
        scenarios.load(path)


def test_unknown_material_is_rejected(tmp_path):
    path = _toml(tmp_path, "a.toml", '[materials]\nSOFT_TISSUE = "jelly"\n')
    with pytest.raises(scenarios.ScenarioError, match="unknown material 'jelly'"):
        scenarios.load(path)


def test_base_inheritance_and_override(tmp_path):
    _toml(
        tmp_path,
        "base.toml",
        '[load]\ncase = "standing"\nbody_mass_kg = 80.0\n'
        "[footwear.insole]\nthickness_mm = 6.0\n[footwear.pad]\nheight_mm = 6.0\n",
    )
    child = _toml(tmp_path, "child.toml", 'base = "base.toml"\n[load]\nbody_mass_kg = 60.0\n')
    s = scenarios.load(child)
    assert s.name == "child" and s.load.case == "standing" and s.load.body_mass_kg == 60.0
    assert s.footwear.pad.height_mm == 6.0
    nopad = _toml(tmp_path, "nopad.toml", 'base = "base.toml"\n[footwear]\npad = false\n')
    assert scenarios.load(nopad).footwear.pad is None


def test_base_cycle_is_an_error(tmp_path):
    _toml(tmp_path, "a.toml", 'base = "b.toml"\n')
    _toml(tmp_path, "b.toml", 'base = "a.toml"\n')
    with pytest.raises(scenarios.ScenarioError, match="cycle"):
        scenarios.load(tmp_path / "a.toml")


def test_hash_follows_the_physics_not_the_name(tmp_path):
    a = scenarios.from_dict({"name": "a", "load": {"case": "standing"}})
    b = scenarios.from_dict({"name": "b", "load": {"case": "standing"}})
    c = scenarios.from_dict({"name": "a", "load": {"case": "standing", "body_mass_kg": 71.0}})
    assert a.content_hash() == b.content_hash() != c.content_hash()
    # a solver setting that changes the discretisation changes the hash; its default, added
    # in a later release, leaves the dump (and every earlier hash) as it was
    q4 = scenarios.from_dict(
        {"name": "a", "load": {"case": "standing"}, "solver": {"quadrature_degree": 4}}
    )
    assert q4.content_hash() != a.content_hash()
    dumped = scenarios.from_dict({"solver": {"penalty_factor": 100.0}}).model_dump()["solver"]
    assert "quadrature_degree" not in dumped and "reuse_factorization" not in dumped
    fresh = scenarios.from_dict(
        {"name": "a", "load": {"case": "standing"}, "solver": {"reuse_factorization": False}}
    )
    assert fresh.content_hash() != a.content_hash()


def test_body_contact_version_reaches_insole_runs_only(monkeypatch):
    """A change of the foot-insole contact re-solves the insole runs, not the barefoot ones;
    fields added later (the pad's shape) leave the hashes of earlier scenarios as they were."""
    shipped = Path(__file__).parents[1] / "scenarios"
    barefoot = scenarios.load(shipped / "barefoot-standing.toml")
    insole = scenarios.load(shipped / "pad-5mm-proximal.toml")
    before = barefoot.content_hash(), insole.content_hash()
    assert "shape" not in insole.model_dump()["footwear"]["pad"]  # a dome: as before
    monkeypatch.setattr(scenarios, "BODY_CONTACT_VERSION", "test")
    assert barefoot.content_hash() == before[0]
    assert insole.content_hash() != before[1]
    # and a change of the foot-ground contact the barefoot ones only
    after = barefoot.content_hash(), insole.content_hash()
    monkeypatch.setattr(scenarios, "GROUND_CONTACT_VERSION", "test")
    assert barefoot.content_hash() != after[0]
    assert insole.content_hash() == after[1]


def test_pad_shape_version_reaches_pad_runs_only(monkeypatch):
    """A change of the pad's shape re-solves the runs with a pad, not the bare insole or
    barefoot ones."""
    shipped = Path(__file__).parents[1] / "scenarios"
    runs = [
        scenarios.load(shipped / name)
        for name in ("barefoot-standing.toml", "eva-insole.toml", "pad-5mm-proximal.toml")
    ]
    assert [s.footwear.pad is not None for s in runs] == [False, False, True]
    before = [s.content_hash() for s in runs]
    monkeypatch.setattr(scenarios, "PAD_SHAPE_VERSION", "test")
    assert [s.content_hash() == h for s, h in zip(runs, before, strict=True)] == [True, True, False]


def test_resolved_scenario_round_trips_through_toml(tmp_path):
    s = scenarios.load(Path(__file__).parents[1] / "scenarios" / "pad-5mm-proximal.toml")
    again = scenarios.load(_toml(tmp_path, "pad-5mm-proximal.toml", s.to_toml()))
    assert again == s


def test_load_case_from_scenario():
    from footsim import run as pipeline

    push = scenarios.from_dict({"load": {"case": "push_off", "body_mass_kg": 70.0}})
    case = pipeline.load_case(push)
    assert case.force_N == pytest.approx(1.1 * 70 * 9.81) and case.heel_rise_deg == 10.0
    flat = scenarios.from_dict({"load": {"case": "push_off", "heel_rise_deg": 0.0}})
    assert pipeline.load_case(flat).heel_rise_deg == 0.0
    heel = scenarios.from_dict({"load": {"case": "standing"}, "footwear": {"heel_height_mm": 80}})
    assert (
        pipeline.load_case(heel).force_N
        > pipeline.load_case(scenarios.from_dict({"load": {"case": "standing"}})).force_N
    )


def test_material_groups_expand_and_single_volumes_win(tmp_path):
    from footsim import run as pipeline
    from footsim.mesh import tags

    path = _toml(tmp_path, "a.toml", '[materials]\nMT2 = "bone"\nall_bones = "bone_rigid"\n')
    s = scenarios.load(path)
    got = pipeline.volume_materials(s.materials)
    assert {tags.Volume(t) for t in got} == set(tags.RIGIDISH)
    assert got[int(tags.Volume.MT2)] == "bone"
    assert all(got[int(v)] == "bone_rigid" for v in tags.RIGIDISH if v != tags.Volume.MT2)
    bad = _toml(tmp_path, "b.toml", '[materials]\nALL_BONE = "bone_rigid"\n')
    with pytest.raises(scenarios.ScenarioError, match="unknown volume 'ALL_BONE'.*ALL_BONES"):
        scenarios.load(bad)
