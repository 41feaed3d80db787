"""Running scenarios: the scenario turned into solver inputs once, one run end to end into its
result folder, and sweeps of many runs (parallel, resumable)."""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "inputs": ["load_case", "solver_options", "volume_materials", "footwear_materials"],
        "pipeline": ["RunOutcome", "mesh_dir", "run", "run_folder"],
        "sweeps": ["expand", "run_sweep"],
        "batch": ["Variant", "run_variants"],
    },
)
