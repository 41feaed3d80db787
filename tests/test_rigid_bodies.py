"""Rigid bodies, joints, bands and tendons against closed-form solutions (mm, N, MPa)."""

from __future__ import annotations

import math

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import pytest  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim.physics.bands import Band, Tendon  # noqa: E402
from footsim.physics.hyperelasticity import Hyperelasticity  # noqa: E402
from footsim.physics.joints import Joint, hinge  # noqa: E402
from footsim.physics.materials.laws import NeoHookean  # noqa: E402
from footsim.physics.rigid_body import (  # noqa: E402
    DRIVER,
    RigidBodies,
    RigidBody,
    coupling_penalty,
    rotation_matrix_np,
)
from footsim.solve.newton import NonlinearSolver  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402


def _cube():
    return dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 1, 1, 1)


def _solve_bodies(rb: RigidBodies, steps: int = 4) -> None:
    """Newton on the body unknowns alone (no tissue), the applied moments in ``steps`` equal
    increments; full Newton steps (an applied moment has no potential, which the
    critical-point line search assumes)."""
    _, F_q = rb.residual(None, None)
    opts = SolverOptions(formulation="displacement", linesearch="basic")
    solver = NonlinearSolver([F_q], [rb.q], [], opts)
    moment = rb.moment.value.copy()
    for k in range(1, steps + 1):
        rb.moment.value[:] = moment * k / steps
        rec = solver.solve()
        assert rec.converged, rec


def test_hinge_angle_is_moment_over_stiffness_at_a_large_angle():
    """A hinge of stiffness k under a moment M about its axis turns by M/k (here 0.6 rad),
    the other motions held: the exact rotation logarithm makes this hold at any angle."""
    rb = RigidBodies(_cube(), [RigidBody("toe", (10.0, 0.0, 0.0))])
    k, M = 2000.0, 1200.0  # N mm/rad, N mm
    rb.add(hinge("mtp", None, "toe", (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), k, 1e5, 1e7))
    rb.set_load("toe", moment=(0.0, M, 0.0))
    _solve_bodies(rb)
    U, theta = rb.values("toe")[:3], rb.values("toe")[3:]
    assert theta[1] == pytest.approx(M / k, rel=1e-3)
    assert abs(theta[0]) + abs(theta[2]) < 1e-8
    # the centre (10, 0, 0) swings about the hinge: x = R c
    R = rotation_matrix_np(theta)
    assert np.allclose(U, R @ np.array([10.0, 0, 0]) - [10.0, 0, 0], atol=1e-6)


def test_hinge_stops_at_the_end_of_its_range():
    """Beyond the end of its range (0.2 rad) a hinge turns against its stiffness plus the
    stop's: angle = lim + (M - k lim) / (k + k_stop); within it, M / k."""
    k, k_stop, lim = 2000.0, 5.0e4, 0.2
    for M, expected in ((300.0, 300.0 / k), (1200.0, lim + (1200.0 - k * lim) / (k + k_stop))):
        rb = RigidBodies(_cube(), [RigidBody("toe", (10.0, 0.0, 0.0))])
        joint = hinge("mtp", None, "toe", (0, 0, 0), (0, 1, 0), k, 1e5, k_stop, (None, lim))
        rb.add(joint)
        rb.set_load("toe", moment=(0.0, M, 0.0))
        _solve_bodies(rb)
        assert joint.angles(rb)[1] == pytest.approx(expected, rel=1e-4)


def _windlass(moment_y: float, r=8.0, d=12.0, k_hinge=3000.0, ea=2.0e4):
    """A toe hinged about y at the origin; a band from a ground anchor 100 mm proximal under
    the joint, over a pulley fixed ``r`` below the joint centre, to the toe ``d`` distal of it."""
    rb = RigidBodies(_cube(), [RigidBody("toe", (d, 0.0, 0.0))])
    rb.add(hinge("mtp", None, "toe", (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), k_hinge, 1e6, 1e8))
    A, V, Ins = (-100.0, 0.0, -r), (0.0, 0.0, -r), (d, 0.0, -r)
    band = Band("fascia", ((None, A), (None, V), ("toe", Ins)), ea)
    rb.add(band)
    rb.set_load("toe", moment=(0.0, moment_y, 0.0))
    _solve_bodies(rb)
    return rb, band, np.array(A), np.array(V), np.array(Ins)


def test_band_is_slack_when_the_toe_plantarflexes():
    rb, band, *_ = _windlass(+600.0)
    phi = rb.values("toe")[4]
    assert phi == pytest.approx(600.0 / 3000.0, rel=1e-4)
    assert band.tension(rb) == 0.0


def test_windlass_tension_and_moment_balance_by_hand():
    """Dorsiflexing the toe (negative rotation about y lifts +x) stretches the band wrapped
    under the joint: its tension from the hand-computed length, and the moment balance about
    the hinge, M + k_h(-phi) ... closed by the band's moment, both to 0.1 %."""
    M, k_h, ea, r, d = -2500.0, 3000.0, 2.0e4, 8.0, 12.0
    rb, band, A, V, Ins = _windlass(M, r=r, d=d, k_hinge=k_h, ea=ea)
    phi = rb.values("toe")[4]
    assert phi < -0.1  # dorsiflexed
    Rm = rotation_matrix_np(np.array([0.0, phi, 0.0]))
    ins = Rm @ Ins
    L0 = np.linalg.norm(V - A) + np.linalg.norm(Ins - V)
    length = np.linalg.norm(V - A) + np.linalg.norm(ins - V)
    T = ea * max(length / L0 - 1.0, 0.0)
    assert T > 10.0
    assert band.tension(rb) == pytest.approx(T, rel=1e-3)
    # moments about the hinge axis (y) on the toe: applied + spring + band = 0
    t_hat = (V - ins) / np.linalg.norm(V - ins)
    m_band = np.cross(ins, T * t_hat)[1]
    assert M - k_h * phi + m_band == pytest.approx(0.0, abs=1e-3 * abs(M))


def test_tendon_on_a_driver_carries_its_tension_to_the_driver():
    """A tendon of tension T from the driven block over a pulley on a body to a second body:
    with the bodies fixed by stiff springs, the block feels the tendon's pull, T along the
    first segment, and the block's wrench balances the springs' (exact statics)."""
    rb = RigidBodies(_cube(), [RigidBody("mt", (0.0, 0.0, 10.0))])
    rb.driver_pivot = np.array([-50.0, 0.0, 20.0])
    rb.add(Joint("fix", None, "mt", (0.0, 0.0, 10.0), (1e6,) * 3, (1e8,) * 3))
    T = 80.0
    origin, ins = (-120.0, 0.0, 40.0), (0.0, 0.0, 5.0)
    rb.add(Tendon("flexor", ((DRIVER, origin), ("mt", ins)), T))
    _solve_bodies(rb)
    f, m = rb.driver_wrench()
    e = (np.array(ins) - origin) / np.linalg.norm(np.array(ins) - origin)
    assert np.allclose(f, T * e, atol=1e-3)  # the insertion pulls the origin towards it
    r = np.array(origin) - rb.driver_pivot
    assert np.allclose(m, np.cross(r, T * e), atol=1e-2)


def test_the_skeleton_balance_is_taken_about_the_moved_pivot():
    """A bone hung on the tarsus by a spring and loaded by a dead force at one of its points,
    the tarsus moved down, rotated and moved distally (s = 5 mm): at equilibrium the tarsus's
    force and moment (about its moved pivot, pivot + (s, 0, w)) balance the force's at its
    current point, as skeleton_state reports them; a moment taken about the pivot without the
    distal move would be off by s F_z = 100 N mm."""
    from footsim.physics.skeleton import skeleton_state

    rb = RigidBodies(_cube(), [RigidBody("mt", (0.0, 0.0, 10.0))])
    rb.driver_pivot = np.array([-50.0, 0.0, 20.0])
    rb.add(Joint("hang", DRIVER, "mt", (0.0, 0.0, 10.0), (10.0,) * 3, (1e4,) * 3))
    point, force = np.array([5.0, 0.0, 8.0]), np.array([3.0, 0.0, -20.0])
    rb.add_point_force("mt", tuple(point), tuple(force))
    rb.drive(-2.0, 0.1, 5.0)
    _solve_bodies(rb)
    U = rb.values("mt")
    where = U[:3] + rotation_matrix_np(U[3:]) @ (point - (0.0, 0.0, 10.0)) + (0.0, 0.0, 10.0)
    state = skeleton_state(rb, force, where[None, :], force[None, :])
    assert np.linalg.norm(state["force_balance_N"]) < 1e-6 * np.linalg.norm(force)
    assert np.linalg.norm(state["moment_balance_Nmm"]) < 1e-6 * 20.0 * 60.0
    assert np.linalg.norm(state["contact_moment_Nmm"]) > 100.0  # a real moment to balance


def bar_on_springs() -> dict:
    """A rigid bar bonded on a thin tissue block (40 x 10 x 2 mm, E = 0.1 MPa, nu = 0) and
    held by two vertical springs 30 mm either side, loaded by a force 12 mm off-centre; solved
    with the tissue. Returns the bar's unknowns, the spring and block forces (N) and the
    lever solution (also run under MPI by tests/mpi/rigid_bar.py)."""
    L, W, h = 40.0, 10.0, 2.0
    mesh = dolfinx.mesh.create_box(
        MPI.COMM_WORLD, [[-L / 2, -W / 2, 0], [L / 2, W / 2, h]], (20, 5, 2),
        dolfinx.mesh.CellType.tetrahedron,
    )  # fmt: skip
    top = dolfinx.mesh.locate_entities_boundary(mesh, 2, lambda x: np.isclose(x[2], h))
    bot = dolfinx.mesh.locate_entities_boundary(mesh, 2, lambda x: np.isclose(x[2], 0.0))
    facets = np.concatenate([top, bot])
    values = np.concatenate([np.full(top.size, 1), np.full(bot.size, 2)]).astype(np.int32)
    order = np.argsort(facets)
    ft = dolfinx.mesh.meshtags(mesh, 2, facets[order].astype(np.int32), values[order])
    n = mesh.topology.index_map(3).size_local
    ct = dolfinx.mesh.meshtags(mesh, 3, np.arange(n, dtype=np.int32), np.full(n, 30, np.int32))
    E = 0.1
    opts = SolverOptions(formulation="displacement", degree=2)
    body = Hyperelasticity(mesh, ct, {30: NeoHookean(name="t", E=E, nu=0.0)}, opts)
    rb = RigidBodies(mesh, [RigidBody("bar", (0.0, 0.0, h), (1,))], ft, coupling_penalty(E, 1.0))
    k, a, e, F = 5.0, 30.0, 12.0, 0.02  # N/mm, mm, mm, N
    for s in (-1, 1):
        rb.add(Joint(f"spring{s}", None, "bar", (s * a, 0.0, h), (0.0, 0.0, k), (0.0,) * 3))
    rb.add_point_force("bar", (e, 0.0, h), (0.0, 0.0, -F))
    F_u, F_q = rb.residual(body.u, body.v)
    V = body.V
    bc = fem.dirichletbc(np.zeros(3), fem.locate_dofs_topological(V, 2, bot), V)
    solver = NonlinearSolver(body.residual(F_u) + [F_q], [body.u, rb.q], [bc], opts)
    rec = solver.solve()
    solver.close()
    U = rb.values("bar")
    # the springs carry k (w -+ a sin theta) each; the block the rest: measured on its bottom
    springs = sum(k * (U[2] - s * a * math.sin(U[4])) for s in (-1, 1))
    reaction = fem.assemble_vector(fem.form(body.residual(None)[0]))
    reaction.scatter_reverse(dolfinx.la.InsertMode.add)
    dofs = fem.locate_dofs_topological(V, 2, bot)
    owned = dofs[dofs < V.dofmap.index_map.size_local]
    block = mesh.comm.allreduce(float(reaction.array[3 * owned + 2].sum()), op=MPI.SUM)
    return {
        "converged": bool(rec.converged),
        "U": U.tolist(),
        "springs_N": springs,
        "block_N": block,
        "force_N": F,
        "w_lever_mm": -F / (E * L * W / h + 2 * k),
        "theta_lever_rad": e * F / (E * W * L**3 / 12 / h + 2 * k * a * a),
    }


def test_rigid_bar_on_two_springs_pressing_a_tissue_block():
    """The bar drops and tilts as the lever solution of the springs and the block's
    stiffnesses E A / h and E I / h (Winkler; nu = 0 makes the block's compression uniaxial,
    and the shear of the tilted block adds O((h/L)^2) = 0.25 %), to 0.5 %; force balance of
    bar, springs and block to 0.1 %."""
    r = bar_on_springs()
    assert r["converged"]
    assert r["U"][2] == pytest.approx(r["w_lever_mm"], rel=5e-3)
    assert r["U"][4] == pytest.approx(r["theta_lever_rad"], rel=5e-3)
    assert r["springs_N"] - r["block_N"] == pytest.approx(-r["force_N"], rel=1e-3)
