"""A converged contact solve's result: :class:`Solution` and the pressure of each load step
(:class:`LoadStepSnapshot`). Units: mm, N, MPa; ``*_kPa`` helpers for users.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import footsim  # noqa: F401  (must precede dolfinx)

import dolfinx  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim.physics.contact.surface import TargetSurface  # noqa: E402
from footsim.solve.records import SolveRecord  # noqa: E402


@dataclass(frozen=True)
class LoadStepSnapshot:
    """The contact pressure after one converged load step: ``phase`` (load / bracket /
    uzawa), bones' ``travel_mm``, vertical contact ``force_N`` and the Cauchy contact pressure
    at the P1 nodes (MPa, the layout of ``Solution.contact_pressure``)."""

    phase: str
    travel_mm: float
    force_N: float
    pressure: np.ndarray


@dataclass
class Solution:
    """Result of a converged contact solve (units mm, N, MPa).

    Fields: ``displacement`` (vector Lagrange Function, mm); ``pressure`` (the mixed-formulation
    unknown ``p = K theta(J)``, MPa, or None; with ``theta = ln J`` it is the Kirchhoff mean
    stress, J times the Cauchy one, tension positive); ``von_mises``, ``max_shear`` (Cauchy, DG0
    per cell, MPa; max shear = (s1 - s3)/2); ``contact_pressure`` / ``contact_pressure_nominal``
    (P1 Functions, Cauchy = force per deformed area / nominal = per undeformed area, MPa, zero
    off the contact surface); ``contact_nodes_reference`` / ``contact_nodes_current`` ((n, 3)
    coordinates of the P1 contact-surface nodes, mm), ``contact_node_pressure`` (Cauchy, MPa),
    ``contact_node_pressure_nominal`` (MPa), ``contact_node_area`` /
    ``contact_node_area_reference`` (nodal tributary areas, deformed / undeformed, mm^2; ``sum(p
    * a)`` = normal contact force); ``reaction_dirichlet_N`` (vertical force of the driven bones
    on the body, from the residual at the Dirichlet dofs), ``reaction_contact_N`` (vertical
    component of the contact-force integral), ``contact_force_N`` (3 components);
    ``contact_area_mm2``; ``max_penetration_mm``; ``travel_mm`` (downward travel of the bones
    after first touch), ``heel_rise_deg``; ``record`` (steps, Newton iterations, timings per
    phase); ``num_dofs``; ``steps`` (a :class:`LoadStepSnapshot` per converged load step when
    asked for, else empty); ``target_surface`` (two-body contact: the
    :class:`~footsim.physics.contact.surface.TargetSurface` pressed on, e.g. the insole and pad
    top, with its
    contact pressure; else None); ``skeleton`` (rigid bones: joint angles, band and tendon
    tensions, the tarsus's wrench and the balance of forces and moments,
    :func:`~footsim.physics.skeleton.skeleton_state`; else empty); ``cell_tags`` (of the
    mesh solved on: without the bone cells with rigid bones); ``contact_shear`` (the friction's
    tangential traction on the skin, P1 vector Function, Cauchy, MPa; zero frictionless),
    ``contact_node_shear`` ((n, 3) at the P1 contact nodes, MPa), ``contact_node_stick`` (each
    node's tributary area's fraction in stick, 0 to 1) and ``stick_area_mm2`` (deformed area
    in stick; the rest of ``contact_area_mm2`` slips).
    """

    displacement: fem.Function
    pressure: fem.Function | None
    von_mises: fem.Function
    max_shear: fem.Function
    contact_pressure: fem.Function
    contact_pressure_nominal: fem.Function
    contact_nodes_reference: np.ndarray
    contact_nodes_current: np.ndarray
    contact_node_pressure: np.ndarray
    contact_node_pressure_nominal: np.ndarray
    contact_node_area: np.ndarray
    contact_node_area_reference: np.ndarray
    reaction_dirichlet_N: float
    reaction_contact_N: float
    contact_force_N: np.ndarray
    contact_area_mm2: float
    max_penetration_mm: float
    travel_mm: float
    heel_rise_deg: float
    target_force_N: float | None
    penalty: float
    record: SolveRecord
    num_dofs: int
    materials: dict[int, str] = field(default_factory=dict)
    steps: list[LoadStepSnapshot] = field(default_factory=list)
    target_surface: TargetSurface | None = None
    skeleton: dict = field(default_factory=dict)
    cell_tags: dolfinx.mesh.MeshTags | None = None
    contact_shear: fem.Function | None = None
    contact_node_shear: np.ndarray | None = None
    contact_node_stick: np.ndarray | None = None
    stick_area_mm2: float = 0.0

    @property
    def peak_pressure_kPa(self) -> float:
        """Peak Cauchy contact pressure (kPa) over the P1 surface nodes."""
        local = float(self.contact_node_pressure.max()) if self.contact_node_pressure.size else 0
        return 1000.0 * self.displacement.function_space.mesh.comm.allreduce(local, op=MPI.MAX)

    @property
    def peak_shear_kPa(self) -> float:
        """Peak magnitude of the friction's tangential traction (Cauchy, kPa) over the P1
        surface nodes (0 frictionless)."""
        t = self.contact_node_shear
        local = float(np.linalg.norm(t, axis=1).max()) if t is not None and t.size else 0.0
        return 1000.0 * self.displacement.function_space.mesh.comm.allreduce(local, op=MPI.MAX)

    @property
    def newton_iterations(self) -> int:
        return self.record.newton_iterations

    def summary(self) -> dict:
        """Scalars of the solution (JSON-friendly); collective under MPI."""
        comm = self.displacement.function_space.mesh.comm

        def peak(f: fem.Function) -> float:
            return 1000.0 * comm.allreduce(float(f.x.array.max(initial=0.0)), op=MPI.MAX)

        out = {
            "target_force_N": self.target_force_N,
            "reaction_dirichlet_N": self.reaction_dirichlet_N,
            "reaction_contact_N": self.reaction_contact_N,
            "peak_pressure_kPa": self.peak_pressure_kPa,
            "contact_area_mm2": self.contact_area_mm2,
            "stick_area_mm2": self.stick_area_mm2,
            "peak_shear_kPa": self.peak_shear_kPa,
            "contact_force_N": [float(f) for f in self.contact_force_N],
            "max_penetration_mm": self.max_penetration_mm,
            "peak_von_mises_kPa": peak(self.von_mises),
            "peak_max_shear_kPa": peak(self.max_shear),
            "travel_mm": self.travel_mm,
            "heel_rise_deg": self.heel_rise_deg,
            "num_dofs": self.num_dofs,
            "load_steps": self.record.load_steps,
            "newton_iterations": self.record.newton_iterations,
            "uzawa_iterations": self.record.uzawa_iterations,
            "penalty_raises": self.record.penalty_raises,
            "penalty_N_per_mm3": self.penalty,
            "timings_s": dict(self.record.timings),
            "solver_counts": dict(self.record.counts),
            "linear_solver": self.record.linear_solver,
            "materials": dict(self.materials),
            "steps": [dataclasses.asdict(step) for step in self.record.steps],
        }
        if self.skeleton:
            out["skeleton"] = self.skeleton
        if self.target_surface is not None:  # replicated on every process
            t = self.target_surface
            out["target_peak_pressure_kPa"] = 1000.0 * float(t.pressure_MPa.max(initial=0.0))
            out["target_contact_force_N"] = float(np.sum(t.pressure_MPa * t.area_mm2))
        return out
