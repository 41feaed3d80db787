"""The solver's PETSc options: set only where they apply, read by PETSc, removed after use.

Units: mm, N, MPa.
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import subprocess  # noqa: E402  isort: skip
import sys  # noqa: E402  isort: skip
import textwrap  # noqa: E402  isort: skip
from pathlib import Path  # noqa: E402  isort: skip

import pytest  # noqa: E402  isort: skip
from petsc4py import PETSc  # noqa: E402  isort: skip

from footsim.solve.options import SolverOptions, petsc_options  # noqa: E402

#: ``bar_solver(options)``: a solver of the sagging bar of tests/test_mechanics.py (the tests
#: folder on the path, as pytest puts it there for this module), for a child process or here.
BAR = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from footsim.solve.options import SolverOptions
from test_mechanics import _sagging_bar


def bar_solver(opts):
    return _sagging_bar(opts)[0]
"""


def test_a_run_leaves_no_unused_petsc_options(tmp_path):
    """PETSc prints "There are options you set that were not used!" when it finalises with
    options nobody read: a child process with a solved solver (reused MUMPS factors), one
    never solved, and one whose factor package is overridden to SuperLU_DIST (MUMPS's options
    do not apply to it) finishes without that warning."""
    script = tmp_path / "run.py"
    script.write_text(
        BAR
        + textwrap.dedent("""
        solved = bar_solver(SolverOptions())
        assert solved.solve().converged
        unsolved = bar_solver(SolverOptions())
        superlu = SolverOptions(
            reuse_factorization=False, petsc_options={"pc_factor_mat_solver_type": "superlu_dist"}
        )
        assert bar_solver(superlu).solve().converged
        print("solved")
        """)
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "solved" in proc.stdout, out
    assert "options you set that were not used" not in out, out
    assert "Option left" not in out, out


def test_mumps_reads_the_solver_options_and_close_removes_them():
    """The MUMPS options reach the factorisation (read when the factor matrix is made, after
    the SNES has read its own), and :meth:`NonlinearSolver.close` removes every option under
    the solver's prefix; a closed solver refuses to solve."""
    scope: dict = {}
    exec(BAR, scope)
    solver = scope["bar_solver"](SolverOptions(petsc_options={"mat_mumps_icntl_14": 70}))
    prefix = solver.problem.solver.getOptionsPrefix()
    assert solver.solve().converged
    factors = solver.problem.solver.getKSP().getPC().getFactorMatrix()
    assert factors.getMumpsIcntl(14) == 70  # the user's value (MUMPS's own default: 20)
    assert factors.getMumpsIcntl(35) == 2  # block low-rank factors of the reuse mode
    assert any(k.startswith(prefix) for k in PETSc.Options().getAll())
    solver.close()
    assert not any(k.startswith(prefix) for k in PETSc.Options().getAll())
    with pytest.raises(RuntimeError, match="closed"):
        solver.solve()


def test_options_that_do_not_apply_are_not_set():
    """MUMPS's options (and single-precision factors) only for MUMPS factors, the GMRES
    restart only for (F)GMRES; a user's own options are always passed on."""
    mumps = petsc_options(SolverOptions())
    assert mumps["mat_mumps_icntl_14"] == 200 and "ksp_gmres_restart" in mumps
    superlu = petsc_options(SolverOptions(linear_solver="superlu_dist"))
    assert not any(k.startswith("mat_mumps_") for k in superlu)
    overridden = petsc_options(
        SolverOptions(
            petsc_options={"pc_type": "jacobi", "ksp_type": "cg", "mat_mumps_cntl_1": 0.1}
        )
    )
    assert {k for k in overridden if k.startswith("mat_mumps_")} == {"mat_mumps_cntl_1"}
    assert "pc_precision" not in overridden and "ksp_gmres_restart" not in overridden
    fresh = petsc_options(SolverOptions(reuse_factorization=False))
    assert fresh["ksp_type"] == "preonly" and fresh["mat_mumps_icntl_24"] == 1
    gamg = petsc_options(SolverOptions(formulation="displacement", linear_solver="gamg"))
    assert not any(k.startswith("mat_mumps_") for k in gamg)
