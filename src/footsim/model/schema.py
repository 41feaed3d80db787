"""Parameter models: frozen pydantic models that reject unknown keys, take every value at its
own type, and whose fields added in later releases do not change the hash of earlier
scenarios.

Strict types: a number is never read from a string (``body_mass_kg = "70"``) or a boolean
(``penalty_factor = true``), nor a boolean from a string (``fields = "yes"``); an integer is
taken where a float is expected (TOML ``70`` for ``70.0``), and a list where a tuple is (TOML has
no tuples). NaN and infinities are refused everywhere (``allow_inf_nan=False``): a bound such as
``le=250`` cannot be trusted to catch them.

A field named in ``_added_fields`` is left out of ``model_dump`` while it holds its
default, so a scenario that does not use it dumps, and
hashes (:meth:`footsim.model.scenarios.Scenario.content_hash`, the mesh cache key), exactly as
before
the field existed: cached meshes and results stay valid.
"""

from __future__ import annotations

import types
import typing
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_serializer, model_validator

NAME_RULE = "no path separator ('/', '\\'), no '..', no leading '.', no control character"


def check_name(value: str) -> str:
    """``value`` if it can name a folder that stays inside its parent, else ``ValueError``.

    Scenario and sweep names become folder names (``<results>/<name>-<hash>``,
    ``<results>/<sweep name>/``): a separator or ``..`` would put them elsewhere, a leading
    dot would hide them among the staging folders."""
    bad = (
        "/" in value
        or "\\" in value
        or ".." in value
        or value.startswith(".")
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    )
    if bad:
        raise ValueError(f"name {value!r} cannot name a folder (allowed: {NAME_RULE})")
    return value


def _is_tuple(annotation: Any) -> bool:
    """True for ``tuple[...]`` and ``tuple[...] | None``."""
    if typing.get_origin(annotation) is tuple:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(typing.get_origin(a) is tuple for a in typing.get_args(annotation))
    return False


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    _added_fields: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _lists_as_tuples(cls, data: Any) -> Any:
        """TOML arrays arrive as lists: take them for tuple fields (their items stay strict)."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, field in cls.model_fields.items():
            if isinstance(out.get(name), list) and _is_tuple(field.annotation):
                out[name] = tuple(out[name])
        return out

    @model_serializer(mode="wrap")
    def _omit_added_defaults(self, handler):
        data = handler(self)
        for name in self._added_fields:
            default = type(self).model_fields[name].get_default(call_default_factory=True)
            if name in data and getattr(self, name) == default:
                data.pop(name)
        return data
