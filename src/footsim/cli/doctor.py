"""``footsim doctor``: check that this machine can mesh, solve and draw.

Each check returns a :class:`Check` (name, ok, detail). The report prints the
versions of footsim, dolfinx, PETSc (scalar type, direct solvers), gmsh, meshio,
PyVista/VTK and MPI; then checks that the form JIT compiles a tiny form and that
off-screen rendering writes a tiny PNG. Failed checks print a one-line reason.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import footsim  # noqa: F401  (imports dolfinx_solver first when the wheel is the provider)
from footsim._render import prefer_headless

DIRECT_SOLVERS = ("mumps", "superlu_dist", "superlu", "umfpack", "cholmod", "pastix", "strumpack")


@dataclass(frozen=True)
class Check:
    """Outcome of one doctor check: ``detail`` is a version string or a one-line reason."""

    name: str
    ok: bool
    detail: str


def _guard(name: str, fn: Callable[[], str]) -> Check:
    try:
        return Check(name, True, fn())
    except Exception as exc:  # noqa: BLE001 - every failure becomes a one-line reason
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return Check(name, False, reason)


def _footsim() -> str:
    return footsim.__version__


def _dolfinx() -> str:
    import dolfinx

    provider = "PyPI wheel dolfinx-solver-real" if _has_wheel() else "conda-forge/system"
    return f"{dolfinx.__version__} ({provider})"


def _has_wheel() -> bool:
    try:
        import dolfinx_solver  # noqa: F401
    except ImportError:
        return False
    return True


def petsc_direct_solvers() -> list[str]:
    """Names of the direct (LU/Cholesky) solver packages this PETSc was built with."""
    from petsc4py import PETSc

    return [s for s in DIRECT_SOLVERS if PETSc.Sys.hasExternalPackage(s)]


def _petsc() -> str:
    import numpy as np
    from petsc4py import PETSc

    major, minor, sub = PETSc.Sys.getVersion()
    scalar = np.dtype(PETSc.ScalarType).name
    solvers = petsc_direct_solvers()
    if "mumps" not in solvers:
        raise RuntimeError(f"PETSc {major}.{minor}.{sub} has no MUMPS (direct solvers: {solvers})")
    from footsim.solve.options import mumps_single_precision

    single = "yes" if mumps_single_precision() else "no (double-precision factors)"
    return (
        f"{major}.{minor}.{sub}, scalar {scalar}, direct solvers: {', '.join(solvers)}; "
        f"MUMPS single-precision factors: {single}"
    )


def _gmsh() -> str:
    import gmsh

    return gmsh.__version__


def _meshio() -> str:
    import meshio

    return meshio.__version__


def _pyvista() -> str:
    import pyvista
    import vtk

    return f"pyvista {pyvista.__version__}, VTK {vtk.vtkVersion.GetVTKVersion()}"


def _mpi() -> str:
    from mpi4py import MPI

    library = MPI.Get_library_version().splitlines()[0].strip()
    return f"{library} (mpi4py, {MPI.COMM_WORLD.size} rank)"


def _jit() -> str:
    """Compile and assemble a tiny form: the area of the unit square (must be 1)."""
    import dolfinx
    import ufl
    from mpi4py import MPI

    t0 = time.perf_counter()
    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_SELF, 2, 2)
    one = dolfinx.fem.Constant(mesh, 1.0)
    area = dolfinx.fem.assemble_scalar(dolfinx.fem.form(one * ufl.dx(domain=mesh)))
    if abs(area - 1.0) > 1e-12:
        raise RuntimeError(f"tiny form assembled to {area}, expected 1")
    return f"form compiled and assembled in {time.perf_counter() - t0:.1f} s"


#: A form JIT source (``.c``) without its ``.c.cached`` marker older than this (s) is the
#: trace of a compilation that was killed: a compile of the forefoot's forms takes ~20 s.
STALE_JIT_S = 600.0


def stale_jit_sources(cache_dir: Path | None = None, now: float | None = None) -> list[Path]:
    """Interrupted compilations in the form JIT cache (``dolfinx.jit`` ``cache_dir``): a
    ``.c`` source with no ``.c.cached`` beside it, older than :data:`STALE_JIT_S`. FFCx takes
    the source as a lock, so a run that compiles the same form waits for it until the JIT
    timeout (:data:`footsim.solve.process.JIT_WAIT_S`, 30 min) and then fails."""
    if cache_dir is None:
        import dolfinx.jit

        cache_dir = Path(dolfinx.jit.get_options()["cache_dir"])
    now = time.time() if now is None else now
    if not Path(cache_dir).is_dir():
        return []
    return sorted(
        c
        for c in Path(cache_dir).glob("*.c")
        if not c.with_name(c.name + ".cached").exists() and now - c.stat().st_mtime > STALE_JIT_S
    )


def _jit_cache() -> str:
    stale = stale_jit_sources()
    if stale:
        raise RuntimeError(
            f"{len(stale)} interrupted form compilation(s) in {stale[0].parent} (e.g. "
            f"{stale[0].name}): a run compiling the same form would wait for it for 30 min; "
            "delete these .c files"
        )
    return "no interrupted compilations"


def _render() -> str:
    """Render a sphere off-screen to a 64x64 PNG and check that it is not blank."""
    import numpy as np
    import pyvista as pv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doctor.png"
        plotter = pv.Plotter(off_screen=True, window_size=(64, 64))
        plotter.add_mesh(pv.Sphere(), color="tomato")
        plotter.screenshot(str(path))
        plotter.close()
        image = np.asarray(pv.read(str(path)).point_data.active_scalars)
        if path.stat().st_size == 0 or image.std() == 0:
            raise RuntimeError("off-screen render produced an empty image")
    return "off-screen PNG rendered"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("footsim", _footsim),
    ("dolfinx", _dolfinx),
    ("PETSc", _petsc),
    ("gmsh", _gmsh),
    ("meshio", _meshio),
    ("PyVista/VTK", _pyvista),
    ("MPI", _mpi),
    ("form JIT", _jit),
    ("form JIT cache", _jit_cache),
    ("off-screen rendering", _render),
)


def run_checks() -> list[Check]:
    """Run every check; never raises."""
    prefer_headless()
    return [_guard(name, fn) for name, fn in CHECKS]


def report(checks: list[Check]) -> str:
    """Human-readable report, one line per check."""
    width = max(len(c.name) for c in checks)
    return "\n".join(f"{'ok ' if c.ok else 'FAIL'} {c.name:<{width}}  {c.detail}" for c in checks)
