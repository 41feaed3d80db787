"""The teaching notebooks execute without error (nbclient, in a scratch copy).

They read their finished runs from ``notebooks/data/`` (committed with the notebooks, keyed by
the scenario hash); a run missing there is computed, which takes minutes.
"""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_three_notebooks_are_shipped():
    assert len(PATHS) == 3


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_executes(path, tmp_path):
    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns("*.ipynb", "figures", "meshes"))
    for shared in ("scenarios", "studies"):  # the notebooks read ../scenarios, ../studies
        (tmp_path / shared).symlink_to(NOTEBOOKS.parent / shared)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": work}}
    ).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    figures = sorted((work / "data" / "figures").glob("*.png"))
    assert figures and all(f.stat().st_size > 10_000 for f in figures)
