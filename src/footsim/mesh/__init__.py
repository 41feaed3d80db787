"""The forefoot and its footwear as one tagged tetrahedral mesh (gmsh OCC kernel; mm).

:func:`build_mesh` meshes (cached by parameter hash), :func:`load_dolfinx` reads a mesh folder
for the solver, :mod:`~footsim.mesh.tags` names every volume and surface.
"""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "geometry": [
            "PRESETS",
            "ForefootMesh",
            "GeometryError",
            "build_mesh",
            "params_dict",
            "params_hash",
            "sizes",
            "to_dolfinx",
        ],
        "io": ["load_dolfinx"],
        "cavities": ["remove_bones"],
        "session": ["initialize_gmsh"],
        "quality": [
            "QUALITY_FLOOR",
            "cad_volumes",
            "mesh_quality",
            "quality_report",
            "quicklook_png",
        ],
        "tags": ["Surface", "Volume"],
    },
)
