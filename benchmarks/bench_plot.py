"""Time to draw each view from a finished run (issue #7 target: under 5 s each on this machine).

Usage: .venv/bin/python benchmarks/bench_plot.py RUN_FOLDER [--repeat 3]

RUN_FOLDER is any finished run (``footsim run`` output, e.g. a default-preset run:
``footsim run scenarios/barefoot-standing.toml`` with ``[mesh] preset = "default"``). Each view
is drawn ``--repeat`` times off-screen to PNG in a temporary folder; the first draw of the
process includes VTK's start-up and is reported separately. Prints the cells of the run's
volume mesh, the plantar points and the best and first wall time per view (s).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import footsim  # noqa: F401
from footsim.post import html_report, plotting, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished run folder")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    res = results.load(args.run)
    views = {
        "pressure": lambda out: plotting.pressure_map(res, out / "p.png"),
        "sensor (insole)": lambda out: plotting.sensor_view(res, out / "s.png", kind="insole"),
        "section (sagittal MT2)": lambda out: plotting.section(res, out / "c.png", ray=2),
        "section (frontal)": lambda out: plotting.section(res, out / "f.png", plane="frontal"),
        "deformed 3-D": lambda out: plotting.deformed_view(res, out / "d.png"),
        "compare (with itself)": lambda out: plotting.compare(res, res, out / "ab.png"),
        "report (HTML)": lambda out: html_report(args.run, out / "r.html"),
    }
    if res.steps:
        views["animation (GIF)"] = lambda out: plotting.animation(res, out / "a.gif")
    cells = res.volume.n_cells if res.volume is not None else 0
    print(
        f"{platform.node()} ({platform.processor() or platform.machine()}), run {res.name}: "
        f"{cells} cells, {res.plantar.n_points} plantar points"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name, draw in views.items():
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                draw(out)
                times.append(time.perf_counter() - t0)
            print(f"  {name:<24s} best {min(times):6.2f} s   first {times[0]:6.2f} s")


if __name__ == "__main__":
    main()
