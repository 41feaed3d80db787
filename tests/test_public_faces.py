"""Each subpackage's public face (``footsim._lazy.attach``) names objects, never a submodule.

A public name equal to a submodule's name means two things under one attribute: the lazy face
gives the object until the submodule is imported (by anyone), after which Python's import
system sets the package attribute to the submodule, so ``footsim.mesh.quality`` would be a
function or a module depending on what ran before.
"""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

SUBPACKAGES = ("model", "mesh", "physics", "solve", "post", "run", "validate", "optimise", "studio")


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_no_public_name_is_also_a_submodule(name):
    package = importlib.import_module(f"footsim.{name}")
    submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    assert not set(package.__all__) & submodules
    for public in package.__all__:  # every name resolves, and to the object, not a module
        assert not isinstance(getattr(package, public), types.ModuleType), public


def test_mesh_quality_and_html_report_are_functions_of_their_modules():
    import footsim.mesh.quality
    import footsim.post.report
    from footsim.mesh import mesh_quality
    from footsim.post import html_report

    assert mesh_quality is footsim.mesh.quality.mesh_quality
    assert html_report is footsim.post.report.html_report
    assert isinstance(importlib.import_module("footsim.mesh").quality, types.ModuleType)
