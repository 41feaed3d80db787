"""Shared by the scripts in tests/mpi: the gathered fields of a result folder as JSON-ready
lists, and the one ``RESULT`` line that tests/test_mpi.py reads."""

import json


def fields_json(fields: dict) -> dict:
    """Nodal and cell fields of :func:`footsim.pipeline.gather_fields` (rank 0) as lists,
    with the cell centres (mm) to match cells across partitions."""
    cells = fields["topology"].reshape(-1, 5)[:, 1:]
    return {
        "nodal": {k: fields[k].tolist() for k in ("x", "displacement_mm", "pressure_kPa",
                  "node_area_mm2", "on_surface")},
        "cell_centres": fields["x"][cells].mean(axis=1).tolist(),
        "cells": {k: fields[k].tolist() for k in ("tag", "von_mises_kPa", "max_shear_kPa",
                  "strain_pct")},
    }  # fmt: skip


def print_result(out: dict) -> None:
    print("RESULT " + json.dumps(out), flush=True)
