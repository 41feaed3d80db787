"""A finished design's objective and constraint values, read from its runs' result files.

Constraint values follow Optuna's convention: a design is feasible when every value is at
most 0 (here: the excess over each limit, in the limit's unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from footsim.optimise.spec import StudySpec
from footsim.post import results
from footsim.validate.quantities import RunView

Folders = str | Path | Mapping[str | None, str | Path]
"""A design's run folder, or one per posture of a pressure-time objective (by its name)."""


def _combine(spec: StudySpec, values: list[float]) -> float:
    return max(values) if spec.objective.aggregate == "max" else sum(values)


def objective_value(spec: StudySpec, view: RunView, summary: dict[str, Any]) -> float:
    """The study's objective for one run (minimised). Summary figures and regional columns
    are read from ``summary.json``; only sensor peaks need the plantar surface."""
    obj = spec.objective
    if obj.kind == "figure":
        return float(summary["figures"][obj.figure])
    if obj.kind == "sensor_peak":
        peaks = view.sensor_peaks(obj.device)
        values = [peaks[r] for r in obj.regions]
    else:
        regions = results.region_table(summary)
        values = [float(regions.loc[r, obj.column]) for r in obj.regions]
    return _combine(spec, values)


def pressure_time(spec: StudySpec, peaks: Mapping[str, Mapping[str, float]]) -> float:
    """The pressure-time proxy (kPa s): for each region, the sum over the postures of its
    sensor peak (kPa, ``peaks[posture][region]``) times the posture's seconds; combined over
    the regions by the objective's ``aggregate``."""
    phases = spec.objective.phases
    per_region = [
        sum(phase.seconds * float(peaks[name][r]) for name, phase in phases.items())
        for r in spec.objective.regions
    ]
    return _combine(spec, per_region)


def _as_folders(folders: Folders) -> dict[str | None, Path]:
    if isinstance(folders, Mapping):
        return {k: Path(v) for k, v in folders.items()}
    return {None: Path(folders)}


def evaluate(spec: StudySpec, folders: Folders) -> dict[str, Any]:
    """``values`` (the objective; with NSGA-II also the pressure under the pad),
    ``constraints`` (excess over each limit, feasible when all <= 0) and the figures behind
    them (``pad_peak_kPa``, ``share_<head>``). With several postures, the pad's peak and each
    head's share are the largest over the postures."""
    runs = {k: (RunView(f), results.read_summary(f) or {}) for k, f in _as_folders(folders).items()}
    if spec.objective.kind == "pressure_time":
        peaks = {k: view.sensor_peaks(spec.objective.device) for k, (view, _) in runs.items()}
        value = pressure_time(spec, peaks)
    else:
        view, summary = runs[None]
        value = objective_value(spec, view, summary)
    out: dict[str, Any] = {"objective": value}
    c = spec.constraints
    if spec.multi_objective or c.pad_peak_kPa is not None:
        out["pad_peak_kPa"] = max(
            float(view.sensor_peaks(spec.objective.device)["pad"]) for view, _ in runs.values()
        )
    constraints = []
    if c.pad_peak_kPa is not None and not spec.multi_objective:
        constraints.append(out["pad_peak_kPa"] - c.pad_peak_kPa)
    if c.head_share_max:
        tables = [results.region_table(summary) for _, summary in runs.values()]
        for head, limit in c.head_share_max.items():
            share = max(_share(t, head) for t in tables)
            out[f"share_{head}"] = share
            constraints.append(share - limit)
    out["values"] = [value, out["pad_peak_kPa"]] if spec.multi_objective else [value]
    out["constraints"] = constraints
    return out


def _share(regions, head: str) -> float:
    """A head's share (0-1) of the five heads' force."""
    total = float(regions.loc[[f"MTH{k}" for k in range(1, 6)], "force_N"].sum())
    return float(regions.loc[head, "force_N"]) / total
