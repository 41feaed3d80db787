"""The fields of a converged solve written to a run folder: ``plantar.vtu``, ``volume.vtu``,
``insole_top.vtu`` and the regional table, gathered on rank 0 under MPI (mm, kPa, mm^2, N).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from footsim.model.scenarios import Scenario
from footsim.post import results
from footsim.post.results import REGION_COLUMNS, REGIONS


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
    :meth:`~footsim.model.footwear.MetatarsalPad.covers`): plantar points over it, outside the head
    regions, form the ``pad`` region. ``near_phalanges(points)`` is True in the MTP joint
    spaces and around the proximal phalanges
    (:meth:`~footsim.model.anatomy.Anatomy.near_phalanges`):
    soft tissue there is joint capsule and toe, and the fat pad's peak stresses leave it out.

    Pressures are Cauchy contact pressures (force per deformed area) at the P1 nodes of the
    plantar skin, in kPa; areas are the deformed nodal tributary areas (mm^2), so that the
    regional forces add up to the contact reaction. With friction, ``plantar.vtu`` also holds
    the tangential traction the ground exerts on the skin (``skin_shear_kPa``, a vector, Cauchy;
    ``skin_shear_magnitude_kPa``) and each node's ``stick_fraction``, and the table the shear
    columns of :func:`skin_shear`.
    """
    import pyvista as pv

    from footsim.mesh import tags

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
    plantar.point_data["skin_shear_kPa"] = g["skin_shear_kPa"][plantar_ids]
    plantar.point_data["skin_shear_magnitude_kPa"] = np.linalg.norm(
        g["skin_shear_kPa"][plantar_ids], axis=1
    )
    plantar.point_data["stick_fraction"] = g["stick"][plantar_ids]

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
        shear = skin_shear(
            plantar.point_data["skin_shear_kPa"][sel],
            a,
            plantar.point_data["stick_fraction"][sel],
            loaded,
        )
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
                        *shear,
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


def skin_shear(
    t_kPa: np.ndarray, area_mm2: np.ndarray, stick: np.ndarray, loaded: np.ndarray
) -> tuple[float, float, float, float, float]:
    """A region's plantar shear from its nodes' tangential tractions ``t_kPa`` ((n, 3), on
    the skin), deformed tributary areas (mm^2), stick fractions (0 to 1) and ``loaded``
    mask: the peak traction magnitude (kPa), its area-weighted mean over the loaded area
    (kPa), the resultant's magnitude (N), its direction in the ground plane (deg from distal,
    +x, towards lateral, +y; 0 without shear) and the loaded area that slips (mm^2)."""
    if not loaded.any():
        return 0.0, 0.0, 0.0, 0.0, 0.0
    t, a = t_kPa[loaded], area_mm2[loaded]
    magnitude = np.linalg.norm(t, axis=1)
    resultant = (t * a[:, None]).sum(axis=0) / 1000.0  # N
    force = float(np.linalg.norm(resultant[:2]))
    direction = float(np.degrees(np.arctan2(resultant[1], resultant[0]))) if force > 0 else 0.0
    return (
        float(magnitude.max()),
        float(np.sum(magnitude * a) / a.sum()),
        force,
        direction,
        float(np.sum(a * (1.0 - stick[loaded]))) if magnitude.max() > 0 else 0.0,
    )


def gather_fields(solution, cell_tags) -> dict[str, Any] | None:
    """The fields :func:`export` writes, over the whole mesh, on rank 0 (None on the others).

    Keys: ``x`` (reference coordinates of the P1 nodes, mm), ``displacement_mm``,
    ``pressure_kPa`` (Cauchy contact pressure), ``node_area_mm2`` (deformed tributary area of
    the contact nodes, 0 elsewhere), ``on_surface`` (contact-surface nodes), ``skin_shear_kPa``
    ((n, 3): the friction's tangential traction on the skin, Cauchy) and ``stick`` (the
    fraction of each contact node's area that sticks), the VTK ``topology`` and
    ``cell_types`` of the linear tetrahedra, per cell ``tag``,
    ``von_mises_kPa``, ``max_shear_kPa`` and ``strain_pct`` (largest principal Green-Lagrange
    strain, %), and ``steps_pressure_kPa`` (one nodal array per kept load step).

    Serially these are the process's own arrays. Under MPI every process sends its owned
    nodes, by global index, and its owned cells, so the fields do not depend on the partition
    (only the order of the cells does)."""
    import dolfinx.plot
    from dolfinx import fem

    from footsim.physics.hyperelasticity import max_principal_green_strain

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
    shear = np.zeros((len(x), 3))
    stick = np.zeros(len(x))
    if solution.contact_shear is not None:
        shear = 1000.0 * solution.contact_shear.x.array.reshape(-1, 3)[: len(x)]
        stick[contact] = solution.contact_node_stick
    nodal = {
        "x": x,
        "displacement_mm": u1.x.array.reshape(-1, 3)[: len(x)],
        "pressure_kPa": 1000.0 * solution.contact_pressure.x.array[: len(x)],
        "node_area_mm2": node_area,
        "on_surface": on_surface,
        "skin_shear_kPa": shear,
        "stick": stick,
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
