"""Newton's method for the assembled residual and Jacobian (units: mm, N, MPa).

Nonlinear solver: PETSc SNES Newton with a line search (``cp`` by default,
:class:`~footsim.solve.options.SolverOptions`) and MUMPS LU; the
iterative alternative is GMRES + GAMG with the rigid-body near-nullspace (displacement
formulation) or a Schur-complement field split (mixed).  A solve that does not converge is
reported by :class:`SolverError`, never returned.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass

import footsim  # noqa: F401  (must precede dolfinx: loads the MPI/PETSc wheel libraries)

import dolfinx  # noqa: E402  isort: skip
import dolfinx.fem.petsc  # noqa: E402  isort: skip
import dolfinx.la.petsc  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip
from petsc4py import PETSc  # noqa: E402  isort: skip

from footsim.solve.options import (
    SolverOptions,
    _prefix_counter,
    clear_options,
    petsc_options,
    rigid_body_modes,
    set_options,
)
from footsim.solve.process import release_free_heap, zero_free_copy


class SolverError(RuntimeError):
    """A nonlinear solve or a load-stepping run failed.

    Attributes (``None`` when not applicable): ``step`` (load step index), ``load_reached``
    (last converged vertical reaction, N), ``load_target`` (N), ``displacement`` (last
    converged driver displacement, mm), ``residual`` (residual norm of the failed solve, N),
    ``iterations`` (Newton iterations of the failed solve), ``reason`` (SNES reason code);
    ``steps``: the load stepping's attempted solves up to the failure (dicts of
    :class:`footsim.solve.records.StepRecord`, empty when not applicable), so that a failed run's
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
    Its PETSc options live in PETSc's global options database under its own prefix until
    :meth:`close` (or its garbage collection) removes them.
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
            F, u, bcs=bcs, petsc_options_prefix=prefix
        )
        # The options stay in PETSc's database while the solver lives: MUMPS reads its own at
        # every factorisation with a new factor matrix (the first solve, after release() or a
        # pattern rebuild), not when the SNES reads its options here.
        set_options(prefix, self.petsc_options)
        self._clear_options = weakref.finalize(
            self, clear_options, prefix, list(self.petsc_options)
        )
        self.problem.solver.setFromOptions()
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
        """Add ``extra``'s contributions (e.g. :class:`~footsim.physics.contact.body.BodyContact`)
        to the
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
        twice (a copy is 0.17 GB on the default-mesh insole + pad)."""
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

    def close(self) -> None:
        """Free the solver's PETSc objects (collective) and remove its options from PETSc's
        global options database; it cannot solve afterwards. Until then the options stay
        there (MUMPS reads them at each new factorisation); a solver never closed has them
        removed when it is garbage-collected or, at the latest, when Python exits, before
        PETSc finalises."""
        self._clear_options()
        self._drop_factor_matrix()
        if getattr(self, "matrix", None) is not None:
            self.matrix.destroy()
        problem = self.problem
        for obj in (problem.solver, problem.A, problem.P_mat, problem.b, problem.x):
            if obj is not None:
                obj.destroy()  # also drops the SNES's callbacks, which refer to this solver
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
        if not self._clear_options.alive:
            raise RuntimeError("this NonlinearSolver is closed (close() freed its PETSc objects)")
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
