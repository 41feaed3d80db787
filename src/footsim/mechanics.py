"""Total-Lagrangian finite-strain hyperelasticity (units: mm, N, MPa).

Unknowns: the displacement ``u`` (continuous Lagrange, degree 2 by default) and, in the mixed
formulation, a pressure ``p`` (continuous Lagrange, degree 1): Taylor-Hood P2-P1, which
satisfies the inf-sup condition and is free of volumetric locking for nearly incompressible
tissue (Brezzi & Fortin 1991; Simo & Taylor 1991, Comput Methods Appl Mech Eng 85:273 for the
finite-strain perturbed Lagrangian).  The total potential of the body is

    Pi(u, p) = sum_m  int_{Omega_m} psi_m(u, p) dX  -  (contact and boundary terms)

with, for the nearly incompressible materials (``Material.split``),

    psi_m = psi_iso(C_bar) + p theta(J) - p^2 / (2 K)

(``theta = ln J`` by default, see :mod:`footsim.materials`)

and for the compressible ones (bone, plantar plate, foams), which need no (or have no)
iso/vol split, the full ``psi(C)`` plus ``-p^2 / (2 K_pin)`` with a huge ``K_pin`` so that the
pressure there is pinned to zero without disturbing the interface nodes.  The pure-displacement
formulation (``SolverOptions.formulation = "displacement"``) uses ``psi(C)`` everywhere.

Nonlinear solver: PETSc SNES Newton with a line search (``bt`` by default) and MUMPS LU; the
iterative alternative is GMRES + GAMG with the rigid-body near-nullspace (displacement
formulation) or a Schur-complement field split (mixed).  A solve that does not converge is
reported by :class:`SolverError`, never returned.
"""

from __future__ import annotations

import functools
import itertools
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import footsim  # noqa: F401  (must precede dolfinx: loads the MPI/PETSc wheel libraries)

import dolfinx  # noqa: E402  isort: skip
import dolfinx.fem.petsc  # noqa: E402  isort: skip
import dolfinx.la.petsc  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import ufl  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip
from petsc4py import PETSc  # noqa: E402  isort: skip

from footsim.materials import Material  # noqa: E402

JIT_WAIT_S = 1800
"""Seconds a process waits for another process to finish compiling the same form before
dolfinx gives up ("JIT compilation timed out"). dolfinx's default, 10 s, is shorter than a
first compile of the push-off tissue kernels (~20 s; 213 s before tr(C^k) was written with
Newton's identities): two sweep workers or benchmarks starting together on a fresh cache
failed. A ``dolfinx_jit_options.json`` of the user still takes precedence."""
dolfinx.jit.DOLFINX_DEFAULT_JIT_OPTIONS["timeout"] = (
    JIT_WAIT_S,
    "Timeout for JIT compilation (footsim: see footsim.mechanics.JIT_WAIT_S)",
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


#: Pinning modulus (MPa) of the pressure field on compressible cells: ``-p^2/(2 K_PIN)``.
K_PIN = 1.0e4


class SolverError(RuntimeError):
    """A nonlinear solve or a load-stepping run failed.

    Attributes (``None`` when not applicable): ``step`` (load step index), ``load_reached``
    (last converged vertical reaction, N), ``load_target`` (N), ``displacement`` (last
    converged driver displacement, mm), ``residual`` (residual norm of the failed solve, N),
    ``iterations`` (Newton iterations of the failed solve), ``reason`` (SNES reason code);
    ``steps``: the load stepping's attempted solves up to the failure (dicts of
    :class:`footsim.loading.StepRecord`, empty when not applicable), so that a failed run's
    ``summary.json`` shows where it failed.
    """

    def __init__(
        self,
        message: str,
        *,
        step: int | None = None,
        load_reached: float | None = None,
        load_target: float | None = None,
        displacement: float | None = None,
        residual: float | None = None,
        iterations: int | None = None,
        reason: int | None = None,
        steps: list[dict] | None = None,
    ):
        self.steps = list(steps or [])
        self.step = step
        self.load_reached = load_reached
        self.load_target = load_target
        self.displacement = displacement
        self.residual = residual
        self.iterations = iterations
        self.reason = reason
        parts = [message]
        for k in ("step", "load_reached", "load_target", "displacement", "residual", "iterations"):
            v = getattr(self, k)
            if v is not None:
                parts.append(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}")
        if reason is not None and reason < 0:
            parts.append(f"reason={snes_reason_name(reason)}")
        super().__init__("; ".join(parts))


def snes_reason_name(reason: int) -> str:
    """A PETSc SNES converged reason as its name (-100: a PETSc error inside the solve), with a
    hint where the cause is usually elsewhere."""
    if reason == -100:
        return "PETSc error inside the solve (e.g. a failed factorisation)"
    if reason == STALLED:
        return "STALLED (the residual norm fell by under 10 % per iteration, see stall_ratio)"
    R = PETSc.SNES.ConvergedReason
    name = {getattr(R, n): n for n in dir(R) if n.isupper()}.get(reason, str(reason))
    if name == "DIVERGED_LINEAR_SOLVE":
        name += " (the linear solver failed: with MUMPS often memory, see mat_mumps_icntl_14)"
    return name


@dataclass
class SolverOptions:
    """Discretisation, nonlinear-solver, load-stepping and contact options.

    Newton: ``rtol``/``atol`` on the residual norm (atol in N; the round-off floor of a foot
    model with bone (E 7300 MPa) is ~1e-9 N), ``max_newton_iterations``, ``linesearch`` (PETSc
    SNES line search: ``cp``, ``bt``, ``l2``, ``basic``). Default ``cp`` ("critical point":
    the step length where the residual is orthogonal to the Newton direction, the minimum of
    the energy along it for a residual that is an energy's gradient, as hyperelasticity with
    frictionless contact): the backtracking ``bt`` judges a step by the residual norm, which a
    good Newton step on a stiffening material often raises before it falls; ``bt`` then
    accepts steps of a few per cent and creeps (a neo-Hookean cantilever under its weight:
    ``basic`` 5 iterations, ``cp`` 8, ``l2`` 13, ``bt`` not in 15; push-off with toes,
    coarse: 35 Newton iterations and no failed step with ``cp``, 156 with ``bt``, five of
    whose steps crept and failed). A solve that stagnates (line-search
    failure or iteration limit) with a residual norm below ``accept_atol`` (N) is accepted as
    converged at round-off (lower both for models loaded by micro-newtons).  Under force control
    with two-body contact Newton also stops once the residual norm is below ``load_atol`` times
    the target force (N; 1e-3: an out-of-balance force of 0.1 % of the load, five times
    stricter than Abaqus's default 0.5 % force criterion and five times below the 0.5 %
    equilibrium check of every result): a point whose closest master facet changes, or that
    enters or leaves contact, makes the residual slightly non-smooth, so Newton converges more
    slowly than quadratically on a curved pad (the tangent itself is exact,
    :class:`~footsim.contact.BodyContact`; before this release it left out the curvature of
    the smoothed master and Newton stalled on the pad at push-off). (With the facet normals
    of earlier releases the residual jumped at every facet edge and Newton stalled at 0.01 to
    0.2 N on the pad scenarios, 153 N: 3 of 16 pad runs failed.)
    Intermediate load steps under force control (their states are never reported) stop once
    the residual norm (N) is below ``step_rtol`` (a fraction; 1e-3 as ``load_atol``) times the
    target force (N):
    Newton's first one or two iterations take a step most of the way, the next three or four
    only settle which surface points touch (the residual creeping from ~1e-1 to ~1e-3 N on the
    forefoot) before the quadratic end; the state on the target force is then re-solved to
    ``atol``/``rtol`` before it is final (:class:`~footsim.loading.LoadStepper`). On the
    coarse forefoot at push-off: README, "Speed". ``step_rtol = 0``: every step to ``atol``.
    Such an intermediate step is given up (and cut back) once the residual norm has fallen by
    less than a factor ``stall_ratio`` in each of ``stall_iterations`` consecutive Newton
    iterations: a stalled solve (the line search taking steps of a few per cent) that would
    otherwise spend the whole ``max_newton_iterations`` (as Abaqus cuts an increment back when
    the residuals fail to fall after a few iterations, Abaqus Analysis User's Guide,
    "Convergence criteria for nonlinear problems"). Push-off with toes, coarse: five loading
    steps crept from ~1.8 N by ~1 % per iteration and failed after 15 iterations each, half
    the run's iterations; the successful ones fell by ~20 % or more in all but single
    iterations.
    ``stall_iterations = 0``: no stall test.  Final, penalty and augmented-Lagrangian
    re-solves are never stopped this way (they cannot be cut back).
    Linear solves (``linear_solver`` mumps or superlu_dist): with ``reuse_factorization``
    (default) each Newton step is solved by GMRES to ``krylov_rtol`` (true residual, at most
    ``max_krylov_iterations``), preconditioned by the factors of the latest factorised
    Jacobian, which are renewed when that pays (:meth:`NonlinearSolver._postsolve`): on the
    coarse forefoot standing the same 48 Newton iterations took 7 factorisations instead of
    48 and the solve 113 s instead of 187 s, to the same converged state (a Newton step
    solved to 1e-6 keeps the iteration count: each step still cuts the residual by ~1e-6 or
    more). ``reuse_factorization = False``: a fresh LU per Newton iteration (``preonly``).
    ``factor_precision = "single"`` (default, reuse mode with MUMPS only): those factors are
    computed and stored in single precision (PETSc's ``-pc_precision single``, where PETSc was
    built with both MUMPS precisions: :func:`mumps_single_precision`; otherwise double) and
    the Krylov method is FGMRES, whose iterate stays exact in double precision when the
    preconditioner is not exactly linear (right-preconditioned GMRES recombines its search
    directions through the preconditioner once more at the end: with single-precision
    factors of a push-off Jacobian its "converged" iterate had a true residual of 0.45).
    One default-mesh insole + pad push-off Jacobian (322k unknowns, LU, ``bench_factor.py``):
    factorisation 22 s instead of 35-38 s, peak memory 2.8 GB instead of 4.3 GB, the same
    10 / 76 Krylov iterations on that Jacobian / two Newton steps later, each a third
    cheaper; the block low-rank dropping at 1e-5 costs more accuracy than single precision.
    ``out_of_core``: MUMPS writes the factors to disk (ICNTL(22) = 1; in
    ``$MUMPS_OOC_TMPDIR``, else ``/tmp``; removed when the solver is destroyed, left behind
    if the process is killed) and keeps only the active fronts in memory: on the same
    Jacobian with single-precision factors 2.3 GB instead of 3.0 GB peak, the factorisation 5 s
    longer and the Krylov iterations as fast (the factors stay in the page cache); the whole
    default-mesh insole + pad push-off 3.68 GB instead of 4.35 GB (README, "Speed").
    ``factor_zero_free`` (reuse mode, extra couplings such as the two-body contact): the
    factors are those of a copy of the Jacobian without its stored zeros (the couplings
    pre-allocated for contact that is not active, a fifth of the entries of a late push-off
    Jacobian on the insole with the pad), which MUMPS would otherwise treat as nonzeros and
    fill: the same matrix, a smaller pattern (each such factorisation analyses its own
    pattern afresh). On the 30th Jacobian of the default-mesh insole + pad push-off the
    factorisation took 21.6 s instead of 29.8 s and 0.57 GB less memory, with the same
    Krylov iterations (``bench_factor.py``); the copy costs ~0.33 GB while it is kept. The
    whole push-off: 3.98 GB peak instead of 4.06 GB (resident memory sampled every 5 s:
    3.70 against 4.08 GB), and no faster (25 s of linear solves per Newton iteration either
    way: the repeated analyses and a few more Krylov iterations eat the factorisation's gain).
    ``linear_solver = "gamg"``: GMRES with PETSc's smoothed-aggregation AMG and the rigid-body
    near-nullspace, for the ``displacement`` formulation only (compressible bodies; the same
    cantilever tip as MUMPS, ``tests/test_mechanics.py``). The forefoot's mixed P2-P1 Jacobian
    defeats it: on a coarse push-off Jacobian neither GAMG on the whole saddle-point matrix
    nor a Schur-complement field split with the ``selfp`` approximation (even with exact LU
    of both blocks) reached 1e-6 in 400 GMRES iterations (README, "Speed"); the options
    refuse that combination.
    Load stepping (:mod:`footsim.loading`): displacement increments of the driven surface start
    at ``initial_step_mm``, grow by ``fast_growth`` after a step that took at most
    ``fast_iterations`` Newton iterations, by ``growth`` after at most ``easy_iterations``
    (up to ``max_step_mm``; not on the first success after a failed step,
    :func:`footsim.loading.grown_increment`), are multiplied by
    ``cutback`` after a failed step (down to ``min_step_mm``) and never again exceed
    ``failed_step_ceiling`` times the smallest increment that failed (a ceiling never below
    ``initial_step_mm``; :func:`footsim.loading.lowered_ceiling`); at most
    ``max_load_steps`` solves;
    the target force is reached when ``|F - F_target| <= force_rtol * F_target``.
    ``predictor``: each loading step starts from the linear extrapolation of the last two
    converged states (``True``) or from the last one (``False``, default; earlier releases
    extrapolated). Default-mesh insole + pad push-off with the extrapolation: 9 of the first
    23 solves failed (7 with a non-finite residual, 6 of them in the first Newton step: from the
    extrapolated state that step inverted 26 soft-tissue cells and a pad cell under the skin
    in contact, where the same step from the last state converged in one iteration), and
    the run never got past 9 N (without it, it reached 20.8 N and failed there on the
    half-ellipsoid pad's steep flank; with the skived pad of geometry version 4 it converges:
    README, "Speed"). Coarse insole + pad push-off (half-ellipsoid pad): 62 Newton iterations
    and 12.7 min without, 106 and 15.3 min with it (each sharing the two cores), the peaks
    within 0.8 %.
    Barefoot push-off it did not pay either: default mesh 26 iterations and no failed
    solve without, 29 and 2 failed with; coarse 27 without, 26 with.
    Contact (:mod:`footsim.contact`): penalty ``kappa = penalty_factor * E / h`` (see
    :func:`footsim.contact.penalty_parameter`); augmented-Lagrangian (Uzawa) updates until the
    maximum penetration is below ``penetration_tol_mm`` (default 1 % of
    ``tissue_thickness_mm``: 10 mm is a typical unloaded plantar soft-tissue thickness under
    the metatarsal heads, Cavanagh 1999 Foot Ankle Int 20:622 report ~11-14 mm) or the contact
    pressure changes by less than ``pressure_rtol``; a run that meets neither within
    ``max_uzawa`` updates fails (:class:`SolverError`).  ``adaptive_penalty``: after each
    converged loading step the penalty of each contact point rises to ``penalty_factor * E_t
    / h``, ``E_t`` the compression tangent of the softer side at the point's pressure
    (:meth:`footsim.contact.ContactSurface.update_penalty`, rigid ground;
    :meth:`footsim.contact.BodyContact.update_penalty`, two bodies).
    """

    formulation: Literal["mixed", "displacement"] = "mixed"
    degree: int = 2
    quadrature_degree: int | None = None  # cells; None: 2 * degree
    facet_quadrature_degree: int | None = None  # contact surface; None: 2 * degree + 1
    linear_solver: Literal["mumps", "superlu_dist", "gamg"] = "mumps"
    reuse_factorization: bool = True
    factor_precision: Literal["single", "double"] = "single"
    out_of_core: bool = False
    factor_zero_free: bool = True
    max_krylov_iterations: int = 50
    krylov_rtol: float = 1e-6
    linesearch: str = "cp"
    rtol: float = 1e-9
    atol: float = 1e-8
    accept_atol: float = 1e-6
    load_atol: float = 1e-3
    step_rtol: float = 1e-3
    stall_iterations: int = 3
    stall_ratio: float = 0.9
    max_newton_iterations: int = 30
    initial_step_mm: float = 0.5
    min_step_mm: float = 1e-3
    max_step_mm: float = 2.0
    growth: float = 1.5
    fast_growth: float = 2.0
    fast_iterations: int = 2
    cutback: float = 0.5
    failed_step_ceiling: float = 0.75
    easy_iterations: int = 6
    max_load_steps: int = 80
    predictor: bool = False
    force_rtol: float = 0.005
    penalty_factor: float = 10.0
    augmented_lagrangian: bool = True
    max_uzawa: int = 6
    adaptive_penalty: bool = True
    penetration_tol_mm: float | None = None
    tissue_thickness_mm: float = 10.0
    pressure_rtol: float = 0.01
    verbose: bool = False
    petsc_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.linear_solver == "gamg" and self.formulation != "displacement":
            raise ValueError(
                f"linear_solver = 'gamg' with formulation = {self.formulation!r}: GAMG "
                "(smoothed aggregation with the rigid-body near-nullspace) preconditions the "
                "displacement formulation only; allowed with 'mixed': 'mumps', 'superlu_dist'"
            )
        if not 0.0 <= self.failed_step_ceiling < 1.0:
            raise ValueError(
                f"failed_step_ceiling = {self.failed_step_ceiling:g} is outside the allowed "
                "0 (no ceiling) .. 1 (exclusive): the fraction of a failed travel increment "
                "that later increments may not exceed"
            )

    @property
    def penetration_tol(self) -> float:
        if self.penetration_tol_mm is not None:
            return self.penetration_tol_mm
        return 0.01 * self.tissue_thickness_mm


_prefix_counter = itertools.count()


def _material_groups(
    mesh: dolfinx.mesh.Mesh, cell_tags: dolfinx.mesh.MeshTags, materials: Mapping[int, Material]
) -> tuple[list[Material], dolfinx.mesh.MeshTags]:
    """Group the tagged cells by material: returns the unique materials and a MeshTags whose
    value is the index of each cell's material (one integration kernel per material)."""
    tdim = mesh.topology.dim
    n_owned = mesh.topology.index_map(tdim).size_local
    unique: list[Material] = []
    index_of_tag: dict[int, int] = {}
    # the same material numbering on every process (a process may hold no cell of a tag)
    tags_all = sorted(set().union(*mesh.comm.allgather({int(t) for t in cell_tags.values})))
    for tag in tags_all:
        if tag not in materials:
            raise KeyError(f"no material for cell tag {tag}")
        m = materials[tag]
        if m not in unique:
            unique.append(m)
        index_of_tag[tag] = unique.index(m)
    untagged = n_owned - int(np.count_nonzero(cell_tags.indices < n_owned))
    untagged = mesh.comm.allreduce(untagged, op=MPI.SUM)
    if untagged:  # ghost cells need no tag: cell integrals run over owned cells
        raise ValueError(f"{untagged} cells have no cell tag")
    values = np.array([index_of_tag[int(t)] for t in cell_tags.values], dtype=np.int32)
    mt = dolfinx.mesh.meshtags(mesh, tdim, cell_tags.indices.astype(np.int32), values)
    return unique, mt


class Hyperelasticity:
    """Unknowns, kinematics and internal-energy forms of a multi-material body.

    Args:
        mesh: first-order tetrahedral mesh (mm).
        cell_tags: cell tags; every tag must have a material.
        materials: material of every cell tag.
        options: discretisation options.
    """

    def __init__(
        self,
        mesh: dolfinx.mesh.Mesh,
        cell_tags: dolfinx.mesh.MeshTags,
        materials: Mapping[int, Material],
        options: SolverOptions | None = None,
    ):
        self.options = options or SolverOptions()
        self.mesh = mesh
        self.cell_tags = cell_tags
        self.materials, self.material_tags = _material_groups(mesh, cell_tags, materials)
        deg = self.options.degree
        gdim = mesh.geometry.dim
        self.V = fem.functionspace(mesh, ("Lagrange", deg, (gdim,)))
        self.u = fem.Function(self.V, name="displacement")
        self.v = ufl.TestFunction(self.V)
        self.mixed = self.options.formulation == "mixed"
        if self.mixed:
            if deg < 2:
                raise ValueError("the mixed (Taylor-Hood) formulation needs degree >= 2")
            self.Q = fem.functionspace(mesh, ("Lagrange", deg - 1))
            self.p = fem.Function(self.Q, name="pressure")
            self.q = ufl.TestFunction(self.Q)
        qd = self.options.quadrature_degree or 2 * deg
        self.dx = ufl.Measure(
            "dx", domain=mesh, subdomain_data=self.material_tags, metadata={"quadrature_degree": qd}
        )
        # Kinematics
        self.I = ufl.Identity(gdim)
        self.F = ufl.variable(self.I + ufl.grad(self.u))
        self.J = ufl.det(self.F)

    # ---------------------------------------------------------------------------- energies
    def uses_split(self, m: Material) -> bool:
        return self.mixed and m.split

    def strain_energy(self, i: int):
        """Strain-energy density (MPa) of material group ``i`` (mixed: includes the p terms)."""
        m = self.materials[i]
        if not self.mixed:
            return m.psi(self.F)
        if m.split:
            return m.psi_iso(self.F) + self.p * m.theta(self.J) - self.p**2 / (2.0 * m.bulk_modulus)
        return m.psi(self.F) - self.p**2 / (2.0 * K_PIN)

    def potential(self):
        """Internal potential ``sum_m int psi_m dX`` (N mm)."""
        return sum(self.strain_energy(i) * self.dx(i) for i in range(len(self.materials)))

    def unknowns(self) -> list[fem.Function]:
        return [self.u, self.p] if self.mixed else [self.u]

    def residual(self, external_u=None) -> list:
        """Residual forms ``[F_u, F_p]`` (mixed) or ``[F_u]``; ``external_u`` (a form linear in
        the test function ``self.v``) is added to ``F_u``."""
        Pi = self.potential()
        F_u = ufl.derivative(Pi, self.u, self.v)
        if external_u is not None:
            F_u = F_u + external_u
        if self.mixed:
            return [F_u, ufl.derivative(Pi, self.p, self.q)]
        return [F_u]

    # ---------------------------------------------------------------------------- stresses
    def first_piola(self, i: int):
        """First Piola-Kirchhoff stress (MPa) of material group ``i``."""
        m = self.materials[i]
        if self.uses_split(m):
            return ufl.diff(m.psi_iso(self.F) + self.p * m.theta(self.J), self.F)
        return ufl.diff(m.psi(self.F), self.F)

    def cauchy(self, i: int):
        """Cauchy stress ``sigma = P F^T / J`` (MPa) of material group ``i``."""
        return self.first_piola(i) * self.F.T / self.J

    def cauchy_dg0(self) -> fem.Function:
        """Cauchy stress per cell (DG0 tensor, MPa), sampled at the cell midpoints."""
        gdim = self.mesh.geometry.dim
        W = fem.functionspace(self.mesh, ("DG", 0, (gdim, gdim)))
        sig = fem.Function(W, name="cauchy_stress")
        for i in range(len(self.materials)):
            cells = self.material_tags.find(i)
            # compiled on every process (collective), also one without cells of it
            expr = fem.Expression(self.cauchy(i), W.element.interpolation_points)
            if cells.size:
                sig.interpolate(expr, cells0=cells)
        sig.x.scatter_forward()
        return sig

    def stress_measures(self) -> tuple[fem.Function, fem.Function]:
        """Von Mises and maximum shear (Tresca, ``(s1 - s3)/2``) Cauchy stress per cell (DG0,
        MPa)."""
        sig = self.cauchy_dg0()
        gdim = self.mesh.geometry.dim
        S = fem.functionspace(self.mesh, ("DG", 0))
        vm = fem.Function(S, name="von_mises")
        tau = fem.Function(S, name="max_shear")
        s = sig.x.array.reshape(-1, gdim, gdim)
        s = 0.5 * (s + s.transpose(0, 2, 1))
        ev = np.linalg.eigvalsh(s)
        dev = s - np.einsum("i,jk->ijk", np.trace(s, axis1=1, axis2=2) / 3.0, np.eye(gdim))
        vm.x.array[:] = np.sqrt(1.5 * np.einsum("ijk,ijk->i", dev, dev))
        tau.x.array[:] = 0.5 * (ev[:, -1] - ev[:, 0])
        return vm, tau


def petsc_options(options: SolverOptions, symmetric: bool = False) -> dict:
    """SNES/KSP/PC options for :class:`dolfinx.fem.petsc.NonlinearProblem`; ``symmetric``:
    the Jacobian is symmetric (a hyperelastic potential with frictionless contact on a rigid
    obstacle), so that a reused factorisation may be MUMPS's LDL^T (half the factor memory)."""
    opts: dict = {
        "snes_type": "newtonls",
        "snes_linesearch_type": options.linesearch,
        "snes_rtol": options.rtol,
        "snes_atol": options.atol,
        "snes_stol": 0.0,
        "snes_max_it": options.max_newton_iterations,
        "snes_max_funcs": 10 * options.max_newton_iterations + 100,
        "snes_divergence_tolerance": -1,
    }
    if options.linear_solver in ("mumps", "superlu_dist"):
        opts |= {
            "ksp_type": "preonly",
            "pc_type": "lu",
            "pc_factor_mat_solver_type": options.linear_solver,
        }
        if options.linear_solver == "mumps":
            opts |= {"mat_mumps_icntl_14": 200, "mat_mumps_icntl_24": 1}
            if options.out_of_core:
                opts["mat_mumps_icntl_22"] = 1
        if options.reuse_factorization:
            # GMRES (FGMRES with single-precision factors, see SolverOptions) on the current
            # Jacobian, preconditioned (on the right: the true residual
            # is what converges) by the factors of an earlier one (NonlinearSolver decides
            # when to refactorise). A linear solve that stops at max_it is not a failed Newton
            # solve: its GMRES iterate (the least-squares best in the Krylov space) goes to the
            # line search, and the next iteration factorises afresh; a failed factorisation
            # still fails the solve (DIVERGED_LINEAR_SOLVE). The factors only
            # precondition, so MUMPS may compress them: block low-rank (ICNTL(35) = 2, factors
            # stored compressed), the blocks compressed before they are eliminated (ICNTL(36)
            # = 1, "UCFS": fewer operations) with a dropping tolerance CNTL(7) = 1e-5, and, for
            # a symmetric Jacobian, LDL^T. One push-off Jacobian of the default forefoot (251k
            # unknowns, benchmarks/bench_factor.py): 29 s, 2.7 GB and 5 GMRES iterations to
            # 1e-6 with its own factors, against 40 s, 3.1 GB and 2 iterations with CNTL(7) =
            # 1e-8 and the blocks compressed after elimination (the previous releases), and
            # 5.4 GB for the full LU (README, "Speed").
            if options.linear_solver == "mumps":
                opts |= {
                    "mat_mumps_icntl_35": 2,
                    "mat_mumps_icntl_36": 1,
                    "mat_mumps_cntl_7": 1e-5,
                }
                if symmetric:
                    opts["pc_type"] = "cholesky"
            single = (
                options.linear_solver == "mumps"
                and options.factor_precision == "single"
                and mumps_single_precision()
            )
            if single:
                opts["pc_precision"] = "single"
            opts |= {
                "ksp_type": "fgmres" if single else "gmres",
                "ksp_pc_side": "right",
                "ksp_rtol": options.krylov_rtol,
                "ksp_atol": 0.0,
                "ksp_max_it": options.max_krylov_iterations,
                "ksp_gmres_restart": options.max_krylov_iterations,
                "ksp_converged_maxits": True,
            }
    elif options.linear_solver == "gamg":  # displacement formulation (see SolverOptions)
        opts |= {
            "ksp_type": "gmres",
            "ksp_rtol": 1e-10,
            "ksp_max_it": 500,
            "pc_type": "gamg",
            "pc_gamg_type": "agg",
            "mg_levels_ksp_type": "chebyshev",
            "mg_levels_pc_type": "jacobi",
            "pc_gamg_threshold": 0.02,
        }
    else:  # pragma: no cover - validated by Literal
        raise ValueError(options.linear_solver)
    opts |= options.petsc_options
    return opts


def describe_linear_solver(opts: Mapping) -> str:
    """One line for the run's summary: how the Newton steps are solved under the PETSc
    options ``opts`` (of :func:`petsc_options`)."""
    ksp, pc = opts.get("ksp_type"), opts.get("pc_type")
    if pc in ("lu", "cholesky"):
        package = opts.get("pc_factor_mat_solver_type", "petsc")
        kind = "LDL^T" if pc == "cholesky" else "LU"
        ooc = ", factors out of core" if opts.get("mat_mumps_icntl_22") else ""
        if ksp == "preonly":
            return f"{package} {kind} of every Jacobian{ooc}"
        precision = opts.get("pc_precision", "double")
        blr = "block low-rank " if opts.get("mat_mumps_icntl_35") else ""
        return (
            f"{ksp.upper()} preconditioned by reused {precision}-precision {blr}{package} "
            f"{kind}{ooc}"
        )
    return f"{ksp.upper()} preconditioned by {pc}"


@functools.cache
def mumps_single_precision() -> bool:
    """Whether this PETSc factorises a double-precision matrix with MUMPS in single precision
    when asked (``-pc_precision single``; PETSc built with MUMPS in both precisions, as the
    ``dolfinx-solver-real`` wheel's PETSc 3.25). Found by solving ``x = 1 + 2^-30`` exactly
    representable in double only: single-precision factors return 1."""
    A = PETSc.Mat().createAIJ([1, 1], nnz=1, comm=PETSc.COMM_SELF)
    A.setValue(0, 0, 1.0)
    A.assemble()
    ksp = PETSc.KSP().create(PETSc.COMM_SELF)
    prefix = f"footsim_probe_{next(_prefix_counter)}_"
    opts = PETSc.Options()
    keys = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    keys["pc_precision"] = "single"
    try:
        for key, value in keys.items():
            opts[prefix + key] = value
        ksp.setOptionsPrefix(prefix)
        ksp.setOperators(A)
        ksp.setFromOptions()
        b = A.createVecLeft()
        b.set(1.0 + 2.0**-30)
        x = b.duplicate()
        ksp.solve(b, x)
        return bool(x.getValue(0) == 1.0)
    except PETSc.Error:
        return False
    finally:
        for key in keys:
            opts.delValue(prefix + key)
        ksp.destroy()
        A.destroy()


def rigid_body_modes(V: fem.FunctionSpace) -> PETSc.NullSpace:
    """The six rigid-body modes of a 3-D vector space, as a PETSc near-nullspace (GAMG)."""
    from dolfinx import la

    index_map = V.dofmap.index_map
    bs = V.dofmap.index_map_bs
    basis = [la.vector(index_map, bs=bs, dtype=PETSc.ScalarType) for _ in range(6)]
    b = [x.array for x in basis]
    dofs = [V.sub(i).dofmap.list.reshape(-1) for i in range(3)]
    x = V.tabulate_dof_coordinates()
    for i in range(3):
        b[i][dofs[i]] = 1.0
    x0, x1, x2 = x[dofs[0] // bs, 0], x[dofs[0] // bs, 1], x[dofs[0] // bs, 2]
    b[3][dofs[0]] = -x1
    b[3][dofs[1]] = x0
    b[4][dofs[0]] = x2
    b[4][dofs[2]] = -x0
    b[5][dofs[2]] = x1
    b[5][dofs[1]] = -x2
    la.orthonormalize(basis)
    vecs = [dolfinx.la.petsc.create_vector_wrap(v) for v in basis]
    return PETSc.NullSpace().create(vectors=vecs)


@dataclass
class NewtonRecord:
    """One nonlinear solve."""

    converged: bool
    iterations: int
    residual: float
    reason: int
    seconds: float


STALLED = -101
"""Reason code of a solve stopped by the stall test (``SolverOptions.stall_iterations``)."""

STAGNATION_REASONS = (
    PETSc.SNES.ConvergedReason.DIVERGED_MAX_IT,
    PETSc.SNES.ConvergedReason.DIVERGED_LINE_SEARCH,
)
"""SNES reasons that mean "no more progress" rather than "something broke"."""


class NonlinearSolver:
    """SNES Newton for the residual ``F(u[, p]) = 0`` with Dirichlet conditions ``bcs``.

    Wraps :class:`dolfinx.fem.petsc.NonlinearProblem`; :meth:`solve` returns a
    :class:`NewtonRecord` and never raises on non-convergence (the caller decides whether to cut
    back the step or raise :class:`SolverError`); the unknowns are restored by the caller.
    ``symmetric``: the Jacobian is symmetric (see :func:`petsc_options`). ``timings`` (s) and
    ``counts`` (Jacobians, factorisations, Krylov iterations) accumulate over all solves.
    """

    def __init__(
        self, residual, unknowns, bcs, options: SolverOptions, extra=None, symmetric=False
    ):
        self.options = options
        self.unknowns = unknowns
        prefix = f"footsim_{next(_prefix_counter)}_"
        F = residual if len(unknowns) > 1 else residual[0]
        u = unknowns if len(unknowns) > 1 else unknowns[0]
        self.petsc_options = petsc_options(options, symmetric and extra is None)
        self.problem = dolfinx.fem.petsc.NonlinearProblem(
            F,
            u,
            bcs=bcs,
            petsc_options_prefix=prefix,
            petsc_options=self.petsc_options,
        )
        if options.linear_solver == "gamg":
            self.problem.A.setNearNullSpace(rigid_body_modes(unknowns[0].function_space))
        self.timings = {"residual assembly": 0.0, "jacobian assembly": 0.0}
        self.counts = {"jacobians": 0, "factorizations": 0, "krylov_iterations": 0}
        self._fresh_factors = True  # factorise at the next Jacobian (reuse mode)
        self._factor_matrix = None  # the zero-free copy the factors were computed from
        self._zero_free = False  # set by _attach (see SolverOptions.factor_zero_free)
        snes = self.problem.solver
        b, (f_fun, f_args, f_kargs) = snes.getFunction()
        J, P, (j_fun, j_args, j_kargs) = snes.getJacobian()
        self._residual_inner = lambda s, x, F: f_fun(s, x, F, *f_args, **f_kargs)
        self._jacobian_inner = lambda s, x, J, P: j_fun(s, x, J, P, *j_args, **j_kargs)
        snes.setFunction(self._residual, b)
        snes.setJacobian(self._jacobian, J, P)
        self._reuse = False
        if options.reuse_factorization:
            snes.getKSP().setPreSolve(self._presolve)
            snes.getKSP().setPostSolve(self._postsolve)
        if extra is not None:
            self._attach(extra, bcs)
        if options.verbose:
            snes = self.problem.solver

            def monitor(_snes, it, fnorm):
                print(f"    newton {it:2d}  |F| = {fnorm:.3e}")

            snes.setMonitor(monitor)

    def _attach(self, extra, bcs) -> None:
        """Add ``extra``'s contributions (e.g. :class:`~footsim.contact.BodyContact`) to the
        SNES residual and Jacobian: ``extra.add_residual(b)``, ``extra.add_jacobian(A)`` after
        dolfinx's assembly, on a matrix whose sparsity is dolfinx's plus the couplings
        ``extra.coupling_pattern()`` (rows, cols of dofs coupled across bodies) asked before
        every solve, so that adding them does not reallocate; the matrix is rebuilt when new
        couplings appear (collectively: under MPI each process holds the pattern of its own
        rows, with global columns).  Monolithic (non-nest) AIJ matrices only. dolfinx's own
        Jacobian matrix is destroyed once its pattern is read (the SNES holds the rebuilt one;
        0.35 GB on the default-mesh insole + pad)."""
        import scipy.sparse as sp

        problem = self.problem
        A = problem.A
        if A.getType() not in (PETSc.Mat.Type.SEQAIJ, PETSc.Mat.Type.MPIAIJ):
            raise NotImplementedError("extra contributions need a monolithic AIJ matrix")
        dolfinx.fem.petsc.assemble_matrix(A, problem.J, bcs=bcs, diag=1.0)
        A.assemble()
        lo, hi = A.getOwnershipRange()
        shape = (hi - lo, A.getSize()[1])
        if hasattr(extra, "bind"):
            extra.bind(A.getLGMap()[0])
        self._extra = extra
        self._coupled = sp.csr_matrix(shape, dtype=np.int8)  # couplings asked for so far
        self._zero_free = (
            self.options.factor_zero_free
            and self.options.reuse_factorization
            and self.options.linear_solver in ("mumps", "superlu_dist")
        )
        self._layout = {
            "rows": (lo, hi),
            "size": A.getSizes(),
            "bsize": A.getBlockSizes(),
            "comm": A.comm,
            "lgmap": A.getLGMap(),
            "prefix": A.getOptionsPrefix(),
        }
        self.matrix = None
        f_inner, j_inner = self._residual_inner, self._jacobian_inner

        timings = self.timings
        timings["contact search and terms"] = 0.0

        def residual(s, x, F):
            f_inner(s, x, F)
            t0 = time.perf_counter()
            extra.add_residual(F)
            timings["contact search and terms"] += time.perf_counter() - t0

        def jacobian(s, x, J, P):
            j_inner(s, x, J, P)
            t0 = time.perf_counter()
            extra.add_jacobian(J)
            timings["contact search and terms"] += time.perf_counter() - t0

        self._residual_inner, self._jacobian_inner = residual, jacobian
        self._update_pattern()
        A.destroy()  # the SNES holds the rebuilt matrix (destroying twice is a no-op)

    def _update_pattern(self) -> None:
        """(Re)build the Jacobian matrix if ``extra`` asks for couplings it does not hold.

        Only the couplings asked for so far are kept (``_coupled``); one asked for the first
        time is looked up in the matrix's own rows, so the matrix's pattern is never held
        twice (a copy of it, 0.17 GB on the default-mesh insole + pad, stayed beside the
        factors until the previous release)."""
        import scipy.sparse as sp

        rows, cols = self._extra.coupling_pattern()  # global dofs
        lo, hi = self._layout["rows"]
        mine = (rows >= lo) & (rows < hi)
        new = sp.csr_matrix(
            (np.ones(int(mine.sum()), dtype=np.int8), (rows[mine] - lo, cols[mine])),
            shape=self._coupled.shape,
        )
        new.data.fill(1)
        first = (new - new.multiply(self._coupled)).tocsr()
        first.eliminate_zeros()
        first = first.tocoo()
        missing = first.nnz
        if self.matrix is not None and missing:
            missing = self._absent(first.row + lo, first.col)
        self._coupled = (self._coupled + new).tocsr()
        self._coupled.data.fill(1)
        comm = self.unknowns[0].function_space.mesh.comm
        missing = comm.allreduce(missing, op=MPI.SUM)  # a rebuild is collective
        if self.matrix is not None and missing == 0:
            return
        base = self.problem.A if self.matrix is None else self.matrix  # dolfinx's at first
        if self.matrix is not None:
            # free the old factors first (a new pattern is factorised afresh): the pattern's
            # temporaries below would otherwise come on top of them (the default-mesh insole
            # + pad run's peak memory)
            self.problem.solver.getKSP().getPC().reset()
            self._drop_factor_matrix()
        ia, ja, _ = base.getValuesCSR()  # this process's rows, global columns
        pattern = sp.csr_matrix((np.ones(len(ja), dtype=np.int8), ja, ia), shape=new.shape)
        del ia, ja
        pattern = (pattern + self._coupled).tocsr()
        pattern.data.fill(1)
        pattern.sort_indices()
        if self.matrix is not None:
            self.matrix.destroy()
            self.matrix = None
        it = PETSc.IntType
        layout = self._layout
        A = PETSc.Mat().createAIJ(
            size=layout["size"],
            bsize=layout["bsize"],
            csr=(np.asarray(pattern.indptr, dtype=it), np.asarray(pattern.indices, dtype=it)),
            comm=layout["comm"],
        )
        del pattern
        A.setLGMap(*layout["lgmap"])
        A.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, False)
        A.setOptionsPrefix(layout["prefix"])
        self.problem.solver.setJacobian(self._jacobian, A, A)
        self._fresh_factors = True
        self.matrix = A
        self.matrix_rebuilds = getattr(self, "matrix_rebuilds", -1) + 1

    def _absent(self, rows: np.ndarray, cols: np.ndarray) -> int:
        """How many of the (global ``rows``, ``cols``) entries, rows owned here, the
        Jacobian matrix's pattern lacks (read row by row: few rows, asked rarely)."""
        absent = 0
        order = np.argsort(rows, kind="stable")
        rows, cols = rows[order], cols[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(rows)], strict=True):
            held, _ = self.matrix.getRow(int(rows[a]))
            absent += int((~np.isin(cols[a:b], held)).sum())
        return absent

    def _timed(self, phase: str, call, *args) -> None:
        """``call(*args)``, its wall time added to ``timings[phase]`` (less the two-body
        contact's share, which is timed on its own)."""
        contact0 = self.timings.get("contact search and terms", 0.0)
        t0 = time.perf_counter()
        call(*args)
        contact = self.timings.get("contact search and terms", 0.0) - contact0
        self.timings[phase] += time.perf_counter() - t0 - contact

    def _residual(self, snes, x, F) -> None:
        self._timed("residual assembly", self._residual_inner, snes, x, F)

    def _jacobian(self, snes, x, J, P) -> None:
        """Assemble the Jacobian; count it, and (``reuse_factorization``) whether the linear
        solve that follows factorises it (see :meth:`_postsolve`)."""
        self._timed("jacobian assembly", self._jacobian_inner, snes, x, J, P)
        self.counts["jacobians"] += 1
        if not self.options.reuse_factorization:
            self.counts["factorizations"] += 1
            return
        self._reuse = not self._fresh_factors  # applied in _presolve: SNES resets the flag
        self._fresh_factors = False
        self.counts["factorizations"] += int(not self._reuse)

    def _presolve(self, ksp, _b, _x) -> None:
        """KSP pre-solve hook (before the preconditioner set-up): keep or renew the factors.
        Before a factorisation the Krylov basis of the last cycle is freed: (F)GMRES keeps
        the vectors of its longest solve since its set-up (up to ``2 (max_krylov_iterations
        + 2)`` vectors with FGMRES: 0.26 GB on the default-mesh insole + pad, 322k unknowns)
        and they would sit beside the factorisation, the run's memory peak; changing the
        restart length frees them (``KSPReset_GMRES`` / ``KSPReset_FGMRES``, not the
        preconditioner) and the solve allocates them again as it needs them. With
        ``factor_zero_free`` the old factors and their copy are freed and the new factors are
        computed from a zero-free copy of this Jacobian (:func:`zero_free_copy`); then the
        heap's free pages go back to the system (:func:`release_free_heap`)."""
        ksp.getPC().setReusePreconditioner(self._reuse)
        if not self._reuse:
            self._release_krylov_basis(ksp)
            if self._zero_free:
                J = ksp.getOperators()[0]
                ksp.getPC().reset()  # the old factors go first (and with them the old copy)
                self._drop_factor_matrix()
                self._factor_matrix = zero_free_copy(J)
                ksp.setOperators(J, self._factor_matrix)
            release_free_heap()
        self._t_linear = time.perf_counter()

    def _drop_factor_matrix(self) -> None:
        """Destroy the zero-free copy the current factors were computed from (if any)."""
        if self._factor_matrix is not None:
            self._factor_matrix.destroy()
            self._factor_matrix = None

    def _release_krylov_basis(self, ksp) -> None:
        """Free (F)GMRES's basis vectors (changing its restart length resets its workspace,
        not the preconditioner)."""
        if ksp.getType() in (PETSc.KSP.Type.FGMRES, PETSc.KSP.Type.GMRES):
            restart = int(self.petsc_options.get("ksp_gmres_restart", 30))
            ksp.setGMRESRestart(restart + 1)
            ksp.setGMRESRestart(restart)

    def release(self) -> None:
        """Free the factors and the Krylov basis and give the free heap back (after the last
        solve: the post-processing needs neither, and on the default-mesh insole + pad the
        factors alone hold ~1.5 GB). The solver stays usable: its next solve factorises
        afresh."""
        ksp = self.problem.solver.getKSP()
        ksp.getPC().reset()
        self._drop_factor_matrix()
        self._release_krylov_basis(ksp)
        self._fresh_factors = True
        release_free_heap()

    def _postsolve(self, ksp, _b, _x) -> None:
        """KSP post-solve hook: when to factorise afresh.  A cycle is one factorisation and
        the solves that reuse it; its cost per Newton iteration falls while the Krylov
        iterations stay few and rises once they grow as the Jacobian drifts from the factored
        one. The rule renews the factors when the last solve cost more than the cycle's
        average so far (the marginal cost has overtaken the average: the stopping rule that
        minimises the cost per iteration of an increasing cost sequence), or when GMRES did
        not converge within ``max_krylov_iterations``. Wall-clock based: the choice adapts to
        the factorisation / triangular-solve ratio of each mesh; it changes how fast a
        solve converges, not what it converges to."""
        cost = time.perf_counter() - self._t_linear
        if not self._reuse:
            self._cycle = [cost, 1]
        else:
            self._cycle[0] += cost
            self._cycle[1] += 1
        average = self._cycle[0] / self._cycle[1]
        fresh = (
            ksp.getConvergedReason() < 0
            or ksp.getIterationNumber() >= self.options.max_krylov_iterations
            or (self._reuse and cost > average)
        )
        # one decision on all processes (their clocks differ): a factorisation is collective
        comm = self.unknowns[0].function_space.mesh.comm
        self._fresh_factors = self._fresh_factors or comm.allreduce(fresh, op=MPI.LOR)

    def _converged(self, snes, it: int, norms) -> int:
        """SNES convergence test of a solve that may stall (:meth:`solve`): PETSc's default
        test (absolute and relative residual norm, NaN, iteration limit; ``stol`` is 0), and
        the stall test of ``SolverOptions.stall_iterations``."""
        R = PETSc.SNES.ConvergedReason
        fnorm = float(norms[2])
        if it == 0:
            self._fnorms, self._stalled = [], False
        self._fnorms.append(fnorm)
        rtol, atol, _stol, max_it = snes.getTolerances()
        if not np.isfinite(fnorm):
            return R.DIVERGED_FUNCTION_NANORINF
        if fnorm < atol:
            return R.CONVERGED_FNORM_ABS
        if it > 0 and fnorm <= rtol * self._fnorms[0]:
            return R.CONVERGED_FNORM_RELATIVE
        if it >= max_it:
            return R.DIVERGED_MAX_IT
        k, ratio = self.options.stall_iterations, self.options.stall_ratio
        f = self._fnorms
        if k > 0 and it > k and all(f[i] > ratio * f[i - 1] for i in range(it - k + 1, it + 1)):
            self._stalled = True
            return R.DIVERGED_MAX_IT  # reported as STALLED by solve()
        return R.ITERATING

    def solve(self, atol: float | None = None, stall: bool = False) -> NewtonRecord:
        """One Newton solve from the current unknowns; ``atol`` (N): a looser absolute
        tolerance on the residual norm for this solve only (an intermediate load step, see
        ``SolverOptions.step_rtol``); default ``options.atol``. ``stall``: give the solve up
        once the residual stalls (``SolverOptions.stall_iterations``; a step that can be cut
        back), reason :data:`STALLED`."""
        t0 = time.perf_counter()
        if getattr(self, "_extra", None) is not None:
            self._update_pattern()
        snes = self.problem.solver
        snes.setTolerances(atol=max(self.options.atol, atol or 0.0))
        snes.setConvergenceTest(self._converged if stall else "default")
        self._stalled = False
        try:
            self.problem.solve()
            reason = snes.getConvergedReason()
            if self._stalled:
                reason = STALLED
            its = snes.getIterationNumber()
            fnorm = snes.getFunctionNorm()
            self.counts["krylov_iterations"] += snes.getLinearSolveIterations()
        except PETSc.Error:  # e.g. a factorisation failure
            reason, its, fnorm = -100, snes.getIterationNumber(), float("nan")
        finite = all(np.isfinite(w.x.array).all() for w in self.unknowns)
        # Accept a stagnated solve at round-off only when Newton actually iterated and stopped
        # for lack of progress (iteration limit, line search); a NaN residual (an inverted
        # element), a domain error or a failed factorisation is never accepted, whatever norm
        # PETSc reports for it.
        stagnated = (reason in STAGNATION_REASONS or reason == STALLED) and its >= 1 and 0.0 < fnorm
        ok = (
            finite
            and np.isfinite(fnorm)
            and (reason > 0 or (stagnated and fnorm <= self.options.accept_atol))
        )
        ok = bool(self.unknowns[0].function_space.mesh.comm.allreduce(ok, op=MPI.LAND))
        if not ok:  # the caller restores an earlier state: its factors may be far off
            self._fresh_factors = True
        return NewtonRecord(ok, int(its), float(fnorm), int(reason), time.perf_counter() - t0)


def max_principal_green_strain(u: fem.Function) -> fem.Function:
    """Largest principal value of the Green-Lagrange strain ``E = (F^T F - I)/2`` per cell
    (DG0, dimensionless), from the displacement ``u`` (mm) at the cell midpoints; positive in
    stretch. Used for the plantar plates, whose failure is a tensile one."""
    mesh = u.function_space.mesh
    gdim = mesh.geometry.dim
    W = fem.functionspace(mesh, ("DG", 0, (gdim, gdim)))
    grad = fem.Function(W)
    grad.interpolate(fem.Expression(ufl.grad(u), W.element.interpolation_points))
    F = np.eye(gdim) + grad.x.array.reshape(-1, gdim, gdim)
    E = 0.5 * (np.einsum("nki,nkj->nij", F, F) - np.eye(gdim))
    out = fem.Function(fem.functionspace(mesh, ("DG", 0)), name="max_principal_strain")
    out.x.array[:] = np.linalg.eigvalsh(E)[:, -1]
    return out


def save_state(fields: Sequence[fem.Function]) -> list[np.ndarray]:
    return [f.x.array.copy() for f in fields]


def restore_state(fields: Sequence[fem.Function], state: Sequence[np.ndarray]) -> None:
    for f, a in zip(fields, state, strict=True):
        f.x.array[:] = a
        f.x.scatter_forward()


__all__ = [
    "K_PIN",
    "Hyperelasticity",
    "NewtonRecord",
    "NonlinearSolver",
    "SolverError",
    "STALLED",
    "SolverOptions",
    "max_principal_green_strain",
    "petsc_options",
    "restore_state",
    "rigid_body_modes",
    "save_state",
]
