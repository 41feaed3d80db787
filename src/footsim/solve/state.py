"""A load step's state: the unknowns and the contact's friction history, saved before a
solve and put back when the step is undone."""

from __future__ import annotations

from collections.abc import Sequence

import footsim  # noqa: F401  (must precede dolfinx)

import numpy as np  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip


def save_state(fields: Sequence[fem.Function | np.ndarray]) -> list[np.ndarray]:
    """Copies of ``fields``' values (Functions, or arrays of a history on every process)."""
    return [(f if isinstance(f, np.ndarray) else f.x.array).copy() for f in fields]


def restore_state(fields: Sequence[fem.Function | np.ndarray], state: Sequence[np.ndarray]) -> None:
    """Put :func:`save_state`'s values back into ``fields`` (in place)."""
    for f, a in zip(fields, state, strict=True):
        (f if isinstance(f, np.ndarray) else f.x.array)[...] = a
        if not isinstance(f, np.ndarray):
            f.x.scatter_forward()
