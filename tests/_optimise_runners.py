"""Cheap runners for the optimiser's tests: a known bowl instead of a solve.

``bowl`` writes a real run folder whose figure ``bowl_kPa`` is
``100 + (x - 7)^2 + 4 (h - 5.5)^2`` of the pad's apex position ``x`` (mm proximal to the heads)
and height ``h`` (mm): the optimum is x = 7 mm, h = 5.5 mm, 100 kPa; without a pad, 200 kPa.
Every head's ``peak_von_mises_kPa`` is the bowl too (for a regional-figure objective).
MTH1's share of the heads' force is 0.1 + 0.04 x. Apexes beyond 18 mm 'fail to converge' (a
deterministic failure). ``slow_bowl`` takes half a second a run.

At push-off (``load.case = "push_off"``) the bowl is ``2 (100 + (x - 13)^2 + 4 (h - 5.5)^2)``:
its optimum lies elsewhere, so a pressure-time objective over both postures has an optimum
of its own. Each run also writes a flat plantar surface (``plantar.vtu``) on which every head's
region is pressed at the bowl's value and the skin over the pad at ``20 h`` kPa standing,
``30 h`` at push-off: its sensor peaks are the bowl's.
"""

import time

import numpy as np

from footsim import run as pipeline
from footsim.post import results

HEADS_MM = np.array(
    [
        [-4.0, -24.0, 20.0],
        [0.0, 0.0, 20.0],
        [-4.4, 18.0, 19.0],
        [-11.2, 35.0, 18.6],
        [-20.2, 51.0, 18.5],
    ]
)


def _plantar(folder, head_kPa: float, pad_kPa: float) -> None:
    """A flat skin 90 x 110 mm: uniform ``head_kPa`` within 12 mm of each head, ``pad_kPa``
    over a 16 x 20 mm pad footprint proximal of the heads' regions."""
    import pyvista as pv

    plane = pv.Plane(
        center=(-20.0, 12.0, 0.0), i_size=90.0, j_size=110.0, i_resolution=90, j_resolution=110
    ).triangulate()
    x = np.asarray(plane.points)
    near = np.linalg.norm(x[:, None, :2] - HEADS_MM[None, :, :2], axis=2).min(axis=1) <= 12.0
    pad = (np.abs(x[:, 0] + 40.0) <= 8.0) & (np.abs(x[:, 1] - 10.0) <= 10.0)
    plane.point_data["pressure_kPa"] = np.where(near, head_kPa, np.where(pad, pad_kPa, 0.0))
    plane.point_data["displacement_mm"] = np.zeros((len(x), 3))
    plane.point_data["region"] = results.assign_regions(x, HEADS_MM, pad)
    plane.cast_to_unstructured_grid().save(folder / "plantar.vtu")


def bowl(scenario, root, **kwargs):
    folder = pipeline.run_folder(scenario, root)
    if results.is_done(folder):
        return pipeline.RunOutcome("done", "", folder, results.read_summary(folder), cached=True)
    pad = scenario.footwear.pad
    x, h = (pad.apex_proximal_to_mth_mm, pad.height_mm) if pad else (7.0, 5.5 + 5.0)  # no pad: 200
    failed = x > 18.0
    summary = {
        "name": scenario.name,
        "hash": scenario.content_hash(),
        "status": "failed" if failed else "done",
        "reason": "SolverError: step 4 did not converge" if failed else "",
    }
    push_off = scenario.load.case == "push_off"
    if not failed:
        if push_off:
            bowl_kPa = 2.0 * (100.0 + (x - 13.0) ** 2 + 4.0 * (h - 5.5) ** 2)
        else:
            bowl_kPa = 100.0 + (x - 7.0) ** 2 + 4.0 * (h - 5.5) ** 2
        summary["figures"] = {"bowl_kPa": bowl_kPa}
        summary["head_centres_mm"] = HEADS_MM.tolist()
        summary["head_radii_mm"] = [9.5, 8.0, 7.6, 7.0, 6.5]
        # MTH1 takes 0.1 + 0.04 x of the heads' force (a share constraint binds at x = 5)
        share1 = 0.1 + 0.04 * x
        forces = [100.0 * share1] + [100.0 * (1.0 - share1) / 4.0] * 4
        summary["regions"] = [
            {"region": f"MTH{k + 1}", "force_N": f, "peak_von_mises_kPa": bowl_kPa}
            for k, f in enumerate(forces)
        ]
    staging = results.staging_dir(folder)
    if not failed:
        _plantar(staging, bowl_kPa, (30.0 if push_off else 20.0) * (pad.height_mm if pad else 0.0))
    results.write_json_atomic(staging / "summary.json", summary)
    results.commit(staging, folder)
    return pipeline.RunOutcome(summary["status"], summary["reason"], folder, summary)


def slow_bowl(scenario, root, **kwargs):
    time.sleep(0.5)
    return bowl(scenario, root, **kwargs)
