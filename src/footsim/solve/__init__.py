"""Solving: the options, Newton's method through PETSc SNES, load stepping to a target force,
and the forefoot contact solve that ties them together (units: mm, N, MPa)."""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "options": ["SolverOptions"],
        "newton": ["NonlinearSolver", "SolverError"],
        "stepping": ["LoadStepper"],
        "records": ["SolveRecord", "StepRecord"],
        "solution": ["Solution"],
        "forefoot": [
            "solve_contact",
            "solve_forefoot",
            "solve_load_case",
        ],
        "writing": ["write_solution"],
    },
)
