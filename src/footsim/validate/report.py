"""The validation report: Markdown and a self-contained HTML page, one plot per case.

``write_report`` writes into a folder ``report.md`` (plots beside it in ``plots/``),
``report.html`` (the same, plots embedded: one file to send) and ``comparisons.csv`` (every
row, numbers unrounded). Each case's plot shows, per comparison, the published mean with one
and two standard deviations shaded (or, where only a direction was published, the side of
zero it lies on) and the model's figure with its mesh-convergence uncertainty.
"""

from __future__ import annotations

import datetime
import html
import math
import textwrap
from pathlib import Path

from footsim import __version__
from footsim.validate.suite import Validation, summary_line

RULES = (
    "A model figure is *within* when it lies inside one standard deviation of the published "
    "mean, *near* inside two, *outside* beyond (too high or too low); a change or difference "
    "whose sign is opposite to the measured one is *opposite sign*, and where only a direction "
    "was published the verdict is *same direction* or *opposite sign*. A comparison whose run "
    "failed stays in the table as *failed*, with the reason. Peaks are read on the instrument's "
    "sensor grid (platform 5 mm, in-shoe insole 14 mm; force conserved). No input of the model "
    "was fitted to these measurements."
)

CAPTION = (
    "Blue: the published mean (line), one and two standard deviations (dark and light band), "
    "or the published direction of a change (band on one side of zero). Dot: the model, green "
    "where it agrees, amber near, grey where no spread was published, red otherwise; its bar "
    "is the mesh-convergence uncertainty of a peak where measured; the orange bar below it "
    "(with --sensitivity) spans the model's figure with its inputs at the ends of their "
    "published ranges."
)

COLOURS = {
    "within": "#1b7837",
    "same direction": "#1b7837",
    "near": "#d6a000",
    "no SD published": "#555555",
}


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"


def _model_text(row) -> str:
    value = row["model"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{_fmt(value)} {row['unit']}"
    u = row["mesh_uncertainty_pct"]
    if _finite(u) and row["unit"] == "kPa" and not row["signed"]:
        text += f" (mesh ±{u:.0f} %)"
    if _finite(row.get("model_low")) and _finite(row.get("model_high")):
        text += f"; sensitivity {_fmt(row['model_low'])} to {_fmt(row['model_high'])}"
    return text


def plot_case(v: Validation, case, path: Path) -> Path:
    """One figure per case: a panel per comparison (measured band, model point)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = v.rows[v.rows["case"] == case.name]
    fig, axes = plt.subplots(len(rows), 1, figsize=(7.0, 1.45 * len(rows) + 0.6), squeeze=False)
    for ax, (_, row) in zip(axes[:, 0], rows.iterrows(), strict=True):
        mean, sd, model = row["measured_mean"], row["measured_sd"], row["model"]
        xs = [0.0] if row["signed"] or row["measured_kind"] == "sign" else []
        if row["measured_kind"] == "sign":
            ends = [
                abs(x) for x in (model, row.get("model_low"), row.get("model_high")) if _finite(x)
            ]
            span = max([*ends, 1.0]) * 1.5
            ax.axvspan(0.0, math.copysign(span, mean), color="#9ecae1", alpha=0.6, lw=0)
            xs += [math.copysign(span, mean)]
        else:
            if _finite(sd):
                ax.axvspan(mean - 2 * sd, mean + 2 * sd, color="#deebf7", lw=0)
                ax.axvspan(mean - sd, mean + sd, color="#9ecae1", lw=0)
                xs += [mean - 2 * sd, mean + 2 * sd]
            ax.axvline(mean, color="#08519c", lw=1.5)
            xs.append(mean)
        if _finite(model):
            u = row["mesh_uncertainty_pct"]
            peak = row["unit"] == "kPa" and not row["signed"]  # the uncertainty of a peak
            err = abs(model) * u / 100.0 if _finite(u) and peak else None
            ax.errorbar(
                [model],
                [0.0],
                xerr=err,
                fmt="o",
                ms=8,
                capsize=4,
                color=COLOURS.get(row["verdict"], "#b2182b"),
            )
            xs += [model - (err or 0.0), model + (err or 0.0)]
            low, high = row.get("model_low"), row.get("model_high")
            if _finite(low) and _finite(high):
                ax.plot([low, high], [-0.45, -0.45], color="#f4a582", lw=6, solid_capstyle="butt")
                xs += [low, high]
        else:
            ax.text(0.5, 0.5, "model run failed", transform=ax.transAxes, ha="center")
        if xs:
            lo, hi = min(xs), max(xs)
            pad = 0.08 * (hi - lo or abs(hi) or 1.0)
            ax.set_xlim(lo - pad, hi + pad)
        if 0.0 in xs:
            ax.axvline(0.0, color="#444", lw=0.8, ls=":")
        ax.set_yticks([])
        ax.set_ylim(-1, 1)
        ax.set_xlabel(row["unit"], fontsize=8, labelpad=1)
        ax.tick_params(labelsize=8)
        title = f"{row['comparison']}: {row['verdict']}  ({row['study']})"
        ax.set_title(textwrap.fill(title, 100), fontsize=8, loc="left")  # fits the 7 in width
    fig.suptitle(textwrap.fill(case.title, 85), fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def _table(rows, columns: list[tuple[str, str]]) -> list[list[str]]:
    return [[str(f(r)) for _, f in columns] for _, r in rows.iterrows()]


def _columns():
    return [
        ("comparison", lambda r: r["comparison"]),
        ("measured", lambda r: r["measured"]),
        ("source (n, instrument)", lambda r: f"{r['source']} (n = {r['n']}, {r['instrument']})"),
        ("model", _model_text),
        ("verdict", lambda r: r["verdict"] + (f": {r['reason']}" if r["reason"] else "")),
    ]


def markdown(v: Validation, date: str) -> str:
    cols = _columns()
    out = [
        "# footsim validation report",
        "",
        f"footsim {__version__}, {date}; mesh: **{v.mesh}**. {summary_line(v)}.",
        "",
        RULES,
        "",
        "| case | " + " | ".join(c for c, _ in cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for (_, r), cells in zip(v.rows.iterrows(), _table(v.rows, cols), strict=True):
        out.append(f"| {r['case']} | " + " | ".join(_md(c) for c in cells) + " |")
    for case in v.cases:
        out += ["", f"## {case.title}", ""]
        if case.caveat:
            out += [f"*{case.caveat}*", ""]
        out += [f"![{case.name}](plots/{case.name}.png)", "", f"<small>{CAPTION}</small>", ""]
        runs = ", ".join(f"`{role}`: {name}" for role, (name, _) in case.runs.items())
        out += [f"Runs: {runs} (shipped scenarios; overrides in `footsim.validate.cases`).", ""]
        for _, r in v.rows[v.rows["case"] == case.name].iterrows():
            out.append(
                f"- {_md(r['comparison'])}: {_md(r['source'])}; {_md(r['n'])}; "
                f"{_md(r['instrument'])}; {_md(r['condition'])}. {_md(r['note'])}."
            )
        if case.sensitivity and v.rows[v.rows["case"] == case.name]["model_low"].notna().any():
            out += ["", "Sensitivity runs:"]
            out += [f"- {var.label}: {var.source}." for var in case.sensitivity]
        out.append("")
    out += ["", "## Runs", "", "| scenario | hash | status | reason |", "|---|---|---|---|"]
    for _, r in v.runs.iterrows():
        out.append(f"| {r['scenario']} | {r['hash']} | {r['status']} | {_md(str(r['reason']))} |")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def html_page(v: Validation, date: str, plots: dict[str, Path]) -> str:
    from footsim.post.report import _img, _page

    cols = _columns()
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["case", *(c for c, _ in cols)])
    body_rows = []
    for (_, r), cells in zip(v.rows.iterrows(), _table(v.rows, cols), strict=True):
        tds = "".join(f"<td>{html.escape(c)}</td>" for c in [r["case"], *cells])
        body_rows.append(f"<tr>{tds}</tr>")
    parts = [
        f"<p>footsim {html.escape(__version__)}, {date}; mesh: <b>{v.mesh}</b>. "
        f"{html.escape(summary_line(v))}.</p>",
        f'<p class="note">{html.escape(RULES)}</p>',
        f'<div class="wide"><table><tr>{head}</tr>{"".join(body_rows)}</table></div>',
    ]
    for case in v.cases:
        parts.append(f"<h2>{html.escape(case.title)}</h2>")
        if case.caveat:
            parts.append(f'<p class="note">{html.escape(case.caveat)}</p>')
        parts.append(_img(plots[case.name], case.name))
        parts.append(f'<p class="note">{html.escape(CAPTION)}</p>')
    return _page("footsim validation report", "".join(parts))


def write_report(v: Validation, out: str | Path | None = None) -> dict[str, Path]:
    """Write ``report.md``, ``report.html``, ``comparisons.csv`` and ``plots/`` into ``out``
    (default: the validation's folder); returns their paths."""
    out = Path(out or v.folder)
    out.mkdir(parents=True, exist_ok=True)
    date = datetime.date.today().isoformat()
    plots = {c.name: plot_case(v, c, out / "plots" / f"{c.name}.png") for c in v.cases}
    paths = {
        "markdown": out / "report.md",
        "html": out / "report.html",
        "csv": out / "comparisons.csv",
    }
    paths["markdown"].write_text(markdown(v, date))
    paths["html"].write_text(html_page(v, date, plots))
    v.rows.to_csv(paths["csv"], index=False)
    return paths
