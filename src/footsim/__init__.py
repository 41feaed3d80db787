"""footsim: a finite-element simulator of the human forefoot.

Units everywhere: millimetres (mm), newtons (N), megapascals (MPa = N/mm^2).
Pressures and stresses are reported to users in kPa (1 MPa = 1000 kPa).

Data flows one way: parameters (:mod:`footsim.model`) -> mesh (:mod:`footsim.mesh`) ->
physics as forms (:mod:`footsim.physics`) -> solve (:mod:`footsim.solve`) -> results and
pictures (:mod:`footsim.post`); :mod:`footsim.run` runs scenarios and sweeps, and
:mod:`footsim.cli` is the ``footsim`` command.
"""

from importlib.metadata import PackageNotFoundError, version

try:  # The PyPI wheel `dolfinx-solver-real` must be imported before dolfinx/petsc4py.
    import dolfinx_solver  # noqa: F401
except ImportError:  # conda-forge's fenics-dolfinx (or no dolfinx at all) needs nothing
    pass

try:
    __version__ = version("footsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
