"""Run by tests/test_mpi.py (serially and under ``mpirun -n 2``): the rigid bar on two
springs bonded on a tissue block of tests/test_rigid_bodies.py (rigid-body unknowns in a real
space, the joints' point integral on one cell of rank 0); prints one JSON line on rank 0."""

import json
import sys
from pathlib import Path

import footsim  # noqa: F401  (must precede dolfinx)

from mpi4py import MPI  # noqa: E402  isort: skip

sys.path.insert(0, str(Path(__file__).parents[1]))
from test_rigid_bodies import bar_on_springs  # noqa: E402

out = bar_on_springs()
out["size"] = MPI.COMM_WORLD.size
if MPI.COMM_WORLD.rank == 0:
    print("RESULT " + json.dumps(out), flush=True)
