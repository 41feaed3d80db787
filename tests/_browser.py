"""A real browser for the studio's tests: Debian's chromium driven by Playwright, and the studio
served by ``footsim studio`` in its own process.

No browser is downloaded: Playwright drives the system's chromium (``make browser`` installs
Debian's package). A machine without it fails the browser test with what to install, never
skips it silently.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_ENV = "FOOTSIM_CHROMIUM"
"""Environment variable naming the chromium executable (default: chromium on PATH)."""

#: Chromium's flags for a headless run on a machine without network or GPU (root, no sandbox)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The chromium executable, or a test failure saying how to install it."""
    found = os.environ.get(CHROMIUM_ENV) or next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None
    )
    if not found or not Path(found).exists():
        pytest.fail(
            "the studio's browser test needs Debian's chromium: run `make browser` "
            "(apt-get install chromium chromium-driver) or set FOOTSIM_CHROMIUM to a "
            "chromium executable",
            pytrace=False,
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def studio_server(
    results: Path, *, workers: int = 2, timeout_s: float = 90.0, study_runner: str | None = None
):
    """``footsim studio`` on a free port, serving ``results``; yields its URL. ``study_runner``
    (``module:function``, importable from tests/) replaces the solves of optimisation studies."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    extra = ["--study-runner", study_runner] if study_runner else []
    log = open(results.parent / "studio.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "footsim",
            "studio",
            "--port",
            str(port),
            "--results",
            str(results),
            "--workers",
            str(workers),
            "--no-browser",
            *extra,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.flush()
                raise AssertionError(
                    f"footsim studio ended (exit {proc.returncode}):\n"
                    + (results.parent / "studio.log").read_text()[-3000:]
                )
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def chromium_page(viewport=(1400, 1000)):
    """A Playwright page in headless Debian chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"the studio's browser test needs playwright (the `test` extra): {exc}")
    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            yield page
        finally:
            browser.close()
