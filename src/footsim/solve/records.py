"""What a contact solve did: each attempted load step and the run's totals (mm, N, s)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class StepRecord:
    """One attempted nonlinear solve of the load stepping."""

    step: int
    phase: str  # "load", "bracket", "uzawa", "penalty" (re-solve under a raised penalty)
    travel_mm: float
    force_N: float
    newton_iterations: int
    residual: float
    converged: bool
    seconds: float
    reason: str = ""  # why a failed solve failed (SNES reason name); "" if converged
    predicted: bool = False  # started from the extrapolation of the last two states


@dataclass
class SolveRecord:
    """What a contact solve did: every attempted load step, time per phase, augmented-Lagrangian
    updates, penalty raises and linear-solver counts. ``listener`` (optional) is called with
    each :class:`StepRecord` as it is added (a progress display)."""

    steps: list[StepRecord] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    uzawa_iterations: int = 0
    penalty_raises: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    linear_solver: str = ""  # how the Newton steps were solved (options.describe_linear_solver)
    listener: Callable[[StepRecord], None] | None = field(default=None, repr=False, compare=False)

    def add_step(self, step: StepRecord) -> None:
        """Record one attempted solve and tell the listener."""
        self.steps.append(step)
        if self.listener is not None:
            self.listener(step)

    @property
    def newton_iterations(self) -> int:
        return sum(s.newton_iterations for s in self.steps)

    @property
    def load_steps(self) -> int:
        return sum(1 for s in self.steps if s.converged)

    def add_time(self, phase: str, seconds: float) -> None:
        self.timings[phase] = self.timings.get(phase, 0.0) + seconds


__all__ = ["SolveRecord", "StepRecord"]
