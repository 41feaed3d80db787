"""The solver's options, and the PETSc options they translate into (units: mm, N, MPa)."""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import footsim  # noqa: F401  (must precede dolfinx: loads the MPI/PETSc wheel libraries)

import dolfinx  # noqa: E402  isort: skip
import dolfinx.fem.petsc  # noqa: E402  isort: skip
import dolfinx.la.petsc  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from petsc4py import PETSc  # noqa: E402  isort: skip

from footsim.model.scenarios import SolverSpec  # noqa: E402

#: The defaults of the options a scenario may set (its ``[solver]`` table) are defined, with
#: their reasons, once: in :class:`~footsim.model.scenarios.SolverSpec`.
_SCENARIO = SolverSpec()


@dataclass
class SolverOptions:
    """Discretisation, nonlinear-solver, load-stepping and contact options (mm, N, MPa).

    Discretisation: ``formulation`` ``"mixed"`` (Taylor-Hood P2-P1 displacement-pressure, free
    of volumetric locking) or ``"displacement"``; ``degree`` of the displacement;
    ``quadrature_degree`` of the cells (default 2, the 4-point rule of Abaqus's C3D10; None:
    ``2 * degree``, which moves the forefoot peaks by under 0.6 %) and
    ``facet_quadrature_degree`` of the
    contact surface (None: ``2 * degree + 1``).

    Newton (PETSc SNES, :class:`~footsim.solve.newton.NonlinearSolver`): converged at
    ``rtol`` (relative) or ``atol`` (N) on the residual norm, within ``max_newton_iterations``;
    ``linesearch`` ``cp`` (the step where the residual is orthogonal to the Newton direction:
    the energy's minimum along it, for the energy-gradient residuals of hyperelasticity with
    frictionless contact; ``bt`` judges steps by the residual norm, which a good step on a
    stiffening material often raises first). A solve that stagnates with a residual below
    ``accept_atol`` (N) is accepted as converged at round-off. With two-body contact under
    force control Newton also stops below ``load_atol`` times the target force (an
    out-of-balance force of 0.1 %, five times stricter than Abaqus's default 0.5 % force
    criterion): a point that changes master facet or contact status makes the residual
    slightly non-smooth. Intermediate load steps stop at ``step_rtol`` times the target force
    (their states are never reported; the final state is re-solved to ``atol``/``rtol``;
    0: every step to ``atol``), and are given up and cut back once the residual has fallen by
    less than a factor ``stall_ratio`` in each of ``stall_iterations`` consecutive iterations
    (as Abaqus cuts an increment whose residuals stop falling; 0: no stall test).

    Linear solves: ``linear_solver`` ``mumps`` or ``superlu_dist`` (LU), or ``gamg`` (smoothed
    aggregation AMG with the rigid-body near-nullspace, for the ``displacement`` formulation
    only: the mixed saddle-point Jacobian defeats it). With ``reuse_factorization`` each Newton
    step is solved by GMRES to ``krylov_rtol`` (at most ``max_krylov_iterations``),
    preconditioned by the factors of an earlier Jacobian, renewed when that pays; without it, a
    fresh LU per Newton step. ``factor_precision`` ``"single"`` (MUMPS in reuse mode, where
    PETSc has both precisions, :func:`mumps_single_precision`) stores those factors in single
    precision and iterates with FGMRES, whose iterate stays exact in double precision under an
    inexact preconditioner. ``out_of_core``: MUMPS writes the factors to disk (ICNTL(22);
    in ``$MUMPS_OOC_TMPDIR``, else ``/tmp``). ``factor_zero_free`` (reuse mode, two-body
    contact): factorise a copy of the Jacobian without the stored zeros of inactive contact
    couplings. ``petsc_options``: extra PETSc options, e.g. ``{"mat_mumps_icntl_14": 40}``.
    Measured effects of each choice: the docs' performance page.

    Load stepping (:class:`~footsim.solve.stepping.LoadStepper`): increments of the driven
    surface's travel start at ``initial_step_mm``, grow by ``fast_growth`` after a step of at
    most ``fast_iterations`` Newton iterations and by ``growth`` after at most
    ``easy_iterations`` (up to ``max_step_mm``), shrink by ``cutback`` after a failed step
    (down to ``min_step_mm``) and never again exceed ``failed_step_ceiling`` times the
    smallest increment that failed; at most ``max_load_steps`` solves. ``predictor``: start a
    step from the linear extrapolation of the last two states instead of the last one. The
    target force is reached when ``|F - F_target| <= force_rtol * F_target``.

    Contact (:mod:`footsim.physics.contact`): penalty ``kappa = penalty_factor * E / h``
    (:func:`~footsim.physics.contact.obstacles.penalty_parameter`); with
    ``augmented_lagrangian``, Uzawa updates until the largest penetration is below
    ``penetration_tol_mm`` (default 1 % of ``tissue_thickness_mm``, 10 mm: the unloaded plantar
    soft tissue under the heads is ~11-14 mm, Cavanagh 1999, Foot Ankle Int 20:622) or the
    contact pressure changes by less than ``pressure_rtol``; a run that meets neither within
    ``max_uzawa`` updates fails (:class:`~footsim.solve.newton.SolverError`).
    ``adaptive_penalty``: after each converged loading step the penalty of each contact point
    rises to ``penalty_factor * E_t / h``, ``E_t`` the compression tangent of the softer side
    at the point's pressure. The options a scenario may set (``penalty_factor``,
    ``max_uzawa``, ``quadrature_degree``, ``reuse_factorization``) take their defaults from
    :class:`~footsim.model.scenarios.SolverSpec`.
    """

    formulation: Literal["mixed", "displacement"] = "mixed"
    degree: int = 2
    quadrature_degree: int | None = _SCENARIO.quadrature_degree  # cells; None: 2 * degree
    facet_quadrature_degree: int | None = None  # contact surface; None: 2 * degree + 1
    linear_solver: Literal["mumps", "superlu_dist", "gamg"] = "mumps"
    reuse_factorization: bool = _SCENARIO.reuse_factorization
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
    penalty_factor: float = _SCENARIO.penalty_factor
    augmented_lagrangian: bool = True
    max_uzawa: int = _SCENARIO.max_uzawa
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


#: Relative residual to which GMRES solves each Newton step of the rigid skeleton on its
#: reused factors, and its iteration cap: the bond penalties and the joints' stiff springs
#: make the Jacobian so ill-conditioned that a step solved to ``krylov_rtol`` = 1e-6 is off
#: by much more than 1e-6 in the soft directions (the skin's contact and the toes' rotations).
#: Newton then converges linearly (the line search cuts every step to about 0.37) and a
#: Morton's-foot push-off (MT2 + 3 mm, coarse mesh) stalls at first contact; solved to 1e-10
#: its steps take the iterations of a fresh LU per Newton step (docs/performance.md).
SKELETON_KRYLOV_RTOL = 1e-10
SKELETON_MAX_KRYLOV_ITERATIONS = 100


def skeleton_options(options: SolverOptions) -> SolverOptions:
    """``options`` for a model with the rigid skeleton: double-precision reused factors (in
    single precision Newton converges only linearly), Krylov solves to
    :data:`SKELETON_KRYLOV_RTOL`, and each step started from the extrapolated state (otherwise
    the tarsus's travel increment first stretches the stiff joints alone and each step takes
    two to three times the Newton iterations; docs/performance.md)."""
    return dataclasses.replace(
        options,
        factor_precision="double",
        predictor=True,
        krylov_rtol=min(options.krylov_rtol, SKELETON_KRYLOV_RTOL),
        max_krylov_iterations=max(options.max_krylov_iterations, SKELETON_MAX_KRYLOV_ITERATIONS),
    )


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
            # 1e-8 and the blocks compressed after elimination, and 5.4 GB for the full LU
            # (docs/performance.md).
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
    return _applicable(opts, options.petsc_options) | options.petsc_options


def _applicable(opts: dict, extra: Mapping) -> dict:
    """``opts`` without those of its options that the solver configured with ``opts | extra``
    never reads (PETSc lists an option nobody read as "not used" when it finalises): MUMPS's
    ``mat_mumps_*`` and ``pc_precision`` unless the preconditioner is an LU or Cholesky
    factorisation by MUMPS, ``ksp_gmres_restart`` unless the Krylov method is (F)GMRES. The
    options of ``extra`` (the user's) are all kept: PETSc's warning about one of them is
    meant for the user."""
    final = {**opts, **extra}
    mumps = final.get("pc_type") in ("lu", "cholesky") and (
        final.get("pc_factor_mat_solver_type") == "mumps"
    )
    gmres = final.get("ksp_type") in ("gmres", "fgmres")
    return {
        k: v
        for k, v in opts.items()
        if (mumps or not (k.startswith("mat_mumps_") or k == "pc_precision"))
        and (gmres or k != "ksp_gmres_restart")
    }


def set_options(prefix: str, opts: Mapping) -> None:
    """Set ``opts`` under ``prefix`` in PETSc's global options database, by their full names:
    PETSc clears an option by its full name only (``PetscOptionsClearValue`` ignores a
    pushed prefix), and :func:`clear_options` removes them by the same names."""
    database = PETSc.Options()
    for key, value in opts.items():
        database[prefix + key] = value


def clear_options(prefix: str, keys) -> None:
    """Remove the options ``keys`` under ``prefix`` from PETSc's global options database."""
    database = PETSc.Options()
    for key in keys:
        database.delValue(prefix + key)


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
    keys = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    keys["pc_precision"] = "single"
    try:
        set_options(prefix, keys)
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
        clear_options(prefix, keys)
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


_prefix_counter = itertools.count()
