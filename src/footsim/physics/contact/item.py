"""The interface every contact item offers the solver and the load stepper.

A contact item couples a hyperelastic body's surface to something it presses on: a rigid
obstacle (:class:`~footsim.physics.contact.ground.ContactSurface`) or a second deformable
body (:class:`~footsim.physics.contact.body.BodyContact`). Both enforce the normal contact
condition by a penalty with augmented-Lagrangian (Uzawa) multipliers, and plug into the Newton
solver in one way: the terms that read as forms (``residual_terms``, added to the body's
residual) and the terms that are assembled by hand (``assembled_terms``, the solver's
``extra``); an item offers either or both. Units: mm, N, MPa.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ContactItem(Protocol):
    """What :func:`~footsim.solve.forefoot.solve_contact` and
    :class:`~footsim.solve.stepping.LoadStepper` need of a contact item.

    Attributes: ``symmetric`` (the item's Jacobian is symmetric: an LDL^T factorisation
    serves), ``kappa_value`` (the penalty's representative value, N/mm^3), ``P1`` (the
    continuous P1 scalar space its pressures live in) and ``p1_dofs`` (the item's surface
    dofs in it).
    """

    symmetric: bool
    kappa_value: float

    def residual_terms(self, v):
        """The item's virtual work as a UFL form in the test function ``v``, or None."""

    def assembled_terms(self):
        """The object whose ``bind``, ``coupling_pattern``, ``add_residual`` and
        ``add_jacobian`` the Newton solver calls (:class:`~footsim.solve.newton.
        NonlinearSolver`'s ``extra``), or None."""

    history: list
    """The fields of the friction's history (empty without friction): saved and restored
    with the unknowns when a load step is undone."""

    def commit(self) -> None:
        """A load step has converged: make it the start of the next (friction's history)."""

    def hold_static(self, u) -> None:
        """Freeze the contact configuration at displacement ``u`` (pre-positioning)."""

    def tangent_modulus(self, p: np.ndarray) -> np.ndarray:
        """Compression tangent (MPa) of the softer side at contact pressures ``p`` (MPa)."""

    def update_penalty(self) -> float:
        """Raise the penalty to follow the tissue's tangent; returns the largest ratio."""

    def get_multiplier(self) -> np.ndarray:
        """The augmented-Lagrangian multipliers (MPa)."""

    def set_multiplier(self, values: np.ndarray) -> None:
        """Set the augmented-Lagrangian multipliers (MPa)."""

    def min_gap(self) -> float:
        """Smallest normal gap over the surface (mm; negative: penetration)."""

    def max_penetration(self) -> float:
        """Largest penetration over the surface (mm, >= 0)."""

    def lift_estimate(self) -> float:
        """How far the body must rise to leave contact (mm)."""

    def uzawa_update(self, relaxation: float = 1.0) -> None:
        """One augmented-Lagrangian update of the multipliers."""

    def force(self) -> np.ndarray:
        """The contact force on the body (N, three components)."""

    def contact_area(self) -> float:
        """Deformed area in contact (mm^2)."""

    def surface_area(self) -> float:
        """Deformed area of the whole contact surface (mm^2)."""

    def pressure_p1(self):
        """Cauchy and nominal contact pressure as P1 Functions (MPa) and the nodal tributary
        areas, deformed and undeformed (mm^2)."""

    def shear_p1(self):
        """The tangential (friction) traction as a P1 vector function (Cauchy, MPa), each
        P1 node's stick fraction and the area in stick (mm^2)."""

    def target_pressure(self):
        """The pressure the other body's surface carries
        (:class:`~footsim.physics.contact.surface.TargetSurface`), or None for a rigid one."""
