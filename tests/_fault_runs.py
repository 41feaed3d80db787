"""``footsim`` with a stand-in solve, for fault injection: ``python _fault_runs.py run ...``.

Everything of a run is real (scenario, lock, stale cleanup, staging, the coarse mesh built by
gmsh, summary, fsync, commit) except the solve and its field export, replaced by
:func:`solve_and_write`: it sleeps ``$FOOTSIM_TEST_SOLVE_S`` seconds (the solve), then writes
three files of ``$FOOTSIM_TEST_WRITE_KB`` kB each in small chunks (the export), so that a test
can kill the process in each phase within a second or two. Each phase is appended to
``$FOOTSIM_TEST_PHASES`` as ``<pid> <phase>``. The files' bytes and the figures depend only on
the scenario and the mesh: an undisturbed run and a rerun after a kill must be identical.

With ``FOOTSIM_TEST_REAL=1`` nothing is replaced (the real solve; slow tests).
"""

import hashlib
import os
import sys
import time
from pathlib import Path

import footsim  # noqa: F401
from footsim.run import pipeline


def phase(name: str) -> None:
    path = os.environ.get("FOOTSIM_TEST_PHASES")
    if path:
        with open(path, "a") as fh:
            fh.write(f"{os.getpid()} {name}\n")


def solve_and_write(scenario, out: Path, *, png: bool, options, on_step=None):
    from footsim.mesh import geometry
    from footsim.model.footwear import apply_heel

    phase("mesh")
    mesh = geometry.build_mesh(
        apply_heel(scenario.anatomy, scenario.footwear),
        scenario.footwear,
        preset=scenario.mesh.preset,
        size_mm=scenario.mesh.size_mm,
        outdir=pipeline.mesh_dir(),
    )
    phase("solve")
    time.sleep(float(os.environ.get("FOOTSIM_TEST_SOLVE_S", "1.0")))
    phase("write")
    size = int(float(os.environ.get("FOOTSIM_TEST_WRITE_KB", "64")) * 1024)
    seed = f"{scenario.content_hash()}-{mesh.num_cells}".encode()
    for name in ("plantar.vtu", "volume.vtu", "regions.csv"):
        block = hashlib.sha256(seed + name.encode()).digest() * 512  # 16 kB
        with open(out / name, "wb") as fh:
            written = 0
            while written < size:
                fh.write(block[: size - written])
                fh.flush()
                written += len(block[: size - written])
                time.sleep(0.02)
    phase("written")
    mass = scenario.load.body_mass_kg
    return {  # what footsim.post.table.format_record prints; no real figure
        "load_case": {"force_N": 9.81 * mass, "description": "stand-in solve"},
        "mesh": {"folder": str(mesh.folder), "preset": scenario.mesh.preset},
        "regions": [],
        "figures": {
            "num_cells": mesh.num_cells,
            "MTH2_peak_kPa": 3.0 * mass,
            "reaction_N": 9.81 * mass,
            "contact_area_mm2": 0.0,
            "load_steps": 0,
            "newton_iterations": 0,
        },
    }


def patch() -> None:
    if os.environ.get("FOOTSIM_TEST_REAL") != "1":
        pipeline._solve_and_write = solve_and_write


def piped(scenario, root, **kwargs):
    """A sweep runner: :func:`footsim.run.pipeline.run` with the stand-in solve."""
    patch()
    return pipeline.run(scenario, root, **kwargs)


if __name__ == "__main__":
    patch()
    from footsim.cli.main import main

    sys.exit(main(sys.argv[1:]))
