"""Sweep throughput (runs per hour) with the real pipeline on this machine (issue #5).

Usage: .venv/bin/python benchmarks/bench_sweep.py [--runs 4] [--preset coarse] [--workers 2]

Runs a standing sweep over body mass (distinct masses, so nothing is cached) into a temporary
folder and prints wall time, runs done/failed and runs per hour.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import footsim  # noqa: F401
from footsim.run import sweeps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--preset", default="coarse", choices=["coarse", "default", "fine"])
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    masses = ", ".join(f"{60.0 + 2.5 * i:.1f}" for i in range(args.runs))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "base.toml").write_text(
            f'[load]\ncase = "standing"\n[mesh]\npreset = "{args.preset}"\n'
        )
        (tmp / "sweep.toml").write_text(
            f'name = "bench"\nbase = "base.toml"\n[parameters]\n"load.body_mass_kg" = [{masses}]\n'
        )
        os.environ["FOOTSIM_MESH_DIR"] = str(tmp / "meshes")
        t0 = time.perf_counter()
        table = sweeps.run_sweep(tmp / "sweep.toml", tmp / "results", workers=args.workers)
        wall = time.perf_counter() - t0
    done = int((table["status"] == "done").sum())
    print(
        f"preset {args.preset}, {args.workers} workers, {len(table)} runs: {done} done, "
        f"{len(table) - done} failed, wall {wall:.0f} s, {3600.0 * len(table) / wall:.1f} runs/h"
    )


if __name__ == "__main__":
    main()
