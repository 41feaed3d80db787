"""This checkout against a previous release, case by case, on this machine in the same run.

Usage: .venv/bin/python benchmarks/bench_release.py [--against v0.2.0] [--runs 1]
       [--cases standing pad-standing push-off insole-pad-push-off]

The release is exported from its git tag into a temporary folder and run with this
environment's Python (``PYTHONPATH`` puts its ``src/`` first). Each case is one ``footsim run``
of a shipped scenario as a whole process, the two versions in turn (A B A B ...), each in a
folder of its own that keeps its mesh cache. A warm-up run of each version on a 7 mm mesh
first compiles the forms (the JIT cache is shared) and the case's mesh is built, so the
figures are solve + post-processing + export with a warm cache. Printed per case and
version: the median wall time (s), the peak memory of the process (max RSS, MB), unknowns,
Newton iterations and the peak pressure under MTH1-3 (kPa: the model changes between the
releases show there); then the ratio of the wall times. The cases are the rows of
docs/performance.md's release table:

- ``standing``: the embedded default scenario (coarse mesh, barefoot quiet standing, 70 kg);
- ``pad-standing``: ``scenarios/pad-5mm-proximal.toml`` (coarse, 6 mm EVA insole, 5 mm pad);
- ``push-off``: ``scenarios/barefoot-push-off.toml`` on the default mesh;
- ``insole-pad-push-off``: ``scenarios/eva-insole-push-off.toml`` with the 5 mm pad, default
  mesh (about 40 min per run with v0.2.0).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: case -> (shipped scenario, None for the embedded default; mesh preset; with the 5 mm
#: pad)
CASES: dict[str, tuple[str | None, str, bool]] = {
    "standing": (None, "coarse", False),
    "pad-standing": ("pad-5mm-proximal.toml", "coarse", False),
    "push-off": ("barefoot-push-off.toml", "default", False),
    "insole-pad-push-off": ("eva-insole-push-off.toml", "default", True),
}


def export(tag: str, into: Path) -> Path:
    """The release ``tag`` as files under ``into`` (``git archive``)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", tag], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def scenario_args(tree: Path, case: str, work: Path, warm_up: bool = False) -> list[str]:
    """The ``footsim run`` arguments of ``case`` with the scenarios of the source ``tree``
    (``warm_up``: the same scenario on a 7 mm mesh, whose forms are the case's)."""
    shipped, preset, pad = CASES[case]
    if shipped is None and not warm_up:
        return []  # the embedded default
    base = tree / ("src/footsim/data/default.toml" if shipped is None else f"scenarios/{shipped}")
    path = work / f"{case}{'-warm-up' if warm_up else ''}.toml"
    text = f'name = "{case}"\nbase = "{base}"\n\n[mesh]\npreset = "{preset}"\n'
    if warm_up:
        text += "size_mm = 7.0\n"
    if pad:
        text += "\n[footwear.pad]\nheight_mm = 5.0\n"
    path.write_text(text)
    return [str(path)]


def run(tree: Path, work: Path, args: list[str], command: str = "run") -> dict:
    """One ``footsim run`` (or ``footsim mesh``) in ``work`` with the package of ``tree``: wall
    time (s), max RSS (MB) and the figures of its summary."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    out = work / "results"
    extra = ["-o", str(out), "--force", "--no-png"] if command == "run" else []
    t0 = time.perf_counter()
    with open(work / "stderr.txt", "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "footsim", command, *args, *extra],
            cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        tail = (work / "stderr.txt").read_text()[-2000:]
        raise SystemExit(f"{tree}: footsim {command} {' '.join(args)} failed:\n{tail}")
    if command != "run":
        return {}
    summary = json.loads(max(out.glob("*/summary.json"), key=os.path.getmtime).read_text())
    fig = summary["figures"]
    return {
        "wall_s": wall,
        "rss_mb": usage.ru_maxrss / 1024.0,
        "dofs": fig.get("num_dofs"),
        "its": fig.get("newton_iterations"),
        "peaks": [fig.get(f"MTH{i}_peak_kPa", float("nan")) for i in (1, 2, 3)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="v0.2.0", help="git tag of the previous release")
    parser.add_argument("--runs", type=int, default=1, help="timed runs per case and version")
    parser.add_argument(
        "--cases", nargs="+", default=["standing", "pad-standing"], choices=list(CASES)
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="footsim-release-") as tmp:
        tmp = Path(tmp)
        trees = {"this": ROOT, args.against: export(args.against, tmp / "release")}
        works = {name: tmp / f"work-{i}" for i, name in enumerate(trees)}
        for work in works.values():
            work.mkdir()
        for case in args.cases:  # warm-up: the forms (7 mm mesh) and the case's mesh
            for name, tree in trees.items():
                run(tree, works[name], scenario_args(tree, case, works[name], warm_up=True))
                if scenario_args(tree, case, works[name]):
                    run(tree, works[name], scenario_args(tree, case, works[name]), "mesh")
        print(f"{'case':<22}{'version':<10}{'wall s':>9}{'MB':>8}{'dofs':>9}{'its':>5}"
              f"{'MTH1-3 peak kPa':>24}")  # fmt: skip
        for case in args.cases:
            results: dict[str, list[dict]] = {name: [] for name in trees}
            for _ in range(args.runs):
                for name, tree in trees.items():
                    argv = scenario_args(tree, case, works[name])
                    results[name].append(run(tree, works[name], argv))
            walls = {}
            for name, rs in results.items():
                walls[name] = statistics.median(r["wall_s"] for r in rs)
                r = rs[-1]
                peaks = " / ".join(f"{p:.0f}" for p in r["peaks"])
                print(f"{case:<22}{name:<10}{walls[name]:9.1f}"
                      f"{max(x['rss_mb'] for x in rs):8.0f}{r['dofs']:>9}{r['its']:>5}"
                      f"{peaks:>24}")  # fmt: skip
            print(f"{'':<22}{'speed-up':<10}{walls[args.against] / walls['this']:9.2f}")


if __name__ == "__main__":
    main()
