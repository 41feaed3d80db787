"""Cheap, deterministic runners for testing the sweep engine's mechanics (cache, resume,
failure isolation, crash recording, pool = Dask). They write real run folders through the same
functions as :func:`footsim.run.pipeline.run` (staging folder, atomic summary, commit); the figures
are a smooth function of the body mass, not a solve. Every call leaves a marker file in
``$FOOTSIM_TEST_CALLS`` so tests can count invocations. Body masses pick an outcome: 80 kg
fails (a deterministic SolverError), 85 kg fails with a MemoryError (transient) on its first
call only, 90 kg kills its worker."""

import os
import time
import uuid
from pathlib import Path

from footsim import run as pipeline
from footsim.post import results


def _mark(scenario) -> None:
    calls = os.environ.get("FOOTSIM_TEST_CALLS")
    if calls:
        Path(calls).mkdir(parents=True, exist_ok=True)
        (Path(calls) / f"{scenario.name}.{uuid.uuid4().hex}").write_text("")


def _calls_of(scenario) -> list[Path]:
    calls = os.environ.get("FOOTSIM_TEST_CALLS")
    return list(Path(calls).glob(f"{scenario.name}.*")) if calls else []


def fake(scenario, root, *, png=True, force=False, **kwargs):
    folder = pipeline.run_folder(scenario, root)
    if not force and results.is_done(folder):
        return pipeline.RunOutcome("done", "", folder, results.read_summary(folder), cached=True)
    _mark(scenario)
    mass = scenario.load.body_mass_kg
    if mass == 90.0:
        os._exit(3)  # a worker that dies
    status, reason = (
        ("failed", "SolverError: step 3 did not converge")
        if mass == 80.0
        else (
            "done",
            "",
        )
    )
    if mass == 85.0 and len(_calls_of(scenario)) == 1:  # out of memory the first time only
        status, reason = "failed", "MemoryError: out of memory"
    staging = results.staging_dir(folder)
    summary = {
        "name": scenario.name,
        "hash": scenario.content_hash(),
        "status": status,
        "reason": reason,
    }
    if status == "failed":
        summary["transient"] = reason.startswith("MemoryError")
    if status == "done":
        summary["figures"] = {"MTH2_peak_kPa": 3.0 * mass, "reaction_N": 4.9 * mass}
    results.write_json_atomic(staging / "summary.json", summary)
    results.commit(staging, folder)
    return pipeline.RunOutcome(status, reason, folder, summary)


def slow(scenario, root, *, png=True, force=False, **kwargs):
    if not results.is_done(pipeline.run_folder(scenario, root)):
        time.sleep(1.0)
    return fake(scenario, root, png=png, force=force)


def slow_beside_crash(scenario, root, *, png=True, force=False, **kwargs):
    """The 90 kg run kills its worker at once; every other run takes a second, so a run
    started beside it is still going when the pool breaks."""
    if scenario.load.body_mass_kg != 90.0 and not results.is_done(
        pipeline.run_folder(scenario, root)
    ):
        time.sleep(1.0)
    return fake(scenario, root, png=png, force=force)


def sleepy(scenario, root, *, png=True, force=False, **kwargs):
    """Writes this worker's pid to ``$FOOTSIM_TEST_CALLS/pids/`` and sleeps for a minute
    (a long solve), for the test that kills the sweep's driver."""
    pids = Path(os.environ["FOOTSIM_TEST_CALLS"]) / "pids"
    pids.mkdir(parents=True, exist_ok=True)
    (pids / str(os.getpid())).write_text("")
    time.sleep(60.0)
    return fake(scenario, root, png=png, force=force)
