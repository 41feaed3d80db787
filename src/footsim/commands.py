"""Sub-commands of ``footsim`` other than ``doctor`` (see :mod:`footsim.cli`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def exit_code_for(exc: BaseException) -> int:
    """2 for bad input (scenario/geometry parameters), 3 for a solve that failed, 1 otherwise."""
    from footsim.scenarios import ScenarioError

    if isinstance(exc, ScenarioError | ValueError):
        return 2
    if type(exc).__name__ == "SolverError":
        return 3
    return 1


def _parse_set(items: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set expects name=value, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            import tomllib

            value = tomllib.loads(f"v = {raw}")["v"]
        except Exception:  # noqa: BLE001 - plain strings need no quotes
            value = raw
        out[key.strip()] = value
    return out


def cmd_mesh(args: argparse.Namespace) -> int:
    from footsim import geometry
    from footsim.anatomy import Anatomy

    anatomy = Anatomy(**_parse_set(args.set))
    result = geometry.build_mesh(anatomy, preset=args.preset, outdir=Path(args.output))
    print(geometry.quality_report(result))
    png = geometry.quicklook_png(result, Path(result.folder) / "quicklook.png")
    print(f"mesh: {result.folder}\nquick look: {png}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from footsim import pipeline, scenarios

    scenario = scenarios.load(args.scenario)
    record = pipeline.run(scenario, Path(args.output), png=not args.no_png, force=args.force)
    print(pipeline.format_record(record))
    return 0 if record.status == "done" else 3


def register(sub: argparse._SubParsersAction, *, epilog_run: str, epilog_mesh: str) -> None:
    """Add the sub-commands to ``footsim``'s parser."""
    fmt = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "run",
        help="run one scenario (default: the embedded default scenario)",
        epilog=epilog_run,
        formatter_class=fmt,
    )
    p.add_argument("scenario", nargs="?", default=None, help="scenario TOML file")
    p.add_argument("-o", "--output", default="results", help="results folder (default: results/)")
    p.add_argument("--no-png", action="store_true", help="do not write the pressure map PNG")
    p.add_argument("--force", action="store_true", help="re-run even if a cached result exists")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "mesh",
        help="build, save and check the forefoot mesh",
        epilog=epilog_mesh,
        formatter_class=fmt,
    )
    p.add_argument("--preset", default="default", choices=["coarse", "default", "fine"])
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="anatomy parameter override (repeatable)",
    )
    p.add_argument("-o", "--output", default="meshes", help="mesh folder (default: meshes/)")
    p.set_defaults(func=cmd_mesh)
