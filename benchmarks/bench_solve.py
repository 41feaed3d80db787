"""Speed and memory of one forefoot solve at the push-off load (issue #4 targets: < 60 s, < 4 GB).

Usage: [mpirun -n 2] .venv/bin/python benchmarks/bench_solve.py [--preset default]
       [--case barefoot|insole-pad] [--load push_off|standing] [--no-reuse]
       [--quadrature-degree 2] [--predictor on] [--steps] [--out-of-core]
       [--factor-precision double] [--bones rigid] [--toes] [--friction MU]
       [--linesearch cp|bt|basic|l2]

Prints machine, dofs, Newton iterations (also per load-stepping phase), load steps,
factorisations and Krylov iterations, wall time per phase (the solve split into residual and
Jacobian assembly, two-body contact search and terms, linear solves) and peak memory (max
RSS of this process, which runs mesh, solve and export in-process). ``--no-reuse``: a fresh
LU per Newton iteration (the solver before reuse of factorisations); ``--quadrature-degree``:
cell quadrature (default: the scenario's, 2; 4 = 2 x the displacement degree);
``--predictor on``: each load step starts from the extrapolation of the last two states
(always on with rigid bones);
``--bones rigid``: the rigid jointed skeleton of ``[load_path]`` instead of elastic bones;
``--toes``: the anatomy with phalanges (with rigid bones: MTP joints, fascia, toe flexors);
``--friction``: the Coulomb coefficient of the skin on what it stands on (barefoot: the
ground's, default the scenario's 0.46; ``insole-pad``: the insole's, default 0; 0 is
frictionless); ``--linesearch``: PETSc SNES line search (default ``cp``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import footsim  # noqa: F401
from footsim import run as pipeline
from footsim.model import scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default", choices=["coarse", "default", "fine"])
    parser.add_argument("--case", default="barefoot", choices=["barefoot", "insole-pad"])
    parser.add_argument("--load", default="push_off", choices=["push_off", "standing"])
    parser.add_argument("--no-reuse", action="store_true", help="fresh LU every Newton step")
    parser.add_argument("--quadrature-degree", type=int, default=None)
    parser.add_argument(
        "--predictor",
        choices=["on", "off"],
        default="off",
        help="start each load step from the extrapolation of the last two states (on)",
    )
    parser.add_argument("--steps", action="store_true", help="also print every load-stepping solve")
    parser.add_argument(
        "--out-of-core", action="store_true", help="MUMPS factors on disk (SolverOptions)"
    )
    parser.add_argument(
        "--factor-precision", choices=["single", "double"], default="single",
        help="precision of the reused factors (single where PETSc has it)",
    )  # fmt: skip
    parser.add_argument("--bones", choices=["elastic", "rigid"], default="elastic")
    parser.add_argument("--toes", action="store_true", help="anatomy with phalanges")
    parser.add_argument(
        "--friction", type=float, default=None, help="Coulomb mu of the skin on ground or insole"
    )
    parser.add_argument(
        "--linesearch", default="cp", choices=["cp", "bt", "basic", "l2"], help="SNES line search"
    )
    args = parser.parse_args()

    # the shipped scenario of the load case (push-off: Ogden tissue, penalty factor 100)
    shipped = Path(__file__).parents[1] / "scenarios"
    base = shipped / (
        "barefoot-push-off.toml" if args.load == "push_off" else "barefoot-standing.toml"
    )
    overrides: dict = {"name": f"bench-{args.case}", "mesh": {"preset": args.preset}}
    if args.case == "insole-pad":
        overrides["footwear"] = {"insole": {"material": "eva"}, "pad": {}}
    if args.bones == "rigid":
        overrides["load_path"] = {"bones": "rigid"}
    if args.toes:
        overrides["anatomy"] = {"phalanges": True}
    if args.friction is not None:
        key = "insole_friction" if args.case == "insole-pad" else "ground_friction"
        overrides["contact"] = {key: args.friction}
    scenario = scenarios.load(base, overrides)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        options = pipeline.solver_options(scenario)
        options = dataclasses.replace(
            options,
            reuse_factorization=not args.no_reuse,
            quadrature_degree=args.quadrature_degree or options.quadrature_degree,
            predictor=args.predictor == "on",
            out_of_core=args.out_of_core,
            factor_precision=args.factor_precision,
            linesearch=args.linesearch,
        )
        record = pipeline.run(scenario, Path(tmp), png=False, force=True, options=options)
        wall = time.perf_counter() - t0
    from mpi4py import MPI

    comm = MPI.COMM_WORLD  # under mpirun: one model on all processes; rank 0 reports
    peak_mb = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
    if comm.rank != 0:
        return
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"case: {args.case}, load: {args.load}, preset: {args.preset}, bones: {args.bones}, "
        f"toes: {args.toes}, "
        f"reuse factorisations: {not args.no_reuse}, quadrature degree: "
        f"{args.quadrature_degree or options.quadrature_degree or 'default'}"
    )
    steps = record.summary.get("solution", {}).get("steps", [])
    if record.status != "done":
        print(f"FAILED: {record.reason}")
        print_steps(steps)  # the solves attempted up to the failure
        raise SystemExit(1)
    fig = record.summary["figures"]
    print(
        f"dofs: {fig['num_dofs']}, load steps: {fig['load_steps']}, "
        f"Newton iterations: {fig['newton_iterations']}"
    )
    counts = record.summary["solution"].get("solver_counts", {})
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    print(f"linear solves: {record.summary['solution'].get('linear_solver', '?')}")
    # where the Newton iterations go: per load-stepping phase (load, bracket, final,
    # penalty, uzawa), failed solves (cut back) separately
    by_phase: dict[str, list[int]] = {}
    for step in steps:
        entry = by_phase.setdefault(step["phase"], [0, 0, 0])
        entry[0] += 1
        entry[1] += step["newton_iterations"]
        entry[2] += int(not step["converged"])
    print(
        "Newton iterations by phase (solves, iterations, failed solves): "
        + ", ".join(f"{k} {v[0]}/{v[1]}/{v[2]}" for k, v in by_phase.items())
    )
    if args.steps:
        print_steps(steps)
    print(f"reaction: {fig['reaction_N']:.2f} N (target {fig['force_target_N']:.2f} N)")
    peaks = {k[: -len("_peak_kPa")]: v for k, v in fig.items() if k.endswith("_peak_kPa")}
    print("peak pressure (kPa): " + ", ".join(f"{k} {v:.1f}" for k, v in peaks.items()))
    print(f"wall time: {wall:.1f} s (mesh from cache if built before)")
    for phase, seconds in record.summary["timings_s"].items():
        print(f"  {phase:<36} {seconds:8.2f} s")
    print(f"peak memory (max RSS, summed over {comm.size} process(es)): {peak_mb:.0f} MB")


def print_steps(steps: list[dict]) -> None:
    """One line per attempted solve of the load stepping (``summary.json`` steps)."""
    print("solve  phase      travel (mm)  force (N)  its  |F| (N)    wall (s)  converged")
    for step in steps:
        print(
            f"{step['step']:5d}  {step['phase']:<9} {step['travel_mm']:11.5f}"
            f"  {step['force_N']:9.3f}  {step['newton_iterations']:3d}"
            f"  {step['residual']:.2e}  {step['seconds']:8.1f}  {step['converged']}"
            f"  {step.get('reason', '')}"
        )


if __name__ == "__main__":
    main()
