"""Bad input is refused up front (exit 2, one line naming key, value and allowed range, before
any mesh file exists), every command exits as the CLI documents, and nothing is written
outside its folder: one test per case a new user found getting through (issue 36)."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import footsim  # noqa: F401
from footsim.cli.main import main
from footsim.mesh import geometry
from footsim.model import keys, scenarios

HERE = Path(__file__).parent


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """``footsim ARGS`` in this process, run in ``tmp_path`` with its own mesh cache; returns
    (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOOTSIM_MESH_DIR", str(tmp_path / "meshes"))

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")) if folder.exists() else []


def _scenario(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _refused(cli, tmp_path, text, *needles):
    """``footsim run`` of a scenario ``text``: exit 2, one line on stderr with every needle,
    no mesh and no result written."""
    path = _scenario(tmp_path, text)
    code, out, err = cli("run", path, "-o", tmp_path / "results")
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert not _files(tmp_path / "meshes") and not _files(tmp_path / "results")
    return err


@pytest.mark.parametrize(
    "text, key, value",
    [
        ('[load]\nbody_mass_kg = "70"\n', "load.body_mass_kg", "'70'"),
        ('[output]\nfields = "yes"\n', "output.fields", "'yes'"),
        ("[solver]\npenalty_factor = true\n", "solver.penalty_factor", "True"),
        ("[solver]\nmax_uzawa = 6.5\n", "solver.max_uzawa", "6.5"),
        ('[anatomy]\nlengths_mm = [63, "72", 69, 67, 64]\n', "anatomy.lengths_mm.1", "'72'"),
    ],
)
def test_no_coercion_of_strings_and_booleans(cli, tmp_path, text, key, value):
    err = _refused(cli, tmp_path, text, f"{key} = {value}", "allowed:")
    assert "valid" in err


def test_toml_integers_are_taken_for_floats():
    s = scenarios.from_dict({"load": {"body_mass_kg": 70}, "anatomy": {"lengths_mm": [63] * 5}})
    assert s.load.body_mass_kg == 70.0 and isinstance(s.load.body_mass_kg, float)
    assert s.anatomy.lengths_mm == (63.0,) * 5


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_infinity_say_finite(cli, tmp_path, value):
    err = _refused(cli, tmp_path, f"[load]\nbody_mass_kg = {value}\n", "finite number")
    assert "load.body_mass_kg" in err and "ge 20" in err and "le 250" in err


@pytest.mark.parametrize(
    "pad, key",
    [
        ("apex_x_mm = 35.0", "footwear.pad.apex_x_mm = 35 mm"),
        ("apex_y_mm = 78.0", "footwear.pad.apex_y_mm = 78 mm"),
        ("apex_proximal_to_mth_mm = 30.0\nlength_mm = 70.0", "apex_proximal_to_mth_mm = 30 mm"),
    ],
)
def test_pad_off_the_insole_is_refused_before_meshing(cli, tmp_path, pad, key):
    text = f"[footwear.insole]\nthickness_mm = 6.0\n[footwear.pad]\n{pad}\n"
    _refused(cli, tmp_path, text, key, "outside the insole, beside the foot", "allowed:")


def test_pad_beside_the_foot_on_a_wide_insole_is_refused():
    """A 30 mm margin puts the insole far beyond the foot: a pad there would carry nothing."""
    with pytest.raises(scenarios.ScenarioError, match=r"apex_y_mm = -60 mm.*allowed: apex y"):
        scenarios.from_dict(
            {
                "footwear": {
                    "insole": {"margin_mm": 30.0},
                    "pad": {"apex_y_mm": -60.0, "width_mm": 10.0},
                }
            }
        )


@pytest.mark.parametrize("size", [0.4, 18.0])
def test_mesh_size_outside_the_meshers_range(cli, tmp_path, size):
    _refused(cli, tmp_path, f"[mesh]\nsize_mm = {size}\n", "mesh.size_mm", "allowed:")


@pytest.mark.parametrize("preset", list(geometry.PRESETS))
def test_schema_and_mesher_share_one_size_range(preset):
    lo, hi = scenarios.SIZE_RANGE_MM[preset]
    for size in (lo, hi):
        scenarios.from_dict({"mesh": {"preset": preset, "size_mm": size}})
        assert geometry.sizes(preset, size)[0] == size
    for size in (lo - 0.01, hi + 0.01):
        with pytest.raises(scenarios.ScenarioError, match="mesh.size_mm"):
            scenarios.from_dict({"mesh": {"preset": preset, "size_mm": size}})
        with pytest.raises(geometry.GeometryError, match="allowed"):
            geometry.sizes(preset, size)


def test_coarse_preset_refuses_sizes_it_cannot_mesh(cli, tmp_path):
    """10 mm on the coarse preset falls below the mesh quality floor (min SICN 0.042)."""
    text = '[mesh]\npreset = "coarse"\nsize_mm = 10.0\n'
    _refused(cli, tmp_path, text, "mesh.size_mm = 10 mm", "preset 'coarse'", "0.5 .. 8 mm")


@pytest.mark.parametrize(
    "text, key",
    [
        ('[footwear.insole]\n[footwear.pad]\nmaterial = "felt"\n', "footwear.pad.material"),
        ('[footwear.insole]\nmaterial = "felt"\n', "footwear.insole.material"),
        ('[materials]\nSOFT_TISSUE = "felt"\n', "materials.SOFT_TISSUE"),
    ],
)
def test_unknown_material_of_any_part(cli, tmp_path, text, key):
    _refused(cli, tmp_path, text, key, "'felt'")


@pytest.mark.parametrize(
    "radii, needle",
    [
        ("[inf, inf]", "finite number"),
        ("[-5.0, 0.0]", "greater than"),
        ("[70.0, 70.0]", "too curved"),  # gmsh: "Could not compute fillet"
        ("[120.0, 40.0]", "too curved"),
    ],
)
def test_plantar_curvature_radii(cli, tmp_path, radii, needle):
    err = _refused(
        cli, tmp_path, f"[anatomy]\nplantar_curvature_radius_mm = {radii}\n", needle, "allowed"
    )
    assert "Warning" not in err


@pytest.mark.parametrize("name", ["../../escape", "a/b", "..", ".hidden", "a\\b"])
def test_names_never_leave_their_folder(cli, tmp_path, name):
    _refused(cli, tmp_path, f"name = {json.dumps(name)}\n", "cannot name a folder")
    assert not _files(tmp_path.parent / "escape")


def _sweep(tmp_path, parameters, name="mass", base='[mesh]\npreset = "coarse"\n'):
    (tmp_path / "base.toml").write_text(base)
    path = tmp_path / "sweep.toml"
    path.write_text(f'name = "{name}"\nbase = "base.toml"\n[parameters]\n{parameters}\n')
    return path


def test_sweep_name_never_leaves_its_folder(cli, tmp_path):
    path = _sweep(tmp_path, '"load.body_mass_kg" = [60.0]', name="../../escape")
    code, _, err = cli("sweep", path, "-o", tmp_path / "r", "--no-progress")
    assert code == 2 and "cannot name a folder" in err
    assert not _files(tmp_path / "r") and not (tmp_path.parent / "escape").exists()


def test_sweep_over_an_unknown_parameter_is_refused(cli, tmp_path):
    path = _sweep(tmp_path, '"anatomy.hieght_mm" = [1.0, 2.0]')
    code, _, err = cli("sweep", path, "-o", tmp_path / "r", "--no-progress")
    assert code == 2 and "anatomy.hieght_mm: unknown key" in err
    assert "[footwear.pad] height_mm" in err  # the nearest key, in another table
    assert not _files(tmp_path / "r")


def test_sweep_with_every_value_out_of_range_is_refused(cli, tmp_path):
    path = _sweep(tmp_path, '"load.body_mass_kg" = [300.0, 400.0]')
    code, _, err = cli("sweep", path, "-o", tmp_path / "r", "--no-progress")
    assert code == 2 and "none of the 2 variants" in err and "le 250" in err
    assert not _files(tmp_path / "r")


@pytest.fixture
def fake_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("FOOTSIM_TEST_CALLS", str(tmp_path / "calls"))
    monkeypatch.syspath_prepend(str(HERE))
    return "_sweep_runners:fake"


def test_sweep_with_failed_runs_exits_3_and_says_why(cli, tmp_path, fake_runner):
    path = _sweep(tmp_path, '"load.body_mass_kg" = [60.0, 80.0, 500.0, 85.0]')
    args = ("sweep", path, "-o", tmp_path / "r", "--workers", "1", "--no-progress")
    code, out, _ = cli(*args, "--runner", fake_runner)
    assert code == 3
    assert "4 runs: 1 done, 3 failed (1 transient" in out and "2 deterministic" in out
    assert "run 1 (deterministic): SolverError" in out
    assert "run 2 (deterministic): mass-002: load.body_mass_kg = 500.0" in out
    assert "run 3 (transient): MemoryError" in out
    # the rerun retries the transient failure only (it succeeds now), not the deterministic
    code, out, _ = cli(*args, "--runner", fake_runner)
    assert code == 3 and "4 runs: 2 done, 2 failed (0 transient" in out
    calls = sorted(p.name.split(".")[0] for p in (tmp_path / "calls").iterdir())
    assert calls == ["mass-000", "mass-001", "mass-003", "mass-003"]
    table = pd.read_csv(tmp_path / "r" / "mass" / "table.csv").set_index("index")
    assert list(table["transient"]) == [False, False, False, False]
    assert table.loc[1, "cached"] and table.loc[3, "status"] == "done"


def test_insole_typo_suggests_the_nested_key(cli, tmp_path):
    text = "[footwear]\ninsole_thicknes_mm = 6.0\n"
    _refused(cli, tmp_path, text, "did you mean [footwear.insole] thickness_mm?")
    _refused(cli, tmp_path, "[load]\nsize_mm = 4.0\n", "did you mean [mesh] size_mm?")
    _refused(cli, tmp_path, '[laod]\ncase = "standing"\n', "did you mean 'load'?")


def test_mesh_set_without_a_scenario_is_not_ignored(cli, tmp_path, monkeypatch):
    seen = {}

    def build_mesh(anatomy, footwear, **kwargs):
        seen.update(kwargs, anatomy=anatomy)
        raise RuntimeError("stop here")

    monkeypatch.setattr(geometry, "build_mesh", build_mesh)
    code, _, _ = cli("mesh", "--set", "mesh.preset=coarse", "--set", "mt2_extra_length_mm=3")
    assert code == 1 and seen["preset"] == "coarse" and seen["anatomy"].mt2_extra_length_mm == 3
    seen.clear()
    code, _, err = cli("mesh", "--set", "load.body_mass_kg=80")
    assert code == 2 and "anatomy, footwear, mesh" in err and not seen
    code, _, err = cli("mesh", "--set", "mesh.presett=coarse")
    assert code == 2 and "did you mean 'preset'" in err and not seen
    code, _, err = cli("mesh", "--preset", "coarse", "--set", "mesh.size_mm=10")
    assert code == 2 and "preset 'coarse'" in err and not seen


@pytest.mark.parametrize("command", ["show", "plot", "report"])
def test_commands_on_a_folder_that_is_not_a_run_exit_2(cli, tmp_path, command):
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "missing"):
        code, _, err = cli(command, folder)
        assert code == 2, err
        assert "neither a run nor a sweep" in err or "does not exist" in err


def test_compare_of_a_folder_that_is_not_a_run_exits_2(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = cli("compare", tmp_path / "empty", tmp_path / "missing")
    assert code == 2 and "neither a run nor a sweep" in err


def test_plot_of_a_sweep_whose_runs_all_failed_is_an_error(cli, tmp_path, fake_runner):
    path = _sweep(tmp_path, '"load.body_mass_kg" = [80.0]')
    cli("sweep", path, "-o", tmp_path / "r", "--workers", "1", "--runner", fake_runner)
    code, _, err = cli("plot", tmp_path / "r" / "mass", "-o", tmp_path / "sweep.png")
    assert code == 2 and "nothing to draw" in err and "SolverError" in err
    assert not (tmp_path / "sweep.png").exists()
    code, _, err = cli("report", tmp_path / "r" / "mass", "-o", tmp_path / "r.html")
    assert code == 0, err  # the table says why each run failed
    assert "step 3 did not converge" in (tmp_path / "r.html").read_text()


def test_user_text_is_escaped_in_the_sweep_report(cli, tmp_path, fake_runner):
    name = "<script>alert(1)<script>"  # (no '/': names cannot hold one)
    path = _sweep(tmp_path, '"load.body_mass_kg" = [60.0, 80.0]', name=name)
    code, _, err = cli("sweep", path, "-o", tmp_path / "r", "--runner", fake_runner)
    assert code == 3, err
    code, _, err = cli("report", tmp_path / "r" / name, "-o", tmp_path / "r.html")
    assert code == 0, err
    html = (tmp_path / "r.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)" in html


def test_help_documents_the_exit_codes(capsys):
    for command in ([], ["run"], ["sweep"], ["mesh"], ["show"], ["plot"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        out = capsys.readouterr().out
        assert "exit codes:" in out and "2  input that cannot be used" in out, command


def test_scenario_keys_are_found_at_every_level():
    assert keys.key_error("footwear.pad.height_mm") is None
    assert keys.key_error("materials.SOFT_TISSUE") is None
    assert "did you mean 'height_mm'" in keys.key_error("footwear.pad.hieght_mm")
    assert "not a table" in keys.key_error("mesh.preset.fine")


def test_error_lines_name_key_value_and_range():
    with pytest.raises(scenarios.ScenarioError) as err:
        scenarios.from_dict({"anatomy": {"plantar_curvature_radius_mm": [70.0, 70.0]}})
    line = str(err.value)
    assert "\n" not in line
    assert "anatomy.plantar_curvature_radius_mm = (70, 70) mm" in line and "allowed: >=" in line
    assert os.linesep not in line


@pytest.mark.parametrize(
    "load_path, match",
    [
        ({"bones": "bone"}, r"load_path\.bones.*'elastic' or 'rigid'"),
        ({"ray_stiffness_N_per_mm": [11, 22, 22, 5.5]}, r"ray_stiffness_N_per_mm"),
        ({"ray_stiffness_N_per_mm": [11, 22, 0, 5.5, 5.5]}, r"ray_stiffness_N_per_mm\.2.*0"),
        ({"push_off_fhl_bw": 3.0}, r"push_off_fhl_bw = 3.*2"),
        ({"fascia_slack_mtp_deg": -5}, r"fascia_slack_mtp_deg = -5"),
        ({"stiffnes": 1.0}, r"unknown key"),
    ],
)
def test_load_path_values_are_refused_with_their_key(load_path, match):
    with pytest.raises(scenarios.ScenarioError, match=match):
        scenarios.from_dict({"load_path": load_path})
