"""The documentation site builds with warnings as errors (Sphinx, MyST, myst-nb, autodoc).

The build imports every footsim module for the API reference (a broken docstring, a page
that names a module that no longer exists, a dangling cross-reference in the pages is a
warning, hence a failure) and renders the three notebooks from their committed outputs
without executing them. No network is used. About 15 s here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    pythonpath = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=pythonpath)
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-E",
        "-q",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        str(DOCS),
        str(tmp_path / "html"),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stderr[-6000:]}"
    html = tmp_path / "html"
    for page in (
        "index.html",
        "getting-started.html",
        "verification.html",
        "api/physics.html",
        "notebooks/02-placing-a-metatarsal-pad.html",
    ):
        assert (html / page).is_file(), page
    # the API pages carry the docstrings, and the notebooks their committed pictures
    api = (html / "api" / "physics.html").read_text(encoding="utf-8")
    assert 'id="footsim.physics.contact.body.BodyContact"' in api
    notebook = (html / "notebooks" / "02-placing-a-metatarsal-pad.html").read_text(encoding="utf-8")
    assert "<img" in notebook
