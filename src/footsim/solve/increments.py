"""The rules of the load stepper's increments (mm, N): the travel that should reach a target
force (:func:`travel_increment`), how an increment grows after an easy step
(:func:`grown_increment`) and the ceiling a failed one sets (:func:`lowered_ceiling`); used by
:class:`~footsim.solve.stepping.LoadStepper`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from footsim.solve.options import SolverOptions


def secant_stiffness(history: Sequence[tuple[float, float]]) -> float | None:
    """The slope ``dF/dd`` (N/mm) of the latest pair of states at distinct travels with the
    force rising along the travel (None if no pair has one)."""
    pairs = zip(history[-2::-1], history[:0:-1], strict=False)  # (older, newer), latest first
    for (da, fa), (db, fb) in pairs:
        if abs(db - da) > 1e-12 and (fb - fa) * (db - da) > 0:  # skip fixed-d re-solves
            return (fb - fa) / (db - da)
    return None


def travel_increment(
    history: Sequence[tuple[float, float]],
    F: float,
    F_target: float,
    max_step: float,
    stiffness: float | None = None,
) -> float:
    """Travel increment (mm) that should bring the force from ``F`` to ``F_target`` (N), from
    the converged states ``history`` (travel mm, force N; the latest last), at most
    ``max_step`` (mm) long.

    A linear secant (the slope ``dF/dd`` of the latest pair of states at distinct travels)
    overshoots on a stiffening curve: contact with tissue whose tangent rises ~170-fold over
    the push-off load (Ogden, Petre et al. 2013) grows the force nearly exponentially with
    the travel, so the secant of the last step underestimates the slope ahead (coarse
    forefoot, push-off: from 541 N the secant aimed at 755 N and reached 1000 N, and three
    bracketing solves followed).  The log-secant ``d ln F / dd`` of the same pair (exact for
    ``F = a exp(b d)``) predicts the convexity; where both apply, the shorter of the two
    increments is taken (an undershoot costs one more cheap step, an overshoot a bracket).
    On the way up from the latest state that is always the log-secant's (their ratio is the
    logarithmic mean of the pair's forces over that of the current and target forces): on a
    less convex curve (linear, Hertz's ``d^1.5``) it stays short of the target and the
    repeated secant closes in from below.  Without a usable pair (a history that starts
    afresh, or re-solves at one travel after the contact's multiplier changed): the linear
    step with the last known ``stiffness`` (N/mm), else ``max_step`` towards the target."""
    direction = math.copysign(1.0, F_target - F)
    delta = direction * max_step
    if stiffness is not None and stiffness > 0.0:
        delta = (F_target - F) / stiffness
    pairs = zip(history[-2::-1], history[:0:-1], strict=False)  # (older, newer), latest first
    for (da, fa), (db, fb) in pairs:
        if abs(db - da) > 1e-12 and (fb - fa) * (db - da) > 0:  # skip fixed-d re-solves
            slope = (fb - fa) / (db - da)
            delta = (F_target - F) / slope
            if fa > 0.0 and fb > 0.0 and F > 0.0 and F_target > 0.0:
                log_slope = math.log(fb / fa) / (db - da)
                delta_exp = math.log(F_target / F) / log_slope
                delta = delta if abs(delta) <= abs(delta_exp) else delta_exp
            break
    return math.copysign(min(abs(delta), max_step), delta)


def grown_increment(
    dd: float,
    iterations: int,
    options: SolverOptions,
    after_cutback: bool = False,
    ceiling: float = math.inf,
) -> float:
    """The travel increment limit (mm) after a converged step that took ``iterations`` Newton
    iterations with the limit ``dd``: times ``fast_growth`` after at most ``fast_iterations``
    (the first steps, before contact spreads, converge in two), times ``growth`` after at
    most ``easy_iterations``, else kept; never above ``max_step_mm``.  Kept, too, on the
    first success after a failed (cut-back) step (``after_cutback``; Abaqus/Standard is more
    cautious still and grows an increment only after two consecutive easy ones, its time
    incrementation control ``I_A``): growing straight back to the failed size fails again
    (coarse insole + pad push-off, initial step 0.5 mm and growth 2 without this rule: 12 of
    30 solves failed, alternately +2 mm failing and +1 mm converging; with it 5 of 23, as
    with the earlier 0.25 mm and x1.5). Never above ``ceiling`` either: the limit that failed
    steps set (``failed_step_ceiling`` times the smallest increment that failed so far)."""
    o = options
    if after_cutback:
        return min(dd, ceiling)
    if iterations <= o.fast_iterations:
        return min(dd * o.fast_growth, o.max_step_mm, ceiling)
    if iterations <= o.easy_iterations:
        return min(dd * o.growth, o.max_step_mm, ceiling)
    return min(dd, ceiling)


def lowered_ceiling(ceiling: float, failed_mm: float, options: SolverOptions) -> float:
    """The travel increment ceiling (mm) after a solve with an increment of ``failed_mm``
    failed: ``failed_step_ceiling`` times that increment if lower than ``ceiling``, but never
    below ``initial_step_mm`` (a failure at a tiny increment, e.g. where contact first
    spreads, must not make the rest of the run crawl); ``failed_step_ceiling = 0``: no
    ceiling. Without it the increment grows back to the size that failed and fails again:
    default-mesh insole + pad push-off, 6 of 27 solves failed (alternately +0.95 mm failing
    and +0.47 mm converging near the target), 57 Newton iterations, 43.6 min; with the ceiling
    at 0.75, 3 of 19 failed, 50 iterations, 29.7 min, the peaks within 0.25 %
    (docs/performance.md)."""
    if options.failed_step_ceiling <= 0:
        return ceiling
    return min(ceiling, max(options.failed_step_ceiling * failed_mm, options.initial_step_mm))
