"""The soft tissue without its bones: a submesh with a tagged cavity per bone (mm).

With rigid bones (:mod:`footsim.physics.rigid_body`) there are no unknowns inside bone: the
bone cells are dropped, and the tissue faces that touched them become boundary facets tagged
``tags.bone_surface(volume)``, the surfaces each rigid body drives.

A submesh facet is a bone surface when it is on the submesh's boundary but not on the full
mesh's; its bone is the one whose cell centroid is nearest to the facet's midpoint (the bone
cells' centroids are gathered on every process, so the test does not depend on which cells a
process holds).
"""

from __future__ import annotations

from collections.abc import Sequence

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip
from scipy.spatial import cKDTree  # noqa: E402  isort: skip

from footsim.mesh import tags  # noqa: E402


def _facet_keys(topology, facets: np.ndarray, vertex_map=None) -> list[tuple[int, ...]]:
    """Sorted vertex tuples of ``facets`` (through ``vertex_map`` to parent vertices)."""
    f2v = topology.connectivity(topology.dim - 1, 0)
    out = []
    for f in facets:
        v = f2v.links(f)
        if vertex_map is not None:
            v = vertex_map[v]
        out.append(tuple(sorted(int(i) for i in v)))
    return out


def remove_bones(
    mesh: dolfinx.mesh.Mesh,
    cell_tags: dolfinx.mesh.MeshTags,
    facet_tags: dolfinx.mesh.MeshTags,
    volumes: Sequence[int] = tags.RIGIDISH,
):
    """``(tissue mesh, cell tags, facet tags)``: ``mesh`` without the cells of ``volumes``.

    The facet tags keep every tag of ``facet_tags`` that lies on remaining cells and add the
    cavities' faces as ``tags.bone_surface(v)`` for each bone volume ``v``.

    Raises:
        ValueError: if a bone volume has no cells, or no tissue is left.
    """
    comm = mesh.comm
    tdim = mesh.topology.dim
    fdim = tdim - 1
    volumes = [int(v) for v in volumes]
    n_local = mesh.topology.index_map(tdim).size_local
    local_tags = np.full(n_local, -1, dtype=np.int32)
    owned = cell_tags.indices < n_local
    local_tags[cell_tags.indices[owned]] = cell_tags.values[owned]
    is_bone = np.isin(local_tags, volumes)
    keep = np.flatnonzero(~is_bone).astype(np.int32)
    if comm.allreduce(keep.size, op=MPI.SUM) == 0:
        raise ValueError("no tissue cells are left once the bones are removed")

    # bone cell centroids of all processes, with their volume tag
    bone_cells = np.flatnonzero(is_bone).astype(np.int32)
    mid = dolfinx.mesh.compute_midpoints(mesh, tdim, bone_cells)
    all_mid = np.concatenate(comm.allgather(mid)) if comm.size > 1 else mid
    all_tag = np.concatenate(comm.allgather(local_tags[bone_cells]))
    present = set(np.unique(all_tag).tolist())
    missing = [v for v in volumes if v not in present]
    if missing and len(missing) == len(volumes):
        raise ValueError(f"the mesh holds no cells of the bone volumes {volumes}")

    sub, cell_map, vertex_map, _ = dolfinx.mesh.create_submesh(mesh, tdim, keep)
    parent_cells = cell_map.sub_topology_to_topology(
        np.arange(sub.topology.index_map(tdim).size_local, dtype=np.int32), False
    )
    sub_cell_tags = dolfinx.mesh.meshtags(
        sub,
        tdim,
        np.arange(parent_cells.size, dtype=np.int32),
        local_tags[parent_cells].astype(np.int32),
    )

    vmap = sub.topology.index_map(0)
    vertex_map = vertex_map.sub_topology_to_topology(
        np.arange(vmap.size_local + vmap.num_ghosts, dtype=np.int32), False
    )
    mesh.topology.create_connectivity(fdim, tdim)
    mesh.topology.create_connectivity(fdim, 0)
    sub.topology.create_connectivity(fdim, tdim)
    sub.topology.create_connectivity(fdim, 0)
    n_sub_facets = sub.topology.index_map(fdim).size_local + sub.topology.index_map(fdim).num_ghosts
    sub_keys = _facet_keys(sub.topology, np.arange(n_sub_facets, dtype=np.int32), vertex_map)
    lookup = {k: i for i, k in enumerate(sub_keys)}

    # the parent's tags, carried over where the facet survives
    tagged: dict[int, int] = {}
    for f, key in zip(
        facet_tags.values, _facet_keys(mesh.topology, facet_tags.indices), strict=True
    ):
        i = lookup.get(key)
        if i is not None:
            tagged[i] = int(f)

    # cavity faces: on the submesh's boundary, not on the parent's
    parent_exterior = set(
        _facet_keys(mesh.topology, dolfinx.mesh.exterior_facet_indices(mesh.topology))
    )
    sub_exterior = dolfinx.mesh.exterior_facet_indices(sub.topology)
    cavity = np.array(
        [f for f in sub_exterior if sub_keys[f] not in parent_exterior], dtype=np.int32
    )
    if cavity.size:
        fmid = dolfinx.mesh.compute_midpoints(sub, fdim, cavity)
        _, nearest = cKDTree(all_mid).query(fmid)
        for f, n in zip(cavity, nearest, strict=True):
            tagged[int(f)] = tags.bone_surface(int(all_tag[n]))
    idx = np.array(sorted(tagged), dtype=np.int32)
    val = np.array([tagged[i] for i in idx], dtype=np.int32)
    sub_facet_tags = dolfinx.mesh.meshtags(sub, fdim, idx, val)
    sub_cell_tags.name = cell_tags.name
    sub_facet_tags.name = facet_tags.name
    return sub, sub_cell_tags, sub_facet_tags


__all__ = ["remove_bones"]
