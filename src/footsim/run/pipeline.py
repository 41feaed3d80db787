"""One scenario, end to end: parameters -> mesh -> solve -> result folder -> picture.

:func:`run` is what ``footsim run`` and every sweep worker call. It never reports a number
from a solve that did not converge: a :class:`~footsim.solve.newton.SolverError` (or a bad
geometry) is caught and written as a ``failed`` summary with its reason, and the returned
:class:`RunOutcome` says so. A finished run is found again by the content hash of its
scenario and not solved twice (``force=True`` re-runs it).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from footsim import __version__, folders
from footsim.model.loadpath import skeleton_for
from footsim.post import results
from footsim.post.fields import export
from footsim.post.results import RunOutcome
from footsim.post.table import figures
from footsim.run import progress
from footsim.run.inputs import footwear_materials, load_case, solver_options, volume_materials

if TYPE_CHECKING:
    from footsim.model.scenarios import Scenario
    from footsim.solve.records import StepRecord


MESH_DIR_ENV = "FOOTSIM_MESH_DIR"
"""Environment variable naming the mesh cache folder (default ``meshes/`` in the working dir)."""


def mesh_dir() -> Path:
    """The mesh cache folder: ``$FOOTSIM_MESH_DIR`` or ``./meshes``."""
    return Path(os.environ.get(MESH_DIR_ENV, "meshes"))


def run_folder(scenario: Scenario, results_root: Path) -> Path:
    """``results_root/<name>-<hash>``: where the run of ``scenario`` lives."""
    return Path(results_root) / f"{scenario.name}-{scenario.content_hash()}"


def run(
    scenario: Scenario,
    results_root: Path,
    *,
    png: bool = True,
    force: bool = False,
    retry_failed: bool = False,
    options=None,
    on_step: Callable[[StepRecord], None] | None = None,
) -> RunOutcome:
    """Run ``scenario`` and write its folder under ``results_root`` (see
    :mod:`footsim.post.results`).

    ``options`` are :class:`~footsim.solve.options.SolverOptions` (default: the solver's, with the
    force reached within 0.2 %). Returns the record; a failed solve or geometry is a
    ``failed`` record, not an exception.

    A recorded run is returned as it is (``cached``): a finished one, or a failure whose cause
    was deterministic; a transient failure (memory, disk) is run again, and so is a
    deterministic one with ``retry_failed``; ``force`` re-runs anything. MPI rank 0 holds the
    run folder's lock (:func:`footsim.folders.locked`) from that check to the commit, so a
    second run of the same scenario waits and then reuses the first's result; staging folders
    left in ``results_root`` by killed runs are removed first (:func:`footsim.folders.
    clean_stale`). Should writing fail (a full disk), nothing is left half-written.

    ``on_step(step)`` is called after each attempted load step
    (:class:`~footsim.solve.records.StepRecord`: force in N, phase, Newton iterations,
    converged or cut back), e.g. to show progress elsewhere than on a terminal
    (``footsim studio``).
    """
    from mpi4py import MPI

    comm = MPI.COMM_WORLD  # under mpirun: one model on all processes, rank 0 writes
    root = comm.rank == 0
    folder = run_folder(scenario, results_root)
    if root:
        folders.clean_stale(Path(results_root))
    lock = folders.locked(folder, on_wait=_say_waiting(folder)) if root else None
    with lock or contextlib.nullcontext():
        cached = None
        if root and not force:
            recorded = results.read_summary(folder)
            if recorded is not None and (
                recorded.get("status") == "done"
                or not (retry_failed or results.is_transient(recorded))
            ):
                cached = recorded
        cached = comm.bcast(cached, root=0)
        if cached is not None:
            status, reason = cached.get("status", "failed"), cached.get("reason", "")
            return RunOutcome(status, reason, folder, cached, cached=True)
        return _run_unlocked(scenario, folder, png=png, options=options, on_step=on_step)


def _say_waiting(folder: Path) -> Callable[[str], None]:
    def say(holder: str) -> None:
        print(
            f"footsim: {folder.name} is being run by another process ({holder}); waiting for "
            "it to finish, then using its result",
            file=sys.stderr,
            flush=True,
        )

    return say


def _run_unlocked(scenario: Scenario, folder: Path, *, png: bool, options, on_step) -> RunOutcome:
    """Run ``scenario`` into ``folder`` (the caller holds its lock on rank 0)."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    root = comm.rank == 0
    staging = comm.bcast(results.staging_dir(folder) if root else None, root=0)
    try:
        return _run_into(scenario, folder, staging, png=png, options=options, on_step=on_step)
    except BaseException:
        if root:  # a full disk, an interrupt: nothing half-written stays
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _run_into(scenario: Scenario, folder: Path, staging: Path, *, png: bool, options, on_step):
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    root = comm.rank == 0
    base = {
        "name": scenario.name,
        "description": scenario.description,
        "hash": scenario.content_hash(),
        "footsim_version": __version__,
        "mpi_processes": comm.size,
    }
    if root:
        (staging / "scenario.toml").write_text(scenario.to_toml())
    t_start = time.perf_counter()
    error = None
    try:
        summary = _solve_and_write(
            scenario,
            staging,
            png=png and scenario.output.pressure_png,
            options=options,
            on_step=on_step,
        )
    except Exception as exc:  # noqa: BLE001 - recorded as a failed run, never lost
        error = (
            f"{type(exc).__name__}: {exc}".strip().splitlines()[0],
            traceback.format_exc(),
            getattr(exc, "steps", []),  # SolverError: the solves attempted up to the failure
            results.is_transient_error(exc),
        )
    errors = [e for e in comm.gather(error, root=0) or [] if e is not None]
    if root:
        if errors:
            summary = dict(base, status="failed", reason=errors[0][0], traceback=errors[0][1])
            summary["solution"] = {"steps": errors[0][2]}
            summary["transient"] = any(e[3] for e in errors)
            if summary["transient"]:  # e.g. a full disk: drop what was half-written
                for path in staging.iterdir():
                    if path.name != "scenario.toml":
                        shutil.rmtree(path) if path.is_dir() else path.unlink()
        else:
            summary.update(base, status="done", reason="")
        summary["wall_time_s"] = time.perf_counter() - t_start
        summary.setdefault("figures", {})["wall_time_s"] = summary["wall_time_s"]
        results.write_json_atomic(staging / "summary.json", summary)
        results.commit(staging, folder)
    summary = comm.bcast(summary if root else None, root=0)
    return RunOutcome(summary["status"], summary["reason"], folder, summary)


def _solve_and_write(
    scenario: Scenario, out: Path, *, png: bool, options, on_step=None
) -> dict[str, Any] | None:
    from footsim.mesh import geometry, io
    from footsim.model.footwear import apply_heel
    from footsim.physics.contact.friction import CoulombLaw
    from footsim.solve.forefoot import solve_load_case

    options = options or solver_options(scenario)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    anatomy = apply_heel(scenario.anatomy, scenario.footwear)
    mesh_folder = _build_on_rank0(
        lambda: (
            geometry.build_mesh(
                anatomy,
                scenario.footwear,
                preset=scenario.mesh.preset,
                size_mm=scenario.mesh.size_mm,
                sesamoid_size_mm=scenario.mesh.sesamoid_size_mm,
                outdir=mesh_dir(),
            ).folder
        )
    )
    mesh, cell_tags, facet_tags = io.load_dolfinx(mesh_folder)
    timings["mesh"] = time.perf_counter() - t0

    case = load_case(scenario)
    materials = footwear_materials(scenario.footwear)
    materials.update(volume_materials(scenario.materials))
    from mpi4py import MPI

    show = progress.wanted(MPI.COMM_WORLD.rank)
    with progress.StepProgress(case.force_N, scenario.name, enabled=show) as bar:
        solution = solve_load_case(
            mesh,
            cell_tags,
            facet_tags,
            case,
            materials=materials or None,
            options=options,
            keep_steps=scenario.output.steps,
            footwear=scenario.footwear.insole is not None,
            progress=_listeners(bar if show else None, on_step),
            skeleton=skeleton_for(
                scenario.load_path, anatomy, case.name, scenario.load.body_mass_kg
            ),
            friction=CoulombLaw(
                scenario.contact.ground_friction
                if scenario.footwear.insole is None
                else scenario.contact.insole_friction
            ),
        )
    cell_tags = solution.cell_tags  # without the bones' cells with rigid bones
    timings.update(solution.record.timings)
    solution_summary = solution.summary()  # collective under MPI

    t0 = time.perf_counter()
    head_centres = np.asarray(anatomy.head_centres(), dtype=float)
    pad = scenario.footwear.pad
    covers = None if pad is None else functools.partial(pad.covers, anatomy)
    fields = export(
        solution,
        cell_tags,
        head_centres,
        out,
        scenario,
        pad_covers=covers,
        near_phalanges=anatomy.near_phalanges,
    )
    if fields is None:  # another MPI rank than 0: rank 0 writes the summary
        return None
    rows = fields.pop("regions")
    plates = fields.pop("plates")
    timings["export"] = time.perf_counter() - t0

    summary: dict[str, Any] = {
        "load_case": {
            "name": case.name,
            "force_N": case.force_N,
            "heel_rise_deg": case.heel_rise_deg,
            "description": case.description,
        },
        "mesh": {"folder": str(mesh_folder), "preset": scenario.mesh.preset},
        "solution": solution_summary,
        "regions": rows,
        "plates": plates,
        "head_centres_mm": head_centres.tolist(),
        "head_radii_mm": list(map(float, anatomy.head_radii())),
        "timings_s": timings,
    }
    summary["figures"] = figures(summary)
    summary["name"] = scenario.name
    _check_equilibrium(summary)
    if png:
        from footsim.post import plotting

        t0 = time.perf_counter()
        plotting.pressure_map(
            results.Result(
                out, summary, results.region_table(summary), fields["plantar"], None, None
            ),
            out / "pressure.png",
        )
        timings["picture"] = time.perf_counter() - t0
    return summary


def _listeners(*listeners):
    """One progress listener calling each of ``listeners`` that is not None (or None)."""
    active = [f for f in listeners if f is not None]
    if not active:
        return None

    def each(step) -> None:
        for f in active:
            f(step)

    return each


def _build_on_rank0(build: Callable[[], Path]) -> Path:
    """The mesh folder made by ``build()`` on MPI rank 0 (gmsh meshes on one process; dolfinx
    distributes the mesh it reads), shared with every rank; a failure is raised on all."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    if comm.size == 1:
        return build()
    result: tuple[Path | None, str | None] = (None, None)
    if comm.rank == 0:
        try:
            result = (build(), None)
        except Exception as exc:  # noqa: BLE001 - re-raised on every rank below
            result = (None, f"{type(exc).__name__}: {exc}")
    folder, error = comm.bcast(result, root=0)
    if error is not None:
        raise RuntimeError(f"mesh build failed on rank 0: {error}")
    return folder


EQUILIBRIUM_RTOL = 0.005
"""Reaction must equal the applied load within 0.5 % (issue #4), else the run fails."""


def _check_equilibrium(summary: dict[str, Any]) -> None:
    sol = summary["solution"]
    target = summary["load_case"]["force_N"]
    for key in ("reaction_dirichlet_N", "reaction_contact_N"):
        err = abs(sol[key] - target) / target
        if err > EQUILIBRIUM_RTOL:
            raise RuntimeError(
                f"equilibrium check failed: {key} = {sol[key]:.3f} N vs applied {target:.3f} N "
                f"({100 * err:.2f} % > {100 * EQUILIBRIUM_RTOL:.1f} %)"
            )


def clean_staging(results_root: Path) -> list[Path]:
    """Remove the staging folders that killed runs left in ``results_root`` (not those of
    runs in progress: :func:`footsim.folders.clean_stale`); returns what was removed."""
    return folders.clean_stale(Path(results_root))
