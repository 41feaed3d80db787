"""Force control by displacement continuation, and the record of the steps it took (mm, N).

Force control by displacement continuation (:class:`LoadStepper`): first a rigid
pre-positioning (rotation, then the vertical translation that brings the lowest surface node
onto the obstacle, an exact zero-load equilibrium, no solve), then displacement-controlled
increments of the downward travel ``d = -(w - w_touch)``; the next ``d`` aims at the target force
with the secant of the last two converged states, linear (``dF/dd``) or logarithmic
(``d ln F / dd``, for the stiffening tissue), whichever steps shorter
(:func:`~footsim.solve.increments.travel_increment`),
limited by an adaptive increment (grown after easy steps,
:func:`~footsim.solve.increments.grown_increment`; cut by
``cutback`` after a failed one); once the target is bracketed, Illinois regula falsi on
``F(d)``.  A run that cannot reach the target raises :class:`~footsim.solve.newton.SolverError`
with the step, load reached and residual.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict

import footsim  # noqa: F401  (must precede dolfinx)

import numpy as np  # noqa: E402  isort: skip

from footsim.physics.block import RigidBlock
from footsim.physics.contact.body import BodyContact  # noqa: E402
from footsim.physics.contact.ground import ContactSurface  # noqa: E402
from footsim.solve.increments import (
    grown_increment,
    lowered_ceiling,
    secant_stiffness,
    travel_increment,
)
from footsim.solve.newton import NonlinearSolver, SolverError, snes_reason_name
from footsim.solve.options import SolverOptions
from footsim.solve.records import SolveRecord, StepRecord
from footsim.solve.state import restore_state, save_state
from footsim.solve.uzawa import UzawaUpdates

# --------------------------------------------------------------------------------------------
# Continuation
# --------------------------------------------------------------------------------------------


#: The first move (mm) of the bones along x when a horizontal ground force is asked for
#: (:meth:`LoadStepper.to_shear`): a fraction of the skin's elastic shear under load.
SHEAR_TRIAL_MM = 0.2

#: The largest move (mm) along x of one step of :meth:`LoadStepper.to_shear`, and how many
#: solves (moves and the final re-solve) it may take.
SHEAR_MAX_STEP_MM = 1.0
SHEAR_MAX_MOVES = 16


class LoadStepper(UzawaUpdates):
    """Displacement continuation of a rigid block until a target force or travel.

    Args:
        solver: the nonlinear solver (its unknowns are the state).
        block: the driven rigid block.
        contact: the contact surface (its vertical force is the controlled load).
        options: load-stepping options.
        record: run record (appended to).
        on_step: called as ``on_step(phase, travel_mm, force_N)`` after every converged step.
        lift_dofs: displacement dofs (unrolled indices of the first unknown) of the z-component
            of the body pressed by the block: the augmented-Lagrangian predictor lifts them
            rigidly (:meth:`~footsim.solve.uzawa.UzawaUpdates.augmented_lagrangian`); default
            every z-dof (one body).
    """

    def __init__(
        self,
        solver: NonlinearSolver,
        block: RigidBlock,
        contact: ContactSurface | BodyContact,
        options: SolverOptions,
        record: SolveRecord,
        on_step=None,
        lift_dofs: np.ndarray | None = None,
    ):
        self.solver = solver
        if lift_dofs is None:
            bs = solver.unknowns[0].function_space.dofmap.index_map_bs
            lift_dofs = np.arange(2, solver.unknowns[0].x.array.size, bs, dtype=np.int32)
        self.lift_dofs = np.asarray(lift_dofs, dtype=np.int32)
        self.on_step = on_step
        self.block = block
        self.contact = contact
        self.options = options
        self.record = record
        self.fields = list(solver.unknowns)
        self.w_touch = 0.0
        self.d = 0.0  # current travel (mm, downward, from touch)
        self.F = 0.0  # current vertical contact force (N)
        self.prev: tuple[float, list[np.ndarray]] | None = None  # (d, state) before last step
        self.history: list[tuple[float, float]] = [(0.0, 0.0)]
        self.n_solves = 0
        self.penalty_version = 0  # raised penalties so far (update_penalty)
        self._F_version = 0  # penalty version the current state was solved with
        self._stale = False  # the current state is out of balance under a raised penalty
        self._loose = False  # the current state was solved to the intermediate tolerance
        self._step_atol: float | None = None  # that tolerance (N; set by to_force)
        self._after_cutback = False  # the last attempted solve failed and was cut back
        self._ceiling = math.inf  # travel increment limit (mm) set by failed steps
        self._stiffness: float | None = None  # the last secant dF/dd (N/mm) of the history

    # ---------------------------------------------------------------------------- helpers
    def force(self) -> float:
        return float(self.contact.force()[2])

    def position(self, theta: float) -> None:
        """Rigid pre-positioning: rotation ``theta`` and the translation that brings the
        contact surface onto the obstacle (min gap 0); sets the whole body to that rigid motion
        (an exact equilibrium without load)."""
        u = self.solver.unknowns[0]
        piv = self.block.pivot
        w = 0.0
        for _ in range(3):  # the gap is first order in w for a sloped obstacle: iterate
            u.interpolate(lambda X, w=w: RigidBlock.motion(X, w, theta, piv))
            self.contact.hold_static(u)
            u.x.scatter_forward()
            g = self.contact.min_gap()
            if abs(g) < 1e-10:
                break
            w -= g
        u.interpolate(lambda X, w=w: RigidBlock.motion(X, w, theta, piv))
        self.contact.hold_static(u)
        u.x.scatter_forward()
        self.block.set(w, theta)
        if hasattr(self.block, "follow"):  # rigid bones move with the tarsus
            self.block.follow()
        self.w_touch = w
        self.d = 0.0
        self.F = self.force()

    def _attempt(
        self, d_new: float, phase: str, predictor: bool, loose: bool = False, stall: bool = False
    ) -> bool:
        """Solve at the travel ``d_new`` (mm); ``loose``: to the intermediate tolerance
        ``step_atol`` (a state that is not final, see :meth:`to_force`); ``stall``: a loose
        step that the caller cuts back on failure, given up once Newton stalls
        (``SolverOptions.stall_iterations``).  On failure the previous state is restored and
        False returned."""
        loose = loose and self._step_atol is not None
        state = save_state(self.fields)
        predicted = bool(
            predictor
            and self.options.predictor
            and self.prev is not None
            and self.prev[0] != self.d
        )
        if predicted:
            ratio = (d_new - self.d) / (self.d - self.prev[0])
            for f, a_now, a_old in zip(self.fields, state, self.prev[1], strict=True):
                f.x.array[:] = a_now + ratio * (a_now - a_old)
                f.x.scatter_forward()
        self.block.set(self.w_touch - d_new)
        self.n_solves += 1
        rec = self.solver.solve(atol=self._step_atol if loose else None, stall=stall and loose)
        F = self.force() if rec.converged else float("nan")
        self.record.add_step(
            StepRecord(
                self.n_solves,
                phase,
                d_new,
                F,
                rec.iterations,
                rec.residual,
                rec.converged,
                rec.seconds,
                "" if rec.converged else snes_reason_name(rec.reason),
                predicted,
            )
        )
        if self.options.verbose:
            print(
                f"  [{phase}] d = {d_new:.5f} mm  F = {F:.4f} N  its = {rec.iterations}  "
                f"|F| = {rec.residual:.2e}  {rec.seconds:.1f} s  "
                f"{'ok' if rec.converged else 'FAILED'}"
            )
        if not rec.converged:
            restore_state(self.fields, state)
            self.block.set(self.w_touch - self.d)
            self._last_fail = rec
            return False
        self.prev = (self.d, state)
        self._loose = loose
        self.contact.commit()  # the converged step becomes the friction's history
        # a penalty that follows the tissue's stiffening is raised after
        # a loading step; the state is then out of balance under the new penalty ("stale"):
        # the drivers re-solve it before it is final, and drop force brackets from before
        self._F_version = self.penalty_version
        self._stale = phase == "load" and self.contact.update_penalty() > 1.0
        self.penalty_version += int(self._stale)
        self.record.penalty_raises += int(self._stale)
        self.d, self.F = d_new, F
        self.history.append((d_new, F))
        self._stiffness = secant_stiffness(self.history) or self._stiffness
        self._last_its = rec.iterations
        if self.on_step is not None:
            self.on_step(phase, d_new, F)
        return True

    def _failed_increment(self, size: float, bracket: bool = False) -> None:
        """A solve with a travel increment of ``size`` (mm) failed: the next success is not
        grown, and no later increment exceeds ``failed_step_ceiling * size`` (unless the
        solve was a ``bracket`` step of the regula falsi, whose size the bracket set)."""
        self._after_cutback = True
        if not bracket:
            self._ceiling = lowered_ceiling(self._ceiling, size, self.options)

    def _fail(self, msg: str, target: float | None):
        rec = getattr(self, "_last_fail", None)
        raise SolverError(
            msg,
            step=self.n_solves,
            load_reached=self.F,
            load_target=target,
            displacement=self.d,
            residual=None if rec is None else rec.residual,
            iterations=None if rec is None else rec.iterations,
            reason=None if rec is None else rec.reason,
            steps=[asdict(step) for step in self.record.steps],
        )

    def _check_budget(self, target):
        if self.n_solves >= self.options.max_load_steps:
            self._fail(f"load stepping exceeded {self.options.max_load_steps} solves", target)

    # ---------------------------------------------------------------------------- drivers
    def to_travel(self, d_target: float, phase: str = "load") -> None:
        """Displacement control: advance the travel to ``d_target`` (mm) adaptively."""
        o = self.options
        dd = getattr(self, "_dd", o.initial_step_mm)
        while abs(d_target - self.d) > 1e-12:
            self._check_budget(None)
            step = math.copysign(min(dd, abs(d_target - self.d)), d_target - self.d)
            if self._attempt(self.d + step, phase, predictor=True):
                dd = grown_increment(dd, self._last_its, o, self._after_cutback, self._ceiling)
                self._after_cutback = False
            else:
                dd = abs(step) * o.cutback
                self._failed_increment(abs(step))
                if dd < o.min_step_mm:
                    self._fail("displacement increment fell below min_step_mm", None)
        self._dd = dd
        self._equilibrate(None)

    def _settle(self, F_target: float | None) -> None:
        """The current state to the full tolerance: on the target force (N) again if there is
        one (:meth:`to_force`), else at the current travel (:meth:`_equilibrate`)."""
        if F_target is not None:
            self.to_force(F_target)
        else:
            self._equilibrate(None)

    def _equilibrate(self, target: float | None) -> None:
        """Re-solve at the current travel, to the full tolerance, a state that is out of
        balance under a raised penalty (``_stale``) or was solved to the intermediate one
        (``_loose``)."""
        if not (self._stale or self._loose):
            return
        phase = "penalty" if self._stale else "final"
        if not self._attempt(self.d, phase, predictor=False):
            what = "under the raised contact penalty" if self._stale else "to full tolerance"
            self._fail(f"the re-solve {what} failed", target)

    def to_force(self, F_target: float, phase: str = "load", settle: bool = True) -> None:
        """Force control: adjust the travel until ``|F - F_target| <= force_rtol F_target``.

        The steps on the way are solved to ``step_rtol * F_target`` (N; their states are not
        reported, and the force they measure is off by less than that), the state on target
        once more to the full tolerance (:meth:`_equilibrate`) before it is final; ``settle``
        False leaves it at the intermediate tolerance (a state that more loading follows)."""
        o = self.options
        tol = o.force_rtol * F_target
        self._step_atol = o.step_rtol * abs(F_target) if o.step_rtol > 0 else None
        dd = getattr(self, "_dd", o.initial_step_mm)
        lo: tuple[float, float] | None = None  # bracket (d, F) with F < target
        hi: tuple[float, float] | None = None  # bracket (d, F) with F > target
        lo_version = hi_version = self.penalty_version
        last_replaced, repeat = "", 0  # regula falsi with bisection safeguard
        while abs(self.F - F_target) > tol or self._stale or (self._loose and settle):
            self._check_budget(F_target)
            if abs(self.F - F_target) <= tol:  # on target: under a raised penalty, or loose
                self._equilibrate(F_target)
                continue
            if self.F < F_target:
                lo = (self.d, self.F)
                lo_version = self._F_version
            else:
                hi = (self.d, self.F)
                hi_version = self._F_version
            if lo is not None and lo_version != self.penalty_version:
                lo = None  # found under an earlier penalty: not a bracket any more
            if hi is not None and hi_version != self.penalty_version:
                hi = None
            if lo is not None and hi is not None:
                (d0, f0), (d1, f1) = lo, hi
                f0s, f1s = f0 - F_target, f1 - F_target
                if repeat >= 2:  # the same end retained twice: bisect
                    d_new = 0.5 * (d0 + d1)
                else:
                    d_new = d0 - f0s * (d1 - d0) / (f1s - f0s)
                d_new = min(max(d_new, d0 + 1e-3 * (d1 - d0)), d1 - 1e-3 * (d1 - d0))
                ph = "bracket"
            else:
                d_new = self.d + travel_increment(
                    self.history, self.F, F_target, dd, self._stiffness
                )
                ph = phase
            if self._attempt(d_new, ph, predictor=True, loose=True, stall=True):
                dd = grown_increment(dd, self._last_its, o, self._after_cutback, self._ceiling)
                self._after_cutback = False
                replaced = "lo" if self.F < F_target else "hi"
                repeat = repeat + 1 if replaced == last_replaced else 1
                last_replaced = replaced
            else:
                dd = abs(d_new - self.d) * o.cutback
                self._failed_increment(abs(d_new - self.d), bracket=ph == "bracket")
                if dd < o.min_step_mm:
                    self._fail("load increment fell below min_step_mm", F_target)
                if lo is not None and hi is not None:  # shrink the bracket towards us
                    lo = hi = None
        self._dd = dd

    def ramp(self, set_level: Callable[[float], None], steps: int = 4, phase: str = "ramp") -> None:
        """Raise a load other than the travel (the tendons' tensions) from level 0 to 1 at the
        current travel, in increments of ``1/steps``, cut back after a failed solve and grown
        by ``growth`` after an easy one (as the travel increments); the force history starts
        afresh after it (the force-travel curve has changed)."""
        level, dl = 0.0, 1.0 / steps
        while level < 1.0:
            self._check_budget(None)
            new = min(1.0, level + dl)
            set_level(new)
            # loose: the state is not final, the force control that follows re-solves it
            if self._attempt(self.d, phase, predictor=False, loose=True):
                level = new
                if self._last_its <= self.options.easy_iterations:
                    dl *= self.options.growth
            else:
                set_level(level)
                dl *= self.options.cutback
                if dl < 1.0 / 64:
                    self._fail(f"the {phase} load could not be raised past level {level:.3f}", None)
        self.history = [(self.d, self.F)]
        self.prev = None

    def to_shear(
        self, shear_N: float, F_target: float, phase: str = "shear", settle: bool = True
    ) -> None:
        """Move the block along x (distal) and down until the ground's horizontal force on the
        body is ``shear_N`` (N, distal positive) and its vertical force ``F_target`` (N), both
        within ``force_rtol * F_target``.

        Both are driven at once, Broyden's method on the block's offset and travel ``(s, d)``
        (mm): the Jacobian starts from the loading's last slope ``dF/dd`` and the move of a
        first trial along x (``SHEAR_TRIAL_MM``, at fixed travel, which also measures how
        the vertical force falls as the skin is dragged); each move is one solve at the
        intermediate tolerance, at most ``SHEAR_MAX_STEP_MM`` along x and the force
        control's increment down, halved after a failed solve. Only friction carries a
        horizontal force: call it with friction on. ``settle`` False may leave the state on
        target at the intermediate tolerance, as :meth:`to_force`."""
        o = self.options
        tol = o.force_rtol * abs(F_target)

        def residual() -> np.ndarray:
            return np.array([self.F - F_target, float(self.contact.force()[0]) - shear_N])

        r = residual()
        k = self._stiffness or max(abs(F_target), 1.0) / max(self.d, 1.0)  # N/mm
        J = np.array([[k, 0.0], [0.0, 0.0]])  # d(Fz, Fx)/d(d, s); the s column from the trial
        dx = np.array([0.0, math.copysign(SHEAR_TRIAL_MM, r[1])])  # distal drags the skin back
        dd_max = max(getattr(self, "_dd", o.initial_step_mm), o.initial_step_mm)
        stiffness = self._stiffness  # the moves' secants mix the two directions: not kept
        for _ in range(SHEAR_MAX_MOVES):
            # a state at the intermediate tolerance counts within half the tolerance: its
            # re-solve to the full one moves the forces by up to about the other half
            if max(abs(r)) <= (0.5 * tol if self._loose else tol):
                if not (settle and (self._loose or self._stale)):
                    break
                self._equilibrate(F_target)  # on target: the final state, settled
                r = residual()
                continue
            self._check_budget(F_target)
            if J[1, 1] != 0.0:  # after the trial: a Broyden step, capped
                try:
                    dx = np.linalg.solve(J, -r)
                except np.linalg.LinAlgError:
                    dx = np.array([0.0, -r[1] / J[1, 1]])
                dx *= min(1.0, SHEAR_MAX_STEP_MM / max(abs(dx[1]), 1e-12))
                dx *= min(1.0, dd_max / max(abs(dx[0]), 1e-12))
            d0, s0 = self.d, self.block.s
            self.block.set(self.w_touch - d0, s=s0 + dx[1])
            self.prev = None
            if not self._attempt(d0 + dx[0], phase, predictor=False, loose=True):
                self.block.set(self.w_touch - d0, s=s0)
                dx *= 0.5
                continue
            r_new = residual()
            dr = r_new - r
            if J[1, 1] == 0.0:  # the trial along x: the s column is its secant
                J[:, 1] = dr / dx[1]
            else:
                J += np.outer(dr - J @ dx, dx) / (dx @ dx)
            r = r_new
        else:
            self._fail(
                f"the horizontal ground force did not reach {shear_N:.1f} N (last "
                f"{r[1] + shear_N:.1f} N) in {SHEAR_MAX_MOVES} moves of the bones",
                F_target,
            )
        # the force-travel curve has changed with the offset: the force control that follows
        # starts afresh from the loading's last slope (``_stiffness``)
        self.history, self.prev, self._stiffness = [(self.d, self.F)], None, stiffness
