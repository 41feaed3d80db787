"""One scenario, end to end: parameters -> mesh -> solve -> result folder -> picture.

:func:`run` is what ``footsim run`` and every sweep worker call. It never reports a number
from a solve that did not converge: a :class:`~footsim.mechanics.SolverError` (or a bad
geometry) is caught and written as a ``failed`` summary with its reason, and the returned
:class:`RunRecord` says so. A finished run is found again by the content hash of its
scenario and not solved twice (``force=True`` re-runs it).
"""

from __future__ import annotations

import functools
import os
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from footsim import __version__, results
from footsim.results import REGION_COLUMNS, REGIONS

if TYPE_CHECKING:
    from footsim.scenarios import Scenario

MESH_DIR_ENV = "FOOTSIM_MESH_DIR"
"""Environment variable naming the mesh cache folder (default ``meshes/`` in the working dir)."""


@dataclass(frozen=True)
class RunRecord:
    """Outcome of one run: ``status`` is ``done`` or ``failed`` (then ``reason`` says why)."""

    status: str
    reason: str
    folder: Path
    summary: dict[str, Any] = field(default_factory=dict)
    cached: bool = False


def mesh_dir() -> Path:
    """The mesh cache folder: ``$FOOTSIM_MESH_DIR`` or ``./meshes``."""
    return Path(os.environ.get(MESH_DIR_ENV, "meshes"))


def run_folder(scenario: Scenario, results_root: Path) -> Path:
    """``results_root/<name>-<hash>``: where the run of ``scenario`` lives."""
    return Path(results_root) / f"{scenario.name}-{scenario.content_hash()}"


def load_case(scenario: Scenario):
    """The :class:`~footsim.loading.LoadCase` of a scenario (force in N, heel rise in deg)."""
    from footsim import loading
    from footsim.footwear import forefoot_load_share

    spec = scenario.load
    heel = scenario.footwear.heel_height_mm
    if spec.case == "standing":
        case = loading.standing(spec.body_mass_kg, forefoot_share=forefoot_load_share(heel))
    else:
        case = loading.push_off(spec.body_mass_kg)
    if spec.heel_rise_deg is not None:
        case = loading.LoadCase(
            case.name,
            case.force_N,
            spec.heel_rise_deg,
            f"{case.description.split(', heel rise')[0]}, heel rise {spec.heel_rise_deg:g} deg",
        )
    if spec.force_N is not None:
        case = loading.LoadCase(case.name, spec.force_N, case.heel_rise_deg, "explicit force")
    return case


def run(
    scenario: Scenario,
    results_root: Path,
    *,
    png: bool = True,
    force: bool = False,
    options=None,
) -> RunRecord:
    """Run ``scenario`` and write its folder under ``results_root`` (see :mod:`footsim.results`).

    ``options`` are :class:`~footsim.mechanics.SolverOptions` (default: the solver's, with the
    force reached within 0.2 %). Returns the record; a failed solve or geometry is a
    ``failed`` record, not an exception.
    """
    from mpi4py import MPI

    comm = MPI.COMM_WORLD  # under mpirun: one model on all processes, rank 0 writes
    root = comm.rank == 0
    folder = run_folder(scenario, results_root)
    if comm.bcast(not force and results.is_done(folder) if root else None, root=0):
        summary = results.read_summary(folder) or {}
        return RunRecord("done", "", folder, summary, cached=True)

    staging = comm.bcast(results.staging_dir(folder) if root else None, root=0)
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
            scenario, staging, png=png and scenario.output.pressure_png, options=options
        )
    except Exception as exc:  # noqa: BLE001 - recorded as a failed run, never lost
        error = (
            f"{type(exc).__name__}: {exc}".strip().splitlines()[0],
            traceback.format_exc(),
            getattr(exc, "steps", []),  # SolverError: the solves attempted up to the failure
        )
    errors = [e for e in comm.gather(error, root=0) or [] if e is not None]
    if root:
        if errors:
            summary = dict(base, status="failed", reason=errors[0][0], traceback=errors[0][1])
            summary["solution"] = {"steps": errors[0][2]}
        else:
            summary.update(base, status="done", reason="")
        summary["wall_time_s"] = time.perf_counter() - t_start
        summary.setdefault("figures", {})["wall_time_s"] = summary["wall_time_s"]
        results.write_json_atomic(staging / "summary.json", summary)
        results.commit(staging, folder)
    summary = comm.bcast(summary if root else None, root=0)
    return RunRecord(summary["status"], summary["reason"], folder, summary)


def _solve_and_write(scenario: Scenario, out: Path, *, png: bool, options) -> dict[str, Any] | None:
    from footsim import geometry
    from footsim.footwear import apply_heel
    from footsim.solver import solve_load_case

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
    mesh, cell_tags, facet_tags = geometry.load_dolfinx(mesh_folder)
    timings["mesh"] = time.perf_counter() - t0

    case = load_case(scenario)
    materials = footwear_materials(scenario.footwear)
    materials.update(volume_materials(scenario.materials))
    solution = solve_load_case(
        mesh,
        cell_tags,
        facet_tags,
        case,
        materials=materials or None,
        options=options,
        keep_steps=scenario.output.steps,
    )
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
        from footsim import plotting

        t0 = time.perf_counter()
        plotting.pressure_map(
            results.Result(
                out, summary, results.region_table(summary), fields["plantar"], None, None
            ),
            out / "pressure.png",
        )
        timings["picture"] = time.perf_counter() - t0
    return summary


def solver_options(scenario: Scenario, petsc_options: dict[str, Any] | None = None):
    """The :class:`~footsim.mechanics.SolverOptions` a run of ``scenario`` uses: the force
    reached within 0.2 %, at most 15 Newton iterations per step, the scenario's ``[solver]``
    table, and extra PETSc options (e.g. ``{"mat_mumps_icntl_14": 40}``, MUMPS workspace
    relaxation in %, for a mesh whose factorisation would not fit with the default 200)."""
    from footsim.mechanics import SolverOptions

    return SolverOptions(
        force_rtol=0.002,
        max_newton_iterations=15,
        penalty_factor=scenario.solver.penalty_factor,
        max_uzawa=scenario.solver.max_uzawa,
        quadrature_degree=scenario.solver.quadrature_degree,
        reuse_factorization=scenario.solver.reuse_factorization,
        petsc_options=dict(petsc_options or {}),
    )


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


def footwear_materials(footwear) -> dict[int, str]:
    """Material names of the insole and pad volumes named by the footwear (tag -> name)."""
    from footsim import tags

    out: dict[int, str] = {}
    if footwear.insole is not None:
        out[int(tags.Volume.INSOLE)] = footwear.insole.material
    if footwear.pad is not None:
        out[int(tags.Volume.PAD)] = footwear.pad.material
    return out


def volume_materials(overrides: dict[str, str]) -> dict[int, str]:
    """Material name per volume tag from a scenario's ``[materials]`` table: group names
    (``ALL_BONES``, ``PLATES``, ... :data:`footsim.tags.GROUPS`) first, single volumes over
    them."""
    from footsim import tags

    out: dict[int, str] = {}
    for single in (False, True):
        for name, material in overrides.items():
            if (name.upper() not in tags.GROUPS) == single:
                out.update({int(v): material for v in tags.volumes_named(name)})
    return out


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
        for col in REGION_COLUMNS[1:]:
            out[f"{row['region']}_{col}"] = row[col]
    for row in summary.get("plates", []):  # plantar plates: max principal strain (%)
        out[f"{row['plate']}_peak_strain_pct"] = row["peak_strain_pct"]
        out[f"{row['plate']}_mean_strain_pct"] = row["mean_strain_pct"]
    return out


def export(
    solution,
    cell_tags,
    head_centres_mm: np.ndarray,
    out: Path,
    scenario: Scenario,
    pad_covers: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    near_phalanges: Callable[[np.ndarray], np.ndarray] | None = None,
):
    """Write ``plantar.vtu``, ``volume.vtu`` and, on footwear, ``insole_top.vtu`` (the insole
    and pad top with the contact pressure it carries), and compute the regional table (on
    rank 0 under MPI, from :func:`gather_fields`; the other ranks get None).

    ``pad_covers(x, y)`` is True over the metatarsal pad's footprint (ground-plane mm, e.g.
    :meth:`~footsim.footwear.MetatarsalPad.covers`): plantar points over it, outside the head
    regions, form the ``pad`` region. ``near_phalanges(points)`` is True in the MTP joint
    spaces and around the proximal phalanges (:meth:`~footsim.anatomy.Anatomy.near_phalanges`):
    soft tissue there is joint capsule and toe, and the fat pad's peak stresses leave it out.

    Pressures are Cauchy contact pressures (force per deformed area) at the P1 nodes of the
    plantar skin, in kPa; areas are the deformed nodal tributary areas (mm^2), so that the
    regional forces add up to the contact reaction.
    """
    import pyvista as pv

    from footsim import tags

    g = gather_fields(solution, cell_tags)
    if g is None:  # not rank 0 under MPI: rank 0 writes the folder
        return None
    x, disp, tag = g["x"], g["displacement_mm"], g["tag"]
    vm_kPa, tau_kPa, strain_pct = g["von_mises_kPa"], g["max_shear_kPa"], g["strain_pct"]
    grid = pv.UnstructuredGrid(g["topology"], g["cell_types"], x)
    grid.point_data["displacement_mm"] = disp
    grid.cell_data["tag"] = tag
    grid.cell_data["von_mises_kPa"] = vm_kPa
    grid.cell_data["max_shear_kPa"] = tau_kPa
    grid.cell_data["max_principal_strain_pct"] = strain_pct
    pressure_kPa, node_area, on_surface = g["pressure_kPa"], g["node_area_mm2"], g["on_surface"]

    # plantar skin: boundary faces whose nodes are all contact-surface nodes
    surface = grid.extract_surface(algorithm="dataset_surface")
    original = surface.point_data["vtkOriginalPointIds"]
    faces = surface.faces.reshape(-1, 4)[:, 1:]
    keep = on_surface[original[faces]].all(axis=1)
    plantar_ids = np.unique(original[faces[keep]])
    remap = -np.ones(len(x), dtype=np.int64)
    remap[plantar_ids] = np.arange(len(plantar_ids))
    tri = remap[original[faces[keep]]]
    plantar = pv.PolyData(x[plantar_ids], np.hstack([np.full((len(tri), 1), 3), tri]).ravel())
    plantar.point_data["pressure_kPa"] = pressure_kPa[plantar_ids]
    plantar.point_data["displacement_mm"] = disp[plantar_ids]
    plantar.point_data["node_area_mm2"] = node_area[plantar_ids]

    pad_mask = None
    if pad_covers is not None:
        X = x[plantar_ids]  # reference positions (mm)
        pad_mask = np.asarray(pad_covers(X[:, 0], X[:, 1]), dtype=bool)
    region = results.assign_regions(x[plantar_ids], head_centres_mm, pad_mask)
    plantar.point_data["region"] = region.astype(np.int32)
    if solution.steps:  # the plantar pressure after every converged load step
        (out / "steps").mkdir(exist_ok=True)
        for k, step in enumerate(solution.steps):
            frame = plantar.copy()
            frame.point_data["pressure_kPa"] = g["steps_pressure_kPa"][k][plantar_ids]
            frame.field_data["force_N"] = [step.force_N]
            frame.field_data["travel_mm"] = [step.travel_mm]
            frame.field_data["phase"] = [step.phase]
            frame.cast_to_unstructured_grid().save(out / "steps" / f"plantar_{k:03d}.vtu")

    # internal stress in the fat pad under each head: soft-tissue cells below the head centre
    centres = grid.cell_centers().points
    soft = tag == int(tags.Volume.SOFT_TISSUE)
    if near_phalanges is not None:
        soft &= ~np.asarray(near_phalanges(centres), dtype=bool)
    cell_region = results.assign_regions(centres, head_centres_mm)
    rows = []
    for k, name in enumerate(REGIONS):
        sel = region == k
        p = plantar.point_data["pressure_kPa"][sel]
        a = plantar.point_data["node_area_mm2"][sel]
        loaded = p > results.CONTACT_THRESHOLD_KPA
        force_N = float(np.sum(p * a) / 1000.0)
        area = float(a[loaded].sum())
        in_pad = soft & (cell_region == k)
        if k < 5:
            in_pad &= centres[:, 2] < head_centres_mm[k, 2]
        rows.append(
            dict(
                zip(
                    REGION_COLUMNS,
                    (
                        name,
                        float(p.max()) if p.size else 0.0,
                        float(1000.0 * force_N / area) if area > 0 else 0.0,
                        area,
                        force_N,
                        float(vm_kPa[in_pad].max()) if in_pad.any() else 0.0,
                        float(tau_kPa[in_pad].max()) if in_pad.any() else 0.0,
                    ),
                    strict=True,
                )
            )
        )
    # plantar plates: largest principal Green-Lagrange strain (%), peak and volume mean
    volume_mm3 = grid.compute_cell_sizes(length=False, area=False)["Volume"]
    plates = []
    for k in range(2, 6):
        sel = tag == int(tags.Volume[f"PLATE{k}"])
        if sel.any():
            plates.append(
                {
                    "plate": f"PLATE{k}",
                    "peak_strain_pct": float(strain_pct[sel].max()),
                    "mean_strain_pct": float(np.average(strain_pct[sel], weights=volume_mm3[sel])),
                }
            )
    if scenario.output.fields:
        grid.save(out / "volume.vtu")
    plantar.cast_to_unstructured_grid().save(out / "plantar.vtu")
    insole_top = None
    if solution.target_surface is not None:  # footwear: the insole and pad top it presses on
        t = solution.target_surface
        cells = np.hstack([np.full((len(t.triangles), 1), 3), t.triangles]).ravel()
        insole_top = pv.PolyData(t.points_mm, cells)
        insole_top.point_data["pressure_kPa"] = 1000.0 * t.pressure_MPa
        insole_top.point_data["displacement_mm"] = t.displacement_mm
        insole_top.point_data["node_area_mm2"] = t.area_mm2
        insole_top.cast_to_unstructured_grid().save(out / "insole_top.vtu")
    _write_regions_csv(rows, out / "regions.csv")
    return {
        "plantar": plantar,
        "volume": grid,
        "insole_top": insole_top,
        "regions": rows,
        "plates": plates,
    }


def gather_fields(solution, cell_tags) -> dict[str, Any] | None:
    """The fields :func:`export` writes, over the whole mesh, on rank 0 (None on the others).

    Keys: ``x`` (reference coordinates of the P1 nodes, mm), ``displacement_mm``,
    ``pressure_kPa`` (Cauchy contact pressure), ``node_area_mm2`` (deformed tributary area of
    the contact nodes, 0 elsewhere), ``on_surface`` (contact-surface nodes), the VTK
    ``topology`` and ``cell_types`` of the linear tetrahedra, per cell ``tag``,
    ``von_mises_kPa``, ``max_shear_kPa`` and ``strain_pct`` (largest principal Green-Lagrange
    strain, %), and ``steps_pressure_kPa`` (one nodal array per kept load step).

    Serially these are the process's own arrays. Under MPI every process sends its owned
    nodes, by global index, and its owned cells, so the fields do not depend on the partition
    (only the order of the cells does)."""
    import dolfinx.plot
    from dolfinx import fem

    from footsim.mechanics import max_principal_green_strain

    u = solution.displacement
    mesh = u.function_space.mesh
    comm = mesh.comm
    P1 = solution.contact_pressure.function_space
    topology, cell_types, x = dolfinx.plot.vtk_mesh(P1)  # owned cells, all local nodes
    V1 = fem.functionspace(mesh, ("Lagrange", 1, (3,)))
    if not np.allclose(V1.tabulate_dof_coordinates(), x):
        raise RuntimeError("P1 vector and scalar dof layouts differ")
    u1 = fem.Function(V1)
    u1.interpolate(u)
    u1.x.scatter_forward()
    n_cells = mesh.topology.index_map(3).size_local
    tag = np.zeros(n_cells, dtype=np.int32)
    owned = cell_tags.indices < n_cells
    tag[cell_tags.indices[owned]] = cell_tags.values[owned]
    strain = max_principal_green_strain(u)

    def per_cell(f) -> np.ndarray:  # a DG0 Function on the owned cells
        return f.x.array[f.function_space.dofmap.list[:n_cells, 0]]

    contact = np.asarray(_contact_dofs(solution, x))
    node_area = np.zeros(len(x))
    node_area[contact] = solution.contact_node_area
    on_surface = np.zeros(len(x), dtype=bool)
    on_surface[contact] = True
    nodal = {
        "x": x,
        "displacement_mm": u1.x.array.reshape(-1, 3)[: len(x)],
        "pressure_kPa": 1000.0 * solution.contact_pressure.x.array[: len(x)],
        "node_area_mm2": node_area,
        "on_surface": on_surface,
    }
    steps = [1000.0 * step.pressure[: len(x)] for step in solution.steps]
    cells = {
        "tag": tag,
        "von_mises_kPa": 1000.0 * per_cell(solution.von_mises),
        "max_shear_kPa": 1000.0 * per_cell(solution.max_shear),
        "strain_pct": 100.0 * per_cell(strain),
    }
    if comm.size == 1:
        return dict(nodal, **cells, topology=topology, cell_types=cell_types,
                    steps_pressure_kPa=steps)  # fmt: skip

    imap = P1.dofmap.index_map
    n_own = imap.size_local
    to_global = imap.local_to_global(np.arange(len(x), dtype=np.int32))
    conn = topology.reshape(n_cells, -1)
    conn = np.hstack([conn[:, :1], to_global[conn[:, 1:]]])  # VTK cells in global node indices
    mine = (
        to_global[:n_own],
        {k: v[:n_own] for k, v in nodal.items()},
        [p[:n_own] for p in steps],
        conn,
        cell_types,
        cells,
    )
    parts = comm.gather(mine, root=0)
    if comm.rank != 0:
        return None
    n_global = imap.size_global
    out: dict[str, Any] = {}
    for key, first in parts[0][1].items():
        full = np.zeros((n_global, *first.shape[1:]), dtype=first.dtype)
        for ids, values, *_ in parts:
            full[ids] = values[key]
        out[key] = full
    out["steps_pressure_kPa"] = []
    for k in range(len(steps)):
        full = np.zeros(n_global)
        for ids, _, step_values, *_ in parts:
            full[ids] = step_values[k]
        out["steps_pressure_kPa"].append(full)
    out["topology"] = np.concatenate([p[3] for p in parts]).ravel()
    out["cell_types"] = np.concatenate([p[4] for p in parts])
    for key in cells:
        out[key] = np.concatenate([p[5][key] for p in parts])
    return out


def _contact_dofs(solution, x: np.ndarray) -> np.ndarray:
    """Indices (into the P1 dofs) of the solver's contact-surface nodes, by coordinates."""
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(x).query(solution.contact_nodes_reference)
    if dist.size and dist.max() > 1e-8:  # (a process may hold none)
        raise RuntimeError("contact nodes do not coincide with P1 dofs")
    return idx


def _write_regions_csv(rows: list[dict[str, Any]], path: Path) -> None:
    import csv

    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(REGION_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


def format_record(record: RunRecord) -> str:
    """Human-readable outcome of a run (the regional table in kPa)."""
    if record.status != "done":
        return f"{record.summary.get('name', '?')}: FAILED: {record.reason}\n{record.folder}"
    s = record.summary
    lines = [
        f"{s['name']}: done{' (cached)' if record.cached else ''}  ->  {record.folder}",
        f"load {s['load_case']['force_N']:.1f} N ({s['load_case']['description']}); "
        f"reaction {s['figures']['reaction_N']:.1f} N; "
        f"contact area {s['figures']['contact_area_mm2']:.0f} mm^2; "
        f"{s['figures']['load_steps']} load steps, {s['figures']['newton_iterations']} Newton "
        f"iterations, {s['wall_time_s']:.1f} s",
        "",
        f"{'region':<7}{'peak kPa':>10}{'mean kPa':>10}{'area mm2':>10}{'force N':>9}"
        f"{'VM kPa':>9}{'shear kPa':>10}",
    ]
    for r in s["regions"]:
        lines.append(
            f"{r['region']:<7}{r['peak_kPa']:>10.1f}{r['mean_kPa']:>10.1f}"
            f"{r['contact_area_mm2']:>10.1f}{r['force_N']:>9.2f}{r['peak_von_mises_kPa']:>9.1f}"
            f"{r['peak_max_shear_kPa']:>10.1f}"
        )
    if "insole_peak_pressure_kPa" in s["figures"]:  # footwear: the insole's side of the contact
        lines.append(
            f"insole and pad top: peak {s['figures']['insole_peak_pressure_kPa']:.1f} kPa "
            "(insole_top.vtu; footsim plot --view insole)"
        )
    return "\n".join(lines)


def clean_staging(results_root: Path) -> None:
    """Remove leftover staging folders (``.<name>.*.tmp``) of killed runs."""
    for p in Path(results_root).glob(".*.tmp"):
        shutil.rmtree(p, ignore_errors=True)
