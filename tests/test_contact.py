"""Verification of the contact solver: Hertz, patch test, equilibrium, failure reporting.

Units: mm, N, MPa.
"""

from __future__ import annotations

import math
from dataclasses import replace

import footsim  # noqa: F401  (must precede dolfinx)

import gmsh  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import pytest  # noqa: E402  isort: skip
import dolfinx  # noqa: E402  isort: skip
import dolfinx.io.gmsh  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim import mesh as geometry  # noqa: E402
from footsim.mesh import tags  # noqa: E402
from footsim.physics.contact.obstacles import HeightField, RigidPlane  # noqa: E402
from footsim.physics.materials.laws import NeoHookean  # noqa: E402
from footsim.solve.forefoot import solve_contact  # noqa: E402
from footsim.solve.newton import SolverError  # noqa: E402
from footsim.solve.options import SolverOptions, mumps_single_precision  # noqa: E402
from footsim.solve.writing import write_solution  # noqa: E402

X_SYM, Y_SYM = 201, 202  # test-only facet tags of the symmetry planes x = 0 and y = 0
CONTACT, DRIVEN, TISSUE = tags.Surface.PLANTAR_SKIN, tags.Surface.CUT_BONE, tags.Volume.SOFT_TISSUE


# ------------------------------------------------------------------------------------ meshes
def box_mesh(L=10.0, H=5.0, n=4):
    """Quarter block [0, L]^2 x [0, H]: bottom = contact, top = driven, x=0 / y=0 symmetry."""
    mesh = dolfinx.mesh.create_box(
        MPI.COMM_WORLD, [[0, 0, 0], [L, L, H]], [n, n, n], dolfinx.mesh.CellType.tetrahedron
    )
    nc = mesh.topology.index_map(3).size_local
    ct = dolfinx.mesh.meshtags(
        mesh, 3, np.arange(nc, dtype=np.int32), np.full(nc, int(TISSUE), dtype=np.int32)
    )
    mesh.topology.create_connectivity(2, 3)
    groups = [
        (lambda x: np.isclose(x[2], 0.0), CONTACT),
        (lambda x: np.isclose(x[2], H), DRIVEN),
        (lambda x: np.isclose(x[0], 0.0), X_SYM),
        (lambda x: np.isclose(x[1], 0.0), Y_SYM),
    ]
    idx, val = [], []
    for pred, tag in groups:
        f = dolfinx.mesh.locate_entities_boundary(mesh, 2, pred)
        idx.append(f)
        val.append(np.full(f.size, int(tag), dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    ft = dolfinx.mesh.meshtags(mesh, 2, idx[order], val[order])
    return mesh, ct, ft


def _mesh_graded_at(
    point: int, h_fine: float, r_fine: float, h_coarse: float, growth: float = 10.0
):
    """Mesh the current gmsh model with sizes ``h_fine`` within ``r_fine`` of the gmsh point
    ``point``, growing to ``h_coarse`` over ``growth * (h_coarse - h_fine)``; return dolfinx's
    (mesh, cell tags, facet tags)."""
    fld = gmsh.model.mesh.field
    dist = fld.add("Distance")
    fld.setNumbers(dist, "PointsList", [point])
    thr = fld.add("Threshold")
    fld.setNumber(thr, "InField", dist)
    fld.setNumber(thr, "SizeMin", h_fine)
    fld.setNumber(thr, "SizeMax", h_coarse)
    fld.setNumber(thr, "DistMin", r_fine)
    fld.setNumber(thr, "DistMax", r_fine + growth * (h_coarse - h_fine))
    fld.setAsBackgroundMesh(thr)
    for opt in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{opt}", 0)
    gmsh.model.mesh.generate(3)
    md = dolfinx.io.gmsh.model_to_mesh(gmsh.model, MPI.COMM_WORLD, 0, gdim=3)
    return md.mesh, md.cell_tags, md.facet_tags


def hemisphere_mesh(R: float, h_fine: float, r_fine: float, h_coarse: float | None = None):
    """Quarter of the lower hemisphere of radius ``R`` (centre (0, 0, R), lowest point at the
    origin), graded to ``h_fine`` within ``r_fine`` of the origin (gmsh OCC)."""
    h_coarse = h_coarse or R / 4
    geometry.initialize_gmsh()
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        gmsh.model.add("hemisphere")
        occ = gmsh.model.occ
        sphere = occ.addSphere(0, 0, R, R)
        box = occ.addBox(0, 0, 0, R, R, R)
        out, _ = occ.intersect([(3, sphere)], [(3, box)])
        origin = occ.addPoint(0, 0, 0)
        occ.synchronize()
        groups: dict[int, list[int]] = {int(CONTACT): [], int(DRIVEN): [], X_SYM: [], Y_SYM: []}
        for dim, tag in gmsh.model.getBoundary(out, oriented=False):
            c = occ.getCenterOfMass(dim, tag)
            if abs(c[0]) < 1e-9:
                groups[X_SYM].append(tag)
            elif abs(c[1]) < 1e-9:
                groups[Y_SYM].append(tag)
            elif abs(c[2] - R) < 1e-9:
                groups[int(DRIVEN)].append(tag)
            else:
                groups[int(CONTACT)].append(tag)
        gmsh.model.addPhysicalGroup(3, [out[0][1]], int(TISSUE))
        for k, v in groups.items():
            gmsh.model.addPhysicalGroup(2, v, k)
        return _mesh_graded_at(origin, h_fine, r_fine, h_coarse)
    finally:
        gmsh.finalize()


# ------------------------------------------------------------------------------------ Hertz
E_HERTZ, NU_HERTZ, R_HERTZ = 1.0, 0.3, 10.0  # MPa, -, mm


def hertz(F: float, E=E_HERTZ, nu=NU_HERTZ, R=R_HERTZ):
    """Hertz (1882) sphere on a rigid plane (Johnson 1985, Contact Mechanics, ch. 4):
    contact radius ``a``, peak pressure ``p0`` and indentation ``d`` for the force ``F``."""
    Es = E / (1 - nu**2)
    a = (3 * F * R / (4 * Es)) ** (1 / 3)
    return a, 3 * F / (2 * np.pi * a**2), a**2 / R


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


# ------------------------------------------------------------------------------------ two bodies
def two_blocks_mesh(
    L=10.0, H1=5.0, H2=4.0, h1=2.0, h2=1.3, bone_mm: float | None = None, sym=(X_SYM, Y_SYM)
):
    """Quarter blocks [0, L]^2 x [0, H1] (tissue, bottom = contact, top = driven) on
    [0, L]^2 x [-H2, 0] (insole: top = target, bottom = INSOLE_BOTTOM), meshed separately with
    sizes ``h1`` and ``h2`` (non-matching at z = 0); ``sym`` tags the x = 0 / y = 0 symmetry
    planes. With ``bone_mm``, a bone (``MT2`` cells, conforming) of that height sits on the
    tissue instead of the driven top: the rigid-skeleton path removes its cells and bonds a
    rigid body to the cavity (``tags.bone_surface(MT2)``, which X_SYM shares: pass other
    ``sym`` tags)."""
    geometry.initialize_gmsh()
    gmsh.option.setNumber("General.Terminal", 0)
    S = tags.Surface
    try:
        occ = gmsh.model.occ
        top = occ.addBox(0, 0, 0, L, L, H1)
        bottom = occ.addBox(0, 0, -H2, L, L, H2)
        driven = S.CUT_BONE if bone_mm is None else None  # a bone: its cavity instead
        volumes = [
            (top, 0.0, H1, S.PLANTAR_SKIN, driven),
            (bottom, -H2, 0.0, S.INSOLE_BOTTOM, S.INSOLE_TOP),
        ]
        if bone_mm is not None:
            bone = occ.addBox(0, 0, H1, L, L, bone_mm)
            occ.fragment([(3, top)], [(3, bone)])
            volumes.append((bone, H1, H1 + bone_mm, None, None))
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [top], int(TISSUE))
        gmsh.model.addPhysicalGroup(3, [bottom], int(tags.Volume.INSOLE))
        if bone_mm is not None:
            gmsh.model.addPhysicalGroup(3, [bone], int(tags.Volume.MT2))
        groups: dict[int, list[int]] = {
            int(k): [] for k in (S.PLANTAR_SKIN, S.CUT_BONE, S.INSOLE_TOP, S.INSOLE_BOTTOM)
        }
        groups |= {sym[0]: [], sym[1]: []}
        for vol, z0, z1, lo, hi in volumes:
            for _, f in gmsh.model.getBoundary([(3, vol)], oriented=False):
                c = occ.getCenterOfMass(2, f)
                if abs(c[0]) < 1e-9:
                    groups[sym[0]].append(f)
                elif abs(c[1]) < 1e-9:
                    groups[sym[1]].append(f)
                elif lo is not None and abs(c[2] - z0) < 1e-9:
                    groups[int(lo)].append(f)
                elif hi is not None and abs(c[2] - z1) < 1e-9:
                    groups[int(hi)].append(f)
        for k, v in groups.items():
            if v:
                gmsh.model.addPhysicalGroup(2, sorted(set(v)), k)
        upper = [(3, v[0]) for v in volumes if v[0] != bottom]
        gmsh.model.mesh.setSize(gmsh.model.getBoundary(upper, recursive=True), h1)
        gmsh.model.mesh.setSize(gmsh.model.getBoundary([(3, bottom)], recursive=True), h2)
        gmsh.model.mesh.generate(3)
        md = dolfinx.io.gmsh.model_to_mesh(gmsh.model, MPI.COMM_WORLD, 0, gdim=3)
    finally:
        gmsh.finalize()
    return md.mesh, md.cell_tags, md.facet_tags


def test_two_body_patch_nonmatching():
    """Contact patch test (Taylor & Papadopoulos 1991) through the deformable-contact path: a
    block pressed on a second block of the same material across a non-matching flat interface
    (element sizes 2 and 1.3 mm) transmits a uniform pressure: within 2 % away from the edges,
    equal to force / area; the bones' push equals the contact force on the upper block, which
    is vertical."""
    L = 10.0
    mesh, ct, ft = two_blocks_mesh(L=L)
    tissue = NeoHookean(name="tissue", E=0.1, nu=0.45)
    S = tags.Surface
    target = 2.0  # N on the quarter (nominal 20 kPa)
    # flat interface: Newton converges quadratically, so no load-scaled early stop
    # (load_atol = 0) and the equilibrium holds to round-off
    sol = solve_contact(
        mesh, ct, ft, target_force_N=target, driven_components=(2,),
        materials={TISSUE: tissue, tags.Volume.INSOLE: tissue},
        rollers=[(X_SYM, 0), (Y_SYM, 1), (S.INSOLE_BOTTOM, 2)],
        target_surface=S.INSOLE_TOP, counter_cells=(tags.Volume.INSOLE,),
        options=SolverOptions(formulation="mixed", penetration_tol_mm=5e-3, load_atol=0.0),
    )  # fmt: skip
    R = sol.reaction_contact_N
    assert R == pytest.approx(target, rel=0.005)
    assert sol.reaction_dirichlet_N == pytest.approx(R, rel=1e-6)
    assert np.hypot(*sol.contact_force_N[:2]) < 1e-3 * R
    X = sol.contact_nodes_reference
    inner = (X[:, 0] < 0.8 * L) & (X[:, 1] < 0.8 * L)
    p, pn = sol.contact_node_pressure[inner], sol.contact_node_pressure_nominal[inner]
    assert np.ptp(p) / p.mean() < 0.02
    assert np.ptp(pn) / pn.mean() < 0.02
    assert pn.mean() == pytest.approx(R / L**2, rel=0.02)
    assert p.mean() == pytest.approx(R / sol.contact_node_area.sum(), rel=0.02)
    # lumped recovery: sum p_i a_i = int p_N dA (the normal force; normals vertical to 1e-4)
    pa = np.sum(sol.contact_node_pressure * sol.contact_node_area)
    assert pa == pytest.approx(np.linalg.norm(sol.contact_force_N), rel=1e-4)
    # the insole side (its own, finer mesh) carries the same uniform pressure and, summed,
    # the same normal force (Newton's third law)
    t = sol.target_surface
    assert np.sum(t.pressure_MPa * t.area_mm2) == pytest.approx(pa, rel=1e-12)
    inner_t = (t.points_mm[:, 0] < 0.8 * L) & (t.points_mm[:, 1] < 0.8 * L)
    pt = t.pressure_MPa[inner_t]
    assert np.ptp(pt) / pt.mean() < 0.02
    assert pt.mean() == pytest.approx(p.mean(), rel=0.02)
    assert np.allclose(t.points_mm[:, 2], 0.0) and len(t.triangles) > 2 * len(p)
    # the upper block's uniform compression: the slave surface went down, the lower one too
    assert sol.max_penetration_mm < 0.01 * 5.0


def test_two_body_series_compliance():
    """A block pressed on a stiffer and on a softer lower block (non-matching meshes): the
    travel is that of two springs in series, ``sigma (H1/E1 + H2/E2)``, within 5 % at 3-6 %
    strain, and the force is transmitted in full whatever the stiffness ratio."""
    mesh, ct, ft = two_blocks_mesh(L=6.0, H1=3.0, H2=3.0, h1=1.5, h2=1.0)
    tissue = NeoHookean(name="tissue", E=0.1, nu=0.45)
    S = tags.Surface
    travel = {}
    for E in (0.3, 0.05):
        sol = solve_contact(
            mesh, ct, ft, target_force_N=0.1, driven_components=(2,),
            materials={TISSUE: tissue, tags.Volume.INSOLE: NeoHookean(name="f", E=E, nu=0.2)},
            rollers=[(X_SYM, 0), (Y_SYM, 1), (S.INSOLE_BOTTOM, 2)],
            target_surface=S.INSOLE_TOP, counter_cells=(tags.Volume.INSOLE,),
            options=SolverOptions(formulation="mixed", penetration_tol_mm=1e-4, load_atol=0.0),
        )  # fmt: skip
        assert sol.reaction_dirichlet_N == pytest.approx(sol.reaction_contact_N, rel=1e-6)
        assert sol.reaction_contact_N == pytest.approx(0.1, rel=0.005)
        travel[E] = sol.travel_mm
    # series springs in uniaxial stress (strains 3-6 %): travel = sigma (H1/E1 + H2/E2)
    sigma = 0.1 / 36.0
    for E, d in travel.items():
        assert d == pytest.approx(sigma * (3.0 / 0.1 + 3.0 / E), rel=0.05), (E, d)
    assert travel[0.05] > 1.5 * travel[0.3]


X_SYM_BONES, Y_SYM_BONES = 301, 302  # beyond the cavities' tags (200 + volume)


class _PlateOnSpring:
    """A duck-typed :class:`~footsim.physics.skeleton.Skeleton`: the bone of
    :func:`two_blocks_mesh` as one rigid body, bonded to its cavity and hung on the
    driven tarsus by a spring ``k`` (N/mm) along every axis (``k_rot``, N mm/rad, about every
    axis)."""

    def __init__(self, k: float, k_rot: float, top_mm: float):
        self.k, self.k_rot, self.top = k, k_rot, top_mm

    def bodies(self, mesh, facet_tags, materials, pivot):
        from footsim.physics.joints import Joint
        from footsim.physics.rigid_body import DRIVER, RigidBodies, RigidBody, coupling_penalty

        E = max(m.youngs_modulus for m in materials)
        cavity = (int(tags.bone_surface(tags.Volume.MT2)),)
        rb = RigidBodies(
            mesh, [RigidBody("bone", (0.0, 0.0, self.top), cavity)], facet_tags,
            coupling_penalty(E, 1.0),
        )  # fmt: skip
        centre = (0.0, 0.0, self.top)
        rb.add(Joint("hang", DRIVER, "bone", centre, (self.k,) * 3, (self.k_rot,) * 3))
        return rb


def test_a_rigid_bone_on_tissue_on_an_insole_is_three_springs_in_series():
    """The rigid-skeleton path on the two-body contact: a rigid plate bonded on a tissue block
    (E 0.1 MPa), hung by a spring of 2 N/mm on the driven tarsus, pressed on an insole block
    (E 0.3 MPa) across a non-matching interface (nu = 0 in both: uniaxial, 1 % strain). The
    travel is that of the spring, the tissue and the insole in series, F/k + sigma (H1/E1 +
    H2/E2), within 2 %; the interface pressure is uniform (2 %); the tarsus's force and moment
    balance the insole's on the skin (the skeleton's balance, two independent sums)."""
    L, H1, H2, k, F = 6.0, 3.0, 3.0, 2.0, 0.036  # mm, mm, mm, N/mm, N (1 kPa on the quarter)
    mesh, ct, ft = two_blocks_mesh(
        L=L, H1=H1, H2=H2, h1=1.5, h2=1.0, bone_mm=1.0, sym=(X_SYM_BONES, Y_SYM_BONES)
    )
    S = tags.Surface
    E1, E2 = 0.1, 0.3
    sol = solve_contact(
        mesh, ct, ft, target_force_N=F, driven_components=(2,),
        materials={
            TISSUE: NeoHookean(name="tissue", E=E1, nu=0.0),
            tags.Volume.INSOLE: NeoHookean(name="insole", E=E2, nu=0.0),
        },
        rollers=[(X_SYM_BONES, 0), (Y_SYM_BONES, 1), (S.INSOLE_BOTTOM, 2)],
        target_surface=S.INSOLE_TOP, counter_cells=(tags.Volume.INSOLE,),
        skeleton=_PlateOnSpring(k, 1e5, H1),
        options=SolverOptions(formulation="mixed", penetration_tol_mm=1e-4, load_atol=0.0),
    )  # fmt: skip
    assert sol.reaction_contact_N == pytest.approx(F, rel=0.005)
    sigma = F / L**2
    assert sol.travel_mm == pytest.approx(F / k + sigma * (H1 / E1 + H2 / E2), rel=0.02)
    X = sol.contact_nodes_reference
    inner = (X[:, 0] < 0.8 * L) & (X[:, 1] < 0.8 * L)
    p = sol.contact_node_pressure[inner]
    assert np.ptp(p) / p.mean() < 0.02
    sk = sol.skeleton
    assert np.linalg.norm(sk["force_balance_N"]) < 1e-3 * F
    m_contact = np.linalg.norm(sk["contact_moment_Nmm"])
    assert np.linalg.norm(sk["moment_balance_Nmm"]) < 5e-3 * m_contact


def hemisphere_on_block_mesh(R: float, W: float, D: float, h_fine: float, r_fine: float):
    """Quarter elastic hemisphere (radius ``R``, lowest point at the origin, flat top = driven)
    resting on a quarter block [0, W]^2 x [-D, 0] (top = INSOLE_TOP, bottom = INSOLE_BOTTOM),
    meshed separately (no shared nodes), both graded to ``h_fine`` within ``r_fine`` of the
    origin; x = 0 / y = 0 symmetry planes."""
    S = tags.Surface
    geometry.initialize_gmsh()
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        occ = gmsh.model.occ
        sphere = occ.addSphere(0, 0, R, R)
        cut = occ.addBox(0, 0, 0, R, R, R)
        (ball,), _ = occ.intersect([(3, sphere)], [(3, cut)])
        block = occ.addBox(0, 0, -D, W, W, D)
        origin = occ.addPoint(0, 0, 0)
        occ.synchronize()
        groups: dict[int, list[int]] = {
            int(k): [] for k in (S.PLANTAR_SKIN, S.CUT_BONE, S.INSOLE_TOP, S.INSOLE_BOTTOM)
        }
        groups |= {X_SYM: [], Y_SYM: []}
        for _, f in gmsh.model.getBoundary([ball], oriented=False):
            c = occ.getCenterOfMass(2, f)
            if abs(c[0]) < 1e-9:
                groups[X_SYM].append(f)
            elif abs(c[1]) < 1e-9:
                groups[Y_SYM].append(f)
            elif abs(c[2] - R) < 1e-9:
                groups[int(S.CUT_BONE)].append(f)
            else:
                groups[int(S.PLANTAR_SKIN)].append(f)
        for _, f in gmsh.model.getBoundary([(3, block)], oriented=False):
            c = occ.getCenterOfMass(2, f)
            if abs(c[0]) < 1e-9:
                groups[X_SYM].append(f)
            elif abs(c[1]) < 1e-9:
                groups[Y_SYM].append(f)
            elif abs(c[2]) < 1e-9:
                groups[int(S.INSOLE_TOP)].append(f)
            elif abs(c[2] + D) < 1e-9:
                groups[int(S.INSOLE_BOTTOM)].append(f)
        gmsh.model.addPhysicalGroup(3, [ball[1]], int(TISSUE))
        gmsh.model.addPhysicalGroup(3, [block], int(tags.Volume.INSOLE))
        for k, v in groups.items():
            gmsh.model.addPhysicalGroup(2, v, k)
        return _mesh_graded_at(origin, h_fine, r_fine, R / 4, growth=5.0)
    finally:
        gmsh.finalize()


def curved_master_body():
    """The hemisphere (radius ``R_HERTZ``) on a small block, both of one elastic material
    (E 1 MPa, nu 0.3; displacement formulation): cell tags, facet tags and the body."""
    from footsim.physics.hyperelasticity import Hyperelasticity

    R = R_HERTZ
    mesh, ct, ft = hemisphere_on_block_mesh(R, W=0.5 * R, D=0.2 * R, h_fine=R / 10, r_fine=0.3 * R)
    material = NeoHookean(name="m", E=1.0, nu=0.3)
    body = Hyperelasticity(
        mesh, ct, {TISSUE: material, tags.Volume.INSOLE: material},
        SolverOptions(formulation="displacement"),
    )  # fmt: skip
    return ct, ft, body


def test_hertz_sphere_on_deformable_block():
    """Hertz through the deformable-contact path: an elastic hemisphere pressed into an elastic
    block of the same material (non-matching meshes, the master surface dents under the
    sphere). Two elastic bodies act as one with 1/E* = (1 - nu^2)/E + (1 - nu^2)/E (Johnson
    1985, eq. 4.22), i.e. ``hertz`` with E/2: force-indentation and peak pressure within
    5 %, contact radius to within an element (a/R = 0.1, h = a/3; the block is 2R wide and
    deep so that it acts as a half-space: 1R deep made it 5.5 % too stiff); the bones' push
    equals the contact force."""
    R, a_target = R_HERTZ, 1.0
    h = a_target / 3
    mesh, ct, ft = hemisphere_on_block_mesh(R, W=2 * R, D=2 * R, h_fine=h, r_fine=1.5)
    S = tags.Surface
    material = NeoHookean(name="hertz", E=E_HERTZ, nu=NU_HERTZ)
    E_pair = E_HERTZ / 2  # two equal bodies
    d = a_target**2 / R
    sol = solve_contact(
        mesh, ct, ft, travel_mm=d, driven_components=(2,),
        materials={TISSUE: material, tags.Volume.INSOLE: material},
        rollers=[(X_SYM, 0), (Y_SYM, 1), (S.INSOLE_BOTTOM, 2)],
        target_surface=S.INSOLE_TOP, counter_cells=(tags.Volume.INSOLE,),
        options=SolverOptions(
            formulation="displacement", penetration_tol_mm=1e-3 * d, pressure_rtol=1e-3,
            initial_step_mm=0.5 * d, load_atol=0.0,
        ),
    )  # fmt: skip
    F = 4 * sol.reaction_contact_N
    a_H, p0_H, _ = hertz(F, E=E_pair)
    Es = E_pair / (1 - NU_HERTZ**2)
    F_H = 4 / 3 * Es * np.sqrt(R) * sol.travel_mm**1.5
    i0 = np.argmin(np.linalg.norm(sol.contact_nodes_reference, axis=1))
    p0 = sol.contact_node_pressure[i0]
    a = np.sqrt(4 * sol.contact_area_mm2 / np.pi)
    # the block's side of the contact (its own mesh): the same Hertz pressure at the centre
    t = sol.target_surface
    p0_block = t.pressure_MPa[np.argmin(np.linalg.norm(t.points_mm, axis=1))]
    errs = {"force": F / F_H - 1, "p0": p0 / p0_H - 1, "p0 block": p0_block / p0_H - 1}
    print({k: f"{v:+.2%}" for k, v in errs.items()}, f"a {a / a_H - 1:+.2%}")
    for k, e in errs.items():
        assert abs(e) < 0.05, (k, e)
    # the contact radius from the area of in-contact quadrature points: resolved to within
    # an element size at the rim (measured: -5.6 % of a at h = a/3)
    assert abs(a - a_H) < h
    assert sol.reaction_dirichlet_N == pytest.approx(sol.reaction_contact_N, rel=1e-6)
    pa = np.sum(sol.contact_node_pressure * sol.contact_node_area)
    assert np.sum(t.pressure_MPa * t.area_mm2) == pytest.approx(pa, rel=1e-12)
    # the block dents: its top under the sphere went down by about half the approach
    assert sol.max_penetration_mm < 0.01 * d


def test_master_normal_follows_a_curved_master():
    """Two-body contact projects onto a faceted master: its normal is the interpolation of the
    corners' area-weighted normals (continuous across facet edges), not the facet's own (which
    jumps at every edge and was what stalled Newton on the metatarsal pad). Master: the
    hemisphere (radius R, lowered into the block), slave: the block top. Away from the symmetry
    planes the smooth normal is within 2 deg of the sphere's (facet normals: up to ~4 deg)
    and its mean error under half of the facet normals'."""
    from footsim.physics.contact.body import BodyContact

    R = R_HERTZ
    ct, ft, body = curved_master_body()
    delta = 0.02 * R
    ball = np.unique(body.V.dofmap.list[ct.find(TISSUE)])
    body.u.x.array.reshape(-1, 3)[ball, 2] = -delta
    errors = {}
    for smooth in (False, True):
        contact = BodyContact(
            body, ft, tags.Surface.INSOLE_TOP, tags.Surface.PLANTAR_SKIN, (TISSUE,),
            smooth_normals=smooth,
        )  # fmt: skip
        ev = contact.evaluate()
        d = ev.xs - [0.0, 0.0, R - delta]  # from the sphere's centre to the slave point
        r = np.linalg.norm(d, axis=1)
        x, y = ev.xs[:, 0], ev.xs[:, 1]
        near = ev.valid.ravel() & (r < 1.2 * R) & (np.hypot(x, y) < 0.5 * R)
        near &= (x > 0.1 * R) & (y > 0.1 * R)
        cos = np.einsum("qi,qi->q", ev.normal[near], d[near] / r[near, None])
        assert np.all(cos > 0)  # out of the master, towards the slave
        errors[smooth] = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    assert errors[True].max() < 2.0
    assert errors[True].mean() < 0.5 * errors[False].mean()


def test_two_body_penalty_follows_the_tangent_of_the_stiffening_tissue():
    """``update_penalty`` raises each point's penalty to ``penalty_factor * E_t(p) / h`` with
    the compression tangent of the softer side at the point's pressure (where that is over 1.5
    times the current one), never lowers it, and
    leaves a penalty given explicitly alone; the contact force then grows at a fixed state."""
    from footsim.physics.contact.body import BodyContact
    from footsim.physics.contact.obstacles import RAISE_FACTOR
    from footsim.physics.hyperelasticity import Hyperelasticity
    from footsim.physics.materials.curves import compression_curve
    from footsim.physics.materials.library import SOFT_TISSUE_OGDEN

    R = R_HERTZ
    mesh, ct, ft = hemisphere_on_block_mesh(R, W=0.5 * R, D=0.2 * R, h_fine=R / 10, r_fine=0.3 * R)
    stiff = NeoHookean(name="stiff", E=100.0, nu=0.3)  # the block; the ball is the tissue
    options = SolverOptions(formulation="displacement", penalty_factor=10.0)
    body = Hyperelasticity(
        mesh, ct, {TISSUE: SOFT_TISSUE_OGDEN, tags.Volume.INSOLE: stiff}, options
    )
    ball = np.unique(body.V.dofmap.list[ct.find(TISSUE)])
    body.u.x.array.reshape(-1, 3)[ball, 2] = -0.3  # 0.3 mm into the block
    S = tags.Surface
    contact = BodyContact(body, ft, S.PLANTAR_SKIN, S.INSOLE_TOP, (tags.Volume.INSOLE,), options)
    kappa0 = contact.kappa.copy()
    assert np.allclose(kappa0, 10.0 * SOFT_TISSUE_OGDEN.youngs_modulus / contact._h_s[:, None])
    p = contact._pressure(contact.evaluate())
    F0 = contact.force()[2]
    ratio = contact.update_penalty()
    s, t = compression_curve(SOFT_TISSUE_OGDEN)
    target = 10.0 * np.interp(p, s, t) / contact._h_s[:, None] * (p > 0)
    expected = np.where(target > RAISE_FACTOR * kappa0, target, kappa0)
    assert np.allclose(contact.kappa, expected)
    assert ratio == pytest.approx(np.max(expected / kappa0)) and ratio > 2.0
    assert np.all(contact.kappa[p == 0] == kappa0[p == 0])
    assert contact.force()[2] > F0
    # lifted off: no pressure, the penalty stays where it was
    raised = contact.kappa.copy()
    body.u.x.array[:] = 0.0
    body.u.x.array.reshape(-1, 3)[ball, 2] = 0.5
    assert contact.update_penalty() == 1.0 and np.array_equal(contact.kappa, raised)
    fixed = BodyContact(
        body, ft, S.PLANTAR_SKIN, S.INSOLE_TOP, (tags.Volume.INSOLE,), options, kappa=1.0
    )
    body.u.x.array.reshape(-1, 3)[ball, 2] = -0.3
    assert fixed.update_penalty() == 1.0 and np.all(fixed.kappa == 1.0)


def test_raised_penalty_converges_to_the_same_state():
    """Force control with the penalty that follows the stiffening tissue: a hemisphere of the
    push-off Ogden tissue pressed on a block (2 N on the quarter, ~110 kPa peak: the tissue's
    tangent several times its initial modulus) raises the penalty during loading, ends in
    equilibrium under its last penalty (the bones' push equals the contact force; the force
    on target), and reaches the state of a fixed penalty (augmented to the same tolerances):
    travel within 0.5 %, peak pressure within 2 %."""
    from footsim.physics.materials.library import SOFT_TISSUE_OGDEN

    R = R_HERTZ
    mesh, ct, ft = hemisphere_on_block_mesh(R, W=R, D=0.5 * R, h_fine=1.0, r_fine=3.0)
    S = tags.Surface
    target = 2.0
    sols = {}
    for adaptive in (True, False):
        sols[adaptive] = solve_contact(
            mesh, ct, ft, target_force_N=target, driven_components=(2,),
            materials={TISSUE: SOFT_TISSUE_OGDEN, tags.Volume.INSOLE: NeoHookean(name="b", E=1.0)},
            rollers=[(X_SYM, 0), (Y_SYM, 1), (S.INSOLE_BOTTOM, 2)],
            target_surface=S.INSOLE_TOP, counter_cells=(tags.Volume.INSOLE,),
            options=SolverOptions(penalty_factor=10.0, adaptive_penalty=adaptive, load_atol=0.0),
        )  # fmt: skip
    raised, fixed = sols[True], sols[False]
    assert raised.record.penalty_raises > 0 and fixed.record.penalty_raises == 0
    assert raised.penalty > 2 * fixed.penalty
    assert raised.reaction_dirichlet_N == pytest.approx(raised.reaction_contact_N, rel=1e-9)
    # on target as force control promises (these options: force_rtol = 0.5 %)
    assert raised.reaction_contact_N == pytest.approx(target, rel=SolverOptions().force_rtol)
    assert raised.travel_mm == pytest.approx(fixed.travel_mm, rel=0.005)
    assert raised.peak_pressure_kPa == pytest.approx(fixed.peak_pressure_kPa, rel=0.02)


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


@pytest.mark.parametrize("smooth", [True, False], ids=["smooth-normals", "facet-normals"])
def test_two_body_tangent_is_the_derivative_of_the_residual(smooth):
    """The two-body contact Jacobian is the exact derivative of its residual: a curved,
    distorted master (the hemisphere, pressed into the block top, every node moved at random
    by 0.02 mm so that points slide across facets, edges and corners) and a central finite
    difference agree to 1e-7 in three random directions. (Before this release the tangent
    left out the turn of the interpolated normal as a point slides over a curved master: 11
    to 35 % off, and Newton stalled on the metatarsal pad at push-off.) The matrix also stays
    inside the pattern that ``coupling_pattern`` pre-allocates (no insertions)."""
    from footsim.physics.contact.body import BodyContact

    R = R_HERTZ
    ct, ft, body = curved_master_body()
    contact = BodyContact(
        body, ft, tags.Surface.INSOLE_TOP, tags.Surface.PLANTAR_SKIN, (TISSUE,), kappa=10.0,
        smooth_normals=smooth,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    u = body.u.x.array.reshape(-1, 3)
    u[np.unique(body.V.dofmap.list[ct.find(TISSUE)]), 2] = -0.03 * R
    u += 0.002 * R * rng.standard_normal(u.shape)
    contact.set_multiplier(np.full_like(contact.get_multiplier(), 0.05))  # MPa
    active = int((contact._pressure(contact.evaluate()) > 0).sum())
    assert active > 50
    check_two_body_tangent(contact, body, rng)


def check_two_body_tangent(contact, body, rng) -> None:
    """A two-body contact's Jacobian, assembled into a matrix pre-allocated with its coupling
    pattern and each facet's own node block (an insertion raises), against central
    differences of its residual in three random directions: to 1e-7."""
    import scipy.sparse as sp
    from petsc4py import PETSc

    n = body.u.x.array.size

    def residual() -> np.ndarray:
        b = PETSc.Vec().createSeq(n)
        b.set(0.0)
        contact.add_residual(b)
        return b.getArray().copy()

    # the matrix pre-allocated with the coupling pattern and each facet's own node block
    rows, cols = contact.coupling_pattern()
    blocks = [contact.s_nodes, contact.m_nodes]
    for nodes in blocks:
        d = contact.dofs[nodes].reshape(len(nodes), -1)  # equation numbers
        rows = np.concatenate([rows, np.repeat(d, d.shape[1], axis=1).ravel()])
        cols = np.concatenate([cols, np.tile(d, (1, d.shape[1])).ravel()])
    pattern = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    pattern.sum_duplicates()
    it = PETSc.IntType
    A = PETSc.Mat().createAIJ(
        [n, n], csr=(pattern.indptr.astype(it), pattern.indices.astype(it), np.zeros(pattern.nnz))
    )
    A.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, True)  # an insertion raises
    contact.add_jacobian(A)
    u0 = body.u.x.array.copy()
    eps = 1e-6
    for _ in range(3):
        du = rng.standard_normal(n)
        Jdu = A.createVecLeft()
        A.mult(PETSc.Vec().createWithArray(du), Jdu)
        body.u.x.array[:] = u0 + eps * du
        r_plus = residual()
        body.u.x.array[:] = u0 - eps * du
        r_minus = residual()
        body.u.x.array[:] = u0
        fd = (r_plus - r_minus) / (2 * eps)
        assert np.linalg.norm(Jdu.getArray() - fd) < 1e-7 * np.linalg.norm(fd)


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
