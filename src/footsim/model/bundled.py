"""The scenarios shipped with footsim (the repository's ``scenarios/``), as package data."""

from __future__ import annotations

from importlib import resources
from typing import Any

from footsim.model.scenarios import Scenario, ScenarioError, load, suggest


def shipped_names() -> list[str]:
    """The names of the scenarios shipped with footsim (the repository's ``scenarios/``)."""
    folder = resources.files("footsim") / "data" / "scenarios"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def shipped(name: str, overrides: dict[str, Any] | None = None) -> Scenario:
    """A scenario shipped with footsim, by name (``"barefoot-push-off"``), with ``overrides``
    merged as in :func:`footsim.model.scenarios.load`; an unknown name is refused with the
    nearest shipped one."""
    names = shipped_names()
    if name not in names:
        raise ScenarioError(f"scenario {name!r} is not shipped with footsim{suggest(name, names)}")
    ref = resources.files("footsim") / "data" / "scenarios" / f"{name}.toml"
    with resources.as_file(ref) as path:
        return load(path, overrides)
