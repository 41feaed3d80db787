"""Run by tests/test_mpi.py (serially and under ``mpirun -n 2``): the force-controlled patch
block of tests/test_contact_ground.py, with a curved obstacle so that the augmented-Lagrangian
updates have work to do; prints one JSON line of global results on rank 0, with the fields
that a result folder holds as gathered by ``footsim.post.fields.gather_fields``. An argument
``mu`` adds Coulomb friction with that coefficient (the tissue spreads on the curved
obstacle: the skin sticks and slips)."""

import sys
from pathlib import Path

import footsim  # noqa: F401  (must precede dolfinx)

from mpi4py import MPI  # noqa: E402  isort: skip

sys.path.insert(0, str(Path(__file__).parents[1]))
from mpi_report import fields_json, print_result, solution_json  # noqa: E402

from _contact_meshes import X_SYM, Y_SYM, box_mesh  # noqa: E402
from footsim.physics.contact.friction import CoulombLaw  # noqa: E402
from footsim.physics.contact.obstacles import HeightField  # noqa: E402
from footsim.post.fields import gather_fields  # noqa: E402
from footsim.solve.forefoot import solve_contact  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402

comm = MPI.COMM_WORLD
mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=4)
sol = solve_contact(
    mesh, ct, ft, target_force_N=0.05, driven_components=(2,),
    rollers=[(X_SYM, 0), (Y_SYM, 1)], ground=HeightField(lambda x, y: -0.05 * (x**2 + y**2)),
    options=SolverOptions(penetration_tol_mm=1e-3, pressure_rtol=1e-4, max_uzawa=20),
    friction=CoulombLaw(float(sys.argv[1])) if len(sys.argv) > 1 else None,
)  # fmt: skip
fields = gather_fields(sol, ct)  # collective; None on ranks other than 0
out = solution_json(sol, comm)  # collective
if comm.rank == 0:
    print_result(out | {"fields": fields_json(fields)})
