"""The gmsh session of a mesh build and what it returns: the API initialised for this process,
its meshing options, the built mesh's record and the error a failed build raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class GeometryError(ValueError):
    """The geometry could not be built; the message names the parameters that caused it."""


@dataclass(frozen=True)
class ForefootMesh:
    """A built, saved mesh: its folder and what was measured on it."""

    folder: Path
    num_nodes: int
    num_cells: int
    quality: dict[str, Any]
    footwear_shift_mm: float
    build_time_s: float
    cached: bool = False
    params: dict[str, Any] = field(default_factory=dict)


def _gmsh():
    import gmsh

    return gmsh


def initialize_gmsh():
    """``gmsh.initialize(interruptible=False)``, then SIGPIPE ignored again; returns ``gmsh``.

    gmsh's first initialisation in a process (OpenCASCADE's signal set-up) puts SIGPIPE back
    to the operating system's default, terminate, behind Python's back (``signal.getsignal``
    still says ignored).  A later write to a pipe whose reader died (a sweep's parent writing
    to a crashed pool worker) then killed the whole process instead of raising
    ``BrokenPipeError``: a test session that had meshed in-process died that way in the
    sweep tests.  Every footsim gmsh session starts here.
    """
    import signal
    import threading

    gmsh = _gmsh()
    gmsh.initialize(interruptible=False)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    return gmsh


def _configure(gmsh) -> None:
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.option.setNumber("General.NumThreads", 1)
    gmsh.option.setNumber("Mesh.RandomSeed", 1)
    gmsh.option.setNumber("Mesh.Algorithm", 6)
    gmsh.option.setNumber("Mesh.Algorithm3D", 1)
    gmsh.option.setNumber("Mesh.Optimize", 1)
    gmsh.option.setNumber("Mesh.OptimizeNetgen", 1)
    gmsh.option.setNumber("Geometry.OCCParallel", 0)
