"""Sweeps: many variants of one scenario, run in parallel, resumable, one table.

A sweep file (TOML) names a base scenario and the parameters to vary::

    name = "pad-position"
    base = "../scenarios/pad-5mm-proximal.toml"   # relative to the sweep file
    mode = "product"                               # or "zip"
    [parameters]
    "footwear.pad.apex_proximal_to_mth_mm" = { start = -5.0, stop = 15.0, step = 5.0 }
    "footwear.pad.height_mm" = [4.0, 6.0]
    [set]                                          # fixed overrides for every variant
    "mesh.preset" = "coarse"

Values are lists, ``{start, stop, step}`` ranges (stop included) or ``{values = [...]}``.
``product`` runs the cartesian product, ``zip`` pairs the lists element by element.

Results go to ``<results>/<sweep name>/``: ``runs/<name>-<hash>/`` per run (see
:mod:`footsim.post.results`) and ``table.csv`` / ``table.parquet`` with one row per variant (the
varied parameters, status, reason, every figure of the run), rewritten atomically after each
finished run. Runs are cached by the content hash of the resolved scenario plus the footsim
version: a rerun skips what is done and what failed for a deterministic reason
(non-convergence, bad geometry; unless ``retry_failed``), and runs again what failed for a
transient one (out of memory, a full disk, a crashed or killed worker: column ``transient``);
killing a sweep loses nothing finished. A failed run is recorded with its reason; the others
go on. A sweep whose every variant is invalid, or that varies a key no scenario has, is
refused before anything runs (:class:`SweepError`).

Execution: a local process pool (``workers`` processes, default the number of cores, spawned:
PETSc and MPI do not survive a fork), or Dask distributed (``scheduler="local"`` starts a local
cluster; any other value is a scheduler address).
"""

from __future__ import annotations

import copy
import importlib
import itertools
import math
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from footsim import folders
from footsim.model.scenarios import (
    Scenario,
    ScenarioError,
    from_dict,
    key_error,
    read_raw,
    suggest,
)
from footsim.model.schema import check_name
from footsim.model.tomlfiles import read_toml, set_dotted
from footsim.post import results

Runner = Callable[..., Any]
STARTED = ".started"


class SweepError(ValueError):
    """A sweep file that cannot be used (named key, value and allowed form)."""


class RangeSpec(BaseModel):
    """``{start, stop, step}``: start, start + step, ... up to and including stop."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    start: float
    stop: float
    step: float = Field(gt=0.0)

    def values(self) -> list[float]:
        n = math.floor((self.stop - self.start) / self.step + 1e-9)
        if n < 0:
            raise ValueError(f"range start {self.start} > stop {self.stop}")
        return [round(self.start + i * self.step, 10) for i in range(n + 1)]


class ValuesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    values: list[Any] = Field(min_length=1)


class SweepSpec(BaseModel):
    """The schema of a sweep file."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    base: str = Field(description="scenario file, relative to the sweep file")
    mode: Literal["product", "zip"] = "product"
    parameters: dict[str, list[Any] | RangeSpec | ValuesSpec] = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("parameters", "set")
    @classmethod
    def _scenario_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            error = key_error(key)
            if error:
                raise ValueError(f"{error} of a scenario")
        return value

    @model_validator(mode="after")
    def _zip_lengths(self) -> SweepSpec:
        if self.mode == "zip":
            lengths = {k: len(_values(v)) for k, v in self.parameters.items()}
            if len(set(lengths.values())) > 1:
                raise ValueError(f"mode = 'zip' needs lists of equal length, got {lengths}")
        return self

    def grid(self) -> list[dict[str, Any]]:
        keys = list(self.parameters)
        lists = [_values(self.parameters[k]) for k in keys]
        combos = zip(*lists, strict=True) if self.mode == "zip" else itertools.product(*lists)
        return [dict(zip(keys, c, strict=True)) for c in combos]


def _values(spec) -> list[Any]:
    if isinstance(spec, RangeSpec):
        return spec.values()
    if isinstance(spec, ValuesSpec):
        return list(spec.values)
    if not spec:
        raise ValueError("empty list of values")
    return list(spec)


@dataclass(frozen=True)
class Variant:
    """One point of the sweep: its varied parameters and its scenario (or why it has none)."""

    index: int
    params: dict[str, Any]
    scenario: Scenario | None
    error: str = ""


def load_spec(path: str | Path) -> SweepSpec:
    path = Path(path)
    data = read_toml(path, SweepError, "sweep")
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise SweepError(f"{path.name}: {_sweep_errors(exc)}") from exc


def _sweep_errors(exc: ValidationError) -> str:
    out = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            hint = suggest(str(err["loc"][-1]), list(SweepSpec.model_fields))
            out.append(f"{key}: unknown key{hint}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            out.append(f"{key} = {err.get('input')!r}: {msg}")
    return "; ".join(out)


def expand(path: str | Path) -> tuple[SweepSpec, list[Variant]]:
    """The sweep's variants, each validated as a scenario (invalid ones carry their error).

    Raises :class:`SweepError` when no variant is valid: the sweep would run nothing."""
    path = Path(path)
    spec = load_spec(path)
    base = read_raw(path.parent / spec.base)
    variants = []
    for i, params in enumerate(spec.grid()):
        data = copy.deepcopy(base)
        for key, value in {**spec.set, **params}.items():
            set_dotted(data, key, value)
        data["name"] = f"{spec.name}-{i:03d}"
        varied = ", ".join(f"{k.split('.')[-1]} = {v}" for k, v in params.items())
        # the base's description no longer holds for a variant: say what was changed
        data["description"] = f"{spec.description or data.get('description', '')} ({varied})"
        try:
            variants.append(Variant(i, params, from_dict(data, source=data["name"])))
        except ScenarioError as exc:
            variants.append(Variant(i, params, None, str(exc)))
    if variants and all(v.scenario is None for v in variants):
        raise SweepError(
            f"{path.name}: none of the {len(variants)} variants is a valid scenario; the first: "
            f"{variants[0].error}"
        )
    return spec, variants


def resolve_runner(runner: Runner | str | None) -> Runner:
    """A runner callable from a callable, a ``"module:function"`` string, or None (pipeline).

    A runner is called as ``runner(scenario, runs_dir, retry_failed=True)`` and returns a
    :class:`~footsim.post.results.RunOutcome`, as :func:`footsim.run.pipeline.run` does."""
    if runner is None:
        from footsim.run import pipeline

        return pipeline.run
    if isinstance(runner, str):
        module, _, name = runner.partition(":")
        return getattr(importlib.import_module(module), name)
    return runner


def _run_one(runner_ref, scenario: Scenario, runs_dir: Path) -> dict[str, Any]:
    """Worker body: mark the run started (to tell crashes apart), run it, return its summary."""
    import footsim  # noqa: F401  (dolfinx_solver first in spawned workers)

    runs_dir.mkdir(parents=True, exist_ok=True)
    marker = runs_dir / f"{STARTED}-{scenario.content_hash()}"
    marker.write_text(str(os.getpid()))
    # the sweep chose to run it (not done, or a failure to retry): the runner must not reuse
    # a recorded failure; a finished run (another sweep's, meanwhile) it may
    record = resolve_runner(runner_ref)(scenario, runs_dir, retry_failed=True)
    marker.unlink(missing_ok=True)
    return {
        "status": record.status,
        "reason": record.reason,
        "folder": str(record.folder),
        "summary": record.summary,
        "cached": record.cached,
    }


def _row(variant: Variant, outcome: dict[str, Any] | None, reason: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {"index": variant.index, **variant.params}
    if outcome is None:  # an invalid variant (deterministic) or a crashed worker (transient)
        row.update(
            status="failed",
            reason=reason or variant.error,
            transient=variant.scenario is not None,
            cached=False,
            hash="",
            folder="",
        )
        return row
    summary = outcome.get("summary") or {}
    failed = outcome["status"] != "done"
    row.update(
        status=outcome["status"],
        reason=outcome.get("reason", ""),
        transient=failed and results.is_transient(summary),
        cached=bool(outcome.get("cached", False)),
        hash=summary.get("hash", ""),
        folder=outcome.get("folder", ""),
    )
    row.update(summary.get("figures", {}))
    return row


def write_table(rows: list[dict[str, Any]], folder: Path):
    """``table.csv`` and ``table.parquet``, each written to a temporary file and renamed."""
    import pandas as pd

    frame = pd.DataFrame(sorted(rows, key=lambda r: r["index"]))
    if frame.empty:
        frame = pd.DataFrame(columns=["index", "status", "reason", "cached", "hash", "folder"])
    folder.mkdir(parents=True, exist_ok=True)
    for name, write in (
        ("table.csv", lambda f, p: f.to_csv(p, index=False)),
        ("table.parquet", lambda f, p: f.to_parquet(p, index=False)),
    ):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        try:
            write(frame, tmp)
            fd = os.open(tmp, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return frame


def outcome_text(table) -> str:
    """What ``footsim sweep`` prints at the end: how many runs finished and failed, and why
    each failed, transient failures (retried by the next run) apart from deterministic ones
    (kept; ``--retry-failed`` re-runs them)."""
    failed = table[table["status"] != "done"]
    transient = failed["transient"].fillna(False).astype(bool)
    lines = [f"{len(table)} runs: {len(table) - len(failed)} done, {len(failed)} failed"]
    if len(failed):
        lines[0] += (
            f" ({int(transient.sum())} transient: retried by the next run; "
            f"{int((~transient).sum())} deterministic: kept, --retry-failed re-runs them)"
        )
    for (_, row), again in zip(failed.iterrows(), transient, strict=True):
        kind = "transient" if again else "deterministic"
        lines.append(f"  run {row['index']} ({kind}): {row['reason']}")
    return "\n".join(lines)


def _cached_outcome(scenario: Scenario, runs_dir: Path) -> dict[str, Any] | None:
    """The recorded outcome of ``scenario`` in ``runs_dir``, found by its content hash: its own
    folder first, else any finished run with the same hash (the same variant under another
    index, after values were added to or removed from the sweep); a finished run wins over a
    recorded failure."""
    from footsim.run.pipeline import run_folder

    own = run_folder(scenario, runs_dir)
    others = sorted(p for p in runs_dir.glob(f"*-{scenario.content_hash()}") if p != own)
    found = None
    for folder in [own, *others]:
        summary = results.read_summary(folder)
        if summary is None:
            continue
        outcome = {
            "status": summary.get("status", "failed"),
            "reason": summary.get("reason", ""),
            "folder": str(folder),
            "summary": summary,
            "cached": True,
        }
        if outcome["status"] == "done":
            return outcome
        found = found or outcome
    return found


def run_sweep(
    path: str | Path,
    results_root: str | Path = "results",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    runner: Runner | str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
):
    """Run (or resume) a sweep; returns its table as a pandas DataFrame (one row per variant).

    Stale staging folders of killed runs in the sweep's ``runs/`` are removed first
    (:func:`footsim.folders.clean_stale`)."""
    spec, variants = expand(path)
    folder = Path(results_root) / spec.name
    runs_dir = folder / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    for stale in runs_dir.glob(f"{STARTED}-*"):
        stale.unlink(missing_ok=True)  # from a killed driver: those runs are simply redone
    folders.clean_stale(runs_dir)
    rows: dict[int, dict[str, Any]] = {}
    todo: list[Variant] = []
    for v in variants:
        if v.scenario is None:
            rows[v.index] = _row(v, None)
            continue
        cached = _cached_outcome(v.scenario, runs_dir)
        keep = cached is not None and (
            cached["status"] == "done"
            or not (retry_failed or results.is_transient(cached["summary"]))
        )
        if keep:
            rows[v.index] = _row(v, cached)
        else:
            todo.append(v)
    write_table(list(rows.values()), folder)
    bar = _progress(len(variants), len(rows), progress, spec.name)
    _count(bar, rows.values())
    runner_ref = runner
    workers = workers or os.cpu_count() or 1

    def finish(v: Variant, outcome: dict[str, Any] | None, reason: str = "") -> None:
        rows[v.index] = _row(v, outcome, reason)
        write_table(list(rows.values()), folder)
        if bar is not None:
            bar.update(1)
            _count(bar, rows.values())

    if scheduler is not None:
        _run_dask(todo, runner_ref, runs_dir, scheduler, workers, finish)
    elif workers == 1:
        for v in todo:
            try:
                finish(v, _run_one(runner_ref, v.scenario, runs_dir))
            except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
                finish(v, None, f"{type(exc).__name__}: {exc}")
    else:
        _run_pool(todo, runner_ref, runs_dir, workers, finish)
    if bar is not None:
        bar.close()
    return write_table(list(rows.values()), folder)


def _progress(total: int, done: int, enabled: bool, name: str):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc=name, unit="run")


def _count(bar, rows) -> None:
    if bar is None:
        return
    rows = list(rows)
    failed = sum(r["status"] != "done" for r in rows)
    bar.set_postfix(done=len(rows) - failed, failed=failed)


def _run_pool(todo, runner_ref, runs_dir: Path, workers: int, finish) -> None:
    pending = list(todo)
    while pending:
        with _pool(workers) as ex:
            futures = {ex.submit(_run_one, runner_ref, v.scenario, runs_dir): v for v in pending}
            pending = []
            broken = False
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    v = futures.pop(fut)
                    try:
                        finish(v, fut.result())
                    except BrokenProcessPool:
                        broken = True
                        pending.append(v)
                    except Exception as exc:  # noqa: BLE001
                        finish(v, None, f"{type(exc).__name__}: {exc}")
            if broken:
                # runs whose start marker is left behind were running when a worker died: the
                # one that crashed it, or bystanders killed with the pool. Each is run again
                # alone to tell which; the others were only queued and go round again.
                retry = []
                for v in pending:
                    marker = runs_dir / f"{STARTED}-{v.scenario.content_hash()}"
                    if marker.exists():
                        marker.unlink(missing_ok=True)
                        _run_alone(v, runner_ref, runs_dir, finish)
                    else:
                        retry.append(v)
                pending = retry


def _exit_with_parent(parent_pid: int, poll_s: float = 1.0) -> None:
    """Pool-worker initializer: end this worker when the sweep's driver is gone.

    A driver killed outright (``kill -9``, a closed terminal, a cluster job limit) cannot
    stop its pool, and its workers would go on solving, unseen, for up to the length of a
    run. A daemon thread checks once per ``poll_s`` seconds that the parent is still this
    worker's parent and exits the process if not. The run it was doing leaves its start
    marker and no summary, so a rerun of the sweep redoes it.
    """
    import threading

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="footsim-parent-watch", daemon=True).start()


def _pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing as mp

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )


def _run_alone(v, runner_ref, runs_dir: Path, finish) -> None:
    """Run one variant in a pool of its own: a crash there is its own."""
    with _pool(1) as ex:
        try:
            finish(v, ex.submit(_run_one, runner_ref, v.scenario, runs_dir).result())
        except BrokenProcessPool:
            (runs_dir / f"{STARTED}-{v.scenario.content_hash()}").unlink(missing_ok=True)
            finish(v, None, "worker crashed while running this scenario")
        except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
            finish(v, None, f"{type(exc).__name__}: {exc}")


def _run_dask(todo, runner_ref, runs_dir: Path, scheduler: str, workers: int, finish) -> None:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = {
            client.submit(_run_one, runner_ref, v.scenario, runs_dir, pure=False): v for v in todo
        }
        for fut in as_completed(list(futures)):
            v = futures[fut]
            try:
                finish(v, fut.result())
            except Exception as exc:  # noqa: BLE001 - a lost worker or a runner error
                finish(v, None, f"{type(exc).__name__}: {exc}")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["SweepError", "SweepSpec", "Variant", "expand", "load_spec", "run_sweep", "write_table"]
