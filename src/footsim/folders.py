"""Folders that several processes write: a lock per folder, durable writes, and the cleanup of
what killed processes leave behind.

A run folder (``results/<name>-<hash>/``) or a mesh folder (``meshes/<hash>/``) is written
under a staging name beside it, ``.<folder>.<random>.tmp``, and renamed when complete
(:func:`footsim.post.results.commit`). The writer holds :func:`locked` on the folder for the
whole time: a second process that wants the same folder waits, then finds it finished and
reuses it, instead of computing it again beside the first. The lock is an ``flock`` on
``.<folder>.lock``, which the kernel releases when its holder dies, even by ``kill -9``: so a
staging folder whose lock nobody holds belongs to a dead process, and :func:`clean_stale`
removes exactly those, never one being written. Lock files stay (empty, hidden): removing one
while another process waits on it would let a third lock a new file beside the first.

:func:`fsync_tree` flushes a staging folder's files to the disk before the rename, so that after
a power cut a folder under its final name is never one with empty or truncated files.

POSIX only (``fcntl``), as are the solver's PETSc and MPI.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_STAGING = re.compile(r"^\.(?P<folder>.+)\.(?:[a-z0-9_]+\.tmp|old-\d+)$")
"""A staging folder (``.<folder>.<mkdtemp suffix>.tmp``) or a replaced folder on its way out
(``.<folder>.old-<pid>``) beside ``<folder>``."""


def lock_path(folder: Path) -> Path:
    """The lock file of ``folder``: ``.<name>.lock`` beside it."""
    folder = Path(folder)
    return folder.parent / f".{folder.name}.lock"


@contextmanager
def locked(folder: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the exclusive lock of ``folder`` (blocking until it is free).

    ``on_wait(holder)`` is called once if another process holds it (``holder``: its
    ``pid@host`` as it wrote it), e.g. to tell the user why nothing happens."""
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}@{socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _held(folder: Path) -> bool:
    """True if a live process holds the lock of ``folder``."""
    path = lock_path(folder)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def clean_stale(parent: Path) -> list[Path]:
    """Remove the staging folders in ``parent`` whose writer is dead (its folder's lock is
    free): what ``kill -9``, a crash or a power cut left. Returns what was removed. Call it
    before taking a lock in ``parent``: a folder this process holds counts as in use."""
    removed = []
    parent = Path(parent)
    if not parent.is_dir():
        return removed
    for path in parent.iterdir():
        match = _STAGING.match(path.name)
        if match is None or not path.is_dir() or path.is_symlink():
            continue
        if _held(parent / match["folder"]):
            continue  # being written by a live process
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder``, and the folders themselves, to the disk."""
    folder = Path(folder)
    for root, _, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(root))


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to the disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
