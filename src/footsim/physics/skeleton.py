"""The forefoot's rigid skeleton: jointed metatarsals and toes, plantar fascia and flexor tendons
driven through the tarsus (mm, N, rad).

Bodies (:class:`~footsim.physics.rigid_body.RigidBodies`, six unknowns each, none inside bone):
the five metatarsals, the two sesamoids moving with the first metatarsal (they sit in the
flexor hallucis brevis tendons under its head and, with the toe in neutral, move with the first
ray), and, when the anatomy has them, the five proximal phalanges. Each body drives the tissue
bonded to its cavity (``tags.bone_surface``).

Joints (:mod:`~footsim.physics.joints`):

- *tarsometatarsal*, between the driven tarsus (:data:`~footsim.physics.rigid_body.DRIVER`)
  and each metatarsal base: a hinge about the medio-lateral axis through the base whose
  stiffness ``k_ray L^2`` (N mm/rad) gives the ray's measured sagittal stiffness ``k_ray``
  (N/mm, a dorsal force at the head over the head's dorsal travel) at the head's lever ``L``
  from the base (mm), over the ray's dorsal range of motion (the head's measured excursion
  over ``L``), at whose end the joint is held stiff (the ligaments drawn tight);
- *metatarsophalangeal*, between each metatarsal and its proximal phalanx: a hinge about the
  medio-lateral axis through the head centre (the phalanx's base is concentric with the
  head) with the passive dorsiflexion stiffness of the MTP joint.

The joints' other motions are held by stiff springs (:class:`SkeletonSpec`
``constraint_stiffness``): their compliance is the joints' play.

Plantar fascia (:class:`~footsim.physics.bands.Band`, tension only): one slip per ray from
the calcaneal tubercle (on the tarsus) under the metatarsal head to the base of the proximal
phalanx, taut with the toes in their reference position; dorsiflexing a toe winds its slip
around the head and tightens it (windlass, Hicks 1954, J Anat 88:25).

Tendons (:class:`~footsim.physics.bands.Tendon`, a given tension; scaled together by
``RigidBodies.tendon_scale``): flexor hallucis longus under the first head to the hallux, flexor
digitorum longus (four equal slips) under heads 2-5 to the lesser toes, peroneus longus from the
cuboid groove to the plantar-lateral base of the first metatarsal. Without phalanges the toe
flexors and the fascia have no insertion and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from footsim.mesh import tags
from footsim.physics.bands import Band, Tendon
from footsim.physics.joints import hinge
from footsim.physics.rigid_body import DRIVER, RigidBodies, RigidBody, coupling_penalty


@dataclass(frozen=True)
class SkeletonSpec:
    """The skeleton's constants (the scenario's ``[load_path]`` table carries them with their
    sources, :class:`footsim.model.loadpath.LoadPathSpec`).

    Args:
        ray_stiffness_N_per_mm: sagittal stiffness of each ray at its head (N/mm), rays 1-5.
        ray_dorsal_range_mm: dorsal excursion of each head over the free range of its TMT
            joint (mm); beyond it the joint is held by the constraint stiffness (None: no
            end of range).
        mtp_stiffness_Nmm_per_rad: passive dorsiflexion stiffness of each MTP joint (N mm/rad).
        fascia_stiffness_N: axial stiffness ``EA`` of each fascia slip (N), rays 1-5 (0: none).
        fascia_slack_mtp_rad: MTP plantarflexion (rad) at which the fascia is at its natural
            length: with the toes in the reference position it is stretched by the windlass
            of that angle.
        tendon_tension_N: tension of ``"fhl"``, ``"fdl"`` (all four slips together) and
            ``"pl"`` (N).
        constraint_stiffness: stiffness (N/mm) holding the joints' translations; their
            off-axis rotations are held by it times 100 mm^2 (N mm/rad).
    """

    ray_stiffness_N_per_mm: tuple[float, ...]
    mtp_stiffness_Nmm_per_rad: tuple[float, ...]
    ray_dorsal_range_mm: tuple[float, ...] | None = None
    fascia_stiffness_N: tuple[float, ...] = (0.0,) * 5
    fascia_slack_mtp_rad: float = 0.0
    tendon_tension_N: dict = field(default_factory=dict)
    constraint_stiffness: float = 1.0e4


@dataclass(frozen=True)
class Landmarks:
    """Skeleton points of an anatomy (reference configuration, mm), rays 1-5 along axis 0."""

    heads: np.ndarray  # head-sphere centres: the MTP joint centres
    head_radii: np.ndarray
    bases: np.ndarray  # TMT joint centres: each shaft axis at its base's x
    toe_tips: np.ndarray | None  # proximal phalanx tip centres (None without phalanges)
    toe_axis: np.ndarray | None
    phalanx_radii: np.ndarray | None
    shaft_radii: np.ndarray

    @classmethod
    def of(cls, anatomy) -> Landmarks:
        heads, axes = anatomy.head_centres(), anatomy.axes()
        s = (anatomy.bases_xy_mm()[:, 0] - heads[:, 0]) / axes[:, 0]
        tips = axis = rp = None
        if anatomy.phalanges:
            tips = anatomy.phalanx_segments()[1]
            axis = anatomy.toe_axis()
            rp = np.asarray(anatomy.phalanx_radius_mm, dtype=float)
        return cls(
            heads=heads,
            head_radii=anatomy.head_radii(),
            bases=heads + s[:, None] * axes,
            toe_tips=tips,
            toe_axis=axis,
            phalanx_radii=rp,
            shaft_radii=np.asarray(anatomy.shaft_radius_mm, dtype=float),
        )


def metatarsal(ray: int) -> str:
    return f"MT{ray}"


def phalanx(ray: int) -> str:
    return f"P{ray}"


def build_skeleton(mesh, facet_tags, penalty: float, marks: Landmarks, spec: SkeletonSpec,
                   pivot) -> RigidBodies:  # fmt: skip
    """The rigid bodies, joints, fascia and tendons of the forefoot on the tissue ``mesh``
    (bones removed, :func:`footsim.mesh.cavities.remove_bones`); ``penalty``: the bond
    stiffness (N/mm^3, :func:`~footsim.physics.rigid_body.coupling_penalty`); ``pivot``: the
    point the tarsus rotates about in a heel rise (mm)."""
    present = set(np.unique(facet_tags.values).tolist())
    present = set().union(*mesh.comm.allgather(present))
    toes = marks.toe_tips is not None
    bodies = []
    for k, ray in enumerate(range(1, 6)):
        surfaces = [tags.bone_surface(v) for v in tags.ray_volumes(ray)]  # (head and tube)
        if ray == 1:
            surfaces += [tags.bone_surface(v) for v in tags.SESAMOIDS]
        surfaces = tuple(s for s in surfaces if s in present)
        bodies.append(RigidBody(metatarsal(ray), tuple(marks.heads[k]), surfaces))
    if toes:
        for k, ray in enumerate(range(1, 6)):
            s = tags.bone_surface(tags.PHALANGES[k])
            if s not in present:
                raise ValueError(f"the mesh has no cavity of the proximal phalanx {ray}")
            bodies.append(RigidBody(phalanx(ray), tuple(marks.heads[k]), (s,)))
    rb = RigidBodies(mesh, bodies, facet_tags, penalty)
    rb.driver_pivot = np.asarray(pivot, dtype=float)
    kc = spec.constraint_stiffness
    kc_rot = kc * 100.0
    y = (0.0, 1.0, 0.0)
    for k, ray in enumerate(range(1, 6)):
        lever = float(marks.heads[k, 0] - marks.bases[k, 0])
        k_rot = spec.ray_stiffness_N_per_mm[k] * lever**2
        # dorsiflexion (the head up) is a negative rotation about y: its end is the lower one
        end = (None, None)
        if spec.ray_dorsal_range_mm is not None:
            end = (-spec.ray_dorsal_range_mm[k] / lever, None)
        rb.add(
            hinge(f"TMT{ray}", DRIVER, metatarsal(ray), marks.bases[k], y, k_rot, kc, kc_rot, end)
        )
        if toes:
            rb.add(
                hinge(
                    f"MTP{ray}", metatarsal(ray), phalanx(ray), marks.heads[k], y,
                    spec.mtp_stiffness_Nmm_per_rad[k], kc, kc_rot,
                )
            )  # fmt: skip
    if toes:
        _add_fascia(rb, marks, spec)
        _add_tendons(rb, marks, spec)
    elif spec.tendon_tension_N.get("pl", 0.0) > 0.0:
        _add_peroneus(rb, marks, spec.tendon_tension_N["pl"])
    return rb


#: Horizontal distance (mm) from the first metatarsal head back to the calcaneal tubercle, where
#: the plantar fascia arises: the fascia's length to the MTP joints is 140-170 mm (Cheng et al.
#: 2008, J Biomech 41:1937, 3-D foot model; Pascoal et al. 2013, Foot 23:68, ultrasound).
FASCIA_ORIGIN_BACK_MM = 150.0
#: Height (mm) of the fascia's origin above the ground: the medial calcaneal tubercle lies
#: ~ 15 mm over the ground under the heel pad (heel pad thickness 15-20 mm, Uzel et al. 2006,
#: Foot Ankle Int 27:904).
FASCIA_ORIGIN_HEIGHT_MM = 15.0
#: Distance (mm) of the flexor tendons and fascia below the head's surface where they pass
#: under it (the plantar plate and the tendon sheath, 2-4 mm; Ormond Filho et al. 2016).
UNDER_HEAD_MM = 3.0


def _under_head(marks: Landmarks, k: int) -> tuple[float, float, float]:
    c = marks.heads[k]
    return (float(c[0]), float(c[1]), float(c[2] - marks.head_radii[k] - UNDER_HEAD_MM))


def _toe_point(marks: Landmarks, k: int, along: float) -> tuple[float, float, float]:
    """A point on the plantar side of proximal phalanx ``k``, ``along`` (0 base .. 1 tip)."""
    c, tip = marks.heads[k], marks.toe_tips[k]
    p = c + along * (tip - c)
    p = p - np.array([0.0, 0.0, marks.phalanx_radii[k]])
    return tuple(float(v) for v in p)


def _polyline(points) -> float:
    P = np.array([p for _, p in points], dtype=float)
    return float(np.linalg.norm(np.diff(P, axis=0), axis=1).sum())


def _rotated(p: np.ndarray, centre: np.ndarray, plantarflexion: float) -> np.ndarray:
    """``p`` turned about the medio-lateral axis through ``centre`` by ``plantarflexion``
    (rad; positive lowers points distal of the centre)."""
    c, s = np.cos(plantarflexion), np.sin(plantarflexion)
    d = p - centre
    return centre + np.array([c * d[0] + s * d[2], d[1], -s * d[0] + c * d[2]])


def _add_fascia(rb: RigidBodies, marks: Landmarks, spec: SkeletonSpec) -> None:
    for k, ray in enumerate(range(1, 6)):
        ea = spec.fascia_stiffness_N[k]
        if ea <= 0.0:
            continue
        origin = (
            float(marks.heads[0, 0] - FASCIA_ORIGIN_BACK_MM),
            float(marks.heads[k, 1]),
            FASCIA_ORIGIN_HEIGHT_MM,
        )
        points = (
            (DRIVER, origin),
            (metatarsal(ray), _under_head(marks, k)),
            (phalanx(ray), _toe_point(marks, k, 0.35)),
        )
        relaxed = _rotated(np.array(points[2][1]), marks.heads[k], spec.fascia_slack_mtp_rad)
        slack = _polyline(points[:2]) + float(np.linalg.norm(relaxed - np.array(points[1][1])))
        rb.add(Band(f"fascia{ray}", points, ea, slack_length=slack))


#: Height (mm) above the ground at which the long flexors' tendons leave the leg behind the
#: medial malleolus, and their distance back from the first head: the tendons then run
#: forwards under the sustentaculum tali to the forefoot (Sarrafian's Anatomy of the Foot and
#: Ankle, 3rd ed. 2011). Only the direction of the tendon into the forefoot matters here.
FLEXOR_ORIGIN_MM = (-120.0, 40.0)
#: The peroneus longus leaves the cuboid groove ~ 35 mm proximal and ~ 10 mm lateral of the
#: fifth metatarsal base, close to the ground (Sarrafian 2011): the origin of its path here.
PERONEUS_ORIGIN_OFFSET_MM = (-35.0, 10.0, 12.0)


def _add_tendons(rb: RigidBodies, marks: Landmarks, spec: SkeletonSpec) -> None:
    T = spec.tendon_tension_N
    for k, ray in enumerate(range(1, 6)):
        tension = T.get("fhl", 0.0) if ray == 1 else T.get("fdl", 0.0) / 4.0
        if tension <= 0.0:
            continue
        origin = (
            float(marks.heads[0, 0] + FLEXOR_ORIGIN_MM[0]),
            float(marks.heads[k, 1]),
            float(FLEXOR_ORIGIN_MM[1]),
        )
        points = (
            (DRIVER, origin),
            (metatarsal(ray), _under_head(marks, k)),
            (phalanx(ray), _toe_point(marks, k, 1.0)),
        )
        rb.add(Tendon("fhl" if ray == 1 else f"fdl{ray}", points, tension))
    if T.get("pl", 0.0) > 0.0:
        _add_peroneus(rb, marks, T["pl"])


def _add_peroneus(rb: RigidBodies, marks: Landmarks, tension: float) -> None:
    b5, b1 = marks.bases[4], marks.bases[0]
    dx, dy, z = PERONEUS_ORIGIN_OFFSET_MM
    origin = (float(b5[0] + dx), float(b5[1] + dy), z)
    insertion = (float(b1[0]), float(b1[1] + 0.5 * marks.shaft_radii[0]),
                 float(b1[2] - marks.shaft_radii[0]))  # fmt: skip
    rb.add(Tendon("pl", ((DRIVER, origin), (metatarsal(1), insertion)), tension))


@dataclass(frozen=True)
class Skeleton:
    """What the solver needs to build the rigid skeleton: the anatomy's landmarks and the
    constants. ``bond_factor``: the bond penalty is ``bond_factor`` times the stiffest tissue's
    Young's modulus over the median cell size (:func:`~footsim.physics.rigid_body.
    coupling_penalty`), so the tissue's mismatch from the bone surface is ~1/bond_factor of a
    cell's deformation."""

    marks: Landmarks
    spec: SkeletonSpec
    bond_factor: float = 1.0e3

    def bodies(self, mesh, facet_tags, materials, pivot) -> RigidBodies:
        tdim = mesh.topology.dim
        n = mesh.topology.index_map(tdim).size_local
        h = mesh.h(tdim, np.arange(n, dtype=np.int32))
        h_all = np.concatenate(mesh.comm.allgather(h))
        E = max(m.youngs_modulus for m in materials)
        penalty = coupling_penalty(E, float(np.median(h_all)), self.bond_factor)
        return build_skeleton(mesh, facet_tags, penalty, self.marks, self.spec, pivot)


def skeleton_state(
    bodies: RigidBodies, contact_force: np.ndarray, nodes: np.ndarray, nodal_force: np.ndarray
) -> dict:
    """The skeleton after a solve (JSON-friendly, replicated on every process): each joint's
    rotation about its hinge axis (deg; TMT: positive = the ray's head up, dorsiflexion; MTP:
    positive = toe up, dorsiflexion), band and tendon tensions (N), the force (N) and moment
    (N mm, about the tarsus's current pivot) the tarsus applies to the forefoot, and the balance of
    forces with the ground's: ``force_balance_N`` = tarsus + contact (0 at equilibrium), and
    of moments about the pivot: ``moment_balance_Nmm`` = tarsus + contact, the contact's
    moment from its nodal forces (``nodal_force``, N, (n, 3): the pressure's and the
    friction's, or (n,) vertical only, at the current ``nodes``, mm, this process's share).
    ``centre_of_pressure_mm`` (x, y) and ``load_line_x_mm`` (where the
    tarsus's resultant meets the ground, z = 0) show the balance on the sole."""
    from mpi4py import MPI

    from footsim.physics.bands import Band, Tendon
    from footsim.physics.joints import Joint

    out: dict = {"joints_deg": {}, "bands_N": {}, "tendons_N": {}}
    for item in bodies.items:
        if isinstance(item, Joint):
            # about the hinge axis (the frame's second row, y): a positive y rotation lowers
            # distal points, so the head/toe going up is minus it
            out["joints_deg"][item.name] = -float(np.degrees(item.angles(bodies)[1]))
        elif isinstance(item, Band):
            out["bands_N"][item.name] = item.tension(bodies)
        elif isinstance(item, Tendon):
            out["tendons_N"][item.name] = float(bodies.tendon_scale.value) * item.tension_N
    f, m = bodies.driver_wrench()
    out["tarsus_force_N"] = (-f).tolist()
    out["tarsus_moment_Nmm"] = (-m).tolist()
    out["force_balance_N"] = (-f + np.asarray(contact_force, dtype=float)).tolist()
    comm = bodies.mesh.comm
    # the block's current pivot, about which driver_wrench's moment is taken: pivot + (s, 0, w)
    c = bodies.driver_pivot + np.array(
        [float(bodies.driver_s.value), 0.0, float(bodies.driver_w.value)]
    )
    F = np.asarray(nodal_force, dtype=float)
    if F.ndim == 1:  # vertical only
        F = np.column_stack([np.zeros_like(F), np.zeros_like(F), F])
    fz = F[:, 2]
    X = np.asarray(nodes, dtype=float).reshape(-1, 3)
    m_contact = comm.allreduce(np.cross(X - c, F).sum(axis=0), op=MPI.SUM)
    total = comm.allreduce(float(fz.sum()), op=MPI.SUM)
    first = comm.allreduce((X[:, :2] * fz[:, None]).sum(axis=0), op=MPI.SUM)
    out["contact_moment_Nmm"] = m_contact.tolist()
    out["moment_balance_Nmm"] = (-m + m_contact).tolist()
    out["centre_of_pressure_mm"] = (first / total).tolist() if total else [0.0, 0.0]
    F_t, M_t = -f, -m
    out["load_line_x_mm"] = (
        float(c[0] + (-c[2] * F_t[0] - M_t[1]) / F_t[2]) if F_t[2] else float("nan")
    )
    return out


__all__ = [
    "Landmarks",
    "Skeleton",
    "SkeletonSpec",
    "build_skeleton",
    "metatarsal",
    "phalanx",
    "skeleton_state",
]
