"""Parameter models: frozen pydantic models that reject unknown keys, and whose fields added
in later releases do not change the hash of earlier scenarios.

A field named in ``_added_fields`` is left out of ``model_dump`` while it holds its
default, so a scenario that does not use it dumps, and
hashes (:meth:`footsim.model.scenarios.Scenario.content_hash`, the mesh cache key), exactly as
before
the field existed: cached meshes and results stay valid.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, model_serializer


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    _added_fields: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_added_defaults(self, handler):
        data = handler(self)
        for name in self._added_fields:
            default = type(self).model_fields[name].get_default(call_default_factory=True)
            if name in data and getattr(self, name) == default:
                data.pop(name)
        return data
