"""Where a key lives in the scenario schema: its field, its allowed range, the nearest valid
key to a misspelt one, and validation errors turned into lines that name the key, its value
and the allowed range (the one format every front end shows: the CLI, sweep and study files,
the studio's form)."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError


def _scenario() -> type[BaseModel]:
    from footsim.model.scenarios import Scenario  # the schema's root (imports this module)

    return Scenario


def format_errors(exc: ValidationError) -> str:
    """One line for all errors, ``key.path = value: message (allowed: range)`` each, separated
    by semicolons; an unknown key gets the nearest valid key at any level of the schema."""
    return "; ".join(line for _, line in error_lines(exc))


def error_lines(exc: ValidationError) -> list[tuple[str, str]]:
    """Each error of ``exc`` as (dotted key, line): the line ``key.path = value: message
    (allowed: range)``; the key is ``""`` for a check across tables (its message names the
    keys), the table's key for a check within one table."""
    lines: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc)
        if err["type"] == "extra_forbidden":
            lines.append((key, f"{key}: unknown key{suggest_key(loc)}"))
            continue
        value = err.get("input")
        msg = err["msg"].removeprefix("Value error, ")
        if not loc:  # a check across fields (a model validator): its message names them
            lines.append(("", msg))
            continue
        if isinstance(value, dict) and err["type"] == "value_error":  # a table's own check
            model = model_at(loc)
            named = model is not None and msg.split(" ", 1)[0].split("[")[0] in model.model_fields
            if named:
                msg = f"{key}.{msg}"
            lines.append((key, msg if msg.startswith(f"{key}.") else f"{key}: {msg}"))
            continue
        ctx = err.get("ctx") or {}
        bounds = field_bounds(loc) or ", ".join(
            f"{k} {v}" for k, v in ctx.items() if k in {"ge", "gt", "le", "lt"}
        )
        kind = {"float_type": "a number", "int_type": "an integer", "bool_type": "true or false"}
        allowed = ", ".join(x for x in (kind.get(err["type"], ""), bounds) if x)
        if err["type"] == "finite_number":
            allowed = ", ".join(x for x in ("a finite number", bounds) if x)
        extra = f" (allowed: {allowed})" if allowed and "allowed:" not in msg else ""
        lines.append((key, f"{key} = {value!r}: {msg}{extra}"))
    return lines


def constraints(loc: list[str]) -> dict[str, float]:
    """The bounds (``{"ge": 20.0, "le": 250.0}``) of the field, or tuple item (a digit as the
    last part: ``anatomy.tissue_thickness_mm.1``), at ``loc``, from its metadata; empty for an
    unknown key or an unbounded field."""
    field = field_at(loc[:-1] if loc[-1].isdigit() else loc)
    if field is None:
        return {}
    metadata = list(field.metadata)
    if loc[-1].isdigit():  # an item of a tuple field: its Annotated constraints
        args = [a for a in getattr(field.annotation, "__args__", ()) if a is not Ellipsis]
        item = args[min(int(loc[-1]), len(args) - 1)] if args else None
        metadata = list(getattr(item, "__metadata__", ()))
        metadata = [m for fi in metadata for m in getattr(fi, "metadata", [fi])]
    out = {}
    for m in metadata:
        for name in ("ge", "gt", "le", "lt"):
            if getattr(m, name, None) is not None:
                out[name] = getattr(m, name)
    return out


def field_bounds(loc: list[str]) -> str:
    """``ge 20.0, le 250.0`` for the field (or tuple item) at ``loc``, from its metadata."""
    return ", ".join(f"{name} {value}" for name, value in constraints(loc).items())


def field_at(loc: list[str]):
    model = model_at(loc[:-1])
    return getattr(model, "model_fields", {}).get(loc[-1]) if model else None


def submodel(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def model_at(loc: list[str]) -> type[BaseModel] | None:
    model: Any = _scenario()
    for part in loc:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        model = submodel(field.annotation)
        if model is None:
            return None
    return model


def key_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key of ``model`` as a path: tables and their keys, recursively."""
    out = []
    for name, field in model.model_fields.items():
        out.append((*prefix, name))
        sub = submodel(field.annotation)
        if sub is not None:
            out += key_paths(sub, (*prefix, name))
    return out


def _show(path: tuple[str, ...]) -> str:
    return f"[{'.'.join(path[:-1])}] {path[-1]}" if len(path) > 1 else f"{path[0]!r}"


def suggest_key(loc: list[str]) -> str:
    """`` (did you mean ...?)`` for the unknown key ``loc[-1]`` in the table ``loc[:-1]``: the
    nearest key of that table (``'mode'``), of a table below it written flat
    (``[footwear] insole_thicknes_mm`` -> ``[footwear.insole] thickness_mm``), or of the same
    name in another table (``[load] size_mm`` -> ``[mesh] size_mm``); empty if none is close."""
    word, parent = loc[-1], tuple(loc[:-1])
    model = model_at(list(parent)) if parent else _scenario()
    if model is None:
        return ""
    best, best_score = "", 0.0

    def ratio(text: str) -> float:
        return difflib.SequenceMatcher(None, word, text).ratio()

    for path in key_paths(_scenario()):
        if path[: len(parent)] == parent and len(path) == len(parent) + 1:
            candidates = [(ratio(path[-1]), 0.5, repr(path[-1]))]  # same table
        else:
            candidates = [(ratio(path[-1]), 0.85, _show(path))]  # same name, another table
            if path[: len(parent)] == parent:  # a table below, written flat
                candidates.append((ratio("_".join(path[len(parent) :])), 0.75, _show(path)))
        for score, cutoff, shown in candidates:
            if score >= cutoff and score > best_score:
                best, best_score = shown, score
    return f" (did you mean {best}?)" if best else ""


def key_error(dotted: str) -> str | None:
    """Why ``dotted`` (``"footwear.pad.height_mm"``) is not a key of a scenario, or None if it
    is; a key inside a free table (``materials.SOFT_TISSUE``) counts as a key."""
    parts = dotted.split(".")
    for i in range(len(parts)):
        model = model_at(parts[:i]) if i else _scenario()
        if model is None:
            field = field_at(parts[:i]) if i else None
            if field is not None and typing.get_origin(field.annotation) is dict:
                return None
            return f"{dotted}: {'.'.join(parts[:i])} is not a table"
        if parts[i] not in model.model_fields:
            return f"{dotted}: unknown key{suggest_key(parts[: i + 1])}"
    return None


def check_keys(overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` (dotted scenario key -> value) as they are, or a ValueError naming the
    first key a scenario does not have (for the sweep and study files' validators)."""
    for key in overrides:
        error = key_error(key)
        if error:
            raise ValueError(f"{error} of a scenario")
    return overrides
