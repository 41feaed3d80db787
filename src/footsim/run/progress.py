"""Progress of one run on a terminal: the load stepping towards the target force.

A bar from 0 to the target force (N) advances with each converged load step and shows the
step, its phase, the Newton iterations so far and the elapsed time (tqdm). It is shown only
on an interactive terminal, on MPI rank 0, and never under CI (``$CI`` set) or with
``FOOTSIM_PROGRESS=0``: logs and pipes get the final table alone.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from footsim.solve.records import StepRecord

PROGRESS_ENV = "FOOTSIM_PROGRESS"
"""``0`` hides the progress bar, ``1`` shows it even off a terminal."""


def wanted(rank: int = 0) -> bool:
    """Whether to show progress: rank 0, an interactive stderr, not CI, not switched off."""
    choice = os.environ.get(PROGRESS_ENV, "")
    if rank != 0 or choice == "0":
        return False
    if choice == "1":
        return True
    return sys.stderr.isatty() and not os.environ.get("CI")


class StepProgress:
    """A listener for :class:`~footsim.solve.records.SolveRecord`: ``progress(step)`` after
    every attempted load step; use as a context manager so the bar closes."""

    def __init__(self, target_N: float, label: str, enabled: bool = True):
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=round(float(target_N), 1),
            desc=label,
            unit="N",
            disable=not enabled,
            leave=False,
            bar_format="{desc}: {n:.1f}/{total:.1f} N |{bar}| {elapsed} {postfix}",
        )
        self.newton = 0

    def __call__(self, step: StepRecord) -> None:
        self.newton += step.newton_iterations
        if step.converged:
            self.bar.n = min(round(step.force_N, 1), self.bar.total)
        status = step.phase if step.converged else f"{step.phase} failed, cut back"
        self.bar.set_postfix_str(
            f"step {step.step} ({status}), {self.newton} Newton its", refresh=True
        )

    def __enter__(self) -> StepProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()
