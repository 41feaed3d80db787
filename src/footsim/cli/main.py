"""The ``footsim`` command line.

Every sub-command exits 0 when done, and non-zero with a one-line reason on stderr
otherwise: 1 an error of the machine or program, 2 input that cannot be used (refused before
any meshing), 3 a failed run or a sweep with failed runs (see
:data:`footsim.cli.commands.EXIT_CODES`). Heavy modules (dolfinx, gmsh, pyvista) are imported
inside the sub-command that needs them, so ``footsim --help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EPILOG_RUN = """examples:
  footsim run                                   # embedded default scenario
  footsim run scenarios/barefoot-push-off.toml
  footsim run scenarios/pad-5mm-proximal.toml -o results/ --no-png
  mpirun -n 2 footsim run scenarios/barefoot-push-off.toml   # one model on 2 processes
  mpirun -n 2 footsim run scenarios/eva-insole-push-off.toml  # (also on an insole)
"""
EPILOG_MESH = """examples:
  footsim mesh                                  # default anatomy, default preset
  footsim mesh --preset coarse --set mt2_extra_length_mm=6 -o meshes/
  footsim mesh scenarios/pad-teardrop.toml --set footwear.insole.toe_spring_deg=15
"""


def _doctor(args: argparse.Namespace) -> int:
    from footsim.cli import doctor

    checks = doctor.run_checks()
    print(doctor.report(checks))
    return 0 if all(c.ok for c in checks) else 1


def build_parser() -> argparse.ArgumentParser:
    from footsim.cli.commands import EXIT_CODES

    parser = argparse.ArgumentParser(
        prog="footsim",
        description="Finite-element simulator of the human forefoot (units: mm, N, MPa; "
        "pressures shown in kPa).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from footsim import __version__

    parser.add_argument("--version", action="version", version=f"footsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("doctor", help="check versions, solvers, JIT and off-screen rendering")
    p.set_defaults(func=_doctor)

    from footsim.cli import commands

    commands.register(sub, epilog_run=EPILOG_RUN, epilog_mesh=EPILOG_MESH)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("footsim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one-line reason, non-zero exit
        from footsim.cli.commands import SameOnEveryRank, _mpi_rank, describe, exit_code_for

        if isinstance(exc, SameOnEveryRank) and _mpi_rank() != 0:
            return exit_code_for(exc)  # rank 0 says it
        print(f"footsim {args.command}: {describe(exc)}", file=sys.stderr)
        return exit_code_for(exc)
