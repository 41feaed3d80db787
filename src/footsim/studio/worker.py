"""One studio run in its own process: ``python -m footsim.studio.worker RESULTS`` reads a
resolved scenario (TOML) on standard input, runs it with :func:`footsim.run.pipeline.run` (the
cached pipeline of ``footsim run``: same folder, same hash) and reports on standard output,
one line each, prefixed by :data:`PREFIX` and followed by JSON:

- ``{"event": "start", "folder": ..., "target_N": ...}`` before meshing;
- ``{"event": "step", "force_N": ..., "target_N": ..., "step": ..., "phase": ...,
  "converged": ...}`` after each attempted load step;
- ``{"event": "end", "status": "done"|"failed", "reason": ..., "folder": ..., "cached": ...}``.

Its own process, so that cancelling a run is ending it (SIGTERM: the run's staging folder is
removed, nothing half-written is left) and a crash in a solve cannot take the app down.
Exit code 0 done, 3 failed, 2 a scenario that cannot be used.
"""

from __future__ import annotations

import json
import signal
import sys
import tomllib
from pathlib import Path

PREFIX = "footsim-studio: "


def say(**event) -> None:
    """Write one event line for the app."""
    sys.stdout.write(PREFIX + json.dumps(event) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    import footsim  # noqa: F401 - the dolfinx wheel's import order
    from footsim.model.scenarios import ScenarioError, from_dict
    from footsim.run.inputs import load_case
    from footsim.run.pipeline import run, run_folder

    args = sys.argv[1:] if argv is None else argv
    results = Path(args[0])
    try:
        scenario = from_dict(tomllib.loads(sys.stdin.read()), source="studio design")
    except (ScenarioError, tomllib.TOMLDecodeError) as exc:
        say(event="end", status="failed", reason=str(exc), folder="", cached=False)
        return 2
    # SIGTERM (the app's cancel) as an exception: the pipeline then removes its staging folder
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    target = load_case(scenario).force_N
    say(event="start", folder=run_folder(scenario, results).name, target_N=target)

    def step(record) -> None:
        say(
            event="step",
            force_N=float(record.force_N),
            target_N=target,
            step=int(record.step),
            phase=str(record.phase),
            converged=bool(record.converged),
        )

    outcome = run(scenario, results, on_step=step)
    say(
        event="end",
        status=outcome.status,
        reason=outcome.reason,
        folder=outcome.folder.name,
        cached=bool(outcome.cached),
    )
    return 0 if outcome.status == "done" else 3


if __name__ == "__main__":
    sys.exit(main())
