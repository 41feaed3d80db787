"""Shared by the scripts in tests/mpi: the gathered fields of a result folder as JSON-ready
lists, and the one ``RESULT`` line that tests/test_mpi.py reads."""

import json

from mpi4py import MPI


def solution_json(sol, comm) -> dict:
    """Global figures of a :class:`footsim.solve.solution.Solution` (peak nodal pressure in MPa),
    the same on every process; collective."""
    p = sol.contact_node_pressure
    return {
        "size": comm.size,
        "reaction_contact_N": sol.reaction_contact_N,
        "reaction_dirichlet_N": sol.reaction_dirichlet_N,
        "peak_pressure_MPa": comm.allreduce(float(p.max()) if p.size else 0.0, op=MPI.MAX),
        "contact_area_mm2": sol.contact_area_mm2,
        "max_penetration_mm": sol.max_penetration_mm,
        "travel_mm": sol.travel_mm,
        "num_dofs": sol.num_dofs,
        "newton_iterations": sol.record.newton_iterations,
        "uzawa_iterations": sol.record.uzawa_iterations,
        "contact_force_N": [float(f) for f in sol.contact_force_N],
        "peak_shear_kPa": sol.peak_shear_kPa,
        "stick_area_mm2": sol.stick_area_mm2,
    }


def fields_json(fields: dict) -> dict:
    """Nodal and cell fields of :func:`footsim.post.fields.gather_fields` (rank 0) as lists,
    with the cell centres (mm) to match cells across partitions."""
    cells = fields["topology"].reshape(-1, 5)[:, 1:]
    return {
        "nodal": {k: fields[k].tolist() for k in ("x", "displacement_mm", "pressure_kPa",
                  "node_area_mm2", "on_surface", "skin_shear_kPa", "stick")},
        "cell_centres": fields["x"][cells].mean(axis=1).tolist(),
        "cells": {k: fields[k].tolist() for k in ("tag", "von_mises_kPa", "max_shear_kPa",
                  "strain_pct")},
    }  # fmt: skip


def print_result(out: dict) -> None:
    print("RESULT " + json.dumps(out), flush=True)
