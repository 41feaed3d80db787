"""Parameters: the anatomy, the footwear, the load and the scenario that gathers them.

Nothing here meshes or solves: these are validated pydantic models (mm, N, kg, deg) and the
load presets with their sources. Data flows on to :mod:`footsim.mesh`.
"""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "anatomy": ["Anatomy", "AnatomyError", "RAYS"],
        "footwear": ["Footwear", "FootwearError", "Insole", "MetatarsalPad", "apply_heel"],
        "loads": ["LoadCase", "push_off", "standing"],
        "loadpath": ["LoadPathSpec"],
        "contact": ["ContactSpec"],
        "scenarios": ["Scenario", "ScenarioError", "load"],
        "bundled": ["shipped", "shipped_names"],
        "versions": ["MODEL_VERSION", "GEOMETRY_VERSION"],
    },
)
