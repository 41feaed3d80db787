"""Sub-commands of ``footsim`` other than ``doctor`` (see :mod:`footsim.cli.main`).

Exit codes, the same for every sub-command (:data:`EXIT_CODES`): 0 done; 1 an error of the
machine or the program (a full disk, a missing library); 2 input that cannot be used (a
scenario or sweep file, a ``--set``, a folder that is not a run or a sweep, nothing to draw),
refused before any meshing; 3 a run that failed (a solve that did not converge, a sweep with
failed runs: how many and why are printed).
"""

from __future__ import annotations

import argparse
import errno
from pathlib import Path

EXIT_CODES = """exit codes:
  0  done
  1  an error of the machine or the program (e.g. no space left on the device)
  2  input that cannot be used: a scenario, sweep or --set value (named with its allowed
     range), a folder that is not a run or a sweep, nothing to draw; nothing is meshed
  3  a run failed (no convergence, ...) or a sweep has failed runs (counted, with reasons)
"""


class SameOnEveryRank(RuntimeError):
    """An error that every MPI process raises alike (e.g. a command refused under mpirun):
    reported once, by rank 0."""


class UserError(ValueError):
    """An error caused by the user's input (a path that is not a run, nothing to draw):
    printed as one line, exit code 2."""


def exit_code_for(exc: BaseException) -> int:
    """2 for bad input (scenario/geometry parameters, a folder that is not a result), 3 for a
    solve that failed, 1 otherwise (see :data:`EXIT_CODES`)."""
    from footsim.model.scenarios import ScenarioError

    if isinstance(exc, ScenarioError | ValueError):
        return 2
    if type(exc).__name__ == "SolverError":
        return 3
    return 1


def describe(exc: BaseException) -> str:
    """One line for an error: a full disk says so and where, anything else its message."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        return (
            f"no space left on the device{where}: free some space or write elsewhere with "
            "-o; nothing half-written is kept"
        )
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else type(exc).__name__}"


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


MESH_TABLES = ("anatomy", "footwear", "mesh")
"""The scenario tables ``footsim mesh`` builds from; a ``--set`` elsewhere is refused."""


def cmd_mesh(args: argparse.Namespace) -> int:
    from footsim.mesh import geometry, quality
    from footsim.model import footwear, keys, scenarios, tomlfiles

    overrides: dict[str, object] = {}
    for key, value in _parse_set(args.set).items():  # bare names are anatomy parameters
        key = key if "." in key else f"anatomy.{key}"
        if key.split(".")[0] not in MESH_TABLES:
            raise UserError(
                f"--set {key}: footsim mesh builds from the {', '.join(MESH_TABLES)} tables only "
                "(allowed: an anatomy name, or anatomy.*, footwear.*, mesh.*)"
            )
        error = keys.key_error(key)
        if error:
            raise UserError(f"--set {error}")
        tomlfiles.set_dotted(overrides, key, value)
    if args.preset is not None:  # validated with the rest (a size must fit its preset)
        tomlfiles.set_dotted(overrides, "mesh.preset", args.preset)
    if args.scenario is not None:
        scenario = scenarios.load(args.scenario, overrides)
    else:
        scenario = scenarios.from_dict(overrides, source="--set")
    preset = scenario.mesh.preset
    anatomy = footwear.apply_heel(scenario.anatomy, scenario.footwear)
    result = geometry.build_mesh(
        anatomy,
        scenario.footwear,
        preset=preset,
        size_mm=scenario.mesh.size_mm,
        sesamoid_size_mm=scenario.mesh.sesamoid_size_mm,
        outdir=Path(args.output),
    )
    print(quality.quality_report(result))
    png = quality.quicklook_png(result, Path(result.folder) / "quicklook.png")
    print(f"mesh: {result.folder}\nquick look: {png}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from footsim.model import scenarios
    from footsim.post.table import format_record
    from footsim.run import pipeline

    scenario = scenarios.load(args.scenario)
    record = pipeline.run(
        scenario,
        Path(args.output),
        png=not args.no_png,
        force=args.force,
        retry_failed=args.retry_failed,
    )
    if _mpi_rank() == 0:  # under mpirun every process runs the model; rank 0 reports
        print(format_record(record))
    return 0 if record.status == "done" else 3


def _mpi_rank() -> int:
    from mpi4py import MPI

    return MPI.COMM_WORLD.rank


def _mpi_size() -> int:
    from mpi4py import MPI

    return MPI.COMM_WORLD.size


def cmd_sweep(args: argparse.Namespace) -> int:
    from footsim.run import sweeps

    if _mpi_size() > 1:
        raise SameOnEveryRank(
            f"footsim sweep runs under one process, not mpirun -n {_mpi_size()}: spread a "
            "sweep with --workers N or --scheduler ADDRESS (mpirun is for one large model: "
            "footsim run)"
        )

    table = sweeps.run_sweep(
        args.sweep,
        Path(args.output),
        workers=args.workers,
        scheduler=args.scheduler,
        runner=args.runner,
        retry_failed=args.retry_failed,
        progress=not args.no_progress,
    )
    print(sweeps.outcome_text(table))
    return 0 if (table["status"] == "done").all() else 3


def _show_table(frame) -> str:
    import pandas as pd

    with pd.option_context("display.max_columns", 50, "display.width", 200):
        return frame.to_string(float_format=lambda v: f"{v:.1f}")


def cmd_show(args: argparse.Namespace) -> int:
    import pandas as pd

    from footsim.post.table import format_record
    from footsim.run import pipeline

    folder = Path(args.result)
    if (folder / "table.csv").exists():
        print(_show_table(pd.read_csv(folder / "table.csv")))
        return 0
    summary = _run_summary(folder)
    record = pipeline.RunOutcome(summary["status"], summary.get("reason", ""), folder, summary)
    print(format_record(record))
    return 0 if summary["status"] == "done" else 3


def _run_summary(folder: Path) -> dict:
    """The summary of the run folder ``folder``; :class:`UserError` (exit 2) if it is none."""
    from footsim.post import results

    summary = results.read_summary(folder)
    if summary is None or "status" not in summary:
        what = "does not exist" if not folder.exists() else "is neither a run nor a sweep"
        raise UserError(
            f"{folder} {what} (allowed: a run folder with summary.json, or a sweep folder with "
            "table.csv)"
        )
    return summary


def _finished_run(folder: Path):
    """The finished run in ``folder`` (:func:`footsim.post.results.load`); :class:`UserError`
    (exit 2) when it is not a run or did not finish."""
    from footsim.post import results

    summary = _run_summary(folder)
    if summary["status"] != "done":
        raise UserError(f"{folder}: the run failed, nothing to show: {summary.get('reason', '')}")
    return results.load(folder)


def cmd_compare(args: argparse.Namespace) -> int:
    a, b = _finished_run(Path(args.result_a)), _finished_run(Path(args.result_b))
    from footsim.post.table import compare_regions

    table = compare_regions(a, b)
    print(f"A = {a.name}\nB = {b.name}\n(B - A per region)")
    print(
        _show_table(
            table[
                [
                    c
                    for c in table.columns
                    if c.startswith("peak_kPa") or c.startswith("peak_von_mises")
                ]
            ]
        )
    )
    if args.output:
        table.to_csv(args.output)
        print(f"written: {args.output}")
    if args.png:
        from footsim.post import plotting

        print(f"written: {plotting.compare(a, b, args.png)}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from footsim.post import plotting

    folder = Path(args.result)
    if (folder / "table.csv").exists():
        out = plotting.sweep_plot(folder, args.output or folder / "sweep.png", x=args.x)
        print(out)
        return 0
    _finished_run(folder)
    if args.view == "pressure":
        out = plotting.pressure_map(folder, args.output or folder / "pressure.png")
    elif args.view == "insole":
        out = plotting.pressure_map(
            folder, args.output or folder / "insole-pressure.png", surface="insole"
        )
    elif args.view == "section":
        out = plotting.section(
            folder,
            args.output or folder / f"section-{args.plane}-ray{args.ray}.png",
            ray=args.ray,
            plane=args.plane,
            quantity=args.quantity,
        )
    elif args.view == "shear":
        out = plotting.shear_map(folder, args.output or folder / "shear.png")
    elif args.view == "deformed":
        out = plotting.deformed_view(folder, args.output or folder / "deformed.png")
    elif args.view == "animation":
        out = plotting.animation(folder, args.output or folder / "steps.gif")
    else:
        out = plotting.sensor_view(
            folder, args.output or folder / f"sensor-{args.sensor}.png", kind=args.sensor
        )
    print(out)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from footsim.post import html_report

    folder = Path(args.result)
    if not (folder / "table.csv").exists():
        _finished_run(folder)
    print(html_report(folder, args.output))
    return 0


def register(sub: argparse._SubParsersAction, *, epilog_run: str, epilog_mesh: str) -> None:
    """Add the sub-commands to ``footsim``'s parser (each help ends with :data:`EXIT_CODES`)."""
    fmt = argparse.RawDescriptionHelpFormatter
    add_parser = sub.add_parser

    def with_exit_codes(name: str, **kwargs):
        kwargs["epilog"] = (kwargs.get("epilog") or "").rstrip("\n") + "\n\n" + EXIT_CODES
        return add_parser(name, **kwargs)

    sub = argparse.Namespace(add_parser=with_exit_codes)

    p = sub.add_parser(
        "run",
        help="run one scenario (default: the embedded default scenario)",
        epilog=epilog_run,
        formatter_class=fmt,
    )
    p.add_argument("scenario", nargs="?", default=None, help="scenario TOML file")
    p.add_argument("-o", "--output", default="results", help="results folder (default: results/)")
    p.add_argument("--no-png", action="store_true", help="do not write the pressure map PNG")
    p.add_argument(
        "--force", action="store_true", help="re-run even if a finished or failed run is cached"
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="re-run a recorded deterministic failure (a transient one, out of memory or "
        "disk, is always retried)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "mesh",
        help="build, save and check the forefoot mesh",
        epilog=epilog_mesh,
        formatter_class=fmt,
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario TOML whose anatomy, footwear and mesh preset to build (default: the "
        "default anatomy, barefoot)",
    )
    p.add_argument(
        "--preset",
        default=None,
        choices=["coarse", "default", "fine"],
        help="mesh preset (default: the scenario's, else 'default')",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="parameter override (repeatable): an anatomy name, or a dotted scenario key "
        "such as footwear.insole.toe_spring_deg=15",
    )
    p.add_argument("-o", "--output", default="meshes", help="mesh folder (default: meshes/)")
    p.set_defaults(func=cmd_mesh)

    p = sub.add_parser(
        "sweep",
        help="run (or resume) a parameter sweep",
        formatter_class=fmt,
        epilog="examples:\n  footsim sweep sweeps/pad-position.toml\n"
        "  footsim sweep sweeps/mt2-length.toml --workers 2 -o results/\n"
        "  footsim sweep sweeps/pad-position.toml --scheduler local   # Dask local cluster\n"
        "  footsim sweep sweeps/pad-position.toml --scheduler tcp://head:8786\n",
    )
    p.add_argument("sweep", help="sweep TOML file")
    p.add_argument("-o", "--output", default="results", help="results folder (default results/)")
    p.add_argument("--workers", type=int, default=None, help="parallel runs (default: cores)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, or 'local'")
    p.add_argument("--retry-failed", action="store_true", help="re-run recorded failures")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--runner", default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "show",
        help="print a run's regional table (kPa) or a sweep's table",
        formatter_class=fmt,
        epilog="examples:\n  footsim show results/default-0123456789abcdef\n"
        "  footsim show results/pad-position\n",
    )
    p.add_argument("result", help="run folder or sweep folder")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "compare",
        help="per-region differences B - A between two runs",
        formatter_class=fmt,
        epilog="examples:\n  footsim compare results/pad-0mm-... results/pad-10mm-...\n"
        "  footsim compare A B -o diff.csv\n",
    )
    p.add_argument("result_a")
    p.add_argument("result_b")
    p.add_argument("-o", "--output", default=None, help="write the full table as CSV")
    p.add_argument("--png", default=None, help="also draw A, B and B - A to this PNG")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "plot",
        help="draw a run (pressure map) or a sweep (curves per MTH)",
        formatter_class=fmt,
        epilog="examples:\n  footsim plot results/default-0123456789abcdef -o map.png\n"
        "  footsim plot results/default-0123456789abcdef --view sensor --sensor insole\n"
        "  footsim plot results/default-0123456789abcdef --view section --ray 2\n"
        "  footsim plot results/default-0123456789abcdef --view shear\n"
        "  footsim plot results/<run> --view animation  # GIF of the load steps (needs\n"
        "                                               # [output] steps = true)\n"
        "  footsim plot results/mt2-length            # curves of the sweep\n",
    )
    p.add_argument("result", help="run folder or sweep folder")
    p.add_argument(
        "--view",
        default="pressure",
        choices=["pressure", "shear", "insole", "sensor", "section", "deformed", "animation"],
        help="pressure map, the friction's shear on the skin (magnitude and arrows), the "
        "pressure on the insole and pad top (runs with footwear), a "
        "pressure-measuring device's map, a stress cut-away, 3-D, or a GIF of the pressure "
        "through the load steps",
    )
    p.add_argument("--ray", type=int, default=2, choices=[1, 2, 3, 4, 5], help="section ray")
    p.add_argument("--plane", default="sagittal", choices=["sagittal", "frontal"])
    p.add_argument("--quantity", default="von_mises", choices=["von_mises", "max_shear"])
    p.add_argument(
        "--sensor",
        default="platform",
        choices=["platform", "insole"],
        help="device for --view sensor (5 mm platform, ~14 mm in-shoe sensors)",
    )
    p.add_argument("--x", default=None, help="sweep parameter on the x axis")
    p.add_argument("-o", "--output", default=None, help="PNG path")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser(
        "report",
        help="one self-contained HTML page of a run or a sweep (images embedded)",
        formatter_class=fmt,
        epilog="examples:\n  footsim report results/default-0123456789abcdef\n"
        "  footsim report results/mt2-length -o mt2.html\n",
    )
    p.add_argument("result", help="run folder or sweep folder")
    p.add_argument("-o", "--output", default=None, help="HTML path (default: <folder>/report.html)")
    p.set_defaults(func=cmd_report)

    from footsim.cli import optimise, studio, validate

    validate.register(sub, fmt)
    optimise.register(sub, fmt)
    studio.register(sub, fmt)
