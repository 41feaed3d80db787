"""``footsim studio``: the browser app for designing a pad on a foot (:mod:`footsim.studio`)."""

from __future__ import annotations

import argparse

EPILOG = """examples:
  footsim studio                          # http://localhost:8080, runs into results/
  footsim studio --port 9000 --results my-designs/ --workers 2 --no-browser
Every run the studio makes is an ordinary run folder under --results (the same hash and cache
as `footsim run`); reopen a session by starting the studio on the same folder.
"""


def cmd_studio(args: argparse.Namespace) -> int:
    from footsim.cli.commands import SameOnEveryRank, UserError, _mpi_size

    if _mpi_size() > 1:
        raise SameOnEveryRank("footsim studio runs under one process (its runs use their own)")
    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port}: not a TCP port (allowed: 1 .. 65535)")
    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: at least 1 run at a time (allowed: >= 1)")
    try:
        from footsim.studio import serve
    except ImportError as exc:
        raise UserError(
            f"footsim studio needs the `studio` extra (pip install 'footsim[studio]'): {exc}"
        ) from exc
    serve(
        args.results,
        port=args.port,
        host=args.host,
        workers=args.workers,
        open_browser=not args.no_browser,
        study_runner=args.study_runner,
    )
    return 0


def register(sub, fmt) -> None:
    p = sub.add_parser(
        "studio",
        help="serve the browser app: design a pad on a foot, run, compare (localhost)",
        formatter_class=fmt,
        epilog=EPILOG,
    )
    p.add_argument("--port", type=int, default=8080, help="TCP port (default 8080)")
    p.add_argument("--host", default="localhost", help="address to listen on (default localhost)")
    p.add_argument(
        "--results", default="results", help="results folder: runs go here (default results/)"
    )
    p.add_argument("--workers", type=int, default=1, help="runs at a time (default 1)")
    p.add_argument(
        "--no-browser", action="store_true", help="do not open a browser tab (headless servers)"
    )
    p.add_argument("--study-runner", default=None, help=argparse.SUPPRESS)  # tests
    p.set_defaults(func=cmd_studio)
