"""Run by tests/test_mpi.py (``slow``; serially and under ``mpirun -n 2``): the default
forefoot (coarse preset) in quiet standing on the rigid ground; prints one JSON line of
global results on rank 0 (peak: the largest nodal Cauchy contact pressure, kPa).

A fresh LU per Newton step, so that both runs take the same load path: with reused
(single-precision) factors the Krylov iterates differ between one and two processes by the
Krylov tolerance, the intermediate load steps (solved to 0.1 % of the force only) stop at
slightly different states, the force control lands on a travel a few 1e-6 apart, and the
reactions differ by that (6e-6 measured), within the force tolerance but not the 1e-6 this
comparison asks for."""

import json
import time
from pathlib import Path

import footsim  # noqa: F401  (must precede dolfinx)

from mpi4py import MPI  # noqa: E402  isort: skip

from footsim import mesh as geometry  # noqa: E402
from footsim.model import scenarios  # noqa: E402
from footsim.model.footwear import apply_heel  # noqa: E402
from footsim.model.loads import standing  # noqa: E402
from footsim.run.pipeline import mesh_dir  # noqa: E402
from footsim.solve.forefoot import solve_load_case  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402

comm = MPI.COMM_WORLD
scenario = scenarios.load(Path(__file__).parents[2] / "scenarios" / "barefoot-standing.toml")
anatomy = apply_heel(scenario.anatomy, scenario.footwear)
folder = None
if comm.rank == 0:  # gmsh meshes on one process; dolfinx distributes the mesh it reads
    built = geometry.build_mesh(anatomy, scenario.footwear, preset="coarse", outdir=mesh_dir())
    folder = str(built.folder)
folder = comm.bcast(folder, root=0)
t0 = time.perf_counter()
mesh, cell_tags, facet_tags = geometry.load_dolfinx(folder)
options = SolverOptions(reuse_factorization=False)
sol = solve_load_case(mesh, cell_tags, facet_tags, standing(70.0), options=options)
p = sol.contact_node_pressure
out = {
    "size": comm.size,
    "reaction_contact_N": sol.reaction_contact_N,
    "reaction_dirichlet_N": sol.reaction_dirichlet_N,
    "peak_pressure_kPa": 1e3 * comm.allreduce(float(p.max()) if p.size else 0.0, op=MPI.MAX),
    "contact_area_mm2": sol.contact_area_mm2,
    "max_penetration_mm": sol.max_penetration_mm,
    "num_dofs": sol.num_dofs,
    "newton_iterations": sol.record.newton_iterations,
    "uzawa_iterations": sol.record.uzawa_iterations,
    "solve_s": time.perf_counter() - t0,
}
if comm.rank == 0:
    print("RESULT " + json.dumps(out), flush=True)
