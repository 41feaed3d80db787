"""What the studio shows of finished runs, drawn from their folders (never by re-solving):
the pictures of ``footsim plot`` under the same file names in the run folder (drawn once, then
reused), the regional table, A/B comparisons and the run list of a results folder.
Pressures in kPa, forces in N, areas in mm^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from footsim.post import results

VIEWS: dict[str, str] = {
    "pressure": "Plantar pressure (FE nodes)",
    "platform": "Pressure platform (5 mm sensors)",
    "insole": "In-shoe sensors (14 mm)",
    "section": "Stress cut-away under MTH2",
    "shear": "Plantar shear",
}
"""The pictures of a run the studio offers, by name, with their titles."""


def view_file(folder: Path, view: str) -> Path:
    """The picture ``view`` of the run in ``folder``: its file, drawn now if absent (the same
    file ``footsim plot`` writes)."""
    from footsim.post import plotting

    folder = Path(folder)
    if view not in VIEWS:
        raise ValueError(f"view = {view!r} is not one of {', '.join(VIEWS)}")
    names = {
        "pressure": "pressure.png",
        "platform": "sensor-platform.png",
        "insole": "sensor-insole.png",
        "section": "section-sagittal-ray2.png",
        "shear": "shear.png",
    }
    path = folder / names[view]
    if path.exists():
        return path
    if view == "pressure":
        return plotting.pressure_map(folder, path)
    if view in ("platform", "insole"):
        return plotting.sensor_view(folder, path, kind=view)
    if view == "section":
        return plotting.section(folder, path, ray=2, plane="sagittal")
    return plotting.shear_map(folder, path)


def compare_file(results_root: Path, a: str, b: str) -> Path:
    """The A/B picture of two runs of ``results_root`` (A, B and B - A on one scale, kPa),
    kept under ``results_root/compare/<a>--<b>.png``."""
    root = Path(results_root)
    path = root / "compare" / f"{a}--{b}.png"
    if not path.exists():
        from footsim.post import plotting

        plotting.compare(root / a, root / b, path)
    return path


@dataclass(frozen=True)
class RunEntry:
    """A run folder of the results folder, as the studio lists it."""

    folder: str
    name: str
    status: str
    reason: str
    peak_kPa: float | None
    modified: float

    @property
    def label(self) -> str:
        if self.status != "done":
            return f"{self.folder} (failed)"
        if self.peak_kPa is None:  # a run folder without a solution summary
            return self.folder
        return f"{self.folder}: peak {self.peak_kPa:.0f} kPa"


def list_runs(results_root: Path) -> list[RunEntry]:
    """The run folders of ``results_root`` (those with a ``summary.json``), newest first."""
    root = Path(results_root)
    out = []
    if not root.is_dir():
        return out
    for folder in root.iterdir():
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        summary = results.read_summary(folder)
        if summary is None or "status" not in summary:
            continue
        peak = summary.get("solution", {}).get("peak_pressure_kPa")
        out.append(
            RunEntry(
                folder.name,
                str(summary.get("name", folder.name)),
                summary["status"],
                str(summary.get("reason", "")),
                None if peak is None else float(peak),
                (folder / "summary.json").stat().st_mtime,
            )
        )
    return sorted(out, key=lambda e: -e.modified)


TABLE_COLUMNS = {
    "region": "Region",
    "peak_kPa": "Peak kPa",
    "mean_kPa": "Mean kPa",
    "force_N": "Force N",
    "contact_area_mm2": "Area mm2",
    "peak_von_mises_kPa": "VM kPa",
}
"""The regional table's columns in the studio, and their headings."""


def region_rows(folder: Path) -> list[dict[str, Any]]:
    """The regional table of a finished run as rows (one per region, :data:`TABLE_COLUMNS`)."""
    table = results.region_table(results.read_summary(Path(folder)))
    rows = []
    for region, row in table.iterrows():
        out = {"region": str(region)}
        for col in list(TABLE_COLUMNS)[1:]:
            out[col] = round(float(row[col]), 1)
        rows.append(out)
    return rows


DIFFERENCE_COLUMNS = {
    "region": "Region",
    "peak_A": "A peak kPa",
    "peak_B": "B peak kPa",
    "diff": "B - A kPa",
    "pct": "B - A %",
}
"""The A/B table's columns (:func:`difference_rows`) and their headings."""


def difference_rows(results_root: Path, a: str, b: str) -> list[dict[str, Any]]:
    """Per-region peak pressure of A and B and B - A (kPa, and % of A)."""
    from footsim.post.table import compare_regions

    root = Path(results_root)
    table = compare_regions(results.load(root / a), results.load(root / b))
    rows = []
    for region, row in table.iterrows():
        pct = row["peak_kPa_pct"]
        rows.append(
            {
                "region": str(region),
                "peak_A": round(float(row["peak_kPa_A"]), 1),
                "peak_B": round(float(row["peak_kPa_B"]), 1),
                "diff": round(float(row["peak_kPa_diff"]), 1),
                "pct": None if pct != pct else round(float(pct), 1),
            }
        )
    return rows
