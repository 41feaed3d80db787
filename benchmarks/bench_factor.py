"""MUMPS factorisation options on a push-off Jacobian of the forefoot (time, memory, GMRES).

Usage: .venv/bin/python benchmarks/bench_factor.py [--preset default] [--jacobians 3 5]
       [--case barefoot|insole-pad] [--options "icntl36=1 cntl7=1e-5" "icntl36=0 cntl7=1e-8" ...]

Runs the shipped barefoot push-off scenario (``--case insole-pad``: on an EVA insole with the
default metatarsal pad, as ``bench_solve.py``) in a child process until its Newton solver has
assembled the Jacobians numbered ``--jacobians`` (first, later), writes them as PETSc binary
files, and stops. Then, for each option set (block low-rank, ICNTL(35) = 2, always; ``icntlN=``
/ ``cntlN=`` set MUMPS's ICNTL(N) / CNTL(N), ``precision=single`` single-precision factors
with FGMRES, the solver's default where PETSc has them; ``pc=cholesky`` or ``pc=lu`` the
factorisation), factorises the first Jacobian as
LDL^T (barefoot: symmetric) or LU (two-body contact: nonsymmetric), the reuse-mode
factorisation of :func:`footsim.solve.options.petsc_options`, and prints the factorisation
time, the Krylov iterations (right-preconditioned, to 1e-6) and time for a random
right-hand side with the same Jacobian and with the later one (the factors reused, as
between refactorisations in a solve), and the peak memory of the process. One option set per
child process, so that each peak memory is its own.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def dump(preset: str, case: str, which: list[int], folder: Path) -> None:
    """Solve the push-off until Jacobian ``max(which)``; write those in ``which``; exit."""
    import footsim  # noqa: F401  (must precede petsc4py)
    from footsim import run as pipeline
    from footsim.model import scenarios
    from footsim.solve import newton
    from petsc4py import PETSc  # isort: skip

    inner = newton.NonlinearSolver._jacobian

    def jacobian(self, snes, x, J, P):
        inner(self, snes, x, J, P)
        k = self.counts["jacobians"]
        if k in which:
            viewer = PETSc.Viewer().createBinary(str(folder / f"J{k}.bin"), "w")
            J.view(viewer)
            viewer.destroy()
            if k == max(which):  # stop here (an exception would be PETSc's to handle)
                sys.stdout.flush()
                os._exit(0)

    newton.NonlinearSolver._jacobian = jacobian
    shipped = Path(__file__).parents[1] / "scenarios" / "barefoot-push-off.toml"
    overrides: dict = {"name": "bench-factor", "mesh": {"preset": preset}}
    if case == "insole-pad":
        overrides["footwear"] = {"insole": {"material": "eva"}, "pad": {}}
    scenario = scenarios.load(shipped, overrides)
    with tempfile.TemporaryDirectory() as tmp:
        pipeline.run(scenario, Path(tmp), png=False, force=True)
    raise SystemExit(f"the solve ended before Jacobian {max(which)}")


def factorise(first: Path, later: Path, options: str, symmetric: bool) -> str:
    """Factorise ``first`` with the MUMPS ``options``; GMRES on ``first`` and ``later``."""
    import footsim  # noqa: F401  (must precede petsc4py)
    from petsc4py import PETSc  # isort: skip

    def load(path):
        A = PETSc.Mat().load(PETSc.Viewer().createBinary(str(path), "r"))
        A.setOption(PETSc.Mat.Option.SYMMETRIC, symmetric)
        return A

    A, B = load(first), load(later)
    items = dict(item.split("=") for item in options.split())
    precision = items.pop("precision", "double")
    factor = items.pop("pc", "cholesky" if symmetric else "lu")
    ksp = PETSc.KSP().create()
    ksp.setOperators(A)
    # single-precision factors need FGMRES (see footsim.solve.options.SolverOptions)
    ksp.setType("fgmres" if precision == "single" else "gmres")
    ksp.setPCSide(PETSc.PC.Side.RIGHT)
    ksp.setTolerances(rtol=1e-6, atol=0.0, max_it=300)
    ksp.setGMRESRestart(300)
    pc = ksp.getPC()
    pc.setType(factor)
    pc.setFactorSolverType("mumps")
    PETSc.Options()["pc_precision"] = precision
    pc.setFromOptions()
    pc.setFactorSetUpSolverType()
    F = pc.getFactorMatrix()
    F.setMumpsIcntl(14, 200)
    F.setMumpsIcntl(24, 1)
    F.setMumpsIcntl(35, 2)
    for key, value in items.items():
        if key.startswith("icntl"):
            F.setMumpsIcntl(int(key[5:]), int(value))
        elif key.startswith("cntl"):
            F.setMumpsCntl(int(key[4:]), float(value))
        else:
            raise SystemExit(f"unknown option {key}={value} (icntlN=, cntlN=, precision=, pc=)")
    b = A.createVecLeft()
    b.setRandom()
    x = b.duplicate()
    t0 = time.perf_counter()
    pc.setUp()
    t_factor = time.perf_counter() - t0
    t0 = time.perf_counter()
    ksp.solve(b, x)
    same = (ksp.getIterationNumber(), time.perf_counter() - t0)
    ksp.setOperators(B, A)
    pc.setReusePreconditioner(True)
    t0 = time.perf_counter()
    ksp.solve(b, x)
    drift = (ksp.getIterationNumber(), time.perf_counter() - t0, ksp.getConvergedReason())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return (
        f"{options:<28} factorisation {t_factor:6.1f} s | same Jacobian: {same[0]:3d} its "
        f"{same[1]:5.1f} s | later Jacobian: {drift[0]:3d} its {drift[1]:5.1f} s "
        f"(reason {drift[2]}) | peak {peak:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default", choices=["coarse", "default", "fine"])
    parser.add_argument("--case", default="barefoot", choices=["barefoot", "insole-pad"])
    parser.add_argument("--jacobians", type=int, nargs=2, default=[3, 5])
    parser.add_argument(
        "--options",
        nargs="+",
        default=[
            "icntl36=0 cntl7=1e-8",
            "icntl36=1 cntl7=1e-6",
            "icntl36=1 cntl7=1e-5",
            "icntl36=1 cntl7=1e-4",
            "icntl36=1 cntl7=1e-5 precision=single",
        ],  # fmt: skip
    )
    parser.add_argument("--keep", help="folder for the Jacobians (re-used if they are there)")
    parser.add_argument("--dump", help=argparse.SUPPRESS)  # child process: folder
    parser.add_argument("--factorise", nargs=3, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.dump:
        dump(args.preset, args.case, args.jacobians, Path(args.dump))
    if args.factorise:
        first, later, options = args.factorise
        print(factorise(Path(first), Path(later), options, args.case == "barefoot"))
        return
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, case {args.case}, preset {args.preset}, "
        f"Jacobians {args.jacobians[0]} (factorised) and {args.jacobians[1]} (later)"
    )
    me = [sys.executable, __file__, "--preset", args.preset, "--case", args.case, "--jacobians"]
    me += [str(k) for k in args.jacobians]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        first, later = (folder / f"J{k}.bin" for k in args.jacobians)
        if first.exists() and later.exists():
            print(f"Jacobians read from {folder}")
        else:
            t0 = time.perf_counter()
            subprocess.run(me + ["--dump", str(folder)], check=True)
            print(f"push-off solved up to Jacobian {max(args.jacobians)} in "
                  f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
        for options in args.options:
            out = subprocess.run(
                me + ["--factorise", str(first), str(later), options],
                check=True,
                capture_output=True,
                text=True,
            )
            print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
