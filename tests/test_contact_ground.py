"""Verification of the contact solver on a rigid ground: Hertz, patch test, equilibrium, the
penalty that follows the stiffening tissue, height fields, failure reporting.

The load stepping is verified in ``test_contact_stepping.py``, two-body contact in
``test_contact_bodies.py``; the meshes are in ``_contact_meshes.py``.
Units: mm, N, MPa.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from _contact_meshes import (
    CONTACT,
    E_HERTZ,
    NU_HERTZ,
    R_HERTZ,
    TISSUE,
    X_SYM,
    Y_SYM,
    box_mesh,
    hemisphere_mesh,
    hertz,
)
from footsim.physics.contact.obstacles import HeightField, RigidPlane
from footsim.physics.materials.laws import NeoHookean
from footsim.solve.forefoot import solve_contact
from footsim.solve.newton import SolverError
from footsim.solve.options import SolverOptions
from footsim.solve.writing import write_solution


# ------------------------------------------------------------------------------------ Hertz
def hertz_run(h_over_a: float, a_target: float = 1.0):
    """Quarter elastic hemisphere (R = 10 mm, E = 1 MPa, nu = 0.3) pushed by its flat top
    (vertical only) onto the plane z = 0 by the Hertz indentation of ``a_target``."""
    R = R_HERTZ
    mesh, ct, ft = hemisphere_mesh(R, h_over_a * a_target, 1.5 * a_target)
    opts = SolverOptions(
        formulation="displacement",
        penetration_tol_mm=1e-3 * a_target**2 / R,
        pressure_rtol=1e-3,
        initial_step_mm=0.5 * a_target**2 / R,
    )
    sol = solve_contact(
        mesh, ct, ft,
        materials={TISSUE: NeoHookean(name="hertz", E=E_HERTZ, nu=NU_HERTZ)},
        travel_mm=a_target**2 / R, driven_components=(2,),
        rollers=[(X_SYM, 0), (Y_SYM, 1)], ground=RigidPlane(z=0.0), options=opts,
    )  # fmt: skip
    F = 4 * sol.reaction_contact_N  # full sphere
    a_H, p0_H, d_H = hertz(F)
    i0 = np.argmin(np.linalg.norm(sol.contact_nodes_reference, axis=1))
    p0 = sol.contact_node_pressure[i0]
    a = np.sqrt(4 * sol.contact_area_mm2 / np.pi)
    Es = E_HERTZ / (1 - NU_HERTZ**2)
    F_H = 4 / 3 * Es * np.sqrt(R) * sol.travel_mm**1.5  # Hertz force at the FE travel
    return {
        "sol": sol,
        "err_force": F / F_H - 1,
        "err_p0": p0 / p0_H - 1,
        "err_a": a / a_H - 1,
        "err_d": sol.travel_mm / d_H - 1,
    }


def test_hertz_sphere_on_plane():
    """Force-indentation, peak pressure and contact radius within 5 % of Hertz (a/R = 0.1)."""
    r = hertz_run(h_over_a=1 / 3)
    print({k: f"{v:+.2%}" for k, v in r.items() if k.startswith("err")})
    for k in ("err_force", "err_p0", "err_a", "err_d"):
        assert abs(r[k]) < 0.05, (k, r[k])
    sol = r["sol"]
    # equilibrium: the bones' push equals the contact integral (both from the same state)
    assert sol.reaction_dirichlet_N == pytest.approx(sol.reaction_contact_N, rel=1e-6)
    # pressure recovery is consistent: sum of nodal pressure x nodal area = contact force
    pa = np.sum(sol.contact_node_pressure * sol.contact_node_area)
    assert pa == pytest.approx(sol.reaction_contact_N, rel=1e-10)


@pytest.mark.slow
def test_hertz_refinement():
    """The peak-pressure and contact-radius errors fall with refinement (h/a = 1/2 .. 1/6)."""
    errs = []
    for h in (1 / 2, 1 / 3, 1 / 4, 1 / 6):
        r = hertz_run(h_over_a=h)
        errs.append((h, r["err_force"], r["err_p0"], r["err_a"], r["err_d"]))
        print(f"h/a = {h:.3f}: force {r['err_force']:+.2%} p0 {r['err_p0']:+.2%} "
              f"a {r['err_a']:+.2%} d {r['err_d']:+.2%}")  # fmt: skip
    assert all(abs(e) < 0.05 for row in errs[1:] for e in row[1:])
    assert abs(errs[-1][2]) < abs(errs[0][2])  # peak pressure improves
    assert abs(errs[-1][3]) < abs(errs[0][3])  # contact radius improves


# ------------------------------------------------------------------------------------ patch
@pytest.mark.parametrize("formulation", ["mixed", "displacement"])
def test_patch_uniform_pressure(formulation):
    """A block pressed uniformly (frictionless base, vertical-only top) on the plane: the
    contact pressure is uniform (within 2 %) and equals force / area; the Dirichlet reaction
    equals the contact integral; the target force is met within force_rtol."""
    L = 10.0
    mesh, ct, ft = box_mesh(L=L, H=5.0, n=4)
    opts = SolverOptions(formulation=formulation, degree=2)
    target = 2.0  # N on the quarter block (nominal 20 kPa, the default soft tissue)
    sol = solve_contact(
        mesh, ct, ft, target_force_N=target, driven_components=(2,),
        rollers=[(X_SYM, 0), (Y_SYM, 1)], options=opts,
    )  # fmt: skip
    R = sol.reaction_contact_N
    assert R == pytest.approx(target, rel=opts.force_rtol)
    assert sol.reaction_dirichlet_N == pytest.approx(R, rel=1e-6)
    X = sol.contact_nodes_reference
    inner = (X[:, 0] < 0.8 * L) & (X[:, 1] < 0.8 * L)
    p = sol.contact_node_pressure[inner]
    pn = sol.contact_node_pressure_nominal[inner]
    area = sol.contact_node_area.sum()
    assert np.ptp(p) / p.mean() < 0.02
    assert p.mean() == pytest.approx(R / area, rel=0.02)  # Cauchy = force / deformed area
    assert pn.mean() == pytest.approx(R / L**2, rel=0.02)  # nominal = force / initial area
    assert np.ptp(pn) / pn.mean() < 0.02
    assert sol.contact_node_area_reference.sum() == pytest.approx(L**2, rel=1e-10)
    assert sol.contact_area_mm2 == pytest.approx(area, rel=1e-6)


# ------------------------------------------------------------------------------------ penalty
def test_ground_penalty_follows_the_stiffening_tissue():
    """On the rigid ground the penalty is raised at the surface vertices (to ``penalty_factor
    * E_t(p) / h`` where that is over 1.5 times the current one) and interpolated linearly
    into the P2 penalty field, so that it stays positive between a raised and an unraised
    vertex. Force control on a hemisphere of the push-off Ogden tissue (2 N on the quarter,
    ~110 kPa peak): the run raises the penalty, needs fewer augmented-Lagrangian updates, ends
    in equilibrium under its last penalty, penetrates less, and reaches the state of a fixed
    penalty augmented to a tight tolerance: travel within 0.5 %, peak pressure within 2 %."""
    from footsim.physics.materials.library import SOFT_TISSUE_OGDEN

    mesh, ct, ft = hemisphere_mesh(R_HERTZ, 1.0, 3.0)
    target = 2.0
    sols = {}
    for adaptive in (True, False):
        opts = SolverOptions(
            penalty_factor=10.0, adaptive_penalty=adaptive, penetration_tol_mm=1e-3,
            pressure_rtol=1e-3, max_uzawa=20,
        )  # fmt: skip
        sols[adaptive] = solve_contact(
            mesh, ct, ft, target_force_N=target, driven_components=(2,),
            materials={TISSUE: SOFT_TISSUE_OGDEN}, rollers=[(X_SYM, 0), (Y_SYM, 1)],
            ground=RigidPlane(z=0.0), options=opts,
        )  # fmt: skip
    raised, fixed = sols[True], sols[False]
    assert raised.record.penalty_raises > 0 and fixed.record.penalty_raises == 0
    assert raised.penalty > 1.2 * fixed.penalty  # the mean over the whole surface
    assert raised.record.uzawa_iterations < fixed.record.uzawa_iterations
    assert raised.reaction_dirichlet_N == pytest.approx(raised.reaction_contact_N, rel=1e-9)
    # on target as force control promises (these options: force_rtol = 0.5 %)
    assert raised.reaction_contact_N == pytest.approx(target, rel=SolverOptions().force_rtol)
    assert raised.travel_mm == pytest.approx(fixed.travel_mm, rel=0.005)
    assert raised.peak_pressure_kPa == pytest.approx(fixed.peak_pressure_kPa, rel=0.02)


def test_ground_penalty_raise_is_exact_and_stays_positive():
    """``ContactSurface.update_penalty`` at a fixed state: the vertices' penalty becomes
    ``kappa0 E_t(p) / E`` where that exceeds 1.5 times the current one (``kappa0`` the initial
    ``penalty_factor E / h``), others keep theirs; the P2 field is the linear interpolant of
    the vertex values (positive, within their range); out of contact nothing changes; an
    explicit penalty is never raised."""
    from footsim.physics.contact.ground import ContactSurface
    from footsim.physics.contact.obstacles import RAISE_FACTOR
    from footsim.physics.hyperelasticity import Hyperelasticity
    from footsim.physics.materials.curves import compression_curve
    from footsim.physics.materials.library import SOFT_TISSUE_OGDEN

    mesh, ct, ft = hemisphere_mesh(R_HERTZ, 1.0, 3.0)
    options = SolverOptions(formulation="displacement", penalty_factor=10.0)
    body = Hyperelasticity(mesh, ct, {TISSUE: SOFT_TISSUE_OGDEN}, options)
    body.u.x.array.reshape(-1, 3)[:, 2] = -0.5  # 0.5 mm into the ground, rigidly
    contact = ContactSurface(body, ft, CONTACT, RigidPlane(z=0.0), options)
    d = contact.p1_dofs
    k0 = contact._kappa1.x.array[d].copy()
    p = contact.pressure_p1()[1].x.array[d]
    ratio = contact.update_penalty()
    s, t = compression_curve(SOFT_TISSUE_OGDEN)
    target = k0 * np.interp(p, s, t) / SOFT_TISSUE_OGDEN.youngs_modulus * (p > 0)
    expected = np.where(target > RAISE_FACTOR * k0, target, k0)
    assert np.allclose(contact._kappa1.x.array[d], expected)
    assert ratio == pytest.approx(np.max(expected / k0)) and ratio > 2.0
    assert (expected > k0).any() and (expected == k0).any()  # raised and unraised vertices
    k2 = contact.kappa.x.array[contact.dofs]
    assert k2.min() >= expected.min() - 1e-12 and k2.max() <= expected.max() + 1e-12
    # lifted off: nothing changes
    raised = contact.kappa.x.array.copy()
    body.u.x.array[:] = 1.0
    assert contact.update_penalty() == 1.0
    assert np.array_equal(contact.kappa.x.array, raised)
    body.u.x.array.reshape(-1, 3)[:, 2] = -0.5
    fixed = ContactSurface(body, ft, CONTACT, RigidPlane(z=0.0), options, kappa=1.0)
    assert fixed.update_penalty() == 1.0 and np.all(fixed.kappa.x.array == 1.0)


# ------------------------------------------------------------------------------------ obstacle
def test_height_field_tilted_plane_equals_rigid_plane_when_flat():
    """A height field h = 0 reproduces the rigid plane; a tilted plane pushes sideways."""
    mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=2)
    kw = dict(
        target_force_N=0.2, driven_components=(2,), rollers=[(X_SYM, 0), (Y_SYM, 1)],
        options=SolverOptions(formulation="displacement"),
    )  # fmt: skip
    a = solve_contact(mesh, ct, ft, ground=RigidPlane(z=0.0), **kw)
    b = solve_contact(mesh, ct, ft, ground=HeightField(lambda x, y: 0.0 * x), **kw)
    assert b.travel_mm == pytest.approx(a.travel_mm, rel=1e-6)
    assert b.reaction_contact_N == pytest.approx(a.reaction_contact_N, rel=1e-8)
    c = solve_contact(mesh, ct, ft, ground=HeightField(lambda x, y: 0.05 * x), **kw)
    # the normal of z = 0.05 x points to -x: the contact force has a -x component
    assert c.contact_force_N[0] == pytest.approx(-0.05 * c.contact_force_N[2], rel=1e-3)


# ------------------------------------------------------------------------------------ failure
def test_nonconvergence_raises_solver_error():
    """An impossible load with 2 Newton iterations raises SolverError with step data."""
    mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=2)
    opts = SolverOptions(
        formulation="displacement", max_newton_iterations=2, max_load_steps=6,
        initial_step_mm=1.0, min_step_mm=0.2,
    )  # fmt: skip
    with pytest.raises(SolverError) as info:
        solve_contact(
            mesh, ct, ft, target_force_N=1e4, driven_components=(2,),
            rollers=[(X_SYM, 0), (Y_SYM, 1)], options=opts,
        )  # fmt: skip
    err = info.value
    assert err.step is not None and err.step >= 1
    assert err.load_reached is not None and err.load_reached < 1e4
    assert err.load_target == 1e4
    assert err.residual is not None
    assert "step=" in str(err) and "load_reached=" in str(err)
    # the attempted solves travel with the error, the last one the failed one
    assert len(err.steps) == err.step and err.steps[-1]["step"] == err.step
    assert not err.steps[-1]["converged"] and err.steps[-1]["reason"]
    assert any(s["converged"] for s in err.steps)


def test_write_solution(tmp_path):
    mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=2)
    sol = solve_contact(
        mesh, ct, ft, target_force_N=0.2, driven_components=(2,),
        rollers=[(X_SYM, 0), (Y_SYM, 1)], options=SolverOptions(formulation="displacement"),
    )  # fmt: skip
    paths = write_solution(sol, tmp_path / "box")
    assert all(p.exists() for p in paths)
    # (reading it back with pyvista in the same process as dolfinx's HDF5 segfaults: check text)
    text = paths[0].read_text()
    for name in ("displacement", "von_mises", "max_shear", "contact_pressure"):
        assert f'Name="{name}"' in text


def test_unenforced_contact_is_an_error_not_a_result(monkeypatch):
    """When every augmented-Lagrangian re-solve fails, the penalty state (which penetrates the
    ground by more than penetration_tol) is not returned: the run raises SolverError."""
    from footsim.solve import stepping

    mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=2)
    attempt = stepping.LoadStepper._attempt

    def no_uzawa(self, d_new, phase, predictor, **kw):
        return False if phase == "uzawa" else attempt(self, d_new, phase, predictor, **kw)

    monkeypatch.setattr(stepping.LoadStepper, "_attempt", no_uzawa)
    opts = SolverOptions(formulation="displacement", penetration_tol_mm=1e-6)
    with pytest.raises(SolverError, match="contact not enforced") as info:
        solve_contact(
            mesh, ct, ft, target_force_N=0.05, driven_components=(2,),
            rollers=[(X_SYM, 0), (Y_SYM, 1)], options=opts,
        )  # fmt: skip
    assert info.value.load_reached == pytest.approx(0.05, rel=0.01)


def test_uzawa_update_lifts_the_body_so_the_force_stays_on_target():
    """After an augmented-Lagrangian update under force control the body is lifted rigidly by
    the mean penetration (LoadStepper.lift): on the uniformly pressed block the penetration is
    uniform, so the first re-solve lands on the target force without re-bracketing, and the
    travel drops by the penetration that the update removed."""
    mesh, ct, ft = box_mesh(L=10.0, H=5.0, n=4)
    target = 2.0
    opts = SolverOptions(formulation="mixed", penetration_tol_mm=1e-6, pressure_rtol=1e-4)
    sol = solve_contact(
        mesh, ct, ft, target_force_N=target, driven_components=(2,),
        rollers=[(X_SYM, 0), (Y_SYM, 1)], options=opts,
    )  # fmt: skip
    steps = sol.record.steps
    first = next(i for i, s in enumerate(steps) if s.phase == "uzawa")
    before, after = steps[first - 1], steps[first]
    assert after.converged
    assert after.force_N == pytest.approx(target, rel=opts.force_rtol)
    # the penalty state penetrated by p / kappa (uniform): the update removed it from the travel
    pen = (target / 100.0) / sol.penalty  # nominal pressure (MPa) / kappa (N/mm^3)
    assert before.travel_mm - after.travel_mm == pytest.approx(pen, rel=0.05)
    assert sol.max_penetration_mm < 1e-6


def test_augmented_lagrangian_that_runs_out_of_updates_is_an_error():
    """max_uzawa updates that neither bring the penetration under penetration_tol nor the
    pressure to rest end the run with SolverError: no result from an unenforced contact."""
    mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=2)
    dome = HeightField(lambda x, y: -0.05 * (x**2 + y**2))  # non-uniform pressure
    kw = dict(
        target_force_N=0.05, driven_components=(2,), rollers=[(X_SYM, 0), (Y_SYM, 1)],
        ground=dome,
    )  # fmt: skip
    opts = SolverOptions(formulation="displacement", max_uzawa=2, penetration_tol_mm=1e-9)
    with pytest.raises(SolverError, match="after max_uzawa = 2 augmented-Lagrangian updates"):
        solve_contact(mesh, ct, ft, options=replace(opts, pressure_rtol=1e-12), **kw)
    # the same run, allowed to augment until the pressure is at rest, is a result
    sol = solve_contact(mesh, ct, ft, options=replace(opts, max_uzawa=20), **kw)
    assert sol.reaction_contact_N == pytest.approx(0.05, rel=opts.force_rtol)


def test_a_failed_factorisation_is_named_in_the_error():
    """A linear-solver failure (here MUMPS held to 1 MB of working memory, ICNTL(23)) stops the
    run with its SNES reason named, not only "load increment fell below min_step_mm"."""
    mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=4)
    with pytest.raises(SolverError, match=r"iterations=0; reason=DIVERGED_LINEAR_SOLVE") as err:
        solve_contact(
            mesh, ct, ft, target_force_N=0.05, driven_components=(2,),
            rollers=[(X_SYM, 0), (Y_SYM, 1)],
            options=SolverOptions(petsc_options={"mat_mumps_icntl_23": 1}),
        )  # fmt: skip
    assert err.value.reason == -3 and err.value.load_reached == 0
