"""Run by tests/test_mpi.py (serially and under ``mpirun -n 2``): two-body contact, a quarter
hemisphere of nearly incompressible tissue (mixed P2-P1) pressed by force control into a
softer block on non-matching meshes (``footsim.physics.contact.body.BodyContact``: the projection
onto the
curved, denting master surface, its smooth normals and their exact tangent), with
augmented-Lagrangian updates; prints one JSON line of global results on rank 0, with the
fields gathered by ``footsim.post.fields.gather_fields``. An argument ``mu`` adds Coulomb
friction with that coefficient between the two bodies
(``footsim.physics.contact.body_friction``).

A fresh LU per Newton step, so that both runs take the same load path (see forefoot.py)."""

import sys
from pathlib import Path

import footsim  # noqa: F401  (must precede dolfinx)

from mpi4py import MPI  # noqa: E402  isort: skip

sys.path.insert(0, str(Path(__file__).parents[1]))
from mpi_report import fields_json, print_result, solution_json  # noqa: E402

from _contact_meshes import R_HERTZ, TISSUE, X_SYM, Y_SYM, hemisphere_on_block_mesh  # noqa: E402
from footsim.mesh import tags  # noqa: E402
from footsim.physics.contact.friction import CoulombLaw  # noqa: E402
from footsim.physics.materials.laws import NeoHookean  # noqa: E402
from footsim.post.fields import gather_fields  # noqa: E402
from footsim.solve.forefoot import solve_contact  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402

comm = MPI.COMM_WORLD
R = R_HERTZ
mesh, ct, ft = hemisphere_on_block_mesh(R, W=R, D=0.5 * R, h_fine=1.5, r_fine=3.0)
S = tags.Surface
sol = solve_contact(
    mesh, ct, ft, target_force_N=0.5, driven_components=(2,),
    materials={TISSUE: NeoHookean(name="tissue", E=0.1, nu=0.49),
               tags.Volume.INSOLE: NeoHookean(name="foam", E=0.05, nu=0.3)},
    rollers=[(X_SYM, 0), (Y_SYM, 1), (S.INSOLE_BOTTOM, 2)],
    target_surface=S.INSOLE_TOP, counter_cells=(tags.Volume.INSOLE,),
    options=SolverOptions(reuse_factorization=False, penetration_tol_mm=2e-3, load_atol=0.0),
    friction=CoulombLaw(float(sys.argv[1])) if len(sys.argv) > 1 else None,
)  # fmt: skip
fields = gather_fields(sol, ct)  # collective; None on ranks other than 0
out = solution_json(sol, comm)  # collective
t = sol.target_surface  # the block's top with its pressure: the same on every process
target = {"x": t.points_mm.tolist(), "pressure_MPa": t.pressure_MPa.tolist(),
          "area_mm2": t.area_mm2.tolist()}  # fmt: skip
if comm.rank == 0:
    print_result(out | {"fields": fields_json(fields), "target": target})
