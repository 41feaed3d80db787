"""End to end on the forefoot: scenario -> mesh -> converged solve -> table -> PNG.

One standing solve on the teaching mesh (the coarse preset at 7 mm under the heads, ~25 s) is
shared by the module; it is the equilibrium check
of the real forefoot: the bone reaction equals the applied load, and the plantar pressure
integrates to it.
"""

import json
import re

import numpy as np
import pytest

import footsim  # noqa: F401
from footsim import run as pipeline
from footsim.model import scenarios
from footsim.post import fields, results, table


@pytest.fixture(scope="module")
def standing(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    scenario = scenarios.from_dict(
        {
            "name": "standing",
            "load": {"case": "standing"},
            "mesh": {"preset": "coarse", "size_mm": 7.0},  # the teaching mesh: fast
            "output": {"steps": True},
        }
    )
    record = pipeline.run(scenario, root)
    return scenario, root, record


def test_run_converges_and_balances_the_load(standing):
    scenario, _, record = standing
    assert record.status == "done", record.reason
    s = record.summary
    target = pipeline.load_case(scenario).force_N
    assert s["load_case"]["force_N"] == pytest.approx(target)
    assert s["figures"]["reaction_N"] == pytest.approx(target, rel=0.005)
    assert s["figures"]["reaction_contact_N"] == pytest.approx(s["figures"]["reaction_N"], rel=1e-6)


def test_plantar_pressure_integrates_to_the_reaction(standing):
    _, _, record = standing
    res = results.load(record.folder)
    p = np.asarray(res.plantar.point_data["pressure_kPa"]) / 1000.0  # MPa
    a = np.asarray(res.plantar.point_data["node_area_mm2"])
    assert float(np.sum(p * a)) == pytest.approx(res.summary["figures"]["reaction_N"], rel=1e-6)
    regional = res.regions["force_N"].sum()
    assert 0.8 * res.summary["figures"]["reaction_N"] < regional
    assert regional <= res.summary["figures"]["reaction_N"] * (1 + 1e-9)
    # the heads carry the load: every lesser MTH region is loaded
    for name in ("MTH2", "MTH3", "MTH4"):
        assert res.regions.loc[name, "peak_kPa"] > 10.0


def test_plantar_plate_strain_is_reported(standing):
    """Each of the four plantar plates gets its largest principal Green-Lagrange strain (%),
    peak and volume mean, matching the cell field written to volume.vtu."""
    _, _, record = standing
    res = results.load(record.folder)
    plates = {row["plate"]: row for row in res.summary["plates"]}
    assert list(plates) == ["PLATE2", "PLATE3", "PLATE4", "PLATE5"]
    strain = np.asarray(res.volume.cell_data["max_principal_strain_pct"])
    tag = np.asarray(res.volume.cell_data["tag"])
    for k in range(2, 6):
        row = plates[f"PLATE{k}"]
        assert row["peak_strain_pct"] == pytest.approx(strain[tag == 20 + k].max())
        assert 0.0 < row["mean_strain_pct"] <= row["peak_strain_pct"] < 50.0
        assert res.summary["figures"][f"PLATE{k}_peak_strain_pct"] == row["peak_strain_pct"]


def test_result_folder_is_complete(standing):
    _, _, record = standing
    for name in (
        "scenario.toml",
        "summary.json",
        "regions.csv",
        "plantar.vtu",
        "volume.vtu",
        "pressure.png",
    ):
        assert (record.folder / name).stat().st_size > 0, name
    summary = json.loads((record.folder / "summary.json").read_text())
    assert summary["status"] == "done"
    assert summary["solution"]["newton_iterations"] > 0
    assert "solve" in summary["timings_s"]
    # where the solve's time went, and the linear-solver work
    parts = [k for k in summary["timings_s"] if k.startswith("solve: ")]
    assert {"solve: jacobian assembly", "solve: linear solves"} <= set(parts)
    total = sum(summary["timings_s"][k] for k in parts)
    assert total == pytest.approx(summary["timings_s"]["solve"], rel=1e-9)
    counts = summary["solution"]["solver_counts"]
    assert 0 < counts["factorizations"] <= counts["jacobians"]
    assert summary["figures"]["factorizations"] == counts["factorizations"]


def test_second_run_is_taken_from_the_cache(standing):
    scenario, root, record = standing
    again = pipeline.run(scenario, root)
    assert again.cached and again.folder == record.folder


def test_failed_solve_is_recorded_not_raised(tmp_path):
    """An impossible load (5000 N on a 2-step budget) fails with its reason, no numbers."""
    scenario = scenarios.from_dict(
        {"name": "too-much", "load": {"force_N": 5000.0}, "mesh": {"preset": "coarse"}}
    )
    from footsim.solve.options import SolverOptions

    record = pipeline.run(scenario, tmp_path, options=SolverOptions(max_load_steps=2))
    assert record.status == "failed"
    assert "SolverError" in record.reason
    summary = json.loads((record.folder / "summary.json").read_text())
    assert summary["status"] == "failed" and "regions" not in summary
    assert not results.is_done(record.folder)
    steps = summary["solution"]["steps"]  # where it failed: the solves it attempted
    assert len(steps) == 2 and all(s["force_N"] < 5000.0 for s in steps if s["converged"])


def test_scenario_solver_table_reaches_the_solver(tmp_path, monkeypatch):
    """``[solver]`` settings are handed to the contact solver (captured before solving)."""
    import footsim.solve.forefoot

    seen = {}

    def capture(*args, options=None, **kwargs):
        seen["penalty_factor"] = options.penalty_factor
        seen["max_uzawa"] = options.max_uzawa
        seen["quadrature_degree"] = options.quadrature_degree
        seen["reuse_factorization"] = options.reuse_factorization
        raise footsim.solve.forefoot.SolverError("captured")

    monkeypatch.setattr(footsim.solve.forefoot, "solve_load_case", capture)
    scenario = scenarios.from_dict(
        {
            "name": "stiff",
            "mesh": {"preset": "coarse"},
            "solver": {"penalty_factor": 100.0, "max_uzawa": 9, "quadrature_degree": 4,
                       "reuse_factorization": False},
        }
    )  # fmt: skip
    record = pipeline.run(scenario, tmp_path)
    assert record.status == "failed" and "captured" in record.reason
    assert seen == {"penalty_factor": 100.0, "max_uzawa": 9, "quadrature_degree": 4,
                    "reuse_factorization": False}  # fmt: skip


@pytest.mark.slow
def test_push_off_converges_and_balances(tmp_path):
    """The shipped push-off scenario (1.1 BW = 755 N, 10 deg heel rise, Ogden tissue, coarse
    mesh; about 2 min on 2 cores): converged (augmented until the penetration is under 1 % of
    the tissue thickness or the pressure changes by under 1 %, else SolverError), bone
    reaction = applied load within 0.5 %, the contact pressure integrates to it."""
    from pathlib import Path

    path = Path(__file__).parents[1] / "scenarios" / "barefoot-push-off.toml"
    record = pipeline.run(scenarios.load(path), tmp_path)
    assert record.status == "done", record.reason
    s = record.summary
    F = s["load_case"]["force_N"]
    assert F == pytest.approx(1.1 * 70 * 9.81)
    assert s["figures"]["reaction_N"] == pytest.approx(F, rel=0.005)
    assert s["figures"]["reaction_contact_N"] == pytest.approx(s["figures"]["reaction_N"], rel=1e-6)
    res = results.load(record.folder)
    p = np.asarray(res.plantar.point_data["pressure_kPa"]) / 1000.0  # MPa
    a = np.asarray(res.plantar.point_data["node_area_mm2"])
    assert float(np.sum(p * a)) == pytest.approx(s["figures"]["reaction_N"], rel=1e-6)


def test_sensor_view_conserves_the_contact_force(standing, tmp_path):
    from footsim.post import plotting

    _, _, record = standing
    res = results.load(record.folder)
    for kind in ("platform", "insole"):
        grid = plotting.sensor_grid(res, kind)
        assert grid.total_force_N == pytest.approx(res.summary["figures"]["reaction_N"], rel=0.02)
    assert plotting.sensor_view(res, tmp_path / "sensor.png").stat().st_size > 0


def test_section_and_deformed_views(standing, tmp_path):
    from footsim.post import plotting

    _, _, record = standing
    res = results.load(record.folder)
    cut, normal, origin = plotting.section_cells(res, ray=2, warp=0.0)
    # every cell of the cut-away crosses the plane y = y(MTH2), and none is far from it
    ys = cut.points[:, 1]
    assert np.allclose(ys, origin[1], atol=1e-6)
    assert set(np.unique(cut.cell_data["tag"])) >= {2, 30}
    from PIL import Image

    size = (640, 480)
    for view in (
        plotting.section(res, tmp_path / "s.png", window_size=size),
        plotting.section(
            res, tmp_path / "f.png", plane="frontal", quantity="max_shear", window_size=size
        ),
        plotting.deformed_view(res, tmp_path / "d.png", window_size=size),
        plotting.sensor_view(res, tmp_path / "v.png", window_size=size),
        plotting.pressure_map(res, tmp_path / "p.png", window_size=size),
    ):
        with Image.open(view) as im:  # the requested size, and not one flat colour
            assert im.size == size
            lo, hi = im.convert("L").getextrema()
            assert hi - lo > 50, view.name


def test_load_steps_are_stored_and_animated(standing, tmp_path):
    from PIL import Image

    from footsim.post import plotting

    _, _, record = standing
    res = results.load(record.folder)
    converged = [s for s in record.summary["solution"]["steps"] if s["converged"]]
    assert len(res.steps) == len(converged) >= 3
    import pyvista as pv

    frames = [pv.read(p) for p in res.steps]
    forces = [float(f.field_data["force_N"][0]) for f in frames]
    assert forces == pytest.approx([s["force_N"] for s in converged])
    # the last stored step is the final state
    assert np.allclose(frames[-1].point_data["pressure_kPa"], res.plantar["pressure_kPa"])
    gif = plotting.animation(res, tmp_path / "steps.gif", window_size=(480, 360))
    with Image.open(gif) as im:
        assert im.n_frames == len(frames) and im.size == (480, 360)


def test_report_is_self_contained(standing, tmp_path):
    from html.parser import HTMLParser

    from footsim.post import html_report

    _, _, record = standing
    out = html_report(record.folder, tmp_path / "r.html")
    text = out.read_text()

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.refs = []

        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name in ("src", "href"):
                    self.refs.append((tag, value))

    parser = Links()
    parser.feed(text)
    assert parser.refs and all(v.startswith("data:image/png;base64,") for _, v in parser.refs)
    # outside the embedded images (base64 can spell "http" by chance, and once did)
    bare = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert "http" not in bare and "<script" not in bare
    assert "MTH2" in text and text.rstrip().endswith("</html>")
    # the figures' context, as the printed table gives it: the mesh preset and where to read
    # which of its peaks are mesh-converged
    from footsim.post.table import format_record

    context = "mesh preset coarse: peaks are those of this mesh; which are mesh-converged"
    assert f"M{context[1:]}" in text and "docs/limitations.md" in text
    assert context in format_record(record)


def test_user_text_is_escaped_in_the_run_report(standing, tmp_path):
    """A scenario's name and description are the user's text: they show, escaped."""
    import shutil

    from footsim.post import html_report

    _, _, record = standing
    folder = shutil.copytree(record.folder, tmp_path / "run")
    summary = json.loads((folder / "summary.json").read_text())
    summary["name"] = "<img src=x onerror=alert(1)>"
    summary["description"] = "<script>alert(2)</script>"
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "scenario.toml").write_text('description = "<script>alert(3)</script>"\n')
    text = html_report(folder, tmp_path / "r.html").read_text()
    assert "<script" not in text and "<img src=x" not in text
    for n in (2, 3):
        assert f"&lt;script&gt;alert({n})&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_insole_view_of_a_barefoot_run_says_why_it_cannot_be_drawn(standing, tmp_path):
    from footsim.post import plotting

    _, _, record = standing
    with pytest.raises(ValueError, match="no insole surface .*without footwear.*--force"):
        plotting.pressure_map(record.folder, tmp_path / "x.png", surface="insole")
    with pytest.raises(ValueError, match="surface must be 'plantar' or 'insole', not 'pad'"):
        plotting.pressure_map(record.folder, tmp_path / "x.png", surface="pad")


def test_insole_top_is_written_with_the_pressure_it_carries(tmp_path):
    """Two-body export (two blocks, the upper pressed on the lower across a non-matching flat
    interface, as in the contact patch test): ``insole_top.vtu`` holds the lower block's
    top with a uniform pressure equal to the skin's, carrying the same force, and the
    insole's pressure map draws from it."""
    import pyvista as pv

    from _contact_meshes import TISSUE, X_SYM, Y_SYM, two_blocks_mesh
    from footsim.mesh import tags
    from footsim.physics.materials.laws import NeoHookean
    from footsim.post import plotting
    from footsim.solve.forefoot import solve_contact
    from footsim.solve.options import SolverOptions

    L = 10.0
    mesh, ct, ft = two_blocks_mesh(L=L, h1=2.5, h2=1.6)
    tissue = NeoHookean(name="tissue", E=0.1, nu=0.45)
    S = tags.Surface
    sol = solve_contact(
        mesh, ct, ft, target_force_N=2.0, driven_components=(2,),
        materials={TISSUE: tissue, tags.Volume.INSOLE: tissue},
        rollers=[(X_SYM, 0), (Y_SYM, 1), (S.INSOLE_BOTTOM, 2)],
        target_surface=S.INSOLE_TOP, counter_cells=(tags.Volume.INSOLE,),
        options=SolverOptions(formulation="mixed", penetration_tol_mm=5e-3, load_atol=0.0),
    )  # fmt: skip
    heads = np.array([[2.0 * k, 5.0, 1.0] for k in range(1, 6)])  # head regions on the patch
    written = fields.export(sol, ct, heads, tmp_path, scenarios.from_dict({}))
    skin = pv.read(tmp_path / "plantar.vtu")
    top = pv.read(tmp_path / "insole_top.vtu")
    assert written["insole_top"].n_points == top.n_points > skin.n_points  # its own, finer mesh
    assert np.allclose(top.points[:, 2], 0.0)
    force = {
        name: float(np.sum(m.point_data["pressure_kPa"] * m.point_data["node_area_mm2"])) / 1000
        for name, m in (("skin", skin), ("insole", top))
    }
    assert force["insole"] == pytest.approx(force["skin"], rel=1e-9)
    assert force["skin"] == pytest.approx(sol.reaction_contact_N, rel=1e-4)
    inner = (top.points[:, 0] < 0.8 * L) & (top.points[:, 1] < 0.8 * L)
    p = top.point_data["pressure_kPa"][inner]
    assert np.ptp(p) / p.mean() < 0.02
    # Cauchy: the force over the deformed area (the tissue spreads at ~20 % strain)
    deformed = float(np.sum(skin.point_data["node_area_mm2"]))
    assert p.mean() == pytest.approx(1000.0 * sol.reaction_contact_N / deformed, rel=0.02)
    summary = {"head_centres_mm": heads.tolist(), "head_radii_mm": [1.0] * 5}
    res = results.Result(tmp_path, summary, None, skin, None, top)
    plotting.pressure_map(res, tmp_path / "insole.png", surface="insole")
    assert (tmp_path / "insole.png").stat().st_size > 10_000
    assert sol.summary()["target_peak_pressure_kPa"] == pytest.approx(p.max(), rel=0.05)


@pytest.mark.slow
def test_standing_on_an_insole_with_a_pad(tmp_path):
    """Two-body contact on the real forefoot (~4 min): the shipped pad scenario converges,
    the bones' push equals the vertical contact force on the skin (0.5 %), the lumped pressure
    carries the normal contact force, the pad region takes part of the load, and the insole
    and pad top carry the skin's force."""
    from pathlib import Path

    path = Path(__file__).parents[1] / "scenarios" / "pad-5mm-proximal.toml"
    record = pipeline.run(scenarios.load(path), tmp_path)
    assert record.status == "done", record.reason
    fig = record.summary["figures"]
    assert fig["reaction_contact_N"] == pytest.approx(fig["reaction_N"], rel=0.005)
    res = results.load(record.folder)
    p = np.asarray(res.plantar.point_data["pressure_kPa"]) / 1000.0
    a = np.asarray(res.plantar.point_data["node_area_mm2"])
    # normal force >= its vertical component, by at most the tilt of the pad's flanks
    assert fig["reaction_contact_N"] <= float(np.sum(p * a)) <= 1.05 * fig["reaction_contact_N"]
    # the pad region (its footprint outside the heads' 15 mm regions) carries load; with the
    # apex 5 mm proximal most of the 40 mm dome lies inside the head regions: 4.8 % of the
    # load on the teaching mesh, 2.4 % (apex 0) to 9 % (apex 10) on the coarse one
    assert res.regions.loc["pad", "force_N"] > 0.02 * fig["reaction_N"]
    # the insole and pad top carries the skin's normal force, node for node its own mesh
    top = res.insole_top
    p_top = np.asarray(top.point_data["pressure_kPa"]) / 1000.0
    a_top = np.asarray(top.point_data["node_area_mm2"])
    assert float(np.sum(p_top * a_top)) == pytest.approx(float(np.sum(p * a)), rel=1e-9)
    assert fig["insole_peak_pressure_kPa"] == pytest.approx(1000.0 * p_top.max())
    assert "insole and pad top: peak" in table.format_record(record)
