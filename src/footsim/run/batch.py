"""Running a batch of scenarios: in parallel, resumable, one table.

:func:`run_variants` runs a list of :class:`Variant` (a sweep's, :mod:`footsim.run.sweeps`, or
the validation suite's, :mod:`footsim.validate`) into ``<folder>/runs/<name>-<hash>/`` (see
:mod:`footsim.post.results`) and keeps ``table.csv`` / ``table.parquet`` with one row per
variant (its parameters, status, reason, every figure of the run), rewritten atomically after
each finished run. Runs are cached by the content hash of the resolved scenario plus the
footsim version: a rerun skips what is done and what failed for a deterministic reason
(non-convergence, bad geometry; unless ``retry_failed``), and runs again what failed for a
transient one (out of memory, a full disk, a crashed or killed worker: column ``transient``);
killing a batch loses nothing finished. A failed run is recorded with its reason; the others
go on.

Execution: a local process pool (``workers`` processes, default the number of cores, spawned:
PETSc and MPI do not survive a fork), or Dask distributed (``scheduler="local"`` starts a local
cluster; any other value is a scheduler address).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from footsim import folders
from footsim.model.scenarios import Scenario
from footsim.post import results

Runner = Callable[..., Any]
STARTED = ".started"


@dataclass(frozen=True)
class Variant:
    """One point of the sweep: its varied parameters and its scenario (or why it has none)."""

    index: int
    params: dict[str, Any]
    scenario: Scenario | None
    error: str = ""


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


def run_variants(
    name: str,
    variants: list[Variant],
    folder: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    runner: Runner | str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
):
    """Run (or resume) ``variants`` into ``folder`` (``runs/`` and the table), as
    :func:`run_sweep` does for a sweep file's; returns the table (one row per variant)."""
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
    bar = _progress(len(variants), len(rows), progress, name)
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


@contextlib.contextmanager
def dask_client(scheduler: str, workers: int):
    """A Dask ``Client``: of a local cluster of ``workers`` single-threaded processes
    (``scheduler="local"``), or of the scheduler at that address; closed on exit."""
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask(todo, runner_ref, runs_dir: Path, scheduler: str, workers: int, finish) -> None:
    from distributed import as_completed

    with dask_client(scheduler, workers) as client:
        futures = {
            client.submit(_run_one, runner_ref, v.scenario, runs_dir, pure=False): v for v in todo
        }
        for fut in as_completed(list(futures)):
            v = futures[fut]
            try:
                finish(v, fut.result())
            except Exception as exc:  # noqa: BLE001 - a lost worker or a runner error
                finish(v, None, f"{type(exc).__name__}: {exc}")
