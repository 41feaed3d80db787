"""The cortical tube of the elastic metatarsals (``Anatomy.cortical_tube``): its section in the
forefoot mesh against the analytic one, a tube cantilever against beam theory, bad input, and
the default (solid) forefoot left as it was.

Units: mm, N, MPa.
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import json  # noqa: E402  isort: skip
import math  # noqa: E402  isort: skip

import numpy as np  # noqa: E402  isort: skip
import pytest  # noqa: E402  isort: skip

from _helpers import block_motion_with_bent_mt2  # noqa: E402
from footsim import mesh as geometry  # noqa: E402
from footsim.mesh import tags  # noqa: E402
from footsim.model import cortical  # noqa: E402
from footsim.model.anatomy import Anatomy  # noqa: E402

TUBE = Anatomy(cortical_tube=True)


@pytest.fixture(scope="module")
def tube_mesh(tmp_path_factory):
    import meshio

    built = geometry.build_mesh(TUBE, preset="coarse", outdir=tmp_path_factory.mktemp("tube"))
    return built, meshio.read(built.folder / "mesh.msh")


def _tet_volumes(X: np.ndarray) -> np.ndarray:
    """Volumes of tetrahedra given as (n, 4, 3) corner coordinates."""
    a, b, c, d = (X[:, i] for i in range(4))
    return np.abs(np.einsum("ij,ij->i", np.cross(b - a, c - a), d - a)) / 6.0


def _triangle_area(m, surface) -> float:
    tri = m.get_cells_type("triangle")
    phys = m.get_cell_data("gmsh:physical", "triangle")
    X = m.points[tri[phys == int(surface)]]
    return float(0.5 * np.linalg.norm(np.cross(X[:, 1] - X[:, 0], X[:, 2] - X[:, 0]), axis=1).sum())


def test_the_tube_is_off_by_default_and_leaves_the_solid_forefoot_alone():
    """Off, the anatomy dumps (hence hashes: every cached mesh and result) as before the
    option existed, the bones are solid and nothing gets the cortical material."""
    from footsim.physics.materials.library import default_assignment
    from footsim.run.inputs import volume_materials

    dump = Anatomy().model_dump()
    assert not {"cortical_tube", "cortical_thickness_mm"} & set(dump)
    assert "cortical_tube" in TUBE.model_dump()
    assert not cortical.canal_radius_mm(Anatomy()).any()
    solid = Anatomy()
    for ray in range(1, 6):
        canal = cortical.canal_volume_mm3(TUBE, ray)
        assert canal > 0.0
        assert TUBE.bone_volume_mm3(ray) == pytest.approx(solid.bone_volume_mm3(ray) - canal)
    assert default_assignment()[tags.Volume.CORTEX2] == "cortical_bone"
    assert default_assignment()[tags.Volume.MT2] == "bone"
    rigid = volume_materials({"ALL_BONES": "bone_rigid"})  # the rigid bound covers the tubes
    assert rigid[int(tags.Volume.CORTEX2)] == rigid[int(tags.Volume.MT2)] == "bone_rigid"


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (
            {"cortical_thickness_mm": (3.1, 4.2, 2.0, 2.0, 2.2)},
            r"cortical_thickness_mm\[1\] = 4.2 mm leaves no medullary canal in "
            r"shaft_radius_mm\[1\] = 4.5 mm \(allowed: 0.5 .. 4 mm",
        ),
        (
            {"shaft_radius_mm": (6.5, 4.5, 4.2, 2.4, 4.5)},
            r"cortical_thickness_mm\[3\] = 2 mm leaves no medullary canal in "
            r"shaft_radius_mm\[3\] = 2.4 mm \(allowed: 0.5 .. 1.9 mm",
        ),
        ({"cortical_thickness_mm": (3.1, 0.3, 2.0, 2.0, 2.2)}, "cortical_thickness_mm.1"),
    ],
)
def test_bad_cortical_thickness_is_refused_before_meshing(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        Anatomy(cortical_tube=True, **kwargs)
    if "shaft_radius_mm" in kwargs:  # without the tube the thickness is not used
        Anatomy(**kwargs)


def test_forefoot_tubes_have_their_section(tube_mesh):
    """The coarse forefoot with tubes: exact CAD volumes (tube, and head + tube), the meshed
    tube's second moment of area about the bending axis within 3 % of ``pi (r_o^4 - r_i^4) /
    4`` (a solid rod's is 7-8 % larger), two elements across the wall, the canal hollow and
    open at the cut (the bones' cut face an annulus, the canal's wall tagged apart from the
    skin), and the quality floor met."""
    built, m = tube_mesh
    meta = json.loads((built.folder / "quality.json").read_text())
    cells = m.get_cells_type("tetra")
    phys = m.get_cell_data("gmsh:physical", "tetra")
    a = TUBE
    c, ax = a.head_centres(), a.axes()
    ends = cortical.shaft_end_mm(a)
    for ray in range(1, 6):
        k = ray - 1
        cad = meta["cad_volume_mm3"]
        assert cad[f"CORTEX{ray}"] == pytest.approx(cortical.cortex_volume_mm3(a, ray), rel=1e-6)
        assert cad[f"CORTEX{ray}"] + cad[f"MT{ray}"] == pytest.approx(
            a.bone_volume_mm3(ray), rel=1e-6
        )
        X = m.points[cells[phys == int(tags.cortex(ray))]]
        t = a.cortical_thickness_mm[k]
        edges = [np.linalg.norm(X[:, i] - X[:, j], axis=1) for i in range(4) for j in range(i)]
        assert np.median(np.concatenate(edges)) <= 0.6 * t, ray  # ~2 elements across
        # second moment about the horizontal axis normal to the shaft, from the tetrahedra
        # whose centroids lie in the middle half of the tube (exact for a quadratic on a tet)
        s = (X - c[k]) @ ax[k]  # axial position from the head centre
        normal = np.cross(ax[k], [0.0, 1.0, 0.0])  # in the sagittal plane, normal to the axis
        z = (X - c[k]) @ (normal / np.linalg.norm(normal))
        mid = np.abs(s.mean(axis=1) - (ends[k] + 0.5 * cortical.tube_length_mm(a)[k]))
        slab = mid < 0.25 * cortical.tube_length_mm(a)[k]
        vol = _tet_volumes(X[slab])
        zz = vol / 20.0 * ((z[slab] ** 2).sum(axis=1) + z[slab].sum(axis=1) ** 2)
        I_mesh = zz.sum() / (0.5 * cortical.tube_length_mm(a)[k])  # per length of the slab
        print(f"MT{ray}: I {I_mesh:.1f} mm^4 meshed, {cortical.second_moment_mm4(a, ray):.1f} "
              f"tube, {cortical.second_moment_mm4(Anatomy(), ray):.1f} solid")  # fmt: skip
        assert I_mesh == pytest.approx(cortical.second_moment_mm4(a, ray), rel=0.03), ray
        assert I_mesh < 0.96 * cortical.second_moment_mm4(Anatomy(), ray), ray
    rs, ri = np.asarray(a.shaft_radius_mm), cortical.canal_radius_mm(a)
    annuli = np.pi * (rs**2 - ri**2) / np.abs(ax[:, 0])  # oblique sections of the tubes
    assert _triangle_area(m, tags.Surface.CUT_BONE) == pytest.approx(annuli.sum(), rel=0.03)
    canal = 2 * np.pi * ri * cortical.tube_length_mm(a) + np.pi * ri**2  # wall and head end
    assert _triangle_area(m, tags.Surface.MEDULLARY_CANAL) == pytest.approx(canal.sum(), rel=0.03)
    for name, row in built.quality.items():
        assert row["inverted"] == 0 and row["min_sicn"] >= geometry.QUALITY_FLOOR["min_sicn"], name


def test_rigid_bones_leave_a_cavity_per_tube(tube_mesh):
    """With the bones removed (rigid jointed bones, :func:`~footsim.mesh.cavities.remove_bones`)
    each tube leaves its own cavity in the tissue, its outer wall ``2 pi r_o L`` (its faces on
    the cut and against the head are no tissue's), which the skeleton bonds to the ray's rigid
    body with the head's; the canals' walls go with the bone."""
    from dolfinx import fem
    from ufl import Measure

    from footsim.mesh import io
    from footsim.mesh.cavities import remove_bones

    built, _ = tube_mesh
    mesh, ct, ft = io.load_dolfinx(built.folder)
    sub, sct, sft = remove_bones(mesh, ct, ft)
    assert not set(np.unique(sct.values).tolist()) & {int(v) for v in tags.RIGIDISH}
    assert int(tags.Surface.MEDULLARY_CANAL) in set(ft.values)
    assert int(tags.Surface.MEDULLARY_CANAL) not in set(sft.values)
    ds = Measure("ds", domain=sub, subdomain_data=sft)
    length = cortical.tube_length_mm(TUBE)
    for ray in range(1, 6):
        area = fem.assemble_scalar(fem.form(1.0 * ds(tags.bone_surface(tags.cortex(ray)))))
        wall = 2 * np.pi * TUBE.shaft_radius_mm[ray - 1] * length[ray - 1]
        assert area == pytest.approx(wall, rel=0.01), ray


def _tube_cantilever(L: float, ro: float, ri: float, P: float) -> tuple[float, float]:
    """A tube of cortical bone along x, clamped at x = 0, a shear force P (N, -z) spread on
    its end face, meshed at :func:`footsim.model.cortical.wall_size_mm` (two quadratic
    elements across the wall, as in the forefoot) and solved with footsim's hyperelastic body
    (P2-P1, small load): ``(tip deflection, bending strain at mid-span)``, the strain being
    ``d u_x / d x`` at the mid-wall top and bottom fibres (half their difference)."""
    import dolfinx
    import ufl
    from dolfinx import fem
    from dolfinx.io import gmsh as dgmsh
    from mpi4py import MPI

    from footsim.mesh.session import _configure, initialize_gmsh
    from footsim.physics.hyperelasticity import Hyperelasticity
    from footsim.physics.materials.library import CORTICAL_BONE
    from footsim.solve.newton import NonlinearSolver
    from footsim.solve.options import SolverOptions

    h = (ro - ri) / cortical.WALL_ELEMENTS  # the forefoot's wall size
    gmsh = initialize_gmsh()
    try:
        _configure(gmsh)  # the forefoot's meshing options
        occ = gmsh.model.occ
        outer = occ.addCylinder(0, 0, 0, L, 0, 0, ro)
        inner = occ.addCylinder(0, 0, 0, L, 0, 0, ri)
        tube, _ = occ.cut([(3, outer)], [(3, inner)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [tube[0][1]], 1)
        faces = gmsh.model.getBoundary(tube, oriented=False)
        for tag, x in ((2, 0.0), (3, L)):
            ends = [f for _, f in faces if abs(occ.getCenterOfMass(2, f)[0] - x) < 1e-6]
            gmsh.model.addPhysicalGroup(2, ends, tag)
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.5 * h)
        gmsh.model.mesh.generate(3)
        data = dgmsh.model_to_mesh(gmsh.model, MPI.COMM_WORLD, 0, gdim=3)
    finally:
        gmsh.finalize()
    mesh, ct, ft = data.mesh, data.cell_tags, data.facet_tags
    opts = SolverOptions(atol=1e-10, accept_atol=1e-9)
    body = Hyperelasticity(mesh, ct, {1: CORTICAL_BONE}, opts)
    bc = fem.dirichletbc(
        np.zeros(3, dtype=dolfinx.default_scalar_type),
        fem.locate_dofs_topological(body.V, 2, ft.find(2)),
        body.V,
    )
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=ft)
    area = math.pi * (ro**2 - ri**2)
    load = ufl.as_vector((0.0, 0.0, -P / area))
    solver = NonlinearSolver(body.residual(-ufl.dot(load, body.v) * ds(3)), body.unknowns(),
                             [bc], opts)  # fmt: skip
    assert solver.solve().converged
    tip = fem.assemble_scalar(fem.form(-body.u[2] * ds(3))) / area  # mean over the end face
    zm, dx = 0.5 * (ro + ri), 2.0
    points = np.array([[L / 2 + sx, 0.0, sz * zm] for sz in (1, -1) for sx in (-dx, dx)])
    from dolfinx import geometry as dgeo

    tree = dgeo.bb_tree(mesh, 3)
    hits = dgeo.compute_colliding_cells(mesh, dgeo.compute_collisions_points(tree, points), points)
    ux = body.u.eval(points, np.array([hits.links(i)[0] for i in range(4)]))[:, 0]
    top, bottom = (ux[1] - ux[0]) / (2 * dx), (ux[3] - ux[2]) / (2 * dx)
    return float(tip), float(0.5 * (top - bottom))


def test_tube_cantilever_bends_as_beam_theory_says():
    """MT2's default tube (r_o 4.5, r_i 2.3 mm), 45 mm long, clamped, 10 N at the end: the
    tip deflects as Timoshenko's beam, ``P L^3 / (3 E I) + P L / (k G A)`` with Cowper's
    (1966) shear coefficient of a hollow circle, within 3 % (the clamp, fixing the whole end
    face, stiffens it a little), and the mid-span bending strain at mid-wall is ``M z / (E I)``
    within 2 %. A solid rod of the same radius has an 8 % larger I: the section is checked."""
    from footsim.physics.materials.library import CORTICAL_BONE

    L, ro, ri, P = 45.0, 4.5, 2.3, 10.0
    E, nu = CORTICAL_BONE.youngs_modulus, CORTICAL_BONE.poisson_ratio
    I_ = math.pi * (ro**4 - ri**4) / 4
    A, G, m = math.pi * (ro**2 - ri**2), E / (2 * (1 + nu)), ri / ro
    k = 6 * (1 + nu) * (1 + m**2) ** 2 / ((7 + 6 * nu) * (1 + m**2) ** 2 + (20 + 12 * nu) * m**2)
    tip_beam = P * L**3 / (3 * E * I_) + P * L / (k * G * A)
    strain_beam = P * (L / 2) * (0.5 * (ro + ri)) / (E * I_)
    tip, strain = _tube_cantilever(L, ro, ri, P)
    print(f"tip {tip:.5f} mm (beam {tip_beam:.5f}), strain {strain * 1e6:.1f} (beam "
          f"{strain_beam * 1e6:.1f}) microstrain")  # fmt: skip
    assert tip == pytest.approx(tip_beam, rel=0.03)
    assert strain == pytest.approx(strain_beam, rel=0.02)


def test_shaft_figures_read_a_ray_with_its_tube(tmp_path):
    """:func:`~footsim.post.results.shaft_strain` and
    :func:`~footsim.post.results.metatarsal_bending` on box 'metatarsals' whose proximal part
    (the cut face included) is tagged as the ray's tube and the rest as its head: the strain
    is the largest in the middle third of the shaft, not the larger ones elsewhere, and the
    bent MT2's head rises by the bending alone over the block's rigid motion."""
    import pyvista as pv

    from footsim.post import results

    centres = np.array(
        [[-4, -24, 20], [0, 0, 20], [-4.4, 18, 19], [-11, 35, 18.6], [-20, 51, 18.5]]
    )
    radii = np.array([9.5, 8.0, 7.6, 7.0, 6.5])
    grids = []
    for k, (c, r) in enumerate(zip(centres, radii, strict=True), start=1):
        spacing, origin = ((c[0] + 40.0) / 24, 4.0, 4.0), (-40.0, c[1] - 4, c[2] - r)
        box = pv.ImageData(dimensions=(25, 3, 3), spacing=spacing, origin=origin)
        box = box.cast_to_unstructured_grid()
        x = np.asarray(box.cell_centers().points)[:, 0]
        box.cell_data["tag"] = np.where(x < c[0] - 6.0, int(tags.cortex(k)), k).astype(np.int32)
        third = (c[0] + 40.0) / 3
        middle = (x > -40.0 + third) & (x < -40.0 + 2 * third)
        box.cell_data["max_principal_strain_pct"] = np.where(middle, 0.1 * k, 5.0)
        grids.append(box)
    vol = pv.merge(grids, merge_points=False)
    block_motion_with_bent_mt2(vol, [2, int(tags.cortex(2))])
    summary = {
        "head_centres_mm": centres.tolist(),
        "head_radii_mm": radii.tolist(),
        "figures": {f"MTH{k}_force_N": 10.0 * k for k in range(1, 6)},
    }
    res = results.Result(tmp_path, summary, None, None, vol, None)
    strain = results.shaft_strain(res)["max_principal_microstrain"]
    np.testing.assert_allclose(strain.to_numpy(), 1000.0 * np.arange(1, 6))
    bending = results.metatarsal_bending(res)["deflection_mm"]
    assert bending["MT2"] == pytest.approx(0.002 * 40.0**2, rel=1e-9)
    assert np.abs(bending.drop("MT2").to_numpy()).max() < 1e-9
