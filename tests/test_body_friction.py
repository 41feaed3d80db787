"""Verification of Coulomb friction between two deformable bodies (the skin on an insole and
pad; mm, N, MPa): the exact tangent, the stick/slide threshold across a non-matching
interface, and the load path's effect.
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import numpy as np  # noqa: E402  isort: skip
import pytest  # noqa: E402  isort: skip
import dolfinx  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip

from _contact_meshes import (  # noqa: E402
    R_HERTZ,
    TISSUE,
    check_two_body_tangent,
    curved_master_body,
    two_blocks_mesh,
)
from footsim.mesh import tags  # noqa: E402
from footsim.physics.contact import CoulombLaw  # noqa: E402
from footsim.physics.contact.body import BodyContact  # noqa: E402
from footsim.physics.hyperelasticity import Hyperelasticity  # noqa: E402
from footsim.physics.materials.laws import NeoHookean  # noqa: E402
from footsim.solve.newton import NonlinearSolver  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402

S = tags.Surface


@pytest.mark.parametrize("smooth", [True, False], ids=["smooth-normals", "facet-normals"])
def test_friction_tangent_is_the_derivative_of_the_residual(smooth):
    """With friction (mu 0.3) the two-body Jacobian stays the exact derivative of the
    residual: the hemisphere pressed into the block (committed), then slid along x by a
    distorted displacement, so that the anchors lie on other facets than the projections and
    points both stick and slip; also without the friction term the check would fail (the
    friction's part of the residual is not small)."""
    R = R_HERTZ
    ct, ft, body = curved_master_body()
    contact = BodyContact(
        body, ft, S.INSOLE_TOP, S.PLANTAR_SKIN, (TISSUE,), kappa=10.0, smooth_normals=smooth,
        friction=CoulombLaw(0.3),
    )  # fmt: skip
    rng = np.random.default_rng(0)
    u = body.u.x.array.reshape(-1, 3)
    sphere = np.unique(body.V.dofmap.list[ct.find(TISSUE)])
    u[sphere, 2] = -0.03 * R
    u += 0.002 * R * rng.standard_normal(u.shape)
    contact.set_multiplier(np.full_like(contact.get_multiplier(), 0.05))  # MPa
    contact.commit()
    u[sphere, 0] += 0.006 * R  # the sphere slides along x over the block
    u += 0.002 * R * rng.standard_normal(u.shape)
    ev = contact.evaluate()
    p = contact._pressure(ev).ravel()
    act = np.nonzero(p > 0)[0]
    state = contact.friction.state(ev, act, p[act])
    stuck = int(state.stick.sum())
    assert stuck > 20 and act.size - stuck > 20, (stuck, act.size)
    moved = contact.friction.facet[act] != ev.master[act]
    assert moved.sum() >= 5  # anchors on other facets than the current projections
    check_two_body_tangent(contact, body, rng)


class ClampedPair:
    """The tissue block of :func:`~_contact_meshes.two_blocks_mesh` (a whole block, no symmetry
    planes) on the insole block, the insole's bottom held, the tissue's top clamped to
    ``(s_x, 0, -d)`` (mm); both neo-Hookean with ``nu = 0`` (no bulge), the insole
    ``E_insole`` (MPa) stiff; friction ``mu`` between them, its history committed after each
    converged step as the load stepper does."""

    def __init__(
        self, mu: float, L: float = 6.0, H: float = 2.0, E_insole: float = 1.0,
        kappa: float | None = None, strain: float | None = None,
    ):  # fmt: skip
        mesh, ct, ft = two_blocks_mesh(L=L, H1=H, H2=H, h1=1.0, h2=0.7)
        tissue = NeoHookean(name="block", E=1.0, nu=0.0)
        insole = NeoHookean(name="insole", E=E_insole, nu=0.0)
        opts = SolverOptions(formulation="displacement", adaptive_penalty=False)
        self.body = Hyperelasticity(
            mesh, ct, {int(TISSUE): tissue, int(tags.Volume.INSOLE): insole}, opts
        )
        V = self.body.V
        self.g = fem.Function(V)
        top = fem.locate_dofs_topological(V, 2, ft.find(int(S.CUT_BONE)))
        bottom = fem.locate_dofs_topological(V, 2, ft.find(int(S.INSOLE_BOTTOM)))
        bcs = [fem.dirichletbc(self.g, top), fem.dirichletbc(fem.Function(V), bottom)]
        self.H, self.kappa = H, kappa
        if strain is not None:  # both blocks' x faces at the uniform compression
            bcs += self._x_faces_compressed(mesh, ct, L, strain)
        bc_dofs = np.concatenate([bc.dof_indices()[0] for bc in bcs])
        self.contact = BodyContact(
            self.body, ft, S.PLANTAR_SKIN, S.INSOLE_TOP, (int(tags.Volume.INSOLE),), opts,
            bc_dofs=bc_dofs, friction=CoulombLaw(mu), kappa=kappa,
        )  # fmt: skip
        self.solver = NonlinearSolver(
            self.body.residual(None), self.body.unknowns(), bcs, opts,
            extra=self.contact.assembled_terms(),
        )  # fmt: skip
        self.area = L * L

    def _x_faces_compressed(self, mesh, ct, L: float, e: float) -> list:
        """``u_z`` on the faces ``x = 0, L`` of both blocks as in the homogeneous state of
        compressive strain ``e``: each block shortened by ``e`` its height, the tissue's sole
        sunk by the penalty's ``p / kappa`` into the insole (needs a uniform ``kappa``)."""
        H, V = self.H, self.body.V
        p = self.pressure(e)
        sink = p / self.kappa
        Vz, _ = V.sub(2).collapse()
        faces = dolfinx.mesh.locate_entities_boundary(
            mesh, 2, lambda x: np.isclose(x[0], 0.0) | np.isclose(x[0], L)
        )
        mesh.topology.create_connectivity(2, 3)
        f2c = mesh.topology.connectivity(2, 3)
        cell_tag = dict(zip(ct.indices, ct.values, strict=True))
        of = np.array([cell_tag[f2c.links(f)[0]] for f in faces])
        bcs = []
        for tag, field in ((int(TISSUE), lambda X: -e * H - sink - e * X[2]),
                           (int(tags.Volume.INSOLE), lambda X: -e * (X[2] + H))):  # fmt: skip
            g = fem.Function(Vz)
            g.interpolate(field)
            dofs = fem.locate_dofs_topological((V.sub(2), Vz), 2, faces[of == tag])
            bcs.append(fem.dirichletbc(g, dofs, V.sub(2)))
        self.travel = 2 * e * H + sink  # the top's travel to this state (mm)
        return bcs

    @staticmethod
    def pressure(e: float) -> float:
        """The (Cauchy = nominal) pressure (MPa) of the neo-Hookean blocks (E 1 MPa, nu 0) in
        uniaxial strain ``e``: ``mu (1 / l - l)``, ``l = 1 - e`` the stretch (the lateral
        stretch is 1)."""
        return 0.5 * (1.0 / (1.0 - e) - (1.0 - e))

    def move(self, sx: float, d: float) -> None:
        self.g.interpolate(lambda X: np.vstack([sx + 0 * X[0], 0 * X[0], -d + 0 * X[0]]))
        rec = self.solver.solve()
        assert rec.converged, rec
        self.contact.commit()

    def mark(self) -> None:
        """Remember which material point of the master each slave point is on."""
        ev = self.contact.evaluate()
        self._mark = (ev.xs - ev.xm, ev.master.copy(), ev.bary.copy())

    def relative_slip(self) -> float:
        """Mean x slip (mm) of the slave quadrature points since :meth:`mark` relative to the
        master's material points they were on: the surfaces' relative motion."""
        from footsim.physics.contact.surface import _p2_triangle_basis

        offset, facet, bary = self._mark
        ev = self.contact.evaluate()
        xm = np.einsum("qb,qbi->qi", _p2_triangle_basis(bary), ev.x[self.contact.m_nodes[facet]])
        return float(np.mean((ev.xs - xm - offset)[:, 0]))


@pytest.mark.slow
def test_a_block_on_an_insole_sticks_below_mu_N_and_slides_at_mu_N():
    """A tissue block pressed on an insole block across a non-matching interface, then its
    top pushed sideways: while it sticks, the surfaces move together (relative slip under 10 %
    of the clamp's travel); once it slides, the tangential force is ``mu N`` within 1 % and
    the surfaces slip past each other. With ``mu = 0`` the same push carries no force."""
    mu, d = 0.4, 0.08  # 2 % strain of the 4 mm stack
    pair = ClampedPair(mu, E_insole=50.0)  # stiff: its top stays flat as the tissue drags it
    for t in (0.5, 1.0):
        pair.move(0.0, t * d)
    pair.mark()
    N = pair.contact.force()[2]
    assert N > 0.0
    # the stuck stack's shear stiffness is at most the tissue block's simple shear, G A / H
    # (a rigid insole, no elastic slip)
    k_max = 0.5 * pair.area / 2.0
    s_slip = mu * N / k_max  # the clamp's travel before which the stack cannot slide
    ratio, slip, travel = [], [], np.linspace(0.0, 3.0 * s_slip, 7)[1:]
    for s in travel:
        pair.move(s, d)
        F = pair.contact.force()
        ratio.append(-F[0] / (mu * F[2]))
        slip.append(pair.relative_slip())
    ratio, slip = np.array(ratio), np.array(slip)
    print(np.round(ratio, 4), np.round(slip / travel, 4))
    stuck = travel <= 0.5 * s_slip
    assert stuck.any() and np.all(ratio[stuck] < 0.9)
    assert np.all(np.abs(slip[stuck]) < 0.1 * travel[stuck])
    assert abs(ratio[-1] - 1.0) < 0.01
    assert slip[-1] > 0.3 * travel[-1]
    shear, stick, area = pair.contact.shear_p1()
    assert area == 0.0  # all sliding
    frictionless = ClampedPair(0.0, E_insole=50.0)
    for t in (0.5, 1.0):
        frictionless.move(0.0, t * d)
    frictionless.move(travel[-1], d)
    F = frictionless.contact.force()
    assert abs(F[0]) < 1e-3 * F[2]  # (the insole's top tilts a little at its edges)


def test_frictional_patch_test_on_a_non_matching_interface():
    """A homogeneous state across a non-matching interface (element sizes 1 and 0.7 mm): both
    blocks compressed by 2 %, their x faces held at the uniform compression, the top shifted.
    Sticking, the shear the shift adds on every node of the skin is the simple shear of the
    two blocks in series with the penalty's elastic slip, ``s / ((H1 + H2) / G + 1 /
    eps_T)``; sliding, it
    is ``mu p`` with the uniform pressure ``p`` of the compression; both within 2 % on the
    skin's nodes off the x faces, with all of the skin stuck, then none."""
    mu, e, kappa = 0.4, 0.02, 10.0
    pair = ClampedPair(mu, kappa=kappa, strain=e)
    c = pair.contact
    d = pair.travel
    for t in (0.5, 1.0):
        pair.move(0.0, t * d)

    # the skin's nodes off the x faces (there the height is held, not the contact's balance)
    x = c.P1.tabulate_dof_coordinates()[c.p1_dofs, 0]
    inner = c.p1_dofs[(x > 1e-9) & (x < 6.0 - 1e-9)]

    def skin():
        pc = c.pressure_p1()[0].x.array[inner]
        t = c.shear_p1()[0].x.array.reshape(-1, 3)[inner]
        return pc, t

    p_exact = ClampedPair.pressure(e)
    p, t0 = skin()
    assert np.allclose(p, p_exact, rtol=0.02), (p.min(), p.max(), p_exact)
    # pressed, the shear is not quite zero: the Gauss-point-to-surface pressure scatters
    # along a non-matching interface (+-8 % at the points), and so does the skin's spreading
    assert np.abs(t0).max() < 0.01 * p_exact
    s = 0.005  # mm: sticking (mu p (H1 + H2) / G = 0.065 mm)
    pair.move(s, d)
    p, t = skin()
    expected = s / (2 * pair.H / 0.5 + 1.0 / kappa)
    added = t - t0  # the shear the shift added
    assert np.allclose(-added[:, 0], expected, rtol=0.02), (added[:, 0].min(), expected)
    assert np.allclose(added[:, 1:], 0.0, atol=0.02 * expected)
    assert -c.force()[0] == pytest.approx(expected * 36.0, rel=0.02)
    assert c.shear_p1()[2] == pytest.approx(c.contact_area(), rel=1e-9)  # all stuck
    for sx in np.linspace(s, 0.15, 4)[1:]:
        pair.move(sx, d)
    p, t = skin()
    assert np.allclose(p, p_exact, rtol=0.02)
    assert np.allclose(-t[:, 0], mu * p_exact, rtol=0.02)
    assert c.shear_p1()[2] == 0.0  # all sliding


@pytest.mark.slow
def test_path_dependence_across_two_bodies_follows_coulomb():
    """The tissue block pressed on the (stiff) insole and shifted to ``s``, directly or by way of
    ``6 s``, where it slides: with mu = 0 the same state and no tangential force; with
    friction the direct path keeps the stuck stack's elastic force ``k s`` and the other the
    sliding force ``mu N`` less the elastic unloading ``k (6 s - s)``, the shear reversed
    (Coulomb: the slip is history), within 5 % of ``mu N``."""
    s, d = 0.02, 0.08  # mm: the pressed stack slides beyond about 0.06 mm
    out = {}
    for mu in (0.0, 0.4):
        a = ClampedPair(mu, E_insole=50.0)
        b = ClampedPair(mu, E_insole=50.0)
        for pair in (a, b):
            for t in (0.5, 1.0):
                pair.move(0.0, t * d)
        a.move(s, d)
        for sx in (2 * s, 4 * s, 6 * s):
            b.move(sx, d)
        far = b.contact.force()
        b.move(s, d)
        out[mu] = (a.contact.force(), b.contact.force(), far, a.body.u.x.array, b.body.u.x.array)
    fa, fb, _, ua, ub = out[0.0]
    assert np.allclose(ua, ub, atol=1e-8) and abs(fa[0]) < 1e-3 * fa[2]
    fa, fb, far, ua, ub = out[0.4]
    k = -fa[0] / s  # the stuck stack's stiffness (N/mm)
    k_max = 0.5 * 36.0 / 2.0  # the tissue block's simple shear G A / H: a rigid insole
    assert 0.7 * k_max < k < k_max
    assert -far[0] == pytest.approx(0.4 * far[2], rel=0.01)  # sliding at 6 s
    unloaded = -far[0] - k * 5 * s  # then stuck again, unloaded elastically
    print(fa, fb, far, k, unloaded)
    assert -fb[0] == pytest.approx(unloaded, abs=0.05 * 0.4 * fb[2])
    assert -fb[0] < 0.0  # the shear reversed: not the direct path's


@pytest.mark.slow
def test_friction_on_a_rigid_insole_is_friction_on_the_ground(tmp_path):
    """The coarse barefoot standing scenario with friction 0.46 on the rigid ground, and on a
    "rigid" insole (E 1000 MPa) with the same coefficient: two contact algorithms (nodal on
    the plane, Gauss point to surface on the insole's own mesh) and two friction histories
    (nodal, per Gauss point). Each head's share of the load within half a percentage point
    (0.07 measured) and each head's peak skin shear within 10 % (a peak, on two meshes; 5 %
    measured); the horizontal force on the skin is standing's, none, within 1 % of the
    vertical."""
    from pathlib import Path

    import meshio

    from footsim import run as pipeline
    from footsim.model import scenarios

    shipped = Path(__file__).parents[1] / "scenarios" / "barefoot-standing.toml"
    out = {}
    for name, extra in (
        ("ground", {"contact": {"ground_friction": 0.46}}),
        ("insole", {"footwear": {"insole": {"material": "rigid"}},
                    "contact": {"insole_friction": 0.46}}),
    ):  # fmt: skip
        scenario = scenarios.load(shipped, {"name": name, **extra})
        record = pipeline.run(scenario, tmp_path, png=False)
        assert record.status == "done", record.reason
        plantar = meshio.read(record.folder / "plantar.vtu")
        a = plantar.point_data["node_area_mm2"]
        shear = (plantar.point_data["skin_shear_kPa"] * a[:, None]).sum(axis=0) / 1000.0  # N
        out[name] = (record.summary["figures"], shear)
    for name, (fig, shear) in out.items():
        assert np.hypot(*shear[:2]) < 0.01 * fig["reaction_contact_N"], (name, shear)
    heads = [f"MTH{k}" for k in range(1, 6)]

    def shares(fig):
        f = np.array([fig[f"{h}_force_N"] for h in heads])
        return f / f.sum()

    (g, _), (i, _) = out["ground"], out["insole"]
    print(shares(g), shares(i))
    print([(g[f"{h}_peak_skin_shear_kPa"], i[f"{h}_peak_skin_shear_kPa"]) for h in heads])
    assert np.abs(shares(g) - shares(i)).max() < 0.005
    for h in heads:
        assert i[f"{h}_peak_skin_shear_kPa"] == pytest.approx(g[f"{h}_peak_skin_shear_kPa"],
                                                             rel=0.10), h  # fmt: skip
