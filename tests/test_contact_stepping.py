"""Verification of the contact solver's load stepping: linear solves with reused
factorisations, the predictor, loose intermediate steps, and the increments' growth, ceiling
and aim at the target force.

Units: mm, N, MPa.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from _contact_meshes import E_HERTZ, R_HERTZ, TISSUE, X_SYM, Y_SYM, hemisphere_mesh
from footsim.physics.contact.obstacles import RigidPlane
from footsim.physics.materials.laws import NeoHookean
from footsim.solve.forefoot import solve_contact
from footsim.solve.options import SolverOptions, mumps_single_precision


# ------------------------------------------------------------------------------------ solves
def press_hemisphere(mesh, ct, ft, travel_mm: float, options: SolverOptions):
    """The neo-Hookean Hertz quarter hemisphere pressed ``travel_mm`` (mm) onto the plane."""
    return solve_contact(
        mesh, ct, ft, materials={TISSUE: NeoHookean(name="hertz", E=E_HERTZ, nu=0.45)},
        travel_mm=travel_mm, driven_components=(2,), rollers=[(X_SYM, 0), (Y_SYM, 1)],
        ground=RigidPlane(z=0.0), options=options,
    )  # fmt: skip


def test_reused_factorisations_reach_the_fresh_lu_solution():
    """Newton steps solved by Krylov iterations preconditioned with an earlier Jacobian's
    factors (the default: single-precision factors and FGMRES where PETSc offers them; and
    double-precision factors with GMRES, kept out of core) converge to the solution of a
    fresh LU per step (to the Newton tolerance), with fewer factorisations than Jacobians;
    the fresh-LU mode factorises every Jacobian."""
    R = R_HERTZ
    mesh, ct, ft = hemisphere_mesh(R, 0.5, 1.5)
    runs = {}
    for key, reuse, precision in (("single", True, "single"), ("double", True, "double"),
                                  ("fresh", False, "double")):  # fmt: skip
        opts = SolverOptions(
            formulation="mixed",
            reuse_factorization=reuse,
            factor_precision=precision,
            out_of_core=key == "double",  # MUMPS's factors on disk (a memory saver)
            initial_step_mm=0.02,
            rtol=1e-10,
        )
        runs[key] = press_hemisphere(mesh, ct, ft, 0.2, opts)
    b = runs["fresh"]
    cb = b.record.counts
    assert cb["factorizations"] == cb["jacobians"]
    assert b.record.linear_solver == "mumps LU of every Jacobian"
    single = "single" if mumps_single_precision() else "double"
    assert runs["single"].record.linear_solver == (
        f"{'FGMRES' if single == 'single' else 'GMRES'} preconditioned by reused "
        f"{single}-precision block low-rank mumps LDL^T"
    )
    assert runs["double"].record.linear_solver == (
        "GMRES preconditioned by reused double-precision block low-rank mumps LDL^T, "
        "factors out of core"
    )
    for key in ("single", "double"):
        a = runs[key]
        ca = a.record.counts
        assert ca["factorizations"] < ca["jacobians"], key
        assert ca["krylov_iterations"] > ca["jacobians"], key  # the Krylov method did iterate
        ua, ub = a.displacement.x.array, b.displacement.x.array
        assert np.abs(ua - ub).max() < 1e-7 * np.abs(ub).max(), key
        assert a.reaction_contact_N == pytest.approx(b.reaction_contact_N, rel=1e-7), key
        assert a.peak_pressure_kPa == pytest.approx(b.peak_pressure_kPa, rel=1e-6), key
        for phase in ("solve: jacobian assembly", "solve: residual assembly",
                      "solve: linear solves"):  # fmt: skip
            assert a.record.timings[phase] > 0.0


def test_the_predictor_changes_the_path_not_the_solution():
    """Starting each loading step from the extrapolation of the last two states
    (``predictor=True``) or from the last state (``False``) reaches the same solution at the
    same travel, by different Newton paths."""
    mesh, ct, ft = hemisphere_mesh(R_HERTZ, 1.0, 1.5)
    runs = {}
    for predictor in (True, False):
        opts = SolverOptions(formulation="mixed", initial_step_mm=0.02, rtol=1e-10,
                             predictor=predictor)  # fmt: skip
        runs[predictor] = press_hemisphere(mesh, ct, ft, 0.1, opts)
    on, off = runs[True], runs[False]
    assert any(s.predicted for s in on.record.steps)
    assert not any(s.predicted for s in off.record.steps)
    paths = [[s.residual for s in sol.record.steps] for sol in (on, off)]
    assert paths[0] != paths[1]
    u_on, u_off = on.displacement.x.array, off.displacement.x.array
    assert np.abs(u_on - u_off).max() < 1e-7 * np.abs(u_off).max()
    assert on.reaction_contact_N == pytest.approx(off.reaction_contact_N, rel=1e-7)


def test_loose_intermediate_steps_reach_the_same_final_state():
    """Under force control the intermediate load steps stop at ``step_rtol`` times the target
    force, and the state on target is re-solved to the full tolerance ("final"): the same
    state as with every step solved to the full tolerance, in fewer Newton iterations."""
    mesh, ct, ft = hemisphere_mesh(R_HERTZ, 0.5, 1.5)
    F = 0.25 * 4 / 3 * E_HERTZ / (1 - 0.45**2) * 1.2**3 / R_HERTZ  # quarter, a ~ 1.2 mm
    runs = {}
    for step_rtol in (1e-3, 0.0):
        opts = SolverOptions(formulation="mixed", initial_step_mm=0.02, step_rtol=step_rtol)
        runs[step_rtol] = solve_contact(
            mesh, ct, ft, materials={TISSUE: NeoHookean(name="hertz", E=E_HERTZ, nu=0.45)},
            target_force_N=F, driven_components=(2,), rollers=[(X_SYM, 0), (Y_SYM, 1)],
            ground=RigidPlane(z=0.0), options=opts,
        )  # fmt: skip
    loose, tight = runs[1e-3], runs[0.0]
    atol = SolverOptions().atol
    steps = loose.record.steps
    assert not any(s.predicted for s in steps)  # each step from the last state (default)
    assert any(s.residual > 10 * atol for s in steps if s.phase == "load")  # loose on the way
    assert steps[-1].phase == "final" and steps[-1].residual <= atol  # tight at the end
    assert all(s.residual <= atol for s in tight.record.steps if s.converged)
    assert loose.newton_iterations < tight.newton_iterations
    # the same final state: force on target, and the same pressure field
    for sol in (loose, tight):
        assert sol.reaction_dirichlet_N == pytest.approx(sol.reaction_contact_N, rel=1e-6)
        assert sol.reaction_contact_N == pytest.approx(F, rel=0.002)
    # (both stop within force_rtol of the target, at travels 1e-4 apart here)
    assert loose.travel_mm == pytest.approx(tight.travel_mm, rel=1e-3)
    scale = tight.contact_node_pressure.max()
    diff = np.abs(loose.contact_node_pressure - tight.contact_node_pressure).max() / scale
    assert diff < 1e-3


# ------------------------------------------------------------------------------------ increments
def test_increment_grows_fast_after_trivial_steps_and_not_straight_after_a_cutback():
    """The increment limit: doubled after a step of at most two Newton iterations, x1.5 after
    an easy one, kept after a hard one and on the first success after a cut-back step, and
    never above max_step_mm."""
    from footsim.solve.increments import grown_increment

    o = SolverOptions()
    assert (o.fast_growth, o.fast_iterations, o.growth, o.easy_iterations) == (2.0, 2, 1.5, 6)
    assert grown_increment(0.5, 2, o) == 1.0
    assert grown_increment(0.5, 3, o) == 0.75
    assert grown_increment(0.5, 6, o) == 0.75
    assert grown_increment(0.5, 7, o) == 0.5
    assert grown_increment(0.5, 1, o, after_cutback=True) == 0.5
    assert grown_increment(1.5, 1, o) == o.max_step_mm == 2.0
    # the ceiling set by failed steps caps every rule, including "kept"
    assert grown_increment(0.5, 2, o, ceiling=0.8) == 0.8
    assert grown_increment(0.5, 3, o, ceiling=0.6) == 0.6
    assert grown_increment(0.9, 7, o, ceiling=0.6) == 0.6
    assert grown_increment(0.9, 1, o, after_cutback=True, ceiling=0.6) == 0.6
    assert grown_increment(0.5, 2, o, ceiling=5.0) == 1.0


def test_a_failed_increment_lowers_the_ceiling_but_not_below_the_initial_step():
    """After a failed solve no increment exceeds failed_step_ceiling times the failed one; the
    ceiling only falls, never below initial_step_mm, and 0 switches it off."""
    import dataclasses

    from footsim.solve.increments import lowered_ceiling

    o = SolverOptions()
    assert (o.failed_step_ceiling, o.initial_step_mm) == (0.75, 0.5)
    assert lowered_ceiling(math.inf, 2.0, o) == 1.5
    assert lowered_ceiling(1.5, 1.0, o) == 0.75
    assert lowered_ceiling(0.75, 1.9, o) == 0.75  # a larger failure does not raise it
    assert lowered_ceiling(0.75, 0.2, o) == 0.5  # floor: the initial step
    off = dataclasses.replace(o, failed_step_ceiling=0.0)
    assert lowered_ceiling(math.inf, 0.2, off) == math.inf
    with pytest.raises(ValueError, match=r"failed_step_ceiling = 1\.5 is outside"):
        SolverOptions(failed_step_ceiling=1.5)


def test_travel_increment_aims_at_the_force_without_overshooting_a_stiffening_curve():
    """The force-control predictor: exact on an exponential and on a linear force-travel
    curve, short of the target (never past it) on convex power laws, capped at the maximum
    step, and stepping towards the target without a usable pair of states."""
    from footsim.solve.increments import travel_increment

    def history(force, travels):
        return [(0.0, 0.0)] + [(d, force(d)) for d in travels]

    exponential = lambda d: 2.0 * math.exp(0.8 * d)  # noqa: E731
    h = history(exponential, [3.0, 5.0])
    d_target = math.log(700.0 / 2.0) / 0.8  # 7.32 mm
    assert 5.0 + travel_increment(h, h[-1][1], 700.0, 5.0) == pytest.approx(d_target, rel=1e-12)
    # (the linear secant alone would aim 34 % further, to ~8.1 mm, where F ~ 1300 N)
    # less convex curves (linear, Hertz-like, cubic): short of the target, never past it, and
    # repeated from the states reached, on target within 0.2 % in a few steps
    linear = lambda d: 40.0 * d  # noqa: E731
    hertz = lambda d: 5.0 * d**1.5  # noqa: E731
    cubic = lambda d: 0.5 * d**3  # noqa: E731
    for force in (linear, hertz, cubic):
        h = history(force, [1.0, 2.0])
        for _ in range(6):
            d, F = h[-1]
            d_new = d + travel_increment(h, F, 300.0, 10.0)
            assert d < d_new and force(d_new) <= 300.0 * (1 + 1e-12)
            h.append((d_new, force(d_new)))
            if abs(h[-1][1] - 300.0) <= 0.002 * 300.0:
                break
        else:
            raise AssertionError(f"not on target after 6 steps: {h}")
    # an overshoot is undone from above towards the target, the step capped
    h = history(exponential, [3.0, 5.0, 8.0])
    assert travel_increment(h, h[-1][1], 700.0, 0.25) == -0.25
    assert 8.0 + travel_increment(h, h[-1][1], 700.0, 5.0) == pytest.approx(d_target, rel=1e-12)
    # no pair at distinct travels (only the touch state): the maximum step towards the target
    assert travel_increment([(0.0, 0.0)], 0.0, 100.0, 0.25) == 0.25
    # nor after an Uzawa update moved the force at one travel: the last known stiffness
    # (N/mm) aims at the target, never the maximum step (which overshot a standing run's
    # 0.6 N excess by a 2 mm lift, to a quarter of the force)
    h = [(3.5, 152.7), (3.5, 153.4)]
    assert travel_increment(h, 153.4, 152.8, 2.0, stiffness=80.0) == pytest.approx(-0.6 / 80.0)
    assert travel_increment(h, 153.4, 152.8, 2.0) == -2.0
    # a re-solve at fixed travel (penalty raise, Uzawa) is skipped for the slope
    h = history(linear, [1.0, 2.0]) + [(2.0, 85.0)]
    expected = math.log(300.0 / 85.0) / math.log(2.0)  # the log-secant of (1, 40), (2, 80)
    assert travel_increment(h, 85.0, 300.0, 10.0) == pytest.approx(expected, rel=1e-12)
