"""Mesh convergence of the regional peak pressures under the heads (issue #4), barefoot standing
or push-off.

Usage: .venv/bin/python benchmarks/bench_convergence.py [--sizes 6.75 4.5 3.0] [-o DIR]
       [--scenario scenarios/barefoot-push-off.toml]

Runs ``scenarios/barefoot-standing.toml`` (or ``--scenario``) with ``[mesh] size_mm`` = each
size (element size under the heads, mm; the coarse preset's grading, so the sequence is one
family refined by a constant ratio), or with the presets named by ``--presets``, and prints
per mesh the unknowns, wall time and the peak pressure (kPa) in each MTH region. For three
sizes in a constant ratio r it prints Richardson's extrapolation per head: observed order
p = ln((P1 - P2)/(P2 - P3)) / ln r and P_ext = P3 + (P3 - P2)/(r^p - 1), and the error of
each mesh against P_ext; a head whose peaks do not change monotonically is reported as not
in the asymptotic range.
Finished runs are cached in DIR (default ``results/convergence``), so a rerun only prints.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import footsim  # noqa: F401
from footsim import run as pipeline
from footsim.model import scenarios

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "scenarios" / "barefoot-standing.toml"


def richardson(p1: float, p2: float, p3: float, ratio: float) -> tuple[float, float] | None:
    """(order, extrapolated value) from three values on meshes refined by ``ratio``, or None
    when the differences change sign or do not shrink (not in the asymptotic range)."""
    d12, d23 = p1 - p2, p2 - p3
    if d12 * d23 <= 0 or abs(d23) >= abs(d12):
        return None
    order = math.log(d12 / d23) / math.log(ratio)
    return order, p3 + (p3 - p2) / (ratio**order - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="*", default=[6.75, 4.5, 3.0])
    parser.add_argument("--presets", nargs="*", default=None, help="e.g. coarse default fine")
    parser.add_argument("-o", "--output", type=Path, default=Path("results/convergence"))
    parser.add_argument("--scenario", type=Path, default=SCENARIO, help="default: %(default)s")
    parser.add_argument(
        "--mumps-relaxation",
        type=int,
        default=None,
        help="MUMPS workspace relaxation in %% (ICNTL(14); default 200): the 2 mm mesh "
        "(397k unknowns) asks MUMPS for 29.5 GB with 200, 40 fits in 23 GB",
    )
    args = parser.parse_args()
    petsc = {} if args.mumps_relaxation is None else {"mat_mumps_icntl_14": args.mumps_relaxation}
    meshes = (
        [{"preset": p} for p in args.presets]
        if args.presets
        else [{"preset": "coarse", "size_mm": h} for h in args.sizes]
    )
    peaks = []
    for mesh in meshes:
        scenario = scenarios.load(args.scenario, overrides={"mesh": mesh})
        options = pipeline.solver_options(scenario, petsc) if petsc else None
        record = pipeline.run(scenario, args.output, png=False, options=options)
        if record.status != "done":
            raise SystemExit(f"{mesh}: {record.reason}")
        f = record.summary["figures"]
        row = [f[f"MTH{k}_peak_kPa"] for k in range(1, 6)]
        peaks.append(row)
        print(
            f"{mesh}: {f['num_dofs']} unknowns, {f['wall_time_s']:.0f} s, MTH1..5 peak "
            + " ".join(f"{p:.1f}" for p in row)
            + " kPa"
        )
    if args.presets or len(args.sizes) != 3:
        return
    ratios = [args.sizes[0] / args.sizes[1], args.sizes[1] / args.sizes[2]]
    if not math.isclose(ratios[0], ratios[1], rel_tol=1e-6):
        print("sizes not in a constant ratio: no extrapolation")
        return
    for k in range(5):
        p1, p2, p3 = (row[k] for row in peaks)
        fit = richardson(p1, p2, p3, ratios[0])
        if fit is None:
            print(f"MTH{k + 1}: {p1:.1f} -> {p2:.1f} -> {p3:.1f} kPa: not in the asymptotic range")
            continue
        order, ext = fit
        errors = ", ".join(
            f"{h:g} mm {100 * (p - ext) / ext:+.1f} %"
            for h, p in zip(args.sizes, (p1, p2, p3), strict=True)
        )
        print(f"MTH{k + 1}: order {order:.2f}, extrapolated {ext:.1f} kPa; {errors}")


if __name__ == "__main__":
    main()
