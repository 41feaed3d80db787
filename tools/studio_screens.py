"""Draw the studio's documentation pictures: screenshots of a designer's session and a GIF of
the pad being dragged, from the real app in Debian's chromium (real solves, teaching mesh).

    .venv/bin/python tools/studio_screens.py docs/user-guide/studio [--results DIR]

Runs two designs (about two minutes with a warm mesh cache) and a short optimisation study
(three trials). The pictures show what the app shows; nothing is drawn by hand.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from playwright.sync_api import sync_playwright

from footsim.model.bundled import shipped
from footsim.model.footwear import apply_heel
from footsim.studio import design, outline

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PROXIMAL = "#num-footwear__pad__apex_proximal_to_mth_mm"


def _serve(results: Path, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "footsim", "studio", "--port", str(port)]
    cmd += ["--results", str(results), "--workers", "2", "--no-browser"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the studio did not start")


def _frame(page) -> np.ndarray:
    """The window as an image, halved by averaging 2 x 2 pixels (for the GIF)."""
    img = np.asarray(iio.imread(io.BytesIO(page.screenshot())))[..., :3].astype(float)
    h, w = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
    return img[:h, :w].reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3)).astype(np.uint8)


def _drag(page, frame, anatomy, target: float, frames: list | None = None) -> None:
    box = page.locator("#outline").bounding_box()
    scale = box["width"] / frame.size_px[0]
    mid_x = 0.5 * (anatomy.head_centres()[1][0] + anatomy.head_centres()[2][0])
    y = float(page.input_value("#num-footwear__pad__apex_y_mm"))
    now = float(page.input_value(PROXIMAL))

    def at(p):
        u, v = frame.to_px(mid_x - p, y)
        return box["x"] + float(u) * scale, box["y"] + float(v) * scale

    page.mouse.move(*at(now))
    page.mouse.down()
    for p in np.linspace(now, target, 10)[1:]:
        page.mouse.move(*at(p))
        page.wait_for_timeout(150)
        if frames is not None:
            frames.append(_frame(page))
    page.mouse.up()
    page.wait_for_timeout(400)


def _wait_jobs(page) -> None:
    page.wait_for_function(
        "[...document.querySelectorAll('.job-status')].every(e => "
        "['done', 'failed', 'cancelled'].includes(e.innerText))",
        timeout=900_000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--port", type=int, default=8131)
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    results = args.results or Path(tempfile.mkdtemp()) / "results"
    start = shipped(design.START_SCENARIO)
    anatomy = apply_heel(start.anatomy, start.footwear)
    frame = outline.Frame.around(anatomy, start.footwear)
    server = _serve(results, args.port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{args.port}/")
            page.wait_for_selector("#outline svg")
            page.wait_for_timeout(1000)
            frames: list[np.ndarray] = [_frame(page)]
            _drag(page, frame, anatomy, 0.0, frames)
            page.click("#run")
            _drag(page, frame, anatomy, 15.0, frames)
            page.click("#run")
            frames += [_frame(page)] * 4
            iio.imwrite(out / "studio-drag-pad.gif", np.stack(frames), duration=250, loop=0)
            page.wait_for_timeout(3000)
            page.screenshot(path=out / "studio-running.png")
            _wait_jobs(page)
            page.wait_for_timeout(2000)
            page.screenshot(path=out / "studio-map.png")
            page.click("#tab-compare")
            page.wait_for_selector("#compare-img", timeout=120_000)
            page.wait_for_timeout(1500)
            page.locator("#compare-img").scroll_into_view_if_needed()
            page.screenshot(path=out / "studio-compare.png")
            page.click("#tab-3d")
            page.wait_for_timeout(3000)
            page.screenshot(path=out / "studio-3d.png")
            page.click("#tab-optimise")
            page.fill("#study-trials", "3")
            page.click("#start-study")
            page.wait_for_function(
                "/^(done|failed)/.test((document.querySelector('#study-status') || {}).innerText)",
                timeout=1_800_000,
            )
            page.wait_for_timeout(1500)
            page.screenshot(path=out / "studio-optimise.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    print(*sorted(p.name for p in out.iterdir()), sep="\n")


if __name__ == "__main__":
    main()
