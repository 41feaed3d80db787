"""Verification of the materials and of the finite-strain (mixed) formulation.

Units: mm, N, MPa.
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import subprocess  # noqa: E402  isort: skip
import sys  # noqa: E402  isort: skip

import numpy as np  # noqa: E402  isort: skip
import pytest  # noqa: E402  isort: skip
import ufl  # noqa: E402  isort: skip
import dolfinx  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip
from petsc4py import PETSc  # noqa: E402  isort: skip

from footsim.mesh import tags  # noqa: E402
from footsim.physics import materials  # noqa: E402
from footsim.physics.hyperelasticity import Hyperelasticity, max_principal_green_strain
from footsim.physics.materials import laws  # noqa: E402
from footsim.physics.materials.curves import drucker_stable_range, mode_stress_tangent
from footsim.physics.materials.laws import NeoHookean
from footsim.physics.materials.library import MATERIALS, default_assignment, resolve
from footsim.solve.newton import NonlinearSolver
from footsim.solve.options import SolverOptions


# ------------------------------------------------------------------------------------ materials
def test_registry_and_default_assignment():
    assign = default_assignment()
    assert set(assign) == set(tags.Volume)
    assert all(name in MATERIALS for name in assign.values())
    mats = resolve({tags.Volume.INSOLE: "poron", tags.Volume.PAD: NeoHookean(name="x", E=2.0)})
    assert mats[int(tags.Volume.INSOLE)].name == "poron"
    assert mats[int(tags.Volume.PAD)].name == "x"
    with pytest.raises(KeyError):
        resolve({tags.Volume.PAD: "unobtainium"})


def test_small_strain_constants():
    """Polynomial soft tissue (Lemmon 1997 / Cheung 2005): mu0 = 2 (C10 + C01), K = 2 / D1."""
    st = materials.SOFT_TISSUE
    assert st.shear_modulus == pytest.approx(0.0543, rel=1e-6)
    assert st.bulk_modulus == pytest.approx(2 / 3.65273, rel=1e-12)
    assert 0.45 < st.poisson_ratio < 0.46 and st.split
    assert materials.BONE.youngs_modulus == pytest.approx(7300.0)
    assert not materials.BONE.split and not materials.EVA.split
    # the neo-Hookean alternative matches the polynomial's small-strain constants
    nh = materials.SOFT_TISSUE_NEOHOOKEAN
    assert nh.shear_modulus == pytest.approx(st.shear_modulus, rel=1e-9)
    assert nh.bulk_modulus == pytest.approx(st.bulk_modulus, rel=1e-9)
    # uniaxial (incompressible) initial tangent = 3 mu0 for every isochoric law
    for m in (st, nh, materials.SOFT_TISSUE_OGDEN):
        _, t = mode_stress_tangent(m, np.array([1.0]), "uniaxial")
        assert t[0] == pytest.approx(3 * m.shear_modulus, rel=1e-4)


@pytest.mark.parametrize("name", ["soft_tissue", "soft_tissue_ogden", "soft_tissue_neohookean"])
def test_soft_tissue_drucker_stability(name):
    """Drucker stability (d sigma / d ln lambda > 0) in uniaxial, equibiaxial and planar
    incompressible deformation for stretches 0.4..1.5 (the range reached under the heads)."""
    res = drucker_stable_range(MATERIALS[name], 0.4, 1.5)
    assert all(ok for ok, _ in res.values()), res
    # and the stress has the right sign: tension for lambda > 1, compression for lambda < 1
    s, _ = mode_stress_tangent(MATERIALS[name], np.array([0.5, 1.3]), "uniaxial")
    assert s[0] < 0 < s[1]


def test_compression_curves_start_at_the_youngs_modulus_and_stiffen():
    """Uniaxial compression curves (the adaptive contact penalty follows them): the tangent
    starts at the small-strain Young's modulus (3 mu for the incompressible laws), the stress
    rises monotonically, a foam's lateral faces are free of stress at its own lateral
    contraction, and the push-off Ogden tissue is > 100 times stiffer at 1.5 MPa than at rest."""
    for name in ("soft_tissue", "soft_tissue_ogden", "soft_tissue_neohookean", "eva", "pad"):
        m = MATERIALS[name]
        s, t = materials.compression_curve(m)
        E = 3 * m.shear_modulus if m.split else m.youngs_modulus
        assert s[0] == pytest.approx(0.0, abs=1e-9) and np.all(np.diff(s) > 0), name
        assert t[0] == pytest.approx(E, rel=2e-2), name
    foam = materials.EVA
    lam = np.array([0.9, 0.6, 0.3])
    lat, h = lam**-foam.nu, 1e-6
    dpsi2 = foam.psi_stretches(lam, lat * (1 + h), lat) - foam.psi_stretches(
        lam, lat * (1 - h), lat
    )
    dpsi1 = foam.psi_stretches(lam * (1 + h), lat, lat) - foam.psi_stretches(
        lam * (1 - h), lat, lat
    )
    assert np.all(np.abs(dpsi2) < 1e-6 * np.abs(dpsi1))
    s, t = materials.compression_curve(materials.SOFT_TISSUE_OGDEN)
    assert np.interp(1.5, s, t) > 100 * materials.SOFT_TISSUE_OGDEN.youngs_modulus


def test_ufl_energy_matches_numpy():
    """The UFL energies equal the numpy ones (principal stretches) on a homogeneous state."""
    mesh = dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 1, 1, 1)
    lam = (1.2, 0.9, 0.85)
    Fm = ufl.as_matrix(np.diag(lam).tolist())
    for m in (materials.SOFT_TISSUE, materials.SOFT_TISSUE_NEOHOOKEAN):
        val = fem.assemble_scalar(fem.form(m.psi_iso(Fm) * ufl.dx(domain=mesh)))
        assert val == pytest.approx(float(m.psi_iso_stretches(*lam)), rel=1e-10)
    # hyperfoam with alpha = 4: tr(C^2) = sum lambda^4
    foam = materials.EVA
    val = fem.assemble_scalar(fem.form(foam.psi(Fm) * ufl.dx(domain=mesh)))
    assert val == pytest.approx(float(foam.psi_stretches(*lam)), rel=1e-10)


def _nh_fibre_cauchy(m, F: np.ndarray) -> np.ndarray:
    """Cauchy stress (MPa) of :class:`~footsim.physics.materials.laws.FibreReinforced` (compressible
    matrix) at the deformation gradient ``F``: ``mu/J (b - I) + lam ln J / J I`` (Simo-Pister
    neo-Hookean) plus ``E_f / (2 J) <I4 - 1>_+ a (x) a``, ``a = F a0``."""
    J = np.linalg.det(F)
    b = F @ F.T
    a0 = np.asarray(m.fibre_direction, dtype=float)
    a = F @ (a0 / np.linalg.norm(a0))
    I4 = a @ a
    sigma = m.shear_modulus / J * (b - np.eye(3)) + m.lame_lambda * np.log(J) / J * np.eye(3)
    return sigma + m.E_fibre / (2 * J) * max(I4 - 1.0, 0.0) * np.outer(a, a)


@pytest.mark.parametrize("formulation", ["mixed", "displacement"])
def test_fibre_reinforced_plate_takes_tension_along_its_fibres_only(formulation):
    """The fibre-reinforced plantar plate (neo-Hookean matrix E 10 MPa + tension-only fibres,
    E_fibre 260 MPa along x) under homogeneous deformations prescribed on the whole boundary
    of a cube: the solver's Cauchy stress equals the closed form to 1e-8, with the fibres
    stretched (a general F with 8 % stretch along them), slack (shortened along them: the
    matrix alone) and turned (fibres along (1, 1, 0) / sqrt 2); stretched along x the
    reinforced plate carries ~25 times the isotropic plate's axial stress."""
    from dataclasses import replace

    plate = materials.PLANTAR_PLATE_FIBRES
    assert MATERIALS["plantar_plate_fibres"] is plate and not plate.split
    cases = {
        "stretched": (plate, [[1.08, 0.05, 0.0], [0.02, 0.98, 0.03], [0.0, -0.01, 0.97]]),
        "slack": (plate, [[0.92, 0.05, 0.0], [0.02, 1.03, 0.0], [0.0, 0.0, 1.02]]),
        "turned": (
            replace(plate, fibre_direction=(1.0, 1.0, 0.0)),
            [[1.05, 0.04, 0.0], [0.0, 1.04, 0.0], [0.0, 0.0, 0.95]],
        ),
        "isotropic": (
            materials.PLANTAR_PLATE,
            [[1.08, 0.05, 0.0], [0.02, 0.98, 0.03], [0.0, -0.01, 0.97]],
        ),
    }
    mesh = dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 2, 2, 2)
    nc = mesh.topology.index_map(3).size_local
    ct = dolfinx.mesh.meshtags(mesh, 3, np.arange(nc, dtype=np.int32), np.zeros(nc, np.int32))
    mesh.topology.create_connectivity(2, 3)
    facets = dolfinx.mesh.exterior_facet_indices(mesh.topology)
    opts = SolverOptions(formulation=formulation, degree=2)
    axial = {}
    for name, (m, F) in cases.items():
        F = np.asarray(F)
        body = Hyperelasticity(mesh, ct, {0: m}, opts)
        g = fem.Function(body.V)
        bc = fem.dirichletbc(g, fem.locate_dofs_topological(body.V, 2, facets))
        solver = NonlinearSolver(body.residual(), body.unknowns(), [bc], opts)
        for t in (0.5, 1.0):
            g.interpolate(lambda X, t=t, F=F: t * ((F - np.eye(3)) @ X))
            assert solver.solve().converged, name
        sig = body.cauchy_dg0().x.array.reshape(-1, 3, 3)
        expected = _nh_fibre_cauchy(m, F) if name != "isotropic" else None
        if expected is None:  # the isotropic plate: the same law without fibres
            expected = _nh_fibre_cauchy(replace(plate, E_fibre=0.0), F)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(sig, np.broadcast_to(expected, sig.shape), rtol=0,
                                   atol=1e-8 * scale, err_msg=name)  # fmt: skip
        axial[name] = expected[0, 0]
    assert axial["stretched"] > 20 * axial["isotropic"] > 0
    # slack: exactly the matrix (the fibre term switched off)
    F = np.asarray(cases["slack"][1])
    assert np.allclose(_nh_fibre_cauchy(plate, F), _nh_fibre_cauchy(replace(plate, E_fibre=0), F))


def test_a_process_waits_for_another_ones_compile_long_enough():
    """dolfinx waits only 10 s by default for a form that another process is compiling; the
    first compile of a tissue kernel takes longer, and sweep workers start together."""
    import dolfinx.jit

    from footsim.solve.process import JIT_WAIT_S

    assert dolfinx.jit.get_options()["timeout"] == JIT_WAIT_S >= 600


def test_trace_power_by_newton_identities_equals_the_matrix_power():
    """``tr(C^k)`` from the invariants (Newton's identities) equals numpy's matrix power for
    a full (non-diagonal) C, positive and negative k; and the Ogden energy equals the
    principal-stretch one for an even exponent (no rounding)."""
    mesh = dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 1, 1, 1)
    Fn = np.array([[1.1, 0.2, -0.1], [0.05, 0.9, 0.15], [-0.1, 0.1, 1.2]])
    Cn = Fn.T @ Fn
    C = ufl.as_matrix(Cn.tolist())
    for k in (-3, -1, 1, 2, 3, 4, 9):
        val = fem.assemble_scalar(fem.form(laws._trace_power(C, k) * ufl.dx(domain=mesh)))
        expect = np.trace(np.linalg.matrix_power(Cn if k > 0 else np.linalg.inv(Cn), abs(k)))
        assert val == pytest.approx(expect, rel=1e-12), k
    # the Ogden energy of a full F (written in the scaled invariants of C, det C_bar = 1)
    lam = np.sqrt(np.linalg.eigvalsh(Cn))  # principal stretches
    Fm = ufl.as_matrix(Fn.tolist())
    for alpha in (18.0, -4.0, 2.0):
        ogden = materials.Ogden(name="ogden", alpha=alpha)
        val = fem.assemble_scalar(fem.form(ogden.psi_iso(Fm) * ufl.dx(domain=mesh)))
        assert val == pytest.approx(float(ogden.psi_iso_stretches(*lam)), rel=1e-10), alpha


# ------------------------------------------------------------------------------------ locking
def cantilever_tip(
    formulation: str, degree: int, nu: float, n=(20, 2, 2), linear_solver="mumps"
) -> float:
    """Tip deflection (mm) of a clamped 10 x 1 x 1 mm beam (E = 1 MPa) under an end shear
    force P = 2.5e-5 N (small deflection, ~1 % of the length)."""
    L, P, E = 10.0, 2.5e-5, 1.0
    mesh = dolfinx.mesh.create_box(
        MPI.COMM_WORLD, [[0, 0, 0], [L, 1, 1]], list(n), dolfinx.mesh.CellType.tetrahedron
    )
    nc = mesh.topology.index_map(3).size_local
    ct = dolfinx.mesh.meshtags(mesh, 3, np.arange(nc, dtype=np.int32), np.zeros(nc, np.int32))
    opts = SolverOptions(formulation=formulation, degree=degree, atol=1e-15, accept_atol=1e-13,
                         linear_solver=linear_solver)  # fmt: skip
    body = Hyperelasticity(mesh, ct, {0: NeoHookean(name="beam", E=E, nu=nu)}, opts)
    mesh.topology.create_connectivity(2, 3)
    clamp = dolfinx.mesh.locate_entities_boundary(mesh, 2, lambda x: np.isclose(x[0], 0.0))
    end = dolfinx.mesh.locate_entities_boundary(mesh, 2, lambda x: np.isclose(x[0], L))
    ft = dolfinx.mesh.meshtags(mesh, 2, np.sort(end), np.ones(end.size, np.int32))
    bc = fem.dirichletbc(
        np.zeros(3, dtype=dolfinx.default_scalar_type),
        fem.locate_dofs_topological(body.V, 2, clamp),
        body.V,
    )
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=ft)
    t = ufl.as_vector((0.0, 0.0, -P))  # per unit area of the 1 x 1 end face
    solver = NonlinearSolver(body.residual(-ufl.dot(t, body.v) * ds(1)), body.unknowns(), [bc],
                             opts)  # fmt: skip
    rec = solver.solve()
    assert rec.converged
    tip = body.u.eval(np.array([[L, 0.5, 0.5]]), np.array([_cell_at(mesh, [L, 0.5, 0.5])]))
    return -float(tip[2])


def _sagging_bar(opts: SolverOptions):
    """A neo-Hookean bar (4 x 1 x 1 mm, E = 1 MPa, one element across) clamped at one end and
    sagging under its weight (2e-3 N/mm^3): a :class:`NonlinearSolver` and its body."""
    mesh = dolfinx.mesh.create_box(
        MPI.COMM_WORLD, [[0, 0, 0], [4, 1, 1]], [4, 1, 1], dolfinx.mesh.CellType.tetrahedron
    )
    nc = mesh.topology.index_map(3).size_local
    ct = dolfinx.mesh.meshtags(mesh, 3, np.arange(nc, dtype=np.int32), np.zeros(nc, np.int32))
    body = Hyperelasticity(mesh, ct, {0: NeoHookean(name="b", E=1.0, nu=0.3)}, opts)
    clamp = dolfinx.mesh.locate_entities_boundary(mesh, 2, lambda x: np.isclose(x[0], 0.0))
    bc = fem.dirichletbc(
        np.zeros(3, dtype=dolfinx.default_scalar_type),
        fem.locate_dofs_topological(body.V, 2, clamp),
        body.V,
    )
    b = ufl.as_vector((0.0, 0.0, -2e-3))  # body force (N/mm^3): a sag of ~0.7 mm
    solver = NonlinearSolver(body.residual(-ufl.dot(b, body.v) * ufl.dx), body.unknowns(), [bc],
                             opts)  # fmt: skip
    return solver, body


def test_critical_point_line_search_does_not_creep():
    """The default line search (``cp``) converges the sagging bar, whose first full Newton
    step raises the residual norm fifty-fold before the quadratic end; the backtracking
    ``bt``, which judges steps by that norm, creeps at ~1-4 % per iteration and does not
    converge in 15 (the failed push-off steps with toes showed the same creep)."""
    iterations = {}
    for linesearch in ("cp", "bt"):
        opts = SolverOptions(atol=1e-10, rtol=1e-12, max_newton_iterations=15,
                             linesearch=linesearch)  # fmt: skip
        solver, body = _sagging_bar(opts)
        rec = solver.solve()
        iterations[linesearch] = rec.iterations if rec.converged else None
    assert SolverOptions().linesearch == "cp"
    assert iterations["cp"] is not None and iterations["cp"] <= 10
    assert iterations["bt"] is None


def test_stall_test_stops_a_creeping_newton_solve_only():
    """The stall test of a loose load step (``SolverOptions.stall_iterations``): gives up
    once the residual norm has fallen by under 10 % in each of 3 iterations (the creep of the
    toe push-off's failed steps, ~1 % per iteration), not on a slow start before the
    quadratic end (a successful step of the same run), and otherwise acts as PETSc's default
    test: a real solve with it takes the same iterations to the same state."""
    from petsc4py import PETSc

    from footsim.solve.newton import STALLED, snes_reason_name

    R = PETSc.SNES.ConvergedReason
    opts = SolverOptions(atol=1e-10, rtol=1e-12, max_newton_iterations=15)
    solver, body = _sagging_bar(opts)
    snes = solver.problem.solver
    snes.setTolerances(atol=0.75)  # as a loose step of the toe push-off (N)

    def verdicts(norms):
        return [solver._converged(snes, it, (0.0, 0.0, f)) for it, f in enumerate(norms)]

    creep = [649.9, 1.819, 1.796, 1.777, 1.759, 1.743]  # a failed step (toes, 2.41 mm)
    assert verdicts(creep)[:4] == [R.ITERATING] * 4 and verdicts(creep)[4] == R.DIVERGED_MAX_IT
    assert solver._stalled
    slow_start = [38.73, 5.376, 4.374, 3.541, 2.788, 2.703, 0.2828]  # a successful one
    assert verdicts(slow_start) == [R.ITERATING] * 6 + [R.CONVERGED_FNORM_ABS]
    assert verdicts([3.0, 2.9, 2.8, float("nan")])[-1] == R.DIVERGED_FUNCTION_NANORINF
    halving = verdicts([1e6 * 0.5**k for k in range(16)])  # 30 N after 15 iterations
    assert halving[:15] == [R.ITERATING] * 15 and halving[15] == R.DIVERGED_MAX_IT
    assert not solver._stalled
    assert "STALLED" in snes_reason_name(STALLED)
    # a real solve: the same iterations and state with the Python test as with PETSc's
    snes.setTolerances(atol=opts.atol)
    records, states = [], []
    for stall in (False, True):
        body.u.x.array[:] = 0.0
        records.append(solver.solve(stall=stall))
        states.append(body.u.x.array.copy())
    assert records[0].converged and records[1].converged
    assert records[0].iterations == records[1].iterations >= 3
    assert records[0].reason == records[1].reason
    # (equal to the solver tolerance: the second solve starts from the first one's factors)
    assert np.abs(states[0] - states[1]).max() <= 1e-9 * np.abs(states[0]).max()


class _Spring:
    """A linear spring of stiffness ``k`` (N/mm) between the displacement dofs ``a`` and ``b``
    of ``u``: an ``extra`` of :class:`NonlinearSolver` as
    :class:`~footsim.physics.contact.body.BodyContact`
    is, asking before every solve for the couplings of the dof pairs ``pairs`` (serial: the
    matrix's indices are ``u``'s dofs)."""

    def __init__(self, u, a: int, b: int, k: float = 0.05):
        self.u, self.a, self.b, self.k = u, a, b, k
        self.pairs = [(a, b)]

    def coupling_pattern(self):
        p = np.array(self.pairs, dtype=np.int64)
        return np.concatenate([p[:, 0], p[:, 1]]), np.concatenate([p[:, 1], p[:, 0]])

    def add_residual(self, F) -> None:
        u = self.u.x.array
        f = self.k * (u[self.a] - u[self.b])
        F.setValues([self.a, self.b], [f, -f], addv=True)
        F.assemble()

    def add_jacobian(self, A) -> None:
        k = self.k
        A.setValues([self.a, self.b], [self.a, self.b], [[k, -k], [-k, k]], addv=True)
        A.assemble()


def test_coupled_matrix_is_rebuilt_only_for_couplings_it_lacks():
    """The Jacobian of a solver with extra couplings (two-body contact) holds every coupling
    asked for (no allocation while assembling) and is rebuilt only when a coupling it lacks
    is asked for: not for one already asked, nor for one the finite elements hold."""
    if MPI.COMM_WORLD.size > 1:
        pytest.skip("serial: the spring's dofs are the matrix's indices")
    opts = SolverOptions(formulation="displacement", atol=1e-10, rtol=1e-12)
    _, body = _sagging_bar(opts)
    x = body.V.tabulate_dof_coordinates()

    def dof(point):  # z dof of the node at ``point``
        return 3 * int(np.argmin(np.linalg.norm(x - np.array(point), axis=1))) + 2

    tip, mid, near, root = dof([4, 0, 0]), dof([2, 0, 0]), dof([3, 0, 0]), dof([1, 1, 1])
    spring = _Spring(body.u, tip, mid)
    b = ufl.as_vector((0.0, 0.0, -2e-3))
    clamp = dolfinx.mesh.locate_entities_boundary(body.V.mesh, 2, lambda x: np.isclose(x[0], 0.0))
    bc = fem.dirichletbc(
        np.zeros(3, dtype=dolfinx.default_scalar_type),
        fem.locate_dofs_topological(body.V, 2, clamp),
        body.V,
    )
    solver = NonlinearSolver(body.residual(-ufl.dot(b, body.v) * ufl.dx), body.unknowns(), [bc],
                             opts, extra=spring)  # fmt: skip

    def solve():
        body.u.x.array[:] = 0.0
        rec = solver.solve()
        assert rec.converged
        assert solver.matrix.getInfo()["mallocs"] == 0  # every coupling was pre-allocated
        return solver.matrix.handle, solver.matrix_rebuilds

    first = solve()
    stretch = body.u.x.array[tip] - body.u.x.array[mid]
    spring.k = 0.0
    assert solve() == first  # the same couplings: the same matrix
    loose = body.u.x.array[tip] - body.u.x.array[mid]
    assert abs(stretch) < 0.9 * abs(loose)  # the spring did act (through the extra terms)
    spring.pairs.append((tip, near))  # the finite elements couple them: no rebuild
    assert solve() == first
    spring.pairs.append((tip, root))  # new: the matrix is rebuilt once
    spring.a, spring.b, spring.k = tip, root, 0.05
    handle, rebuilds = solve()
    assert rebuilds == first[1] + 1
    spring.pairs = [(tip, mid)]  # asked before: held
    assert solve() == (handle, rebuilds)


def test_zero_free_copy_is_the_same_operator_on_a_smaller_pattern():
    """The copy the two-body factors are computed from (``SolverOptions.factor_zero_free``):
    every stored zero dropped but the diagonal's, every other entry kept."""
    from footsim.solve.process import zero_free_copy

    rng = np.random.default_rng(1)
    dense = rng.uniform(-1, 1, (12, 12)) * (rng.uniform(size=(12, 12)) < 0.4)
    dense[3, 3] = 0.0
    A = PETSc.Mat().createAIJ(size=(12, 12), nnz=12, comm=MPI.COMM_SELF)
    A.setValues(range(12), range(12), np.where(dense == 0.0, 0.0, dense))  # stores zeros too
    A.assemble()
    B = zero_free_copy(A)
    assert A.getInfo()["nz_used"] == 144
    ia, ja, a = B.getValuesCSR()
    assert B.getInfo()["nz_used"] == np.count_nonzero(dense) + np.sum(np.diag(dense) == 0)
    assert np.array_equal(B.getValues(range(12), range(12)), dense)
    assert 3 in ja[ia[3] : ia[4]]  # the zero diagonal entry kept


def _cell_at(mesh, x):
    from dolfinx import geometry

    tree = geometry.bb_tree(mesh, mesh.topology.dim)
    cand = geometry.compute_collisions_points(tree, np.array([x], dtype=float))
    cells = geometry.compute_colliding_cells(mesh, cand, np.array([x], dtype=float))
    return cells.links(0)[0]


def timoshenko_tip(nu: float, L=10.0, P=2.5e-5, E=1.0, b=1.0, h=1.0) -> float:
    """Timoshenko beam tip deflection ``P L^3 / (3 E I) + P L / (k G A)`` with the shear
    coefficient of a rectangle ``k = 10 (1 + nu) / (12 + 11 nu)`` (Cowper 1966, J Appl Mech
    33:335; Timoshenko & Goodier 1970, Theory of Elasticity, sec. 21)."""
    I_, A, G = b * h**3 / 12, b * h, E / (2 * (1 + nu))
    k = 10 * (1 + nu) / (12 + 11 * nu)
    return P * L**3 / (3 * E * I_) + P * L / (k * G * A)


def test_no_volumetric_locking():
    """Nearly incompressible (nu = 0.499) cantilever: the Taylor-Hood P2-P1 mixed formulation
    gives the Timoshenko deflection within 5 %, while linear displacement elements lock."""
    ref = timoshenko_tip(0.499)
    mixed = cantilever_tip("mixed", 2, 0.499)
    p1 = cantilever_tip("displacement", 1, 0.499)
    print(f"tip: reference {ref:.5f}, P2-P1 {mixed:.5f} ({mixed / ref - 1:+.2%}), "
          f"P1 {p1:.5f} ({p1 / ref - 1:+.2%})")  # fmt: skip
    assert mixed == pytest.approx(ref, rel=0.05)
    assert p1 < 0.5 * ref  # locking of the pure-displacement P1 formulation


def test_single_precision_factors_are_asked_for_only_where_petsc_has_them():
    """:func:`mumps_single_precision` tells single-precision MUMPS factors from double ones:
    the same probe solve with double factors keeps the 2^-30 that single ones round away.
    Reuse mode asks for single factors (and FGMRES) exactly when the probe says PETSc has
    them; ``factor_precision="double"`` and the fresh-LU mode never do."""
    from footsim.solve.options import mumps_single_precision, petsc_options

    A = PETSc.Mat().createAIJ([1, 1], nnz=1, comm=PETSc.COMM_SELF)
    A.setValue(0, 0, 1.0)
    A.assemble()
    ksp = PETSc.KSP().create(PETSc.COMM_SELF)
    ksp.setOperators(A)
    ksp.setType("preonly")
    ksp.getPC().setType("lu")
    ksp.getPC().setFactorSolverType("mumps")
    b = A.createVecLeft()
    b.set(1.0 + 2.0**-30)
    x = b.duplicate()
    ksp.solve(b, x)
    assert x.getValue(0) == 1.0 + 2.0**-30  # double factors: exact

    single = mumps_single_precision()
    opts = petsc_options(SolverOptions())
    assert (opts.get("pc_precision") == "single") == single
    assert opts["ksp_type"] == ("fgmres" if single else "gmres")
    for o in (SolverOptions(factor_precision="double"), SolverOptions(reuse_factorization=False)):
        assert "pc_precision" not in petsc_options(o)
    if "dolfinx_solver" in sys.modules:  # the PyPI wheel's PETSc has MUMPS in both precisions
        assert single


def test_gamg_solves_the_displacement_formulation_and_refuses_the_mixed_one():
    """The iterative option (GMRES + smoothed-aggregation AMG with the rigid-body
    near-nullspace) gives the direct solver's cantilever tip; it is refused, before any
    assembly, for the mixed formulation, whose saddle-point Jacobian it does not solve."""
    direct = cantilever_tip("displacement", 2, 0.3)
    amg = cantilever_tip("displacement", 2, 0.3, linear_solver="gamg")
    assert amg == pytest.approx(direct, rel=1e-6)
    assert direct == pytest.approx(timoshenko_tip(0.3), rel=0.05)
    with pytest.raises(ValueError, match="linear_solver = 'gamg' with formulation = 'mixed'"):
        SolverOptions(linear_solver="gamg")


def test_max_principal_green_strain_of_homogeneous_deformations():
    """Stretch a by (1 + a) along x plus a rigid rotation: E_max = a + a^2/2 in every cell,
    whatever the rotation; a pure compression has a largest principal strain of 0."""
    mesh = dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 2, 2, 2)
    V = fem.functionspace(mesh, ("Lagrange", 2, (3,)))
    u = fem.Function(V)
    a, t = 0.1, 0.4  # stretch, rotation about z (rad)
    c, s = np.cos(t), np.sin(t)

    def motion(x):  # x -> R (1 + a e_x e_x) x, minus x
        sx = (1 + a) * x[0]
        return np.vstack([c * sx - s * x[1] - x[0], s * sx + c * x[1] - x[1], 0 * x[2]])

    u.interpolate(motion)
    e = max_principal_green_strain(u).x.array
    assert np.allclose(e, a + a**2 / 2, rtol=1e-10)
    u.interpolate(lambda x: np.vstack([-0.2 * x[0], 0 * x[1], 0 * x[2]]))
    assert np.allclose(max_principal_green_strain(u).x.array, 0.0, atol=1e-12)


def test_a_broken_pipe_raises_instead_of_killing_the_process():
    """PETSc's signal handler turned SIGPIPE (a write to a pipe whose reader died, e.g. a
    crashed sweep worker) into MPI_Abort of the whole process; Python's own handling raises
    BrokenPipeError. Run in a child process so a regression fails this test, not the session."""
    code = (
        "import os, footsim.solve.process\n"
        "r, w = os.pipe(); os.close(r)\n"
        "try:\n    os.write(w, b'x')\nexcept BrokenPipeError:\n    print('raised')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "raised", (proc.returncode, proc.stderr)


@pytest.mark.parametrize("volumetric", ["log", "quadratic"])
@pytest.mark.parametrize("formulation", ["mixed", "displacement"])
def test_hydrostatic_compression_follows_the_volumetric_law(formulation, volumetric):
    """A soft-tissue cube squeezed uniformly to half its volume (u = (s - 1) X on the whole
    boundary, s^3 = 1/2): the Cauchy mean stress is dU/dJ = K theta(J) theta'(J), i.e.
    K ln J / J = -0.76 MPa for the default law and K (J - 1) = -0.27 MPa for Abaqus's
    quadratic one (K = 0.5475 MPa); in the mixed formulation the pressure unknown is K theta(J)."""
    from dataclasses import replace

    J = 0.5
    s = J ** (1 / 3)
    m = replace(materials.SOFT_TISSUE, volumetric=volumetric)
    K = m.bulk_modulus
    mesh = dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 2, 2, 2)
    nc = mesh.topology.index_map(3).size_local
    ct = dolfinx.mesh.meshtags(mesh, 3, np.arange(nc, dtype=np.int32), np.zeros(nc, np.int32))
    opts = SolverOptions(formulation=formulation, degree=2, max_newton_iterations=50)
    body = Hyperelasticity(mesh, ct, {0: m}, opts)
    mesh.topology.create_connectivity(2, 3)
    facets = dolfinx.mesh.exterior_facet_indices(mesh.topology)
    g = fem.Function(body.V)
    bc = fem.dirichletbc(g, fem.locate_dofs_topological(body.V, 2, facets))
    solver = NonlinearSolver(body.residual(), body.unknowns(), [bc], opts)
    for t in np.linspace(0.25, 1.0, 4):  # load steps towards J = 1/2
        g.interpolate(lambda X, t=t: (1.0 + t * (s - 1.0) - 1.0) * X)
        assert solver.solve().converged
    theta, dtheta = (np.log(J), 1 / J) if volumetric == "log" else (J - 1.0, 1.0)
    sig = body.cauchy_dg0().x.array.reshape(-1, 3, 3)
    mean = np.trace(sig, axis1=1, axis2=2) / 3.0
    assert mean == pytest.approx(K * theta * dtheta, rel=1e-6)
    if formulation == "mixed":
        assert body.p.x.array == pytest.approx(K * theta, rel=1e-6)
