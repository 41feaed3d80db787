"""Process housekeeping for the solver: the JIT's wait for another process's compile,
Python's own signal handling after PETSc's, and returning freed heap and matrix memory.
"""

from __future__ import annotations

import functools
import signal
import threading

import footsim  # noqa: F401  (must precede dolfinx: loads the MPI/PETSc wheel libraries)

import dolfinx  # noqa: E402  isort: skip
import dolfinx.fem.petsc  # noqa: E402  isort: skip
import dolfinx.la.petsc  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
from petsc4py import PETSc  # noqa: E402  isort: skip


JIT_WAIT_S = 1800
"""Seconds a process waits for another process to finish compiling the same form before
dolfinx gives up ("JIT compilation timed out"). dolfinx's default, 10 s, is shorter than a
first compile of the push-off tissue kernels (~20 s): two sweep workers or benchmarks
starting together on a fresh cache would fail. A ``dolfinx_jit_options.json`` of the user
still takes precedence."""

dolfinx.jit.DOLFINX_DEFAULT_JIT_OPTIONS["timeout"] = (
    JIT_WAIT_S,
    "Timeout for JIT compilation (footsim: see footsim.solve.process.JIT_WAIT_S)",
)


def _restore_python_signal_handling() -> None:
    """Undo PETSc's signal handlers (installed by ``PetscInitialize``) and give Python back its own.

    PETSc catches SIGPIPE, SIGTERM, SIGSEGV, ... and answers each with ``MPI_Abort``.  Python
    ignores SIGPIPE (a write to a pipe whose reader died raises ``BrokenPipeError``), and the
    sweep engine relies on that: when a pool worker crashes, the parent may write to its pipe,
    and with PETSc's handler that killed the whole parent process (and a CI run with it).
    """
    pop = getattr(PETSc.Sys, "popSignalHandler", None)
    if pop is not None:
        pop()  # empty stack: PETSc resets the signals to SIG_DFL
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)


_restore_python_signal_handling()


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (another C library)."""
    import ctypes
    import ctypes.util

    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_free_heap() -> None:
    """Give the C heap's free pages back to the system (glibc ``malloc_trim(0)``; a no-op
    with another C library).  Blocks under glibc's mmap threshold (raised up to 32 MB as
    large blocks are freed: MUMPS's fronts, the Krylov vectors) are freed into the heap, which
    stays resident; the next factorisation takes its large blocks from fresh mappings beside
    it. On the default-mesh insole + pad push-off 0.7 GB of the heap was free but resident
    after the first factors were freed (``/proc/self/smaps``)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def zero_free_copy(A: PETSc.Mat) -> PETSc.Mat:
    """A copy of the assembled AIJ matrix ``A`` without its stored zeros (the diagonal kept):
    the same operator on a smaller pattern, e.g. to factorise (under MPI each process copies
    its own rows)."""
    ia, ja, a = A.getValuesCSR()  # this process's rows, global columns
    lo, hi = A.getOwnershipRange()
    rows = np.repeat(np.arange(hi - lo, dtype=ja.dtype), np.diff(ia))
    keep = (a != 0.0) | (ja == rows + lo)
    indptr = np.zeros(hi - lo + 1, dtype=PETSc.IntType)
    np.cumsum(np.bincount(rows[keep], minlength=hi - lo), out=indptr[1:])
    del rows
    return PETSc.Mat().createAIJ(
        size=A.getSizes(),
        csr=(indptr, ja[keep].astype(PETSc.IntType, copy=False), a[keep]),
        comm=A.comm,
    )
