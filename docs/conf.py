"""Sphinx configuration of the footsim documentation (MyST Markdown, myst-nb, pydata theme).

Build with ``make docs`` (warnings are errors). The build needs no network: no intersphinx
inventories are fetched, and the notebooks are rendered from their committed outputs, never
executed.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # document this checkout's footsim

project = "footsim"
author = "footsim developers"
copyright = "footsim developers"
try:
    release = version("footsim")
except PackageNotFoundError:  # a source tree without an installed footsim
    release = "unknown"
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",  # MyST Markdown pages and Jupyter notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]

# MyST: $...$ and $$...$$ maths, ::: fences, heading anchors for links like page.md#anchor
myst_enable_extensions = ["amsmath", "colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

# myst-nb: the notebooks are committed with their outputs and rendered as they are; running
# them needs the solver and minutes per missing run (the test suite executes them instead).
nb_execution_mode = "off"

# autodoc: one page per subpackage, members in source order, typehints in the description
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "description"
autodoc_class_signature = "separated"
autosummary_generate = False  # the API pages list their modules explicitly
napoleon_numpy_docstring = True
napoleon_google_docstring = True  # the docstrings use "Args:" sections
# No autodoc_mock_imports: the optional packages (dask, trame) are imported inside the functions
# that use them, so every module imports with the core dependencies alone.

html_theme = "pydata_sphinx_theme"
html_title = f"footsim {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
