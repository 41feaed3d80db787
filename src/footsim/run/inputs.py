"""A scenario turned into the solver's inputs, once: the load case, the solver options and the
material of every volume (tag -> registry name). Units: N, deg, mm."""

from __future__ import annotations

from typing import Any

from footsim.model import loads
from footsim.model.footwear import forefoot_load_share
from footsim.model.loads import LoadCase
from footsim.model.scenarios import Scenario


def load_case(scenario: Scenario) -> LoadCase:
    """The :class:`~footsim.model.loads.LoadCase` of a scenario (force in N, heel rise in deg):
    the case's preset for the body mass (the standing forefoot share follows the heel height,
    :func:`~footsim.model.footwear.forefoot_load_share`), with the scenario's heel rise and
    explicit force where it gives them."""
    spec = scenario.load
    if spec.case == "standing":
        share = forefoot_load_share(scenario.footwear.heel_height_mm)
        case = loads.standing(spec.body_mass_kg, share, heel_rise_deg=spec.heel_rise_deg or 0.0)
    elif spec.heel_rise_deg is None:
        case = loads.push_off(spec.body_mass_kg)
    else:
        case = loads.push_off(spec.body_mass_kg, heel_rise_deg=spec.heel_rise_deg)
    if spec.force_N is not None:
        text = f"explicit force {spec.force_N:g} N, heel rise {case.heel_rise_deg:g} deg"
        shear = case.shear_N * spec.force_N / case.force_N
        case = loads.LoadCase(case.name, spec.force_N, case.heel_rise_deg, text, shear)
    return case


#: A run's force tolerance: the reaction within 0.2 % of the target force, five times inside
#: the 0.5 % equilibrium check every result passes (:data:`footsim.run.pipeline.
#: EQUILIBRIUM_RTOL`) and stricter than the library's 0.5 % for verification problems.
RUN_FORCE_RTOL = 0.002

#: Newton iterations a run allows per load step before the step is given up and retried
#: with a smaller travel increment (:class:`~footsim.solve.stepping.LoadStepper`).
RUN_MAX_NEWTON_ITERATIONS = 15


def solver_options(scenario: Scenario, petsc_options: dict[str, Any] | None = None):
    """The :class:`~footsim.solve.options.SolverOptions` a run of ``scenario`` uses: the force
    reached within :data:`RUN_FORCE_RTOL`, at most :data:`RUN_MAX_NEWTON_ITERATIONS` Newton
    iterations per step, the scenario's ``[solver]`` table, and extra PETSc options (e.g.
    ``{"mat_mumps_icntl_14": 40}``, MUMPS workspace
    relaxation in %, for a mesh whose factorisation would not fit with the default 200)."""
    from footsim.solve.options import SolverOptions

    return SolverOptions(
        force_rtol=RUN_FORCE_RTOL,
        max_newton_iterations=RUN_MAX_NEWTON_ITERATIONS,
        **scenario.solver.model_dump(),
        petsc_options=dict(petsc_options or {}),
    )


def footwear_materials(footwear) -> dict[int, str]:
    """Material names of the insole and pad volumes named by the footwear (tag -> name)."""
    from footsim.mesh import tags

    out: dict[int, str] = {}
    if footwear.insole is not None:
        out[int(tags.Volume.INSOLE)] = footwear.insole.material
    if footwear.pad is not None:
        out[int(tags.Volume.PAD)] = footwear.pad.material
    return out


def volume_materials(overrides: dict[str, str]) -> dict[int, str]:
    """Material name per volume tag from a scenario's ``[materials]`` table: group names
    (``ALL_BONES``, ``PLATES``, ... :data:`footsim.mesh.tags.GROUPS`) first, single volumes over
    them."""
    from footsim.mesh import tags

    out: dict[int, str] = {}
    for single in (False, True):
        for name, material in overrides.items():
            if (name.upper() not in tags.GROUPS) == single:
                out.update({int(v): material for v in tags.volumes_named(name)})
    return out
