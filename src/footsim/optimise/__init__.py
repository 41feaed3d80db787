"""Optimisation studies: the metatarsal pad and insole that offload a given foot most.

A study file (:mod:`footsim.optimise.spec`) names a base scenario, the design variables and
their ranges, the objective and the constraints; :func:`~footsim.optimise.study.optimise`
runs it with Optuna (each trial an ordinary cached footsim run, the study in SQLite so that it
survives a kill and resumes) and :mod:`footsim.optimise.outputs` writes the best design as a
scenario, the table of trials, the pictures and a report page.
"""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "spec": ["StudyError", "StudySpec", "load_study"],
        "objectives": ["evaluate"],
        "study": ["optimise"],
        "outputs": ["write_outputs"],
    },
)
