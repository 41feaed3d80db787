"""What a study leaves: the trials table, the best design as a scenario, pictures, a page.

``write_outputs`` writes into the study's folder ``trials.csv`` / ``trials.parquet`` (one row
per trial: its design, state, objective, constraint figures, reason and run folder),
``best.toml`` (the best feasible design as a full scenario: ``footsim run best.toml``),
``pareto.csv`` (NSGA-II), the pictures of Optuna's matplotlib visualisation (objective
history, parameter importances, the objective over each design variable, the Pareto front),
the best design's plantar pressure next to the base without its pad (``best-vs-no-pad.png``)
and ``report.html`` (self-contained).
"""

from __future__ import annotations

import html
import math
import warnings
from pathlib import Path
from typing import Any

from footsim.optimise.spec import Study


def trials_table(ostudy):
    """One row per trial (pandas DataFrame)."""
    import pandas as pd

    rows = []
    for t in ostudy.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        row.update(t.params)
        values = t.values or []
        row["objective"] = values[0] if values else math.nan
        if len(values) > 1:
            row["pad_peak_kPa"] = values[1]
        for key, value in t.user_attrs.items():
            if key == "constraints":
                row["feasible"] = all(c <= 0.0 for c in value)
            elif key not in ("objective", "values"):
                row[key] = value
        rows.append(row)
    return pd.DataFrame(rows)


def read_baseline(folder: Path) -> str | None:
    """The objective without the pad, as a sentence, or None when it was not run."""
    import json

    path = Path(folder) / "baseline.json"
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    if record.get("status") != "done":
        return f"the run failed ({record.get('reason', '')})"
    return f"objective {record['objective']:.1f}"  # in the objective's unit


def best_trial(ostudy):
    """The feasible finished trial with the smallest objective, or None."""
    from optuna.trial import TrialState

    done = [
        t
        for t in ostudy.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if all(c <= 0.0 for c in t.user_attrs.get("constraints", []))
    ]
    return min(done, key=lambda t: t.values[0]) if done else None


def _figures(ostudy, study: Study, folder: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as ov
    from optuna.exceptions import ExperimentalWarning

    names = [f"objective ({study.spec.objective.unit})", "pad peak (kPa)"]
    jobs = {"history": lambda: ov.plot_optimization_history(ostudy, target_name=names[0])}
    if study.spec.multi_objective:
        jobs = {"pareto": lambda: ov.plot_pareto_front(ostudy, target_names=names)}
        target = {"target": lambda t: t.values[0], "target_name": names[0]}
    else:
        target = {"target_name": names[0]}
    if len(study.spec.variables) > 1:
        jobs["importances"] = lambda: ov.plot_param_importances(
            ostudy, target=target.get("target"), target_name=names[0]
        )
    jobs["slices"] = lambda: ov.plot_slice(ostudy, **target)
    ranges = [k for k, v in study.spec.variables.items() if hasattr(v, "low")]
    if len(ranges) >= 2:  # the objective over the first two ranges (pad position, height)
        jobs["map"] = lambda: ov.plot_contour(ostudy, params=ranges[:2], **target)
    out = {}
    for name, draw in jobs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            try:
                ax = draw()
            except (ValueError, RuntimeError, ZeroDivisionError):
                continue  # too few finished trials for this picture
        fig = (ax.flat[0] if hasattr(ax, "flat") else ax).get_figure()
        fig.set_size_inches(9, 4.5)
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        out[name] = path
    return out


def _best_next_to_no_pad(best, folder: Path) -> Path | None:
    """The plantar pressure of the best design next to the base without its pad, and their
    difference (:func:`footsim.post.plotting.compare`), when both runs have result files."""
    import json

    baseline = Path(folder) / "baseline.json"
    if best is None or not baseline.exists():
        return None
    record = json.loads(baseline.read_text())
    runs = (Path(record.get("folder", "")), Path(best.user_attrs.get("folder", "")))
    if record.get("status") != "done" or not all((r / "plantar.vtu").exists() for r in runs):
        return None
    from footsim.post import plotting

    path = Path(folder) / "best-vs-no-pad.png"
    plotting.compare(*runs, path, labels=("no pad", f"best design (trial {best.number})"))
    return path


def write_outputs(ostudy, study: Study, folder: str | Path) -> dict[str, Path]:
    """Write the table, the best design, the pictures and the page; returns their paths."""
    from footsim.post.report import _img, _page

    folder = Path(folder)
    table = trials_table(ostudy)
    paths = {"csv": folder / "trials.csv", "parquet": folder / "trials.parquet"}
    table.to_csv(paths["csv"], index=False)
    table.to_parquet(paths["parquet"], index=False)
    best = best_trial(ostudy)
    if best is not None:
        scenario = study.scenario(best.params)
        paths["best"] = folder / "best.toml"
        postures = study.spec.objective.phases
        note = (
            f"# the design in the base's posture; the study ran it as {', '.join(postures)} "
            "(objective.phases in the study file)\n"
            if postures
            else ""
        )
        paths["best"].write_text(
            f"# best design of study {study.spec.name!r}: trial {best.number}, objective "
            f"{best.values[0]:.1f} ({study.spec.objective.describe()})\n"
            + note
            + scenario.to_toml()
        )
    if study.spec.multi_objective:
        import pandas as pd

        front = [
            {"trial": t.number, **t.params, "objective": t.values[0], "pad_peak_kPa": t.values[1]}
            for t in ostudy.best_trials
        ]
        paths["pareto"] = folder / "pareto.csv"
        pd.DataFrame(front).to_csv(paths["pareto"], index=False)
    pictures = _figures(ostudy, study, folder)
    versus = _best_next_to_no_pad(best, folder)
    if versus is not None:
        pictures["best design (B) next to no pad (A)"] = versus
    paths.update(pictures)
    done = table[table["state"] == "COMPLETE"]
    failed = table[table["state"] == "FAIL"]
    parts = [
        f"<p>{html.escape(study.spec.description)}</p>",
        f"<p>Objective: {html.escape(study.spec.objective.describe())}, minimised; sampler "
        f"{study.spec.sampler}. {len(table)} trials: {len(done)} finished, {len(failed)} "
        "failed.</p>",
    ]
    no_pad = read_baseline(folder)
    if no_pad is not None:
        parts.append(f"<p>Without the pad (the base scenario): {html.escape(no_pad)}.</p>")
    if best is not None:
        design = ", ".join(
            f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
            for k, v in best.params.items()
        )
        parts.append(
            f"<p><b>Best feasible design</b> (trial {best.number}): {html.escape(design)}; "
            f"objective {best.values[0]:.1f} {study.spec.objective.unit}. Written to "
            "best.toml.</p>"
        )
    else:
        parts.append("<p>No feasible finished trial yet.</p>")
    for name, path in pictures.items():
        parts.append(f"<h2>{html.escape(name)}</h2>{_img(path, name)}")
    if len(failed):
        items = "".join(
            f"<li>trial {r['trial']}: {html.escape(str(r.get('reason', '')))}</li>"
            for _, r in failed.iterrows()
        )
        parts.append(f"<h2>Failed trials</h2><ul>{items}</ul>")
    paths["html"] = folder / "report.html"
    paths["html"].write_text(_page(f"footsim study {study.spec.name}", "".join(parts)))
    return paths
