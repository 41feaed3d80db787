"""Verification of Coulomb friction on the ground contact (mm, N, MPa).

A block on the rigid ground, its top moved as a rigid clamp (down, then sideways), with the
friction history committed after each converged step as the load stepper does.
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import numpy as np  # noqa: E402  isort: skip
import pytest  # noqa: E402  isort: skip
import dolfinx  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim.mesh import tags  # noqa: E402
from footsim.physics.contact import ContactSurface, CoulombLaw, RigidPlane  # noqa: E402
from footsim.physics.hyperelasticity import Hyperelasticity  # noqa: E402
from footsim.physics.materials.laws import NeoHookean  # noqa: E402
from footsim.solve.newton import NonlinearSolver  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402

CONTACT, TOP, TISSUE = tags.Surface.PLANTAR_SKIN, tags.Surface.CUT_BONE, tags.Volume.SOFT_TISSUE
E_BLOCK, NU_BLOCK = 1.0, 0.0  # MPa, -: nu = 0, a pressed block does not bulge


X_FACES = 203  # test-only facet tag of the faces x = 0 and x = L of the slab


def slab(L: float = 10.0, H: float = 2.0, n: int = 6, nz: int = 2):
    """The block [0, L]^2 x [0, H] (mm): bottom = contact, top = clamp, the faces normal to
    x tagged ``X_FACES``."""
    mesh = dolfinx.mesh.create_box(
        MPI.COMM_WORLD, [[0, 0, 0], [L, L, H]], [n, n, nz], dolfinx.mesh.CellType.tetrahedron
    )
    nc = mesh.topology.index_map(3).size_local
    ct = dolfinx.mesh.meshtags(
        mesh, 3, np.arange(nc, dtype=np.int32), np.full(nc, int(TISSUE), dtype=np.int32)
    )
    mesh.topology.create_connectivity(2, 3)
    idx, val = [], []
    sides = (
        (lambda x: np.isclose(x[2], 0.0), CONTACT),
        (lambda x: np.isclose(x[2], H), TOP),
        (lambda x: np.isclose(x[0], 0.0) | np.isclose(x[0], L), X_FACES),
    )
    for pred, tag in sides:
        f = dolfinx.mesh.locate_entities_boundary(mesh, 2, pred)
        idx.append(f)
        val.append(np.full(f.size, int(tag), dtype=np.int32))
    idx, val = np.concatenate(idx), np.concatenate(val)
    order = np.argsort(idx)
    return mesh, ct, dolfinx.mesh.meshtags(mesh, 2, idx[order], val[order])


class ClampedBlock:
    """A body on the ground with its top (``TOP``) clamped to ``(s_x, 0, -d)`` (mm): by
    default the slab of :func:`slab`; ``bonded``: its bottom glued to the ground instead;
    ``x_faces_compressed``: the slab's x faces held at the uniform compression ``u_z = -d
    z / H`` (their vertical reaction is the shear a homogeneous simple shear needs there)."""

    def __init__(
        self,
        mu: float,
        meshed=None,
        material=None,
        options: SolverOptions | None = None,
        rollers=(),
        bonded: bool = False,
        x_faces_compressed: bool = False,
    ):
        mesh, ct, ft = meshed or slab()
        material = material or NeoHookean(name="block", E=E_BLOCK, nu=NU_BLOCK)
        opts = options or SolverOptions(formulation="displacement", adaptive_penalty=False)
        self.body = Hyperelasticity(mesh, ct, {int(TISSUE): material}, opts)
        self.contact = ContactSurface(
            self.body, ft, CONTACT, RigidPlane(0.0), opts, friction=CoulombLaw(mu)
        )
        V = self.body.V
        self.g = fem.Function(V)
        dofs = fem.locate_dofs_topological(V, 2, ft.find(int(TOP)))
        bcs = [fem.dirichletbc(self.g, dofs)]
        for tag, comp in rollers:
            Vc = V.sub(comp)
            sym = fem.locate_dofs_topological(Vc, 2, ft.find(int(tag)))
            bcs.append(fem.dirichletbc(dolfinx.default_scalar_type(0.0), sym, Vc))
        self.bottom = fem.locate_dofs_topological(V, 2, ft.find(int(CONTACT)))
        self.bonded = bonded
        self.gz = None
        if x_faces_compressed:
            Vz, _ = V.sub(2).collapse()
            self.gz = fem.Function(Vz)
            xdofs = fem.locate_dofs_topological((V.sub(2), Vz), 2, ft.find(X_FACES))
            bcs.append(fem.dirichletbc(self.gz, xdofs, V.sub(2)))
            self.height = float(mesh.geometry.x[:, 2].max())
        if bonded:  # the bottom glued to the ground: no contact term
            bcs.append(fem.dirichletbc(fem.Function(V), self.bottom))
            residual = self.body.residual()
        else:
            residual = self.body.residual(self.contact.residual_terms(self.body.v))
        self._F_u = fem.form(residual[0])
        self.solver = NonlinearSolver(
            residual, self.body.unknowns(), bcs, opts, symmetric=self.contact.symmetric
        )

    def move(self, sx: float, d: float) -> None:
        """Clamp the top at ``(sx, 0, -d)`` and solve; commit the friction history."""
        self.g.interpolate(lambda X: np.vstack([sx + 0 * X[0], 0 * X[0], -d + 0 * X[0]]))
        if self.gz is not None:  # the homogeneous compression, the sole sunk by p / eps
            delta = self.penetration(d)
            self.gz.interpolate(lambda X: -delta - (d - delta) * X[2] / self.height)
        rec = self.solver.solve()
        assert rec.converged, rec
        if not self.bonded:
            self.contact.commit()

    def path(self, points, steps: int = 4):
        """Move the clamp along straight segments through ``points`` ((sx, d) pairs)."""
        a = np.zeros(2)
        for b in np.asarray(points, dtype=float):
            for t in np.linspace(0, 1, steps + 1)[1:]:
                self.move(*(a + t * (b - a)))
            a = b

    def penetration(self, d: float) -> float:
        """How far (mm) the sole of the compressed slab sinks into the ground when its top
        is lowered by ``d`` (mm): the penalty's pressure ``eps delta`` equals the Cauchy
        stress of the neo-Hookean slab (nu = 0) in uniaxial strain ``mu (1 / l - l)``,
        ``l = 1 - (d - delta) / H`` the stretch (the lateral stretch is 1)."""
        from scipy.optimize import brentq

        if d <= 0.0:
            return 0.0
        eps, G, H = self.contact.kappa_value, E_BLOCK / 2.0, self.height

        def imbalance(delta):
            stretch = 1.0 - (d - delta) / H
            return eps * delta - G * (1.0 / stretch - stretch)

        return brentq(imbalance, 0.0, d)

    def force(self) -> np.ndarray:
        """The ground's force on the block (N): the contact's, or the glued bottom's
        reaction (the residual at its dofs)."""
        if not self.bonded:
            return self.contact.force()
        b = fem.assemble_vector(self._F_u)
        b.scatter_reverse(dolfinx.la.InsertMode.add)
        return b.array.reshape(-1, 3)[self.bottom].sum(axis=0)

    def bottom_slip(self) -> float:
        """Mean x displacement of the bottom nodes (mm)."""
        u = self.body.u.x.array.reshape(-1, 3)
        return float(u[self.bottom, 0].mean())


MU = 0.5
D_PRESS = 0.04  # mm: 2 % compression of the 2 mm slab, N = E A d / H = 2 N


def stuck_stiffness(block: ClampedBlock, area_mm2: float = 100.0) -> float:
    """The stuck block's tangential stiffness (N/mm): the glued block's (an independent
    solve) in series with the penalty's elastic slip ``1 / (eps_T A)``."""
    glued = ClampedBlock(MU, bonded=True)
    glued.path([(0.0, D_PRESS), (0.01, D_PRESS)], steps=1)
    return 1.0 / (0.01 / -glued.force()[0] + 1.0 / (block.contact.kappa_value * area_mm2))


def test_block_sticks_below_mu_N_and_slides_at_mu_N():
    """Pressed, then pushed sideways: the tangential force grows with the clamp's travel
    while it sticks (the bottom moves by the penalty's elastic slip only) and stops at
    ``mu N`` once it slides (1 %)."""
    b = ClampedBlock(MU)
    b.path([(0.0, D_PRESS)], steps=2)
    N = b.force()[2]
    k = stuck_stiffness(b)
    s_slip = MU * N / k  # clamp travel at which the stuck block carries mu N
    travel = np.linspace(0.0, 3.0 * s_slip, 13)[1:]
    forces, normal, slips, stick = [], [], [], []
    for s in travel:
        b.move(s, D_PRESS)
        F = b.force()
        forces.append(-F[0])
        normal.append(F[2])
        slips.append(b.bottom_slip())
        stick.append(b.contact.shear_p1()[2] / b.contact.contact_area())
    ratio, slips = np.array(forces) / (MU * np.array(normal)), np.array(slips)
    print(np.round(ratio, 4), np.round(slips / travel, 4))
    stuck = travel < 0.8 * s_slip
    assert np.all(ratio[stuck] < 1.0)
    # the stuck block: the force of its shear stiffness, the bottom moving by the elastic slip
    assert np.allclose(np.array(forces)[stuck], k * travel[stuck], rtol=0.03)
    assert np.all(slips[stuck] < 0.1 * travel[stuck])
    # sliding (past the edges' partial slip): mu N, the bottom following the clamp
    assert np.all(np.abs(ratio[travel >= 2.0 * s_slip] - 1.0) < 0.01)
    assert slips[-1] > 0.5 * travel[-1]
    # the whole sole sticks first and slides at the end, where the recovered nodal shear is
    # mu times the nodal pressure everywhere (the pressure is not uniform: the clamp holds
    # the block's tilt)
    assert stick[0] == pytest.approx(1.0, abs=1e-9) and stick[-1] == 0.0
    c = b.contact
    p = c.pressure_p1()[0].x.array[c.p1_dofs]
    t = np.linalg.norm(c.shear_p1()[0].x.array.reshape(-1, 3)[c.p1_dofs], axis=1)
    assert np.allclose(t[p > 0], MU * p[p > 0], rtol=1e-5)


def test_frictional_patch_test_uniform_shear():
    """A homogeneous state (the slab compressed, its x faces held at the uniform compression,
    its top shifted): sticking, the shear on every node of the sole is the simple shear of
    the slab in series with the penalty's elastic slip, ``s / (H / G + 1 / eps_T)``, and
    sliding it is ``mu p`` with the uniform pressure ``p``, both within 2 %."""
    H, G = 2.0, E_BLOCK / (2.0 * (1.0 + NU_BLOCK))
    b = ClampedBlock(MU, x_faces_compressed=True)
    b.path([(0.0, D_PRESS)], steps=2)
    c = b.contact
    eps = c.kappa.x.array[c.dofs]
    assert np.ptp(eps) < 1e-9 * eps.max()  # a uniform mesh: a uniform penalty

    def sole():
        p = c.pressure_p1()[0].x.array[c.p1_dofs]
        t = c.shear_p1()[0].x.array.reshape(-1, 3)[c.p1_dofs]
        return p, t

    s = 0.005  # mm: shear strain 0.25 %, sticking (mu p H / G = 0.03 mm)
    b.move(s, D_PRESS)
    p, t = sole()
    expected = s / (H / G + 1.0 / eps[0])
    assert np.allclose(-t[:, 0], expected, rtol=0.02), (t[:, 0].min(), t[:, 0].max(), expected)
    assert np.allclose(p, p.mean(), rtol=0.02)
    assert c.shear_p1()[2] == pytest.approx(c.contact_area(), rel=1e-9)  # all stuck
    b.path([(s, D_PRESS), (0.1, D_PRESS)], steps=4)
    p, t = sole()
    assert np.allclose(p, p.mean(), rtol=0.02)
    assert np.allclose(-t[:, 0], MU * p.mean(), rtol=0.02)
    assert c.shear_p1()[2] == 0.0  # all sliding


def test_path_dependence_follows_coulomb():
    """Press then shear, or shear then press, to the same clamp position: with mu = 0 the
    same state; with friction the first keeps the shear force of the stuck block (``k s``)
    and the second none (the block slid while it was unloaded)."""
    s, d = 0.02, D_PRESS  # about half the travel at which the pressed block slides
    out = {}
    for mu in (0.0, MU):
        a = ClampedBlock(mu)
        a.path([(0.0, d), (s, d)])
        b = ClampedBlock(mu)
        b.path([(s, 0.0), (s, d)])
        out[mu] = (a.force(), b.force(), a.body.u.x.array.copy(), b.body.u.x.array.copy())
    fa, fb, ua, ub = out[0.0]
    assert np.allclose(ua, ub, atol=1e-8) and abs(fa[0]) < 1e-8 and abs(fb[0]) < 1e-8
    fa, fb, ua, ub = out[MU]
    k = stuck_stiffness(a)
    print(fa, fb)
    assert -fa[0] == pytest.approx(k * s, rel=0.05)  # stuck: elastic shear of the block
    assert abs(fb[0]) < 0.01 * k * s
    assert -fa[0] < MU * fa[2]


# ------------------------------------------------------------------------- Cattaneo-Mindlin
R_SPHERE, A_CONTACT = 10.0, 1.0  # mm: contact radius a/R = 0.1
H_OVER_A = 0.25  # element size under the contact over its radius
# nearly incompressible on a rigid flat: the normal and tangential problems uncouple
# (Dundurs' beta = (1 - 2 nu) / (2 (1 - nu)) = 0.02; Johnson 1985, Contact Mechanics, sec. 5.3)
NU_SPHERE = 0.49


def half_hemisphere(R: float, h_fine: float, r_fine: float):
    """Half of the lower hemisphere of radius ``R`` (y >= 0; lowest point at the origin, flat
    top = ``TOP``), graded to ``h_fine`` within ``r_fine`` of the origin (gmsh OCC)."""
    import gmsh

    from _contact_meshes import Y_SYM, _mesh_graded_at
    from footsim import mesh as geometry

    geometry.initialize_gmsh()
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        gmsh.model.add("half hemisphere")
        occ = gmsh.model.occ
        sphere = occ.addSphere(0, 0, R, R)
        box = occ.addBox(-R, 0, 0, 2 * R, R, R)
        out, _ = occ.intersect([(3, sphere)], [(3, box)])
        origin = occ.addPoint(0, 0, 0)
        occ.synchronize()
        groups: dict[int, list[int]] = {int(CONTACT): [], int(TOP): [], Y_SYM: []}
        for _, tag in gmsh.model.getBoundary(out, oriented=False):
            c = occ.getCenterOfMass(2, tag)
            if abs(c[1]) < 1e-9:
                groups[Y_SYM].append(tag)
            elif abs(c[2] - R) < 1e-9:
                groups[int(TOP)].append(tag)
            else:
                groups[int(CONTACT)].append(tag)
        gmsh.model.addPhysicalGroup(3, [out[0][1]], int(TISSUE))
        for k, v in groups.items():
            gmsh.model.addPhysicalGroup(2, v, k)
        return _mesh_graded_at(origin, h_fine, r_fine, R / 4)
    finally:
        gmsh.finalize()


def cattaneo_ratio(r, c: float, a: float):
    """Cattaneo's (1938) tangential traction over ``mu`` times the Hertz pressure at the
    radius ``r`` (mm) with the stick radius ``c`` and the contact radius ``a`` (mm): 1 in the
    slip annulus, ``1 - sqrt((c^2 - r^2) / (a^2 - r^2))`` in the stick zone (Johnson 1985,
    Contact Mechanics, eqs. 7.36-7.38)."""
    return 1.0 - np.sqrt(np.clip(c**2 - r**2, 0.0, None) / (a**2 - r**2))


@pytest.mark.slow
def test_cattaneo_mindlin_stick_radius():
    """A Hertz sphere pressed onto the ground, then pushed sideways to ``Q ~ 0.6 mu P``: the
    tangential traction over ``mu p`` follows Cattaneo's distribution (:func:`cattaneo_ratio`),
    and the stick radius fitted to it is ``c = a (1 - Q / mu P)^(1/3)`` within 5 % (a/R = 0.1,
    h = a/4 under the contact).

    The tangential compliance is not checked: Mindlin's extra displacement of the partial
    slip over full stick is a few per cent of the clamp's travel here (most is the
    hemisphere's own shear), and the full-stick run it is measured against cannot resolve the
    singular stick traction at the contact edge (measured 0.0021 mm against Mindlin's
    0.0047 mm at Q = 0.63 mu P)."""
    from scipy.optimize import minimize_scalar

    from _contact_meshes import Y_SYM

    R, a = R_SPHERE, A_CONTACT
    mu = 0.5
    material = NeoHookean(name="sphere", E=1.0, nu=NU_SPHERE)
    opts = SolverOptions(formulation="mixed", adaptive_penalty=False)
    b = ClampedBlock(mu, half_hemisphere(R, a * H_OVER_A, 1.5 * a), material, opts,
                     rollers=[(Y_SYM, 1)])  # fmt: skip
    d = a**2 / R  # Hertz indentation of the contact radius a
    b.path([(0.0, d)], steps=4)
    # clamp travel (mm) for Q ~ 0.6 mu P: the sphere's tangential stiffness from a first step
    s1 = 0.005
    b.move(s1, d)
    F = 2 * b.force()
    s = s1 * 0.6 * mu * F[2] / -F[0]
    for t in np.linspace(s1 / s, 1.0, 12):
        b.move(t * s, d)
    F = 2 * b.force()
    q = -F[0] / (mu * F[2])
    a_fe = np.sqrt(2 * b.contact.contact_area() / np.pi)
    pc = b.contact.pressure_p1()[0].x.array[b.contact.p1_dofs]
    shear = b.contact.shear_p1()[0].x.array.reshape(-1, 3)[b.contact.p1_dofs]
    X = b.contact.P1.tabulate_dof_coordinates()[b.contact.p1_dofs]
    r = np.linalg.norm(X[:, :2], axis=1)
    inner = (r < 0.8 * a_fe) & (pc > 0)  # the P1 recovery smooths the pressure's edge
    ratio = np.linalg.norm(shear[inner], axis=1) / (mu * pc[inner])
    fit = minimize_scalar(
        lambda c: np.sum((cattaneo_ratio(r[inner], c, a_fe) - ratio) ** 2),
        bounds=(0.0, a_fe),
        method="bounded",
    )
    c_theory = a_fe * (1.0 - q) ** (1.0 / 3.0)
    rms = np.sqrt(np.mean((cattaneo_ratio(r[inner], c_theory, a_fe) - ratio) ** 2))
    print(f"Q/muP {q:.3f} a {a_fe:.4f} c fitted {fit.x:.4f} Cattaneo {c_theory:.4f} rms {rms:.3f}")
    assert 0.5 < q < 0.7
    assert fit.x == pytest.approx(c_theory, rel=0.05)
    assert rms < 0.1


def test_load_stepping_reaches_the_horizontal_ground_force():
    """With friction, the load stepping moves the driven block along x until the ground's
    horizontal force on the body is the one asked for (push-off's propulsive shear), within
    the force tolerance of the vertical load, which it keeps; without friction the block stays."""
    from _contact_meshes import box_mesh
    from footsim.physics.contact import HeightField
    from footsim.solve.forefoot import solve_contact

    ground = HeightField(lambda x, y: -0.05 * ((x - 2.0) ** 2 + (y - 2.0) ** 2))
    kw = dict(target_force_N=0.05, ground=ground, options=SolverOptions(max_uzawa=20))
    tol = SolverOptions().force_rtol * 0.05
    for shear in (0.01, -0.005):
        mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=4)
        sol = solve_contact(mesh, ct, ft, friction=CoulombLaw(0.5), shear_N=shear, **kw)
        assert sol.contact_force_N[0] == pytest.approx(shear, abs=tol)
        assert sol.reaction_contact_N == pytest.approx(0.05, rel=SolverOptions().force_rtol)
        assert any(step.phase == "shear" for step in sol.record.steps)
    mesh, ct, ft = box_mesh(L=4.0, H=2.0, n=4)
    sol = solve_contact(mesh, ct, ft, shear_N=0.01, **kw)  # frictionless: nothing to carry it
    assert not any(step.phase == "shear" for step in sol.record.steps)
    assert abs(sol.contact_force_N[0]) < 1e-3 * 0.05
