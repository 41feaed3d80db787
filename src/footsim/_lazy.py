"""Lazy public faces for the subpackages (PEP 562), in the manner of SPEC 1 ``lazy_loader``.

A subpackage's ``__init__`` names what it offers and where each name lives; a name's module is
imported on first use, so ``import footsim.model`` stays light (no dolfinx, gmsh or PyVista)
and ``footsim --help`` or a refused scenario answers at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def attach(package: str, where: dict[str, list[str]]) -> tuple[Callable, Callable, list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``: ``where`` maps a submodule
    (relative to ``package``) to the public names it defines."""
    owner = {name: module for module, names in where.items() for name in names}
    names = sorted(owner)

    def __getattr__(name: str):
        if name in owner:
            return getattr(importlib.import_module(f"{package}.{owner[name]}"), name)
        if name in where:  # a submodule itself
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return names + sorted(where)

    return __getattr__, __dir__, names
