"""Solve entry points: the forefoot pressed on the ground, and a generic contact solve.

>>> sol = solve_forefoot(mesh, cell_tags, facet_tags, target_force_N=150.0)  # doctest: +SKIP
>>> sol.peak_pressure_kPa, sol.reaction_dirichlet_N, sol.contact_area_mm2  # doctest: +SKIP

Units: mm, N, MPa; pressures in ``Solution`` are MPa (``*_kPa`` helpers for users).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim.mesh import tags  # noqa: E402
from footsim.mesh.cavities import remove_bones  # noqa: E402
from footsim.model.loads import LoadCase  # noqa: E402
from footsim.physics.block import DrivenSkeleton, RigidBlock  # noqa: E402
from footsim.physics.contact.body import BodyContact
from footsim.physics.contact.friction import CoulombLaw
from footsim.physics.contact.ground import ContactSurface
from footsim.physics.contact.obstacles import Obstacle, RigidPlane
from footsim.physics.hyperelasticity import Hyperelasticity
from footsim.physics.materials.laws import Material  # noqa: E402
from footsim.physics.materials.library import resolve  # noqa: E402
from footsim.physics.skeleton import Skeleton, skeleton_state  # noqa: E402
from footsim.solve.newton import NonlinearSolver, SolverError
from footsim.solve.options import SolverOptions, describe_linear_solver, skeleton_options
from footsim.solve.records import SolveRecord, StepRecord  # noqa: E402
from footsim.solve.solution import LoadStepSnapshot, Solution  # noqa: E402
from footsim.solve.stepping import LoadStepper  # noqa: E402


def solve_contact(
    mesh: dolfinx.mesh.Mesh,
    cell_tags: dolfinx.mesh.MeshTags,
    facet_tags: dolfinx.mesh.MeshTags,
    *,
    materials: Mapping[int, str | Material] | None = None,
    contact_surface: int = tags.Surface.PLANTAR_SKIN,
    driven_surfaces: Sequence[int] = (tags.Surface.CUT_BONE,),
    target_force_N: float | None = None,
    travel_mm: float | None = None,
    heel_rise_deg: float = 0.0,
    pivot: Sequence[float] | None = None,
    rollers: Sequence[tuple[int, int]] = (),
    driven_components: Sequence[int] = (0, 1, 2),
    ground: Obstacle | None = None,
    target_surface: int | None = None,
    counter_cells: Sequence[int] = tuple(tags.FOOTWEAR),
    options: SolverOptions | None = None,
    keep_steps: bool = False,
    progress: Callable[[StepRecord], None] | None = None,
    skeleton: Skeleton | None = None,
    friction: CoulombLaw | None = None,
    shear_N: float | None = None,
) -> Solution:
    """Press a body onto a rigid obstacle, or onto a second deformable body, through rigidly
    moving surfaces.

    Args:
        mesh, cell_tags, facet_tags: the mesh (mm) and its tags.
        materials: material (registry name or :class:`Material`) per cell tag, overriding
            :func:`footsim.physics.materials.library.default_assignment`.
        contact_surface: facet tag in contact with ``ground``.
        driven_surfaces: facet tags moved as one rigid block (see :class:`RigidBlock`).
        target_force_N: force control: total vertical contact reaction to reach (N), or
        travel_mm: displacement control: downward travel after first touch (mm).
        heel_rise_deg: rotation of the block about ``y`` through ``pivot`` (deg), applied
            rigidly before loading.
        pivot: rotation centre (mm); default the centroid of the lowest part (1 mm band) of
            the contact surface, i.e. under the metatarsal heads for the forefoot.
        rollers: ``(facet tag, component)`` pairs with that displacement component fixed to 0
            (symmetry planes).
        driven_components: displacement components prescribed on the driven surfaces
            (default all: the block is clamped laterally; ``(2,)``: vertical only).
        ground: :class:`RigidPlane` (default ``z = 0``) or :class:`HeightField`.
        target_surface: facet tag of a second, deformable body (cells ``counter_cells``) that
            ``contact_surface`` presses on instead of ``ground`` (e.g. ``INSOLE_TOP``):
            :class:`~footsim.physics.contact.body.BodyContact`; hold that body with ``rollers``.
        options: :class:`SolverOptions`.
        keep_steps: keep the contact pressure of every converged load step
            (``Solution.steps``, for load-step animations).
        progress: called with each attempted load step's
            :class:`~footsim.solve.records.StepRecord` as it finishes (a progress display).
        skeleton: rigid bones (:class:`~footsim.physics.skeleton.Skeleton`): the bone cells
            are removed, each bone is a rigid body jointed to the tarsus, which the load
            stepping drives instead of the bones' cut (``driven_surfaces`` other than
            ``CUT_BONE`` move with it); the tendons are pulled once the target force is
            reached, and the force is then reached again.
        friction: Coulomb's law between ``contact_surface`` and the rigid ``ground``
            (:mod:`~footsim.physics.contact.friction`) or ``target_surface``
            (:mod:`~footsim.physics.contact.body_friction`); None: frictionless.
        shear_N: with friction and ``target_force_N``, the horizontal (x, distal) ground
            force on the body to reach (N) by moving the driven block along x once the
            vertical force is reached (:meth:`~footsim.solve.stepping.LoadStepper.to_shear`);
            None: the block's horizontal position stays fixed.

    Raises:
        SolverError: if the load cannot be reached (step, load reached, residual).
    """
    if (target_force_N is None) == (travel_mm is None):
        raise ValueError("give exactly one of target_force_N and travel_mm")
    options = options or SolverOptions()
    if target_force_N is not None and target_surface is not None:
        atol = max(options.atol, options.load_atol * abs(float(target_force_N)))
        options = dataclasses.replace(options, atol=atol)
    ground = ground or RigidPlane(z=0.0)
    record = SolveRecord(listener=progress)
    comm = mesh.comm
    if skeleton is not None:
        options = skeleton_options(options)  # accurate linear solves, predictor
        mesh, cell_tags, facet_tags = remove_bones(mesh, cell_tags, facet_tags)
        driven_surfaces = [t for t in driven_surfaces if int(t) != tags.Surface.CUT_BONE]
    present = set(int(t) for t in np.unique(cell_tags.values))
    present = set().union(*comm.allgather(present))
    if target_surface is None and present & {int(t) for t in counter_cells}:
        raise ValueError(
            "the mesh holds a second body (footwear): give target_surface (e.g. INSOLE_TOP) "
            "for two-body contact"
        )
    if target_surface is not None and not present & {int(t) for t in counter_cells}:
        raise ValueError(
            f"target_surface = {int(target_surface)} asks for two-body contact, but the mesh "
            f"holds no cells of the second body (counter_cells = {tuple(counter_cells)})"
        )

    t0 = time.perf_counter()
    mats = resolve(materials)
    mats = {t: m for t, m in mats.items() if t in present}
    body = Hyperelasticity(mesh, cell_tags, mats, options)
    if pivot is None and (heel_rise_deg != 0.0 or skeleton is not None):
        pivot = _lowest_point(mesh, facet_tags, contact_surface)
    bodies = None
    if skeleton is None:
        block = RigidBlock(
            body.V, facet_tags, driven_surfaces, pivot=pivot, components=driven_components
        )
    else:
        cut = None
        if driven_surfaces:
            cut = RigidBlock(body.V, facet_tags, driven_surfaces, pivot, driven_components)
        bodies = skeleton.bodies(mesh, facet_tags, mats.values(), pivot)
        bodies.tendon_scale.value = 0.0
        block = DrivenSkeleton(body.V, bodies, pivot, cut)
    bcs = list(block.bcs)
    fdim = mesh.topology.dim - 1
    for tag, comp in rollers:
        Vc = body.V.sub(comp)
        dofs = fem.locate_dofs_topological(Vc, fdim, facet_tags.find(int(tag)))
        bcs.append(fem.dirichletbc(dolfinx.default_scalar_type(0.0), dofs, Vc))
    if target_surface is None:
        contact = ContactSurface(
            body, facet_tags, contact_surface, ground, options, friction=friction
        )
    else:
        contact = BodyContact(
            body, facet_tags, contact_surface, int(target_surface), tuple(counter_cells),
            options, bc_dofs=np.concatenate([bc.dof_indices()[0] for bc in bcs]),
            friction=friction,
        )  # fmt: skip
    terms = contact.residual_terms(body.v)
    unknowns = body.unknowns()
    if bodies is not None:
        bonded, F_q = bodies.residual(body.u, body.v)
        terms = bonded if terms is None else terms + bonded  # none: contact by hand
        unknowns = unknowns + [bodies.q]
    residual = body.residual(terms)
    if bodies is not None:
        residual = residual + [F_q]
    solver = NonlinearSolver(
        residual,
        unknowns,
        bcs,
        options,
        symmetric=contact.symmetric,
        extra=contact.assembled_terms(),
    )
    F_u_form = fem.form(residual[0])
    record.add_time("setup (forms, JIT)", time.perf_counter() - t0)

    t0 = time.perf_counter()
    steps: list[LoadStepSnapshot] = []

    def snapshot(phase: str, d: float, F: float) -> None:
        pc = contact.pressure_p1()[0]
        steps.append(LoadStepSnapshot(phase, d, F, pc.x.array.copy()))

    lift_dofs = None
    if target_surface is not None:  # lift the pressed body only, not the footwear under it
        counter = np.isin(cell_tags.values, np.asarray(counter_cells, dtype=np.int32))
        pressed = cell_tags.indices[~counter]
        bs = body.V.dofmap.index_map_bs
        lift_dofs = bs * np.unique(body.V.dofmap.list[pressed]) + 2
    stepper = LoadStepper(
        solver, block, contact, options, record, on_step=snapshot if keep_steps else None,
        lift_dofs=lift_dofs,
    )  # fmt: skip
    theta = math.radians(heel_rise_deg)
    stepper.position(theta)
    try:
        # the drivers leave their states at the intermediate tolerance; the augmented
        # Lagrangian's updates settle the last one to the full tolerance
        if target_force_N is not None:
            stepper.to_force(float(target_force_N), settle=False)
            if bodies is not None and bodies.has_tendons:
                stepper.ramp(bodies.set_tendon_level, phase="tendons")
                stepper.to_force(float(target_force_N), settle=False)
            if shear_N is not None and getattr(contact, "friction", None) is not None:
                stepper.to_shear(float(shear_N), float(target_force_N), settle=False)
        else:
            stepper.to_travel(float(travel_mm))
        stepper.augmented_lagrangian(target_force_N, travel_mm)
    finally:
        _record_solver_breakdown(record, solver, time.perf_counter() - t0)
    solver.close()  # the post-processing needs no factors (the run's memory peak), no solver

    t0 = time.perf_counter()
    vm, tau = body.stress_measures()
    pc, pn, a, a0 = contact.pressure_p1()
    d = contact.p1_dofs
    X = contact.P1.tabulate_dof_coordinates()[d]
    u = body.u
    # P1 nodes are P2 nodes: evaluate u there by interpolation into a P1 vector space
    V1 = fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
    u1 = fem.Function(V1)
    u1.interpolate(u)
    x_cur = X + u1.x.array.reshape(-1, mesh.geometry.dim)[d]
    force = contact.force()
    shear, stick, stick_area = contact.shear_p1()
    # the ground's nodal forces on the skin (N): the pressure (vertical: the skeleton stands
    # on the plane) and the friction
    traction = shear.x.array.reshape(-1, 3)[d] + np.outer(pc.x.array[d], (0.0, 0.0, 1.0))
    nodal_forces = traction * a[:, None]
    sol = Solution(
        displacement=u,
        pressure=body.p if body.mixed else None,
        von_mises=vm,
        max_shear=tau,
        contact_pressure=pc,
        contact_pressure_nominal=pn,
        contact_nodes_reference=X,
        contact_nodes_current=x_cur,
        contact_node_pressure=pc.x.array[d].copy(),
        contact_node_pressure_nominal=pn.x.array[d].copy(),
        contact_node_area=a,
        contact_node_area_reference=a0,
        reaction_dirichlet_N=block.vertical_reaction(F_u_form),
        reaction_contact_N=float(force[2]),
        contact_force_N=force,
        contact_area_mm2=contact.contact_area(),
        max_penetration_mm=contact.max_penetration(),
        travel_mm=stepper.d,
        heel_rise_deg=heel_rise_deg,
        target_force_N=target_force_N,
        penalty=contact.kappa_value,
        record=record,
        num_dofs=sum(
            comm.allreduce(f.function_space.dofmap.index_map.size_local, op=MPI.SUM)
            * f.function_space.dofmap.index_map_bs
            for f in body.unknowns()
        )
        + (0 if bodies is None else bodies.q.x.array.size),
        materials={t: m.name for t, m in mats.items()},
        steps=steps,
        target_surface=contact.target_pressure(),
        skeleton={} if bodies is None else skeleton_state(bodies, force, x_cur, nodal_forces),
        cell_tags=cell_tags,
        contact_shear=shear,
        contact_node_shear=shear.x.array.reshape(-1, 3)[d].copy(),
        contact_node_stick=stick.x.array[d].copy(),
        stick_area_mm2=stick_area,
    )
    record.add_time("post-processing", time.perf_counter() - t0)
    return sol


def _record_solver_breakdown(record: SolveRecord, solver: NonlinearSolver, seconds: float) -> None:
    """Add the solve's wall time to ``record`` and where it went: ``solve: residual assembly``,
    ``solve: jacobian assembly``, ``solve: contact search and terms`` (two-body contact),
    ``solve: linear solves`` (the rest: factorisations, triangular solves, Krylov iterations,
    load-step bookkeeping); counts of Jacobians, factorisations and Krylov iterations."""
    record.add_time("solve", seconds)
    rest = seconds
    for phase, t in solver.timings.items():
        record.add_time(f"solve: {phase}", t)
        rest -= t
    record.add_time("solve: linear solves", rest)
    for key, n in solver.counts.items():
        record.counts[key] = record.counts.get(key, 0) + n
    record.linear_solver = describe_linear_solver(solver.petsc_options)


def _lowest_point(mesh, facet_tags, tag: int, band_mm: float = 1.0) -> np.ndarray:
    """Centroid of the vertices of surface ``tag`` within ``band_mm`` of its lowest z (mm)."""
    fdim = mesh.topology.dim - 1
    geom = dolfinx.mesh.entities_to_geometry(mesh, fdim, facet_tags.find(int(tag)), False)
    x = mesh.geometry.x[np.unique(geom)]
    zmin = mesh.comm.allreduce(float(x[:, 2].min()) if len(x) else np.inf, op=MPI.MIN)
    sel = x[x[:, 2] <= zmin + band_mm]
    s = mesh.comm.allreduce(sel.sum(axis=0), op=MPI.SUM)
    n = mesh.comm.allreduce(len(sel), op=MPI.SUM)
    return s / n


def solve_forefoot(
    mesh: dolfinx.mesh.Mesh,
    cell_tags: dolfinx.mesh.MeshTags,
    facet_tags: dolfinx.mesh.MeshTags,
    *,
    target_force_N: float,
    materials: Mapping[int, str | Material] | None = None,
    ground: Obstacle | None = None,
    heel_rise_deg: float = 0.0,
    pivot: Sequence[float] | None = None,
    cut_soft: str = "free",
    footwear: bool = False,
    progress: Callable[[StepRecord], None] | None = None,
    options: SolverOptions | None = None,
    keep_steps: bool = False,
    skeleton: Skeleton | None = None,
    friction: CoulombLaw | None = None,
    shear_N: float | None = None,
) -> Solution:
    """Press the forefoot onto the ground, or onto its insole, with a vertical force through
    the bones.

    The metatarsal bases (``CUT_BONE``) move as one rigid block; ``cut_soft="free"`` leaves the
    soft tissue on the cut traction-free, ``"rigid"`` moves it with the bones.  The plantar
    skin (``PLANTAR_SKIN``) contacts ``ground`` (default the plane ``z = 0``), or, with
    ``footwear`` (the mesh holds an insole, as the scenario says), the top of the insole and pad
    (``INSOLE_TOP``, two-body contact, :class:`~footsim.physics.contact.body.BodyContact`)
    whose bottom (``INSOLE_BOTTOM``) is clamped to the rigid shoe bed (an insole held by the shoe;
    its rim is free).  With ``skeleton`` the bones are rigid bodies jointed to the tarsus
    (:func:`solve_contact`). ``friction``: Coulomb's law between the skin and what it stands on
    (the ground, or the insole and pad), with ``shear_N`` the horizontal ground force to reach
    (N, distal).
    The heel rise rotates the bones about the ``y`` axis through the lowest part of the plantar
    skin (under the metatarsal heads): the cut rises, the toes go down (toe dorsiflexion is not
    imposed).

    Raises:
        SolverError: if the target force cannot be reached.
    """
    driven = [tags.Surface.CUT_BONE]
    two_body: dict = {}
    if footwear:
        # the insole (with its pad) rests bonded on the rigid shoe bed: its bottom is clamped
        two_body = dict(
            target_surface=tags.Surface.INSOLE_TOP,
            counter_cells=tuple(tags.FOOTWEAR),
            rollers=[(tags.Surface.INSOLE_BOTTOM, c) for c in range(3)],
        )
    if cut_soft == "rigid":
        driven.append(tags.Surface.CUT_SOFT)
    elif cut_soft != "free":
        raise ValueError(f"cut_soft must be 'free' or 'rigid', not {cut_soft!r}")
    return solve_contact(
        mesh,
        cell_tags,
        facet_tags,
        materials=materials,
        contact_surface=tags.Surface.PLANTAR_SKIN,
        driven_surfaces=driven,
        target_force_N=target_force_N,
        heel_rise_deg=heel_rise_deg,
        pivot=pivot,
        ground=ground,
        options=options,
        keep_steps=keep_steps,
        progress=progress,
        skeleton=skeleton,
        friction=friction,
        shear_N=shear_N,
        **two_body,
    )


def solve_load_case(mesh, cell_tags, facet_tags, case: LoadCase, **kwargs) -> Solution:
    """:func:`solve_forefoot` for a :class:`~footsim.model.loads.LoadCase` preset."""
    return solve_forefoot(
        mesh,
        cell_tags,
        facet_tags,
        target_force_N=case.force_N,
        heel_rise_deg=case.heel_rise_deg,
        shear_N=case.shear_N,
        **kwargs,
    )


__all__ = [
    "SolverError",
    "SolverOptions",
    "solve_contact",
    "solve_forefoot",
    "solve_load_case",
]
