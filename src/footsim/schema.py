"""Parameter models: frozen pydantic models that reject unknown keys, and whose fields added
in later releases do not change the hash of earlier scenarios.

A field listed in ``_added_defaults`` (name -> default, as dumped) is left out of
``model_dump`` while it holds that default, so a scenario that does not use it dumps, and
hashes (:meth:`footsim.scenarios.Scenario.content_hash`, the mesh cache key), exactly as before
the field existed: cached meshes and results stay valid.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_serializer


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    _added_defaults: ClassVar[dict[str, Any]] = {}

    @model_serializer(mode="wrap")
    def _omit_added_defaults(self, handler):
        data = handler(self)
        for name, default in self._added_defaults.items():
            if name in data and _same(data[name], default):
                data.pop(name)
        return data


def _same(value: Any, default: Any) -> bool:
    """Equal, with tuples and lists (a JSON dump) compared item by item."""
    if isinstance(value, list | tuple) and isinstance(default, list | tuple):
        return list(value) == list(default)
    return value == default
