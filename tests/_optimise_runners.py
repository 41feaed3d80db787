"""Cheap runners for the optimiser's tests: a known bowl instead of a solve.

``bowl`` writes a real run folder whose figure ``bowl_kPa`` is
``100 + (x - 7)^2 + 4 (h - 5.5)^2`` of the pad's apex position ``x`` (mm proximal to the heads)
and height ``h`` (mm): the optimum is x = 7 mm, h = 5.5 mm, 100 kPa; without a pad, 200 kPa.
Every head's ``peak_von_mises_kPa`` is the bowl too (for a regional-figure objective).
MTH1's share of the heads' force is 0.1 + 0.04 x. Apexes beyond 18 mm 'fail to converge' (a
deterministic failure). ``slow_bowl`` takes half a second a run.
"""

import time

from footsim import run as pipeline
from footsim.post import results


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
    if not failed:
        bowl_kPa = 100.0 + (x - 7.0) ** 2 + 4.0 * (h - 5.5) ** 2
        summary["figures"] = {"bowl_kPa": bowl_kPa}
        # MTH1 takes 0.1 + 0.04 x of the heads' force (a share constraint binds at x = 5)
        share1 = 0.1 + 0.04 * x
        forces = [100.0 * share1] + [100.0 * (1.0 - share1) / 4.0] * 4
        summary["regions"] = [
            {"region": f"MTH{k + 1}", "force_N": f, "peak_von_mises_kPa": bowl_kPa}
            for k, f in enumerate(forces)
        ]
    staging = results.staging_dir(folder)
    results.write_json_atomic(staging / "summary.json", summary)
    results.commit(staging, folder)
    return pipeline.RunOutcome(summary["status"], summary["reason"], folder, summary)


def slow_bowl(scenario, root, **kwargs):
    time.sleep(0.5)
    return bowl(scenario, root, **kwargs)
