"""Write a converged :class:`~footsim.solve.solution.Solution` for ParaView and PyVista.

>>> write_solution(sol, "out/standing")  # XDMF: out/standing.xdmf  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import footsim  # noqa: F401  (must precede dolfinx)

from dolfinx import fem  # noqa: E402  isort: skip


def write_solution(solution, path: str | Path, engine: str = "xdmf") -> list[Path]:
    """Write displacement, von Mises, max shear and contact pressure for ParaView/PyVista.

    ``engine="xdmf"``: one ``<path>.xdmf`` (+ ``.h5``) with the displacement interpolated to
    P1, the DG0 stresses and the P1 contact pressures (MPa).  ``engine="vtx"``: ADIOS2 ``.bp``
    folders ``<path>_displacement.bp`` (full degree), ``<path>_stress.bp`` (DG0) and
    ``<path>_contact.bp`` (P1).  Returns the written paths.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    u = solution.displacement
    mesh = u.function_space.mesh
    comm = mesh.comm
    stress = [solution.von_mises, solution.max_shear]
    contact = [solution.contact_pressure, solution.contact_pressure_nominal]
    if engine == "xdmf":
        from dolfinx.io import XDMFFile

        V1 = fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
        u1 = fem.Function(V1, name="displacement")
        u1.interpolate(u)
        out = path.with_suffix(".xdmf")
        with XDMFFile(comm, out, "w") as f:
            f.write_mesh(mesh)
            for fn in [u1, *stress, *contact]:
                f.write_function(fn, 0.0)
        return [out, out.with_suffix(".h5")]
    if engine == "vtx":
        from dolfinx.io import VTXWriter

        outs = []
        for suffix, fns in (("displacement", [u]), ("stress", stress), ("contact", contact)):
            p = path.parent / f"{path.name}_{suffix}.bp"
            with VTXWriter(comm, p, fns, engine="BP4") as w:
                w.write(0.0)
            outs.append(p)
        return outs
    raise ValueError(f"engine must be 'xdmf' or 'vtx', not {engine!r}")


__all__ = ["write_solution"]
