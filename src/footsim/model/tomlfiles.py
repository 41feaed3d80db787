"""Scenario and sweep files as TOML: read (with a clear error naming the file), merge a file
over the one it extends, set a dotted key, and write resolved data back."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def drop_false_tables(data: dict[str, Any]) -> dict[str, Any]:
    """``pad = false`` in TOML means "no pad": turn such keys into None (pydantic default)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out[key] = drop_false_tables(value)
        elif value is False and key in {"pad", "insole"}:
            out[key] = None
        else:
            out[key] = value
    return out


def read_toml(path: Path, error: type[ValueError], what: str = "scenario"):
    """Parse a TOML file; a missing file or bad TOML raises ``error`` naming the file."""
    if not path.is_file():
        raise error(f"{what} file not found: {path}")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path.name}: not valid TOML: {exc}") from exc


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``data["a"]["b"]["c"] = value`` for ``key = "a.b.c"``, creating tables on the way."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def dumps_toml(data: dict[str, Any]) -> str:
    """Minimal TOML writer for scenario data (tables, scalars, flat lists)."""

    def scalar(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(scalar(x) for x in v) + "]"
        raise TypeError(f"cannot write {v!r} as TOML")

    def key(k: str) -> str:  # a bare key, or quoted (a dotted key of a study's variables)
        return (
            k
            if k and all(c.isascii() and (c.isalnum() or c in "_-") for c in k)
            else (json.dumps(k))
        )

    out: list[str] = []

    def table(prefix: str, d: dict[str, Any]) -> None:
        simple = {k: v for k, v in d.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in d.items() if isinstance(v, dict)}
        if prefix and (simple or not nested):
            out.append(f"\n[{prefix}]")
        for k, v in simple.items():
            out.append(f"{key(k)} = {scalar(v)}")
        for k, v in nested.items():
            table(f"{prefix}.{key(k)}" if prefix else key(k), v)

    table("", data)
    return "\n".join(out).strip() + "\n"
