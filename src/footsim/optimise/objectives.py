"""A finished run's objective and constraint values, read from its result files.

Constraint values follow Optuna's convention: a design is feasible when every value is at
most 0 (here: the excess over each limit, in the limit's unit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from footsim.optimise.spec import StudySpec
from footsim.post import results
from footsim.validate.quantities import RunView


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
    return max(values) if obj.aggregate == "max" else sum(values)


def pad_peak(spec: StudySpec, view: RunView) -> float:
    """The sensor peak (kPa) of the skin over the pad, outside the heads' regions."""
    return float(view.sensor_peaks(spec.objective.device)["pad"])


def evaluate(spec: StudySpec, folder: str | Path) -> dict[str, Any]:
    """``values`` (the objective; with NSGA-II also the pressure under the pad),
    ``constraints`` (excess over each limit, feasible when all <= 0) and the figures behind
    them (``pad_peak_kPa``, ``share_<head>``)."""
    view = RunView(Path(folder))
    summary = results.read_summary(Path(folder)) or {}
    value = objective_value(spec, view, summary)
    out: dict[str, Any] = {"objective": value}
    c = spec.constraints
    needs_pad = spec.multi_objective or c.pad_peak_kPa is not None
    if needs_pad:
        out["pad_peak_kPa"] = pad_peak(spec, view)
    constraints = []
    if c.pad_peak_kPa is not None and not spec.multi_objective:
        constraints.append(out["pad_peak_kPa"] - c.pad_peak_kPa)
    if c.head_share_max:
        regions = results.region_table(summary)
        total = float(regions.loc[[f"MTH{k}" for k in range(1, 6)], "force_N"].sum())
        for head, limit in c.head_share_max.items():
            share = float(regions.loc[head, "force_N"]) / total
            out[f"share_{head}"] = share
            constraints.append(share - limit)
    out["values"] = [value, out["pad_peak_kPa"]] if spec.multi_objective else [value]
    out["constraints"] = constraints
    return out
