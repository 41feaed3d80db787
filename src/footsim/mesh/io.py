"""Mesh folders to dolfinx: ``mesh.msh`` read through gmsh, ``mesh.xdmf`` written beside it."""

from __future__ import annotations

from pathlib import Path

from footsim.mesh.session import initialize_gmsh


def _write_xdmf(folder: Path) -> None:
    """mesh.xdmf (+ .h5) with the cell and facet tags, written by dolfinx from mesh.msh."""
    from dolfinx.io import XDMFFile
    from mpi4py import MPI

    mesh, cell_tags, facet_tags = _read_msh(folder / "mesh.msh", MPI.COMM_SELF)
    mesh.topology.create_connectivity(2, 3)
    with XDMFFile(MPI.COMM_SELF, folder / "mesh.xdmf", "w") as f:
        f.write_mesh(mesh)
        f.write_meshtags(cell_tags, mesh.geometry)
        f.write_meshtags(facet_tags, mesh.geometry)


def _read_msh(path: Path, comm):
    from dolfinx.io import gmsh as dgmsh

    gmsh = initialize_gmsh()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        if comm.rank == 0:
            gmsh.open(str(path))
        data = dgmsh.model_to_mesh(gmsh.model, comm, 0, gdim=3)
    finally:
        gmsh.finalize()
    data.cell_tags.name = "cell_tags"
    data.facet_tags.name = "facet_tags"
    return data.mesh, data.cell_tags, data.facet_tags


def load_dolfinx(folder: str | Path, comm=None):
    """``(mesh, cell_tags, facet_tags)`` of a saved mesh folder (distributed over ``comm``)."""
    from mpi4py import MPI

    return _read_msh(Path(folder) / "mesh.msh", comm or MPI.COMM_WORLD)
