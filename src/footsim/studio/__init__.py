"""footsim studio: the browser app for designing a metatarsal pad on a foot (``footsim
studio``). Pick a foot, put an insole and a pad under it (drag the pad on the plantar
outline), run, see where the pressure went, move the pad and compare.

It needs the ``studio`` extra (trame, trame-vuetify, trame-vtk). Every run it makes is an
ordinary run folder (:mod:`footsim.run.pipeline`); the form is checked by the scenario schema
(:mod:`footsim.studio.design`).
"""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "app": ["Studio", "serve"],
        "design": ["CONTROLS", "Control", "check", "design_data", "values_of"],
        "jobs": ["Job", "Queue"],
        "outline": ["Frame", "svg"],
        "pictures": ["VIEWS", "list_runs"],
        "studies": ["StudyRun", "write_study"],
    },
)
