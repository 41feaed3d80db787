"""The comparison rule: a model figure against a measurement, in words.

For a magnitude with its spread the verdict is *within* (inside one standard deviation of the
published mean), *near* (inside two) or *outside* (too high / too low); a model change whose
sign is opposite to the measured change is *opposite sign* whatever its size. Where only the
direction was published the verdict is *same direction* or *opposite sign*. A magnitude
published without its spread cannot be judged: *no SD published* (the report shows the ratio
of model to measurement). A model figure
that could not be computed (a failed run) is *failed*: it stays in the report with its reason.
"""

from __future__ import annotations

import math
from enum import StrEnum

from footsim.validate.evidence import Measurement


class Verdict(StrEnum):
    WITHIN = "within"
    NEAR = "near"
    OUTSIDE_HIGH = "outside (too high)"
    OUTSIDE_LOW = "outside (too low)"
    OUTSIDE = "outside"
    SAME_DIRECTION = "same direction"
    OPPOSITE = "opposite sign"
    NO_SPREAD = "no SD published"
    FAILED = "failed"

    @property
    def agrees(self) -> bool:
        """Within the measured spread, or the measured direction where only that is known."""
        return self in (Verdict.WITHIN, Verdict.SAME_DIRECTION)


def verdict(model: float | None, measured: Measurement, *, signed: bool = False) -> Verdict:
    """The verdict of ``model`` (in the measurement's unit) against ``measured``.

    ``signed``: the quantity is a change or a difference, whose sign is compared first (an
    opposite sign is *opposite sign* however close the magnitudes); a change of exactly zero
    has no direction and is judged on its magnitude (or *outside* if only a sign was published).
    """
    if model is None or not math.isfinite(model):
        return Verdict.FAILED
    if measured.kind == "sign":
        if model == 0.0:
            return Verdict.OUTSIDE
        return Verdict.SAME_DIRECTION if model * measured.mean > 0 else Verdict.OPPOSITE
    if signed and model * measured.mean < 0:
        return Verdict.OPPOSITE
    if measured.sd is None:
        return Verdict.SAME_DIRECTION if signed and model * measured.mean > 0 else Verdict.NO_SPREAD
    gap = model - measured.mean
    if abs(gap) <= measured.sd:
        return Verdict.WITHIN
    if abs(gap) <= 2.0 * measured.sd:
        return Verdict.NEAR
    return Verdict.OUTSIDE_HIGH if gap > 0 else Verdict.OUTSIDE_LOW
