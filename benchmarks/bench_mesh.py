"""Mesh build time, size and quality per preset (issue #3).

Usage: .venv/bin/python benchmarks/bench_mesh.py [--presets coarse default fine] [--pad]

Builds into a temporary folder (no cache), prints build time, node/cell counts and the
worst quality per volume.
"""

from __future__ import annotations

import argparse
import tempfile

import footsim  # noqa: F401
from footsim import mesh as geometry
from footsim.model.anatomy import Anatomy
from footsim.model.footwear import Footwear, Insole, MetatarsalPad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(geometry.PRESETS))
    parser.add_argument("--pad", action="store_true", help="with an EVA insole and a pad")
    args = parser.parse_args()
    footwear = Footwear(insole=Insole(), pad=MetatarsalPad()) if args.pad else Footwear()
    for preset in args.presets:
        with tempfile.TemporaryDirectory() as tmp:
            built = geometry.build_mesh(Anatomy(), footwear, preset=preset, outdir=tmp)
        worst = min(built.quality.values(), key=lambda r: r["min_sicn"])
        print(
            f"{preset:<8} build {built.build_time_s:6.2f} s  nodes {built.num_nodes:7d}  "
            f"tets {built.num_cells:7d}  min SICN {worst['min_sicn']:.3f}  "
            f"min dihedral {min(r['min_dihedral_deg'] for r in built.quality.values()):.1f} deg"
        )


if __name__ == "__main__":
    main()
