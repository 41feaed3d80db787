"""Pictures from result folders: sizes, non-blank images, comparisons, sweep curves.

The result folders here are small synthetic ones written in the run-folder format (a flat
plantar patch with a known pressure field): they test the drawing and resampling, not the
mechanics (tests/test_pipeline.py draws the pressure map of a real solve).
"""

import json

import numpy as np
import pandas as pd
import pytest

import footsim  # noqa: F401
from _helpers import block_motion_with_bent_mt2
from footsim.post import plotting, results


def _fake_result(folder, shift_mm=0.0, peak_kPa=200.0, resolution=40):
    import pyvista as pv

    plane = pv.Plane(
        center=(-10.0, 12.0, 0.0),
        direction=(0, 0, 1),
        i_size=60.0,
        j_size=100.0,
        i_resolution=resolution,
        j_resolution=resolution,
    ).triangulate()
    heads = np.array(
        [
            [-4.0, -24.0, 20.0],
            [0.0 + shift_mm, 0.0, 20.0],
            [-4.4, 18.0, 19.0],
            [-11.2, 35.0, 18.6],
            [-20.2, 51.0, 18.5],
        ]
    )
    x = plane.points
    p = np.zeros(len(x))
    for c in heads:
        p = np.maximum(
            p,
            peak_kPa
            * np.clip(1 - ((x[:, 0] - c[0]) ** 2 + (x[:, 1] - c[1]) ** 2) / 100.0, 0, None),
        )
    plane.point_data["pressure_kPa"] = p
    plane.point_data["region"] = results.assign_regions(x, heads)
    folder.mkdir(parents=True)
    plane.cast_to_unstructured_grid().save(folder / "plantar.vtu")
    rows = [
        {
            "region": r,
            "peak_kPa": float(p[plane.point_data["region"] == k].max(initial=0)),
            "mean_kPa": 0.0,
            "contact_area_mm2": 0.0,
            "force_N": 0.0,
            "peak_von_mises_kPa": 0.0,
            "peak_max_shear_kPa": 0.0,
        }
        for k, r in enumerate(results.REGIONS)
    ]
    summary = {
        "name": folder.name,
        "status": "done",
        "regions": rows,
        "head_centres_mm": heads.tolist(),
        "head_radii_mm": [9.5, 8, 7.6, 7, 6.5],
        "figures": {"reaction_N": 150.0},
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    return results.load(folder)


def _image(path):
    import pyvista as pv

    img = pv.read(path)
    return img.dimensions, np.asarray(img.point_data.active_scalars)


def test_pressure_map_png_of_requested_size(tmp_path):
    res = _fake_result(tmp_path / "a")
    out = plotting.pressure_map(res, tmp_path / "p.png", window_size=(800, 600))
    dims, pixels = _image(out)
    assert dims[:2] == (800, 600)
    assert pixels.std() > 0


def test_compare_with_itself_gives_zero_difference(tmp_path):
    res = _fake_result(tmp_path / "a")
    grid, pa, pb, valid = plotting.common_grid(res, res)
    assert valid.sum() > 1000
    np.testing.assert_array_equal(pb[valid] - pa[valid], 0.0)


def test_compare_across_different_meshes(tmp_path):
    a = _fake_result(tmp_path / "a", resolution=40)
    b = _fake_result(tmp_path / "b", shift_mm=6.0, resolution=27)
    grid, pa, pb, valid = plotting.common_grid(a, b)
    diff = pb - pa
    # MTH2 moved 6 mm distally: pressure appears distal to the old head and vanishes behind it
    g = grid.points
    ahead = valid & (np.abs(g[:, 1]) < 2) & (np.abs(g[:, 0] - 9.0) < 1.0)
    behind = valid & (np.abs(g[:, 1]) < 2) & (np.abs(g[:, 0] + 6.0) < 1.0)
    assert diff[ahead].mean() > 50.0 and diff[behind].mean() < -50.0
    out = plotting.compare(a, b, tmp_path / "c.png", window_size=(900, 400))
    dims, pixels = _image(out)
    assert dims[:2] == (900, 400) and pixels.std() > 0


def test_sweep_plot_lines_and_heat_map(tmp_path):
    xs = [0.0, 2.5, 5.0]
    table = pd.DataFrame(
        {
            "index": range(3),
            "footwear.pad.apex_x_mm": xs,
            "status": ["done"] * 3,
            **{f"MTH{k}_peak_kPa": [100 + k, 90, 80] for k in range(1, 6)},
        }
    )
    out = plotting.sweep_plot(table, tmp_path / "s.png")
    assert out.stat().st_size > 0
    two = pd.DataFrame(
        {
            "index": range(4),
            "a.x": [0, 1, 0, 1],
            "a.y": [0, 0, 1, 1],
            "status": ["done"] * 4,
            "MTH2_peak_kPa": [1.0, 2.0, 3.0, 4.0],
        }
    )
    assert plotting.sweep_plot(two, tmp_path / "h.png").stat().st_size > 0
    # x named: one line per region and value of the other varied parameter; a parameter
    # held constant (a.z) is not a second dimension
    two["a.z"] = 7.0
    fig = plotting.sweep_plot(two, x="a.x", regions=("MTH2",))
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["MTH2, y 0", "MTH2, y 1"]
    assert [list(ln.get_ydata()) for ln in lines] == [[1.0, 2.0], [3.0, 4.0]]


def test_sweep_plot_breaks_its_lines_at_a_failed_run():
    """A failed run in the middle of a sweep leaves a gap in the curve (NaN), not a straight
    segment from its neighbours that would read as a result; the title counts it."""
    table = pd.DataFrame(
        {
            "index": range(3),
            "a.x": [0.0, 1.0, 2.0],
            "status": ["done", "failed", "done"],
            "MTH2_peak_kPa": [1.0, 5.0, 3.0],  # a stale number in a failed row is not drawn
        }
    )
    fig = plotting.sweep_plot(table, regions=("MTH2",))
    (line,) = fig.axes[0].get_lines()
    y = np.asarray(line.get_ydata(), dtype=float)
    assert list(line.get_xdata()) == [0.0, 1.0, 2.0]
    assert y[0] == 1.0 and np.isnan(y[1]) and y[2] == 3.0
    assert "1 failed run not shown" in fig.axes[0].get_title()


def test_missing_result_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="summary.json missing"):
        plotting.pressure_map(tmp_path)


def test_sensor_grid_conserves_force_of_a_known_field(tmp_path):
    """One paraboloid of 200 kPa peak and 10 mm radius: force = 200 kPa * pi R^2 / 2."""
    import pyvista as pv

    folder = tmp_path / "one"
    res = _fake_result(folder, resolution=120)
    x = res.plantar.points
    p = 200.0 * np.clip(1 - ((x[:, 0] - 0.0) ** 2 + (x[:, 1] - 0.0) ** 2) / 100.0, 0, None)
    surf = res.plantar.extract_surface(algorithm=None)
    surf.point_data["pressure_kPa"] = p
    surf.point_data["displacement_mm"] = np.zeros((len(p), 3))
    pv.wrap(surf).cast_to_unstructured_grid().save(folder / "plantar.vtu")
    res = results.load(folder)
    expected_N = 200.0 * np.pi * 100.0 / 2.0 / 1000.0
    for kind in ("platform", "insole"):
        grid = plotting.sensor_grid(res, kind)
        assert grid.total_force_N == pytest.approx(expected_N, rel=0.02), kind
    out = plotting.sensor_view(res, tmp_path / "s.png", window_size=(640, 480))
    dims, pixels = _image(out)
    assert dims[:2] == (640, 480) and pixels.std() > 0


def _patch_run(folder, pad: bool):
    """The fake result with a 16 x 20 mm patch proximal of the heads pressed at 60 kPa, its
    skin marked as the pad's region when ``pad``."""
    import pyvista as pv

    res = _fake_result(folder, resolution=120)
    surf = res.plantar.extract_surface(algorithm=None)
    x = np.asarray(surf.points)
    patch = (np.abs(x[:, 0] + 30.0) <= 8.0) & (np.abs(x[:, 1] - 10.0) <= 10.0)
    region = np.asarray(surf.point_data["region"]).copy()
    assert (region[patch] == -1).all()  # outside every head's region
    if pad:
        region[patch] = results.REGIONS.index("pad")
    surf.point_data["region"] = region
    p = np.asarray(surf.point_data["pressure_kPa"]).copy()
    p[patch] = 60.0
    surf.point_data["pressure_kPa"] = p
    surf.point_data["displacement_mm"] = np.zeros((len(p), 3))
    pv.wrap(surf).cast_to_unstructured_grid().save(folder / "plantar.vtu")
    return folder


def test_sensors_over_the_pad_read_the_pad_region(tmp_path):
    """The platform's ``pad`` peak is the 60 kPa of the skin over the pad's footprint (sensors
    wholly inside the patch), the heads keep theirs; the same pressure on skin that is not
    over a pad reads 0 under ``pad``."""
    from footsim.validate.quantities import RunView

    peaks = RunView(_patch_run(tmp_path / "pad", pad=True)).sensor_peaks("platform")
    assert peaks["pad"] == pytest.approx(60.0, rel=1e-3)
    assert peaks["MTH2"] > 150.0
    plain = RunView(_patch_run(tmp_path / "plain", pad=False)).sensor_peaks("platform")
    assert plain["pad"] == 0.0 and plain["MTH2"] == peaks["MTH2"]


def test_sweep_report_is_self_contained(tmp_path):
    from footsim.post import html_report

    folder = tmp_path / "sweep"
    folder.mkdir()
    pd.DataFrame(
        {
            "index": range(3),
            "anatomy.mt2_extra_length_mm": [0.0, 3.0, 6.0],
            "status": ["done"] * 3,
            "reason": [""] * 3,
            **{f"MTH{k}_peak_kPa": [90.0, 95.0, 99.0] for k in range(1, 6)},
        }
    ).to_csv(folder / "table.csv", index=False)
    text = html_report(folder).read_text()
    assert "data:image/png;base64," in text and "http" not in text


def test_pad_region_is_the_footprint_outside_the_heads():
    heads = np.array([[-5.0, 20.0 * i, 10.0] for i in range(5)])
    points = np.array([[-5.0, 20.0, 0.0], [-30.0, 20.0, 0.0], [-60.0, 20.0, 0.0]])
    over_pad = np.array([True, True, False])
    region = results.assign_regions(points, heads, over_pad)
    names = [results.REGIONS[r] if r >= 0 else None for r in region]
    assert names == ["MTH2", "pad", None]


def test_show_falls_back_to_a_static_image_without_trame(monkeypatch):
    import importlib.util

    import pyvista as pv

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if "trame" in name else real(name, *a)
    )
    assert plotting.jupyter_backend() == "static"
    pl = pv.Plotter(off_screen=True, window_size=(64, 48))
    pl.add_mesh(pv.Sphere())
    plotting.show(pl)  # outside Jupyter: renders off-screen and closes, no error


def test_metatarsal_bending_removes_the_rigid_motion_of_the_block(tmp_path):
    """Five box 'metatarsals' from the cut (x = -40) to their heads, moved rigidly (10 deg
    heel rise about a pivot, 4 mm down) and MT2 bent by a field that vanishes at the cut:
    the head deflections come out as the bending alone (exactly 0 for the other rays)."""
    import pyvista as pv

    centres = np.array(
        [[-4, -24, 20], [0, 0, 20], [-4.4, 18, 19], [-11, 35, 18.6], [-20, 51, 18.5]]
    )
    radii = np.array([9.5, 8.0, 7.6, 7.0, 6.5])
    grids = []
    for k, (c, r) in enumerate(zip(centres, radii, strict=True), start=1):
        low = c[2] - r
        spacing = ((c[0] + 40.0) / 8, 4.0, 4.0)
        box = pv.ImageData(dimensions=(9, 3, 3), spacing=spacing, origin=(-40.0, c[1] - 4, low))
        box = box.cast_to_unstructured_grid()
        box.cell_data["tag"] = np.full(box.n_cells, k, dtype=np.int32)
        grids.append(box)
    vol = pv.merge(grids, merge_points=False)
    block_motion_with_bent_mt2(vol, [2])
    summary = {
        "head_centres_mm": centres.tolist(),
        "head_radii_mm": radii.tolist(),
        "figures": {f"MTH{k}_force_N": 10.0 * k for k in range(1, 6)},
    }
    res = results.Result(tmp_path, summary, None, None, vol, None)
    table = results.metatarsal_bending(res)
    assert table.loc["MT2", "deflection_mm"] == pytest.approx(0.002 * 40.0**2, rel=1e-9)
    for ray in ("MT1", "MT3", "MT4", "MT5"):
        assert abs(table.loc[ray, "deflection_mm"]) < 1e-9
    assert table.loc["MT4", "force_N"] == 40.0
