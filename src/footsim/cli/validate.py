"""``footsim validate``: the validation cases run and judged, the report written."""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """examples:
  footsim validate --quick                      # teaching mesh, the quick cases (minutes)
  footsim validate --only push-off-regions mt2-length --workers 2
  footsim validate --mesh coarse -o validation/
  footsim validate --mesh coarse --only push-off-regions --sensitivity
  footsim validate --list

Verdicts: within (1 SD of the published mean), near (2 SD), outside, opposite sign (a change
of the wrong sign), same direction (where only the direction was published), failed (the
run failed; its reason is in the report). Outside verdicts are results, not errors: the exit
code is 3 only when a run failed.
"""


def cmd_validate(args: argparse.Namespace) -> int:
    from footsim.validate import cases

    if args.list:
        for case in cases.CASES:
            quick = "" if case.quick else "  (not in --quick)"
            print(f"{case.name:22s} {case.title}{quick}")
        return 0
    from footsim.cli.commands import SameOnEveryRank, _mpi_size
    from footsim.validate import report, suite

    if _mpi_size() > 1:
        raise SameOnEveryRank("footsim validate runs under one process: use --workers N")
    mesh = "teaching" if args.quick else args.mesh
    suite.select(args.only, quick=args.quick)  # an unknown case is refused before any run
    v = suite.validate(
        Path(args.output),
        mesh=mesh,
        only=args.only,
        quick=args.quick,
        workers=args.workers,
        scheduler=args.scheduler,
        retry_failed=args.retry_failed,
        progress=not args.no_progress,
        sensitivity=args.sensitivity,
    )
    paths = report.write_report(v)
    print(suite.summary_line(v))
    for _, row in v.rows.iterrows():
        print(f"  {row['case']:20s} {row['comparison'][:58]:58s} {row['verdict']}")
    print(f"report: {paths['html']} (and {paths['markdown'].name}, {paths['csv'].name})")
    return 3 if v.failed_runs else 0


def register(sub, fmt) -> None:
    p = sub.add_parser(
        "validate",
        help="run the validation cases against published measurements; write the report",
        formatter_class=fmt,
        epilog=EPILOG,
    )
    p.add_argument("--quick", action="store_true", help="teaching mesh (7 mm), quick cases")
    p.add_argument(
        "--mesh",
        default="default",
        choices=["teaching", "coarse", "default"],
        help="mesh of every run (default: the default preset)",
    )
    p.add_argument(
        "--sensitivity",
        action="store_true",
        help="also run the push-off cases with their inputs at the ends of their published "
        "ranges (vertical force, flexor tendons), the footwear cases with the other published "
        "tissue law, and show the model's range",
    )
    p.add_argument("--only", nargs="+", metavar="CASE", help="these cases only (see --list)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("-o", "--output", default="validation", help="folder (default validation/)")
    p.add_argument("--workers", type=int, default=None, help="parallel runs (default: cores)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, or 'local'")
    p.add_argument("--retry-failed", action="store_true", help="re-run recorded failures")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_validate)
