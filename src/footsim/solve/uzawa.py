"""The augmented-Lagrangian (Uzawa) updates that end a load stepping, with the rigid lift
that keeps the force on target between them (mm, N, MPa); a part of
:class:`~footsim.solve.stepping.LoadStepper`, which provides the solves, the force control and
the failure reports they use.
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import numpy as np  # noqa: E402  isort: skip

from footsim.solve.newton import SolverError
from footsim.solve.state import restore_state, save_state


class UzawaUpdates:
    """The contact-enforcement part of :class:`~footsim.solve.stepping.LoadStepper` (a
    mixin: it uses the stepper's state ``d``, ``F``, ``history``, its ``contact``, ``block``,
    ``options`` and ``record``, and its ``_attempt``, ``to_force``, ``_settle`` and ``_fail``)."""

    def lift(self, delta: float) -> None:
        """Move the pressed body and the block rigidly up by ``delta`` (mm): the travel
        becomes ``d - delta`` and the stepping history is shifted with it (a rigid translation
        leaves the stresses and the pressure unknown as they are)."""
        u = self.solver.unknowns[0]
        u.x.array[self.lift_dofs] += delta
        u.x.scatter_forward()
        if hasattr(self.block, "lift"):  # rigid bones are lifted with the tissue
            self.block.lift(delta)
        self.d -= delta
        self.history = [(d - delta, F) for d, F in self.history]
        self.prev = None
        self.block.set(self.w_touch - self.d)

    def _owned_pressure(self) -> np.ndarray:
        """The contact pressure's P1 values at this process's owned dofs (MPa)."""
        pc = self.contact.pressure_p1()[0]
        return pc.x.array[: pc.function_space.dofmap.index_map.size_local]

    def augmented_lagrangian(self, F_target: float | None, d_target: float | None) -> None:
        """Uzawa updates until the maximum penetration is below ``penetration_tol`` or an
        update changes the contact pressure by less than ``pressure_rtol``.

        Under force control every update is followed by a rigid lift of the body by the mean
        penetration (:meth:`lift`; times the relaxation of a relaxed update): raising the
        multiplier by ``kappa`` times the penetration at fixed travel would otherwise have to
        be absorbed by further compressing the tissue (by millimetres at push-off), whereas
        after the lift the pressure is nearly unchanged and the re-solve only redistributes
        it; the travel is then re-targeted to the force.  A failed re-solve is retried with a
        halved (relaxed) update, doubled again (up to 1) after a relaxed update that worked;
        the pressure change of a relaxed update is judged as if unrelaxed (``change /
        relaxation``: a halved update moves the pressure half as far without being any closer
        to the fixed point).  The run fails (:class:`SolverError`) when a re-solve fails three
        times in a row or ``max_uzawa`` updates neither bring the penetration below tolerance
        nor the pressure to rest: a contact pressure from a badly enforced constraint is
        never reported.

        The states between updates may stay at the intermediate tolerance (those the force
        control leaves, or the drivers before this one left): the multiplier's fixed point
        does not need them exact. The state that ends it is settled to the full tolerance
        (:meth:`_settle`) and its penetration judged after that."""
        o = self.options
        if not o.augmented_lagrangian:
            self._settle(F_target)
            return
        p_old = self._owned_pressure().copy()
        relax, change = 1.0, float("nan")
        for _ in range(o.max_uzawa):
            if self.contact.max_penetration() <= o.penetration_tol:
                if not (self._loose or self._stale):
                    return
                self._settle(F_target)  # judged again once settled
                continue
            lam0 = self.contact.get_multiplier()
            d0, F0, hist0 = self.d, self.F, list(self.history)
            state0 = save_state(self.fields)
            history0 = save_state(self.contact.history)
            for _attempt in range(3):
                self.contact.uzawa_update(relax)
                self.record.uzawa_iterations += 1
                self.prev = None
                try:
                    if F_target is not None:
                        self.lift(relax * self.contact.lift_estimate())
                    loose = F_target is not None  # to_force re-solves it to full tolerance
                    if not self._attempt(self.d, "uzawa", predictor=False, loose=loose):
                        raise SolverError("re-solve failed")
                    if F_target is not None:
                        self.to_force(F_target, phase="uzawa", settle=False)
                    break
                except SolverError:
                    self.contact.set_multiplier(lam0)
                    restore_state(self.fields, state0)
                    restore_state(self.contact.history, history0)
                    self.d, self.F, self.history = d0, F0, list(hist0)
                    self.block.set(self.w_touch - self.d)
                    relax *= 0.5
            else:
                pen = self.contact.max_penetration()  # > penetration_tol (loop condition)
                self._fail(
                    "contact not enforced: the augmented-Lagrangian re-solve failed 3 times and "
                    f"the last converged state penetrates the obstacle by {pen:.3g} mm (allowed: "
                    f"{o.penetration_tol:.3g} mm, penetration_tol_mm)",
                    F_target,
                )
            p_new = self._owned_pressure()
            comm = self.block.V.mesh.comm  # one decision on all processes
            sq = comm.allreduce(np.array([np.sum((p_new - p_old) ** 2), np.sum(p_new**2)]))
            change = np.sqrt(sq[0]) / max(np.sqrt(sq[1]), 1e-300) / relax
            p_old = p_new.copy()
            if change < o.pressure_rtol:
                self._settle(F_target)
                return
            relax = min(1.0, 2.0 * relax)  # a relaxed update that worked: try a longer one
        self._settle(F_target)
        pen = self.contact.max_penetration()
        if pen > o.penetration_tol:
            self._fail(
                f"contact not enforced: after max_uzawa = {o.max_uzawa} augmented-Lagrangian "
                f"updates the obstacle is penetrated by {pen:.3g} mm (allowed: "
                f"{o.penetration_tol:.3g} mm, penetration_tol_mm) and the last update changed "
                f"the contact pressure by {change:.2%} (pressure_rtol: {o.pressure_rtol:.0%})",
                F_target,
            )
        del d_target
