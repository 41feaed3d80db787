"""Meshes and checks shared by the contact tests (``test_contact_ground.py``,
``test_contact_stepping.py``, ``test_contact_bodies.py``) and by ``test_friction.py``,
``test_body_friction.py``, ``test_pipeline.py`` and the MPI scripts in ``mpi/``.

The tests import this module by name: pytest puts this folder on ``sys.path`` (the tests are
not a package), as it does for ``_helpers``; the MPI scripts put it there themselves.
Units: mm, N, MPa.
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import gmsh  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import dolfinx  # noqa: E402  isort: skip
import dolfinx.io.gmsh  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim import mesh as geometry  # noqa: E402
from footsim.mesh import tags  # noqa: E402
from footsim.physics.materials.laws import NeoHookean  # noqa: E402
from footsim.solve.options import SolverOptions  # noqa: E402

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


# ------------------------------------------------------------------------------------ Hertz
E_HERTZ, NU_HERTZ, R_HERTZ = 1.0, 0.3, 10.0  # MPa, -, mm


def hertz(F: float, E=E_HERTZ, nu=NU_HERTZ, R=R_HERTZ):
    """Hertz (1882) sphere on a rigid plane (Johnson 1985, Contact Mechanics, ch. 4):
    contact radius ``a``, peak pressure ``p0`` and indentation ``d`` for the force ``F``."""
    Es = E / (1 - nu**2)
    a = (3 * F * R / (4 * Es)) ** (1 / 3)
    return a, 3 * F / (2 * np.pi * a**2), a**2 / R


# ------------------------------------------------------------------------------------ two bodies
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
