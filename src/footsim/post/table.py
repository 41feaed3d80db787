"""A run's figures as one flat table row, and the text table ``footsim run`` prints (kPa,
mm^2, N).
"""

from __future__ import annotations

from typing import Any

from footsim.post.results import REGION_COLUMNS, RunOutcome


def figures(summary: dict[str, Any]) -> dict[str, float]:
    """The flat table row of a run: global figures and per-region ones (kPa, mm^2, N)."""
    sol = summary["solution"]
    out: dict[str, float] = {
        "force_target_N": summary["load_case"]["force_N"],
        "reaction_N": sol["reaction_dirichlet_N"],
        "reaction_contact_N": sol["reaction_contact_N"],
        "contact_area_mm2": sol["contact_area_mm2"],
        "peak_pressure_kPa": sol["peak_pressure_kPa"],
        "peak_von_mises_kPa": sol["peak_von_mises_kPa"],
        "peak_max_shear_kPa": sol["peak_max_shear_kPa"],
        "peak_skin_shear_kPa": sol.get("peak_shear_kPa", float("nan")),
        "stick_area_mm2": sol.get("stick_area_mm2", float("nan")),
        "max_penetration_mm": sol["max_penetration_mm"],
        "newton_iterations": sol["newton_iterations"],
        "load_steps": sol["load_steps"],
        "num_dofs": sol["num_dofs"],
    }
    if "target_peak_pressure_kPa" in sol:  # footwear: the peak on the insole and pad top
        out["insole_peak_pressure_kPa"] = sol["target_peak_pressure_kPa"]
    for key in ("factorizations", "krylov_iterations"):  # linear-solver work, if recorded
        if key in sol.get("solver_counts", {}):
            out[key] = sol["solver_counts"][key]
    for row in summary["regions"]:
        for col in REGION_COLUMNS[1:]:  # a figure an older run did not record: NaN
            out[f"{row['region']}_{col}"] = row.get(col, float("nan"))
    for row in summary.get("plates", []):  # plantar plates: max principal strain (%)
        out[f"{row['plate']}_peak_strain_pct"] = row["peak_strain_pct"]
        out[f"{row['plate']}_mean_strain_pct"] = row["mean_strain_pct"]
    return out


def mesh_context(summary: dict[str, Any]) -> str:
    """The sentence that goes with every run's figures, in the printed table and the report:
    the mesh preset they were computed on, and where to read which of its peaks are
    mesh-converged (a coarse mesh reads some push-off peaks 15-21 % low)."""
    preset = summary.get("mesh", {}).get("preset", "?")
    return (
        f"mesh preset {preset}: peaks are those of this mesh; which are mesh-converged: "
        "docs/limitations.md"
    )


def format_record(record: RunOutcome) -> str:
    """Human-readable outcome of a run (the regional table in kPa)."""
    if record.status != "done":
        from footsim.post.results import is_transient

        if is_transient(record.summary):
            why = "transient cause: retried on the next run"
        else:
            why = "deterministic: a rerun reports it again; --retry-failed re-solves"
        cached = "recorded earlier, " if record.cached else ""
        name = record.summary.get("name", "?")
        return f"{name}: FAILED ({cached}{why}): {record.reason}\n{record.folder}"
    s = record.summary
    lines = [
        f"{s['name']}: done{' (cached)' if record.cached else ''}  ->  {record.folder}",
        f"load {s['load_case']['force_N']:.1f} N ({s['load_case']['description']}); "
        f"reaction {s['figures']['reaction_N']:.1f} N; "
        f"contact area {s['figures']['contact_area_mm2']:.0f} mm^2; "
        f"{s['figures']['load_steps']} load steps, {s['figures']['newton_iterations']} Newton "
        f"iterations, {s['wall_time_s']:.1f} s",
        mesh_context(s),
        "",
        f"{'region':<7}{'peak kPa':>10}{'mean kPa':>10}{'area mm2':>10}{'force N':>9}"
        f"{'VM kPa':>9}{'tau kPa':>9}{'shear kPa':>10}{'slip mm2':>10}",
    ]
    for r in s["regions"]:
        lines.append(
            f"{r['region']:<7}{r['peak_kPa']:>10.1f}{r['mean_kPa']:>10.1f}"
            f"{r['contact_area_mm2']:>10.1f}{r['force_N']:>9.2f}{r['peak_von_mises_kPa']:>9.1f}"
            f"{r['peak_max_shear_kPa']:>9.1f}{_cell(r, 'peak_skin_shear_kPa')}"
            f"{_cell(r, 'slip_area_mm2')}"
        )
    lines.append(
        "VM, tau: peak von Mises and maximum shear stress in the fat pad under the region; "
        "shear: peak friction traction on the skin; slip: loaded area that slides"
    )
    if "insole_peak_pressure_kPa" in s["figures"]:  # footwear: the insole's side of the contact
        lines.append(
            f"insole and pad top: peak {s['figures']['insole_peak_pressure_kPa']:.1f} kPa "
            "(insole_top.vtu; footsim plot --view insole)"
        )
    skeleton = s.get("solution", {}).get("skeleton")
    if skeleton:
        lines += [""] + skeleton_lines(skeleton)
    return "\n".join(lines)


def _cell(row: dict, key: str) -> str:
    """A 10-wide table cell (one decimal), or "-" for a figure an older run did not record."""
    value = row.get(key)
    return f"{'-':>10}" if value is None else f"{value:>10.1f}"


def skeleton_lines(k: dict) -> list[str]:
    """The rigid skeleton's state: joint angles (deg), fascia and tendon tensions (N), and
    the balance of forces and moments of the whole forefoot (tarsus + ground)."""
    joints = k.get("joints_deg", {})
    tmt = "  ".join(f"{n} {v:+.2f}" for n, v in joints.items() if n.startswith("TMT"))
    mtp = "  ".join(f"{n} {v:+.1f}" for n, v in joints.items() if n.startswith("MTP"))
    out = [f"rigid bones: dorsiflexion (deg) {tmt}"]
    if mtp:
        out.append(f"             {mtp}")
    if k.get("bands_N"):
        out.append("fascia (N): " + "  ".join(f"{n} {v:.0f}" for n, v in k["bands_N"].items()))
    if k.get("tendons_N"):
        out.append("tendons (N): " + "  ".join(f"{n} {v:.0f}" for n, v in k["tendons_N"].items()))
    f, m = k["force_balance_N"], k["moment_balance_Nmm"]
    cop = k["centre_of_pressure_mm"]
    out.append(
        f"balance: tarsus + ground = ({f[0]:+.2f}, {f[1]:+.2f}, {f[2]:+.2f}) N, "
        f"({m[0]:+.0f}, {m[1]:+.0f}, {m[2]:+.0f}) N mm; centre of pressure x = {cop[0]:.1f} mm, "
        f"tarsus load line x = {k['load_line_x_mm']:.1f} mm"
    )
    return out


def compare_regions(a, b):
    """Per-region differences B - A of two runs' regional tables (:class:`~footsim.post.results.
    Result`): for the peak and mean pressure (kPa), force (N) and peak stresses (kPa), the
    value of A, of B, B - A, and B - A in % of A."""
    import numpy as np

    cols = ["peak_kPa", "mean_kPa", "force_N", "peak_von_mises_kPa", "peak_max_shear_kPa"]
    ra, rb = a.regions[cols], b.regions[cols]
    diff = rb - ra
    pct = 100.0 * diff / ra.replace(0.0, np.nan)
    out = diff.add_suffix("_diff")
    for c in cols:
        out[f"{c}_A"] = ra[c]
        out[f"{c}_B"] = rb[c]
        out[f"{c}_pct"] = pct[c]
    order = [f"{c}_{s}" for c in cols for s in ("A", "B", "diff", "pct")]
    return out[order]
