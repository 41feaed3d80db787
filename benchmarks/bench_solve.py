"""Speed and memory of one forefoot solve at the push-off load (issue #4 targets: < 60 s, < 4 GB).

Usage: .venv/bin/python benchmarks/bench_solve.py [--preset default] [--case barefoot|insole-pad]

Prints machine, dofs, Newton iterations, load steps, wall time per phase and peak memory
(max RSS of this process, which runs mesh, solve and export in-process).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import footsim  # noqa: F401
from footsim import pipeline, scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default", choices=["coarse", "default", "fine"])
    parser.add_argument("--case", default="barefoot", choices=["barefoot", "insole-pad"])
    parser.add_argument("--load", default="push_off", choices=["push_off", "standing"])
    args = parser.parse_args()

    # the shipped scenario of the load case (push-off: Ogden tissue, penalty factor 100)
    shipped = Path(__file__).parents[1] / "scenarios"
    base = shipped / (
        "barefoot-push-off.toml" if args.load == "push_off" else "barefoot-standing.toml"
    )
    overrides: dict = {"name": f"bench-{args.case}", "mesh": {"preset": args.preset}}
    if args.case == "insole-pad":
        overrides["footwear"] = {"insole": {"material": "eva"}, "pad": {}}
    scenario = scenarios.load(base, overrides)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        record = pipeline.run(scenario, Path(tmp), png=False, force=True)
        wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"case: {args.case}, load: {args.load}, preset: {args.preset}")
    if record.status != "done":
        print(f"FAILED: {record.reason}")
        raise SystemExit(1)
    fig = record.summary["figures"]
    print(
        f"dofs: {fig['num_dofs']}, load steps: {fig['load_steps']}, "
        f"Newton iterations: {fig['newton_iterations']}"
    )
    print(f"reaction: {fig['reaction_N']:.2f} N (target {fig['force_target_N']:.2f} N)")
    print(f"wall time: {wall:.1f} s (mesh from cache if built before)")
    for phase, seconds in record.summary["timings_s"].items():
        print(f"  {phase:<24} {seconds:8.2f} s")
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
