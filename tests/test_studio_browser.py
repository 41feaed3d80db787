"""footsim studio end to end in a real browser (Debian's chromium, Playwright).

The designer's session: load the page; refuse a body mass out of range next to its field; drag
the pad on the plantar outline to 15 mm proximal of the heads and run; drag it under the heads
and run again (both runs real solves on the teaching mesh, side by side); see the map change;
compare the two runs; export the design and check that it is the run's scenario; cancel a run;
run an optimisation study of the pad (with a cheap runner in place of its solves) and take its
best design.
Screenshots go to the test's folder (and to ``$FOOTSIM_STUDIO_SHOTS`` when set).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tomllib
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("trame", reason="the `studio` extra (trame) is part of `test`")

from _browser import chromium_page, studio_server  # noqa: E402
from footsim.model.bundled import shipped  # noqa: E402
from footsim.model.footwear import apply_heel  # noqa: E402
from footsim.model.scenarios import from_dict  # noqa: E402
from footsim.studio import design, outline  # noqa: E402

RUN_TIMEOUT_MS = 420_000
"""Both runs (teaching mesh, standing, insole and pad: about a minute each alone, side by side
on two cores) with room for a slow machine."""

PROXIMAL_KEY = "footwear__pad__apex_proximal_to_mth_mm"


def _pixels(png: bytes) -> np.ndarray:
    import imageio.v3 as iio

    return np.asarray(iio.imread(io.BytesIO(png)))[..., :3].astype(int)


def _drag_pad_to(page, frame, anatomy, proximal_mm: float, y_mm: float) -> None:
    """Drag the pad's apex on the outline from where it is to ``proximal_mm`` (proximal of the
    MTH2-3 midpoint) and ``y_mm``, with the mouse, in steps."""
    box = page.locator("#outline").bounding_box()
    scale = box["width"] / frame.size_px[0]
    mid_x = 0.5 * (anatomy.head_centres()[1][0] + anatomy.head_centres()[2][0])

    def at(proximal, y):
        u, v = frame.to_px(mid_x - proximal, y)
        return box["x"] + float(u) * scale, box["y"] + float(v) * scale

    now = (
        float(page.input_value(f"#num-{PROXIMAL_KEY}")),
        float(page.input_value("#num-footwear__pad__apex_y_mm")),
    )
    page.mouse.move(*at(*now))
    page.mouse.down()
    for t in np.linspace(0.0, 1.0, 6)[1:]:
        page.mouse.move(*at(now[0] + t * (proximal_mm - now[0]), now[1] + t * (y_mm - now[1])))
        page.wait_for_timeout(80)
    page.mouse.up()
    page.wait_for_function(
        f"Math.abs(Number(document.querySelector('#num-{PROXIMAL_KEY}').value) - {proximal_mm})"
        " <= 0.5",
        timeout=10_000,
    )


def _choose(page, select_id: str, text: str) -> None:
    """Pick the item containing ``text`` in the Vuetify select ``select_id``."""
    page.wait_for_selector(".v-overlay--active .v-list-item", state="detached")
    field = page.locator(f"#{select_id}").locator(
        "xpath=ancestor::div[contains(@class, 'v-field')][1]"
    )
    item = page.locator(".v-overlay--active .v-list-item", has_text=text).first
    for _ in range(5):  # a click during the page's own updates may not open the menu
        field.click()
        try:
            item.wait_for(timeout=3_000)
            break
        except Exception:  # noqa: BLE001 - tried again below
            page.keyboard.press("Escape")
    item.click()
    page.wait_for_selector(".v-overlay--active .v-list-item", state="detached")
    page.wait_for_function(
        f"document.querySelector('#{select_id}').closest('.v-field').innerText.includes('{text}')",
        timeout=10_000,
    )


def _row(page, table: str, region: str) -> list[float]:
    """The numbers of the row of ``region`` in the data table ``table`` as the page shows them."""
    row = page.locator(f"{table} tbody tr", has_text=region).first
    row.wait_for(timeout=10_000)
    return [float(c) for c in row.locator("td").all_inner_texts()[1:] if c.strip()]


def _shown_map(page, folder: str) -> np.ndarray:
    _choose(page, "selected-run", folder)
    page.click("#tab-map")
    loaded = (
        "(() => { const i = document.querySelector('#view-img'); return i && "
        f"i.src.includes('{folder}') && i.complete && i.naturalWidth > 0; }})()"
    )
    page.wait_for_function(loaded, timeout=60_000)
    page.wait_for_timeout(500)  # painted
    assert page.evaluate(loaded)
    return _pixels(page.locator("#view-img").screenshot())


def test_design_run_compare_export_in_a_browser(tmp_path):
    results = tmp_path / "results"
    shots = tmp_path / "shots"
    shots.mkdir()
    start = shipped(design.START_SCENARIO)
    anatomy = apply_heel(start.anatomy, start.footwear)
    frame = outline.Frame.around(anatomy, start.footwear)
    with (
        studio_server(results, study_runner="_optimise_runners:bowl") as url,
        chromium_page() as page,
    ):
        page.goto(url)
        page.wait_for_selector("#outline svg", timeout=60_000)
        page.screenshot(path=shots / "1-start.png")

        # bad input: the schema's message next to the field, and no run possible
        page.fill("#num-load__body_mass_kg", "300")
        page.wait_for_selector("text=le 250", timeout=10_000)
        assert page.is_disabled("#run")
        page.fill("#num-load__body_mass_kg", "70")
        page.wait_for_function("!document.querySelector('#run').disabled", timeout=10_000)

        # design A: the pad 15 mm proximal, where clinicians place it; run
        _drag_pad_to(page, frame, anatomy, 15.0, 9.0)
        folder_a = page.inner_text("#design-folder").split(": ", 1)[1].strip()
        page.screenshot(path=shots / "2-pad-proximal.png")
        page.click("#run")
        # design B: dragged under the heads (apex 0 mm proximal); run beside A
        _drag_pad_to(page, frame, anatomy, 0.0, 9.0)
        folder_b = page.inner_text("#design-folder").split(": ", 1)[1].strip()
        assert folder_b != folder_a
        page.click("#run")
        page.wait_for_function("document.querySelectorAll('.job').length === 2")
        page.screenshot(path=shots / "3-running.png")
        page.wait_for_function(
            "[...document.querySelectorAll('.job-status')].every(e => e.innerText === 'done')"
            " || [...document.querySelectorAll('.job-status')].some(e => e.innerText === "
            "'failed')",
            timeout=RUN_TIMEOUT_MS,
        )
        statuses = page.locator(".job-status").all_inner_texts()
        assert statuses == ["done", "done"], page.locator(".job-message").all_inner_texts()

        # the map follows the run shown, and moving the pad changed it
        map_a, map_b = _shown_map(page, folder_a), _shown_map(page, folder_b)
        page.screenshot(path=shots / "4-map.png")
        assert map_a.shape == map_b.shape
        changed = np.abs(map_a - map_b).sum(axis=2) > 30
        assert 0.005 < changed.mean() < 0.6, changed.mean()

        # the 3-D view of the run shown turns with the mouse (rendered on the server)
        page.click("#tab-3d")
        view = page.locator("#view-3d")
        page.wait_for_timeout(2_000)
        before = _pixels(view.screenshot())
        box = view.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(cx, cy)
        page.mouse.down()
        for k in range(1, 9):
            page.mouse.move(cx + 25 * k, cy + 5 * k)
            page.wait_for_timeout(60)
        page.mouse.up()
        page.wait_for_timeout(2_000)
        turned = np.abs(before - _pixels(view.screenshot())).sum(axis=2) > 30
        assert turned.mean() > 0.01, turned.mean()

        # the regional table shows the run's own figures
        page.click("#tab-table")
        summary_b = json.loads((results / folder_b / "summary.json").read_text())
        mth2 = next(r for r in summary_b["regions"] if r["region"] == "MTH2")
        assert _row(page, "#table", "MTH2")[0] == pytest.approx(mth2["peak_kPa"], abs=0.05)

        # A/B comparison of the two runs, with per-region differences from their folders
        page.click("#tab-compare")
        _choose(page, "run-a", folder_a)
        _choose(page, "run-b", folder_b)
        page.wait_for_selector(f"#compare-img[src*='{folder_a}--{folder_b}']", timeout=60_000)
        summary_a = json.loads((results / folder_a / "summary.json").read_text())
        mth2_a = next(r for r in summary_a["regions"] if r["region"] == "MTH2")
        diff = mth2["peak_kPa"] - mth2_a["peak_kPa"]
        a_b_diff = _row(page, "#compare-table", "MTH2")
        assert a_b_diff[:3] == pytest.approx([mth2_a["peak_kPa"], mth2["peak_kPa"], diff], abs=0.05)
        # the pad moved along the MTH2-3 line: the heads whose peaks changed most are those
        heads = {
            h: abs(_row(page, "#compare-table", h)[2])
            for h in ("MTH1", "MTH2", "MTH3", "MTH4", "MTH5")
        }
        assert sorted(heads, key=heads.get)[-2:] in (["MTH2", "MTH3"], ["MTH3", "MTH2"]), heads
        page.screenshot(path=shots / "5-compare.png")

        # export: the scenario file of the run shown is the design that ran (same hash)
        page.click("#tab-export")
        href = page.get_attribute("#export-toml", "href")
        text = urllib.request.urlopen(url + href).read().decode()
        exported = from_dict(tomllib.loads(text))
        assert f"{exported.name}-{exported.content_hash()}" == folder_b
        assert exported.footwear.pad.apex_proximal_to_mth_mm == pytest.approx(0.0, abs=0.5)
        page.click("#make-report")
        page.wait_for_selector("#export-report", timeout=60_000)
        assert (results / folder_b / "report.html").stat().st_size > 10_000

        # cancel: a third design, cancelled while it meshes; nothing of it stays
        page.fill("#num-load__body_mass_kg", "82")
        page.wait_for_function(
            "!document.querySelector('#run').disabled && document.querySelector("
            f"'#design-folder').innerText.indexOf('{folder_b}') < 0",
            timeout=10_000,
        )
        folder_c = page.inner_text("#design-folder").split(": ", 1)[1].strip()
        page.click("#run")
        page.locator(".job .cancel").first.click()
        page.wait_for_function(
            "document.querySelector('.job-status').innerText === 'cancelled'", timeout=60_000
        )
        assert not (results / folder_c).exists()

        # an optimisation study of the pad, started and followed from the app; its trials
        # use the tests' bowl runner (optimum: apex 7 mm proximal, 5.5 mm high, 100 kPa)
        page.click("#tab-optimise")
        page.fill("#study-trials", "6")
        _choose(page, "study-objective", "von Mises")
        page.click("#start-study")
        page.wait_for_function(
            "document.querySelector('#study-status') && /^(done|failed)/.test("
            "document.querySelector('#study-status').innerText)",
            timeout=120_000,
        )
        assert page.inner_text("#study-status").startswith("done"), page.inner_text("#study-status")
        rows = [
            row.locator("td").all_inner_texts()
            for row in page.locator("#study-table tbody tr").all()
        ]
        assert len(rows) >= 6  # two workers may each start one when five are left
        # apexes beyond 18 mm 'fail to converge' in the bowl: listed, without an objective
        objectives = [float(r[4]) for r in rows if r[1] == "complete"]
        assert all(float(r[2]) > 18.0 for r in rows if r[1] != "complete")
        assert objectives
        best_text = page.inner_text("#study-best")
        assert f"{min(objectives):g} kPa" in best_text
        best_apex = float(best_text.split("apex ", 1)[1].split(" mm", 1)[0])
        page.screenshot(path=shots / "6-study.png")
        page.click("#use-best")
        page.wait_for_function(
            f"Math.abs(Number(document.querySelector('#num-{PROXIMAL_KEY}').value) - "
            f"{best_apex}) < 0.01",
            timeout=10_000,
        )
    if os.environ.get("FOOTSIM_STUDIO_SHOTS"):
        shutil.copytree(shots, Path(os.environ["FOOTSIM_STUDIO_SHOTS"]), dirs_exist_ok=True)
