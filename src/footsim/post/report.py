"""One self-contained HTML page per run or sweep: images embedded, no external links.

``footsim report RESULT_OR_SWEEP`` writes ``report.html`` in the folder: for a run, the
scenario, the mesh preset with a pointer to the limitations page (which of its peaks are
mesh-converged), the regional table (kPa), the pressure map, the sensor view and the sagittal
cut-away through MTH2; for a sweep, the curves per MTH and the table. Pictures are drawn from
the result files (no re-solve) into a temporary folder and embedded as base64 PNG data URIs.
"""

from __future__ import annotations

import base64
import html
import tempfile
from pathlib import Path

import pandas as pd

from footsim import __version__
from footsim.post import plotting, results
from footsim.post.table import mesh_context

CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th { background: #f0f0f0; } img { max-width: 100%; border: 1px solid #ddd; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; }
.wide { overflow-x: auto; max-width: 100%; }
.note { color: #555; font-size: 0.9em; }
"""


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}"
        f'<p class="note">footsim {html.escape(__version__)}. Units: mm, N; pressures and '
        "stresses in kPa.</p></body></html>\n"
    )


def run_report(folder: Path, out: Path) -> Path:
    res = results.load(folder)
    s = res.summary
    fig = s["figures"]
    mesh = mesh_context(s)  # the preset, and where its peaks' convergence is measured
    parts = [
        f"<p>{html.escape(s.get('description', ''))}</p>",
        f"<p>Load {s['load_case']['force_N']:.1f} N ({html.escape(s['load_case']['description'])})"
        f"; reaction {fig['reaction_N']:.1f} N; contact area {fig['contact_area_mm2']:.0f} mm²; "
        f"{fig['load_steps']} load steps, {fig['newton_iterations']} Newton iterations.</p>",
        f'<p class="note">{html.escape(mesh[:1].upper() + mesh[1:])}.</p>',
        "<h2>Regions</h2>",
        res.regions.to_html(float_format=lambda v: f"{v:.1f}"),
    ]
    if s.get("plates"):
        plates = pd.DataFrame(s["plates"]).set_index("plate")
        parts += [
            "<h2>Plantar plates</h2>",
            "<p>Largest principal Green-Lagrange strain (%): peak cell and volume mean.</p>",
            plates.to_html(float_format=lambda v: f"{v:.2f}"),
        ]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pictures = [
            ("Plantar pressure", plotting.pressure_map(res, tmp / "p.png")),
            ("Platform sensor view (5 mm sensors)", plotting.sensor_view(res, tmp / "s.png")),
        ]
        if res.insole_top is not None:
            pictures.append(
                (
                    "Pressure on the insole and pad top",
                    plotting.pressure_map(res, tmp / "i.png", surface="insole"),
                )
            )
        if res.volume is not None:
            pictures.append(
                (
                    "Sagittal cut-away through MTH2, von Mises stress",
                    plotting.section(res, tmp / "c.png", ray=2),
                )
            )
        for title, path in pictures:
            parts += [f"<h2>{html.escape(title)}</h2>", _img(path, title)]
    scenario = (folder / "scenario.toml").read_text() if (folder / "scenario.toml").exists() else ""
    parts += ["<h2>Scenario</h2>", f"<pre>{html.escape(scenario)}</pre>"]
    out.write_text(_page(f"footsim: {res.name}", "".join(parts)))
    return out


def sweep_report(folder: Path, out: Path) -> Path:
    table = pd.read_csv(folder / "table.csv")
    done = int((table["status"] == "done").sum())
    parts = [f"<p>{len(table)} runs, {done} done.</p>"]
    if done:  # else no curve to draw; the table below says why each run failed
        with tempfile.TemporaryDirectory() as tmp:
            path = plotting.sweep_plot(table, Path(tmp) / "sweep.png")
            parts += ["<h2>Peak pressure per region</h2>", _img(path, "sweep curves")]
    # the varied parameters and the headline figures; every column is in table.csv
    params = [c for c in table.columns if "." in c and table[c].nunique() > 1]
    figures = [f"MTH{k}_peak_kPa" for k in range(1, 6)] + [
        "pad_peak_kPa",
        "pad_force_N",
        "contact_area_mm2",
        "reaction_N",
        "newton_iterations",
        "wall_time_s",
    ]
    cols = params + ["status", "reason"] + [c for c in figures if c in table.columns]
    if "pad_force_N" in table.columns and not table["pad_force_N"].fillna(0).any():
        cols = [c for c in cols if not c.startswith("pad_")]  # no pad in this sweep
    shown = table[cols].assign(reason=table["reason"].astype(object).fillna(""))
    # headers with spaces wrap, so the table fits the page; a wider one scrolls by itself
    shown = shown.rename(columns=lambda c: c.split(".")[-1].replace("_", " "))
    parts += [
        "<h2>Table</h2>",
        "<p>Pressures in kPa, forces in N, areas in mm², times in s; every figure of every "
        "run is in <code>table.csv</code> / <code>table.parquet</code>.</p>",
        '<div class="wide">',
        shown.to_html(index=False, float_format=lambda v: f"{v:.1f}"),
        "</div>",
    ]
    out.write_text(_page(f"footsim sweep: {folder.name}", "".join(parts)))
    return out


def html_report(folder: str | Path, path: str | Path | None = None) -> Path:
    """Write the HTML report of a run or sweep folder; returns its path."""
    folder = Path(folder)
    out = Path(path) if path else folder / "report.html"
    if (folder / "table.csv").exists():
        return sweep_report(folder, out)
    return run_report(folder, out)
