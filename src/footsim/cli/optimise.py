"""``footsim optimise``: an Optuna study over pad and insole designs, resumable."""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """examples:
  footsim optimise studies/pad-placement.toml --trials 30
  footsim optimise studies/pad-placement.toml --trials 60 --workers 2 -o results/
  footsim optimise studies/pad-placement.toml --trials 60 --workers 8 --scheduler tcp://head:8786
  (run the same command again after a kill: the study resumes)
"""


def cmd_optimise(args: argparse.Namespace) -> int:
    from footsim.cli.commands import SameOnEveryRank, _mpi_size
    from footsim.optimise import outputs, study

    if _mpi_size() > 1:
        raise SameOnEveryRank("footsim optimise runs under one process: use --workers N")
    st = study.load_study(args.study)  # refused before anything runs
    ostudy = study.optimise(
        args.study,
        Path(args.output),
        trials=args.trials,
        workers=args.workers,
        runner=args.runner,
        scheduler=args.scheduler,
    )
    folder = Path(args.output) / st.spec.name
    paths = outputs.write_outputs(ostudy, st, folder)
    table = outputs.trials_table(ostudy)
    done = int((table["state"] == "COMPLETE").sum())
    print(f"{len(table)} trials: {done} finished, {len(table) - done} failed")
    best = outputs.best_trial(ostudy)
    if best is None:
        print("no feasible finished design")
        return 3
    design = ", ".join(
        f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in best.params.items()
    )
    unit = st.spec.objective.unit
    print(f"best (trial {best.number}): {design}; objective {best.values[0]:.1f} {unit}")
    no_pad = outputs.read_baseline(folder)
    if no_pad is not None:
        print(f"without the pad: {no_pad}")
    print(f"best design: {paths['best']}; report: {paths['html']}")
    return 0


def register(sub, fmt) -> None:
    p = sub.add_parser(
        "optimise",
        help="find the pad or insole design that minimises an objective (Optuna study)",
        formatter_class=fmt,
        epilog=EPILOG,
    )
    p.add_argument("study", help="study TOML file")
    p.add_argument("--trials", type=int, default=30, help="trials in total (default 30)")
    p.add_argument("--workers", type=int, default=1, help="parallel trials (default 1)")
    p.add_argument(
        "--scheduler",
        default=None,
        help="run the trials on Dask: 'local' (a local cluster of --workers processes) or a "
        "scheduler address (the results folder must be on a disk every worker sees)",
    )
    p.add_argument("-o", "--output", default="results", help="results folder (default results/)")
    p.add_argument("--runner", default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_optimise)
