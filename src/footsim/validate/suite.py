"""Running the validation cases and judging them: ``footsim validate``.

:func:`validate` resolves every case's runs on one mesh, runs each distinct scenario once
(cached by content hash, in parallel: :func:`footsim.run.batch.run_variants`), reads each
comparison's model figure and judges it (:func:`footsim.validate.verdicts.verdict`). A run
that failed leaves its comparisons in the table as *failed*, with the run's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from footsim.model.bundled import shipped
from footsim.model.tomlfiles import deep_merge, set_dotted
from footsim.validate.cases import CASES, Case, case_names
from footsim.validate.quantities import RunView
from footsim.validate.verdicts import Verdict, verdict

MESHES: dict[str, dict[str, Any]] = {
    "teaching": {"mesh": {"preset": "coarse", "size_mm": 7.0}},
    "coarse": {"mesh": {"preset": "coarse"}},
    "default": {"mesh": {"preset": "default"}},
}
"""The meshes a validation runs on: ``teaching`` (7 mm under the heads, ``--quick``; the
notebooks' mesh), and the ``coarse`` and ``default`` presets (:data:`footsim.mesh.geometry.
PRESETS`)."""

MESH_UNCERTAINTY_PCT: dict[tuple[str, str], float] = {
    ("teaching", "standing"): 13.0,
    ("coarse", "standing"): 15.0,
    ("default", "standing"): 6.0,
    ("coarse", "push_off"): 21.0,
    ("default", "push_off"): 5.5,
}
"""How far a head's nodal peak pressure lies from its mesh-converged value (%, the largest over
MTH2-MTH5), measured by Richardson extrapolation on the barefoot elastic-bone model
(``benchmarks/bench_convergence.py``; tables in the documentation's limitations page):
standing 6.75 mm level -7 % (MTH2) to -13 % (MTH4), coarse -0.4 to -8.8 % with MTH3 still
rising ~4 % per refinement, default within 6 %; push-off coarse -15 to -21 %, default within
1-5.5 %. Not measured: push-off on the teaching mesh, the jointed model, sensor-averaged peaks
(which average over 5 or 14 mm and move less), and the MTH1 peak at push-off (not converged
on any mesh). A missing entry is reported as not measured."""


class RunFailed(LookupError):
    """A comparison needs a run that failed (the message is the run's reason)."""


class _Views(dict):
    """The finished runs of a case by role; asking for a failed one raises :class:`RunFailed`
    with its reason, so only the comparisons that need it fail."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: dict[str, str] = {}

    def __missing__(self, role: str):
        raise RunFailed(f"run {role!r} failed: {self.failed.get(role, 'not run')}")


class ValidationError(ValueError):
    """A validation request that cannot be run (an unknown case or mesh)."""


@dataclass(frozen=True)
class Validation:
    """The outcome: ``rows`` (a pandas DataFrame, one row per comparison), the ``runs`` table
    (one row per distinct scenario) and the ``mesh`` it ran on."""

    rows: Any
    runs: Any
    mesh: str
    cases: tuple[Case, ...]
    folder: Path

    @property
    def failed_runs(self) -> int:
        return int((self.runs["status"] != "done").sum())


def select(only: list[str] | None = None, *, quick: bool = False) -> tuple[Case, ...]:
    """The cases to run: every case, or those named in ``only`` (refused if unknown)."""
    if not only:
        return tuple(c for c in CASES if c.quick or not quick)
    names = case_names()
    unknown = [n for n in only if n not in names]
    if unknown:
        raise ValidationError(
            f"case {unknown[0]!r} is not a validation case (cases: {', '.join(names)})"
        )
    return tuple(c for c in CASES if c.name in only)


def scenarios(
    cases: tuple[Case, ...], mesh: str, *, sensitivity: bool = False
) -> dict[tuple[str, str, str], Any]:
    """The scenario of each (case, role, variation) on ``mesh`` (variation ``""``: the case as
    it is; with ``sensitivity``, also each of the case's
    :class:`~footsim.validate.cases.Variation`); every one is validated before any runs."""
    if mesh not in MESHES:
        raise ValidationError(f"mesh = {mesh!r} is not one of {', '.join(MESHES)}")
    out = {}
    for case in cases:
        variations = {"": {}}
        if sensitivity:
            variations.update({v.label: v.overrides for v in case.sensitivity})
        for label, extra in variations.items():
            for role, (name, overrides) in case.runs.items():
                data: dict[str, Any] = {}
                for key, value in {**overrides, **extra}.items():
                    set_dotted(data, key, value)
                out[(case.name, role, label)] = shipped(name, deep_merge(data, MESHES[mesh]))
    return out


def validate(
    folder: str | Path,
    *,
    mesh: str = "default",
    only: list[str] | None = None,
    quick: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    sensitivity: bool = False,
    runner=None,
) -> Validation:
    """Run the cases (``only`` some) on ``mesh`` into ``folder`` and judge them.

    Runs are cached in ``folder/runs`` by their scenario's content hash, so a second call
    re-solves nothing; ``retry_failed`` runs recorded failures again. ``sensitivity`` also
    runs each case's variations (inputs at the ends of their published ranges) and gives each
    comparison the range of the model's figure over them (``model_low``, ``model_high``)."""
    import pandas as pd

    from footsim.run.batch import Variant, run_variants

    cases = select(only, quick=quick)
    wanted = scenarios(cases, mesh, sensitivity=sensitivity)
    distinct: dict[str, Any] = {}
    for sc in wanted.values():
        distinct.setdefault(sc.content_hash(), sc)
    variants = [
        Variant(i, {"scenario": sc.name, "scenario_hash": h}, sc)
        for i, (h, sc) in enumerate(distinct.items())
    ]
    folder = Path(folder)
    table = run_variants(
        f"validation ({mesh} mesh)",
        variants,
        folder,
        workers=workers,
        scheduler=scheduler,
        runner=runner,
        retry_failed=retry_failed,
        progress=progress,
    )
    outcome = {
        row["scenario_hash"]: (row["status"], row["reason"], row["folder"])
        for _, row in table.iterrows()
    }
    rows = []
    for case in cases:
        labels = dict.fromkeys(label for (name, _, label) in wanted if name == case.name)
        views = {label: _views(case, label, wanted, outcome) for label in labels}
        uncertainty = MESH_UNCERTAINTY_PCT.get((mesh, case.load))
        for comp in case.comparisons:
            value, why = _figure(comp, views[""])
            spread = [_figure(comp, v)[0] for label, v in views.items() if label]
            spread = [x for x in (value, *spread) if x is not None]
            m = comp.measured
            rows.append(
                {
                    "case": case.name,
                    "title": case.title,
                    "counted": case.counted,
                    "comparison": comp.label,
                    "measured": m.text(),
                    "measured_mean": m.mean,
                    "measured_sd": m.sd,
                    "measured_kind": m.kind,
                    "unit": m.unit,
                    "source": m.study.cite,
                    "study": m.study.short(),
                    "n": m.study.n,
                    "instrument": m.study.instrument,
                    "condition": m.study.condition,
                    "note": m.note,
                    "model": value,
                    "model_low": min(spread) if len(views) > 1 and spread else None,
                    "model_high": max(spread) if len(views) > 1 and spread else None,
                    "signed": comp.signed,
                    "mesh": mesh,
                    "mesh_uncertainty_pct": uncertainty,
                    "verdict": str(verdict(value, m, signed=comp.signed)),
                    "reason": why,
                }
            )
    return Validation(rows=pd.DataFrame(rows), runs=table, mesh=mesh, cases=cases, folder=folder)


def _views(case: Case, label: str, wanted, outcome) -> _Views:
    """The runs of ``case`` (variation ``label``) by role: finished ones as views, failed
    ones with their reason."""
    views = _Views()
    for role in case.runs:
        status, reason, folder = outcome[wanted[(case.name, role, label)].content_hash()]
        if status == "done":
            views[role] = RunView(Path(folder))
        else:
            views.failed[role] = reason
    return views


def _figure(comp, views: _Views) -> tuple[float | None, str]:
    """The comparison's model figure from ``views``, or None and why not."""
    try:
        return float(comp.quantity(views)), ""
    except RunFailed as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - reported as the row's reason
        return None, f"{type(exc).__name__}: {exc}"


def summary_line(v: Validation) -> str:
    """One line: how many counted comparisons agree, are near, outside, opposite or failed
    (comparisons of cases whose inputs are not all published fits are not counted)."""
    counted = v.rows[v.rows["counted"]]
    counts = counted["verdict"].value_counts()
    parts = [f"{counts.get(str(x), 0)} {x}" for x in Verdict if counts.get(str(x), 0)]
    left = len(v.rows) - len(counted)
    return (
        f"{len(counted)} comparisons on the {v.mesh} mesh: "
        + ", ".join(parts)
        + (f" ({left} more not counted)" if left else "")
    )
