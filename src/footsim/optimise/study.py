"""Running a study with Optuna: each trial one cached footsim run, the study in SQLite.

The study lives in ``<out>/<name>/study.db`` (Optuna's RDB storage), so a killed study loses
no finished trial: run it again and it goes on to ``trials`` in total. Trials that were
running when it was killed are marked failed and their designs asked again first. Each
trial's run is an ordinary footsim run in ``<out>/<name>/runs/`` (cached by the scenario's
content hash: a design tried twice is solved once), or one run per posture for a
pressure-time objective. A design that cannot be built or whose
solve fails is a failed trial with its reason (``user_attrs["reason"]``); the study goes on.
Several workers (``workers`` spawned processes) share the storage.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from footsim.model.scenarios import ScenarioError
from footsim.optimise.objectives import evaluate
from footsim.optimise.spec import (
    NO_PAD,
    Choices,
    Study,
    StudyError,
    StudySpec,
    has_baseline,
    load_study,
)

FINISHED = ("COMPLETE", "FAIL", "PRUNED")


class TrialFailed(RuntimeError):
    """A design that could not be built or solved (recorded on its trial, not raised)."""


def storage_url(folder: Path) -> str:
    """The study's SQLite storage in ``folder``."""
    return f"sqlite:///{Path(folder).resolve() / 'study.db'}"


def sampler(spec: StudySpec, trials: int, seed_offset: int = 0):
    """Optuna's sampler for the study: TPE (default) or GP for one objective, NSGA-II for the
    Pareto front of the objective against the pressure under the pad. Constraints reach it
    through each trial's ``set_constraint`` (feasible when every value <= 0).

    Its seed is the study's plus ``seed_offset``: each worker, and each resumption, draws its
    own random designs (with one seed, two workers, or a study resumed, would propose the
    same first designs again); the study stays reproducible for a given history."""
    import optuna

    seed = None if spec.seed is None else spec.seed + seed_offset
    if spec.sampler == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if spec.sampler == "nsga2":
        return optuna.samplers.NSGAIISampler(
            population_size=max(4, min(20, trials // 3)), seed=seed
        )
    return optuna.samplers.TPESampler(n_startup_trials=min(10, max(2, trials // 3)), seed=seed)


#: Attempts at opening a study's storage while another process creates its tables.
OPEN_ATTEMPTS = 10


def open_study(study: Study, folder: Path, trials: int):
    """Create the Optuna study in ``folder`` or load it to resume.

    Another process opening the same new storage at the same moment (a second ``footsim
    optimise``, the studio reading the trials of a study it has just started) may create its
    tables first: SQLite then refuses the second ``CREATE TABLE`` ("table ... already
    exists"), and the study is opened again, now to load it."""
    import time

    import optuna
    from sqlalchemy.exc import OperationalError

    folder.mkdir(parents=True, exist_ok=True)
    directions = ["minimize", "minimize"] if study.spec.multi_objective else ["minimize"]
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return optuna.create_study(
                study_name=study.spec.name,
                storage=storage_url(folder),
                sampler=sampler(study.spec, trials),
                directions=directions,
                load_if_exists=True,
            )
        except OperationalError as exc:
            if "already exists" not in str(exc) or attempt == OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def _ask_again_interrupted(ostudy) -> int:
    """Trials left running by a killed study: mark them failed and queue their designs."""
    from optuna.trial import TrialState

    stale = ostudy.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for t in stale:
        # Optuna's own stale-trial handling (fail_stale_trials) does the same, by trial id
        ostudy._storage.set_trial_user_attr(t._trial_id, "reason", "interrupted: asked again")
        ostudy._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)
        if t.params:
            ostudy.enqueue_trial(t.params, skip_if_exists=False)
    return len(stale)


def _finished(ostudy) -> int:
    from optuna.trial import TrialState

    states = tuple(getattr(TrialState, s) for s in FINISHED)
    return len(ostudy.get_trials(deepcopy=False, states=states))


def _suggest(trial, key: str, var) -> Any:
    if isinstance(var, Choices):
        return trial.suggest_categorical(key, var.choices)
    return trial.suggest_float(key, var.low, var.high, step=var.step, log=var.log)


def run_design(study: Study, params: dict, runs_dir: Path, runner: Callable) -> dict:
    """Build and run (cached) one design: its run folders by posture (None: the design alone)
    and, for a design that could not be built or solved, the reason. Records, not raises."""
    try:
        scenarios = study.scenarios(params)
    except ScenarioError as exc:
        return {"reason": f"design cannot be built: {exc}", "folders": {}, "hashes": {}}
    record: dict = {"folders": {}, "hashes": {}, "reason": ""}
    for phase, scenario in scenarios.items():
        record["hashes"][phase] = scenario.content_hash()
        outcome = runner(scenario, runs_dir, retry_failed=False)
        record["folders"][phase] = outcome.folder
        if outcome.status != "done":
            record["reason"] = f"{phase}: {outcome.reason}" if phase else outcome.reason
            break
    return record


def _attr(key: str, phase: str | None) -> str:
    return key if phase is None else f"{key}_{phase}"


def run_trial(trial, study: Study, runs_dir: Path, runner: Callable) -> float | list[float]:
    """One design: suggested, built, run (cached; once per posture of a pressure-time
    objective) and evaluated."""
    params = {key: _suggest(trial, key, var) for key, var in study.spec.variables.items()}
    record = run_design(study, params, runs_dir, runner)
    for phase, value in record["hashes"].items():
        trial.set_user_attr(_attr("scenario_hash", phase), value)
    for phase, folder in record["folders"].items():
        trial.set_user_attr(_attr("folder", phase), str(folder))
    if record["folders"]:  # the design's first run: its pressure map in the report
        trial.set_user_attr("folder", str(next(iter(record["folders"].values()))))
    if record["reason"]:
        trial.set_user_attr("reason", record["reason"])
        raise TrialFailed(record["reason"])
    figures = evaluate(study.spec, record["folders"])
    for key, value in figures.items():
        if key not in ("values",):
            trial.set_user_attr(key, value)
    for k, value in enumerate(figures["constraints"]):
        trial.set_constraint(f"c{k}", value)
    values = figures["values"]
    return values if study.spec.multi_objective else values[0]


def work(path: str, folder: str, trials: int, runner_ref=None, worker: int = 0) -> int:
    """A worker: run trials of the study until ``trials`` have finished; returns how many it
    ran. Called in-process or in a spawned worker process (``worker``: its index)."""
    import optuna
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    import footsim  # noqa: F401  (dolfinx_solver first in spawned workers)
    from footsim.run.batch import resolve_runner

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    study = load_study(path)
    ostudy = open_study(study, Path(folder), trials)
    if _finished(ostudy) >= trials:
        return 0
    # a seed of this worker's own, past the trials already in the study (see sampler)
    ostudy.sampler = sampler(study.spec, trials, 1000 * worker + len(ostudy.trials))
    runner = resolve_runner(runner_ref)
    before = _finished(ostudy)
    states = tuple(getattr(TrialState, s) for s in FINISHED)
    ostudy.optimize(
        lambda t: run_trial(t, study, Path(folder) / "runs", runner),
        callbacks=[MaxTrialsCallback(trials, states=states)],
        catch=(TrialFailed,),
    )
    return _finished(ostudy) - before


def optimise(
    path: str | Path,
    out: str | Path = "results",
    *,
    trials: int = 30,
    workers: int = 1,
    runner=None,
    scheduler: str | None = None,
):
    """Run (or resume) the study of ``path`` into ``out/<name>/`` until ``trials`` trials
    have finished; returns the Optuna study (read it with :mod:`footsim.optimise.outputs`).

    ``workers`` trials run at a time: in local processes, or, with ``scheduler`` (``"local"``
    or a Dask scheduler's address), as Dask tasks. All of them share the study's SQLite
    storage in ``out``, which must then be on a file system every Dask worker sees (and one
    whose locks SQLite trusts: a local disk, not NFS)."""
    if trials < 1:
        raise ValueError(f"trials = {trials} must be at least 1")
    if workers < 1:
        raise ValueError(f"workers = {workers} must be at least 1")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failures go to the trials table
    study = load_study(path)  # refused here, before anything runs
    if study.spec.sampler == "gp":
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            raise StudyError(
                "sampler = 'gp' needs PyTorch (pip install torch); 'tpe' needs nothing more"
            ) from exc
    folder = Path(out) / study.spec.name
    ostudy = open_study(study, folder, trials)
    _ask_again_interrupted(ostudy)
    if scheduler is not None:
        from footsim.run.batch import dask_client

        with dask_client(scheduler, workers) as client:
            tasks = [
                client.submit(work, str(path), str(folder), trials, runner, k, pure=False)
                for k in range(workers)
            ]
            client.gather(tasks)
    elif workers == 1:
        work(str(path), str(folder), trials, runner)
    else:
        ctx = get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            jobs = [
                pool.submit(work, str(path), str(folder), trials, runner, k) for k in range(workers)
            ]
            for job in jobs:
                job.result()
    baseline(study, folder, runner)
    return open_study(study, folder, trials)


def baseline(study: Study, folder: Path, runner=None) -> dict[str, Any] | None:
    """Run (cached) the base without its pad (in every posture of a pressure-time objective)
    and write its objective to ``baseline.json``."""
    from footsim.post.results import write_json_atomic
    from footsim.run.batch import resolve_runner

    if not has_baseline(study):
        return None
    runs = run_design(study, NO_PAD, folder / "runs", resolve_runner(runner))
    record: dict[str, Any] = {
        "folder": str(next(iter(runs["folders"].values()), "")),
        "folders": {str(k): str(v) for k, v in runs["folders"].items()},
        "status": "failed" if runs["reason"] else "done",
    }
    if runs["reason"]:
        record["reason"] = runs["reason"]
    else:
        record["objective"] = evaluate(study.spec, runs["folders"])["objective"]
    write_json_atomic(folder / "baseline.json", record)
    return record


def study_folder(path: str | Path, out: str | Path) -> Path:
    """Where the study of ``path`` lives under ``out``."""
    return Path(out) / load_study(path).spec.name
