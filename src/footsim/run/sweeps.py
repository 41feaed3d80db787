"""Sweeps: many variants of one scenario, run in parallel, resumable, one table.

A sweep file (TOML) names a base scenario and the parameters to vary::

    name = "pad-position"
    base = "../scenarios/pad-5mm-proximal.toml"   # relative to the sweep file
    mode = "product"                               # or "zip"
    [parameters]
    "footwear.pad.apex_proximal_to_mth_mm" = { start = -5.0, stop = 15.0, step = 5.0 }
    "footwear.pad.height_mm" = [4.0, 6.0]
    [set]                                          # fixed overrides for every variant
    "mesh.preset" = "coarse"

Values are lists, ``{start, stop, step}`` ranges (stop included) or ``{values = [...]}``.
``product`` runs the cartesian product, ``zip`` pairs the lists element by element.

Results go to ``<results>/<sweep name>/``: ``runs/<name>-<hash>/`` per run and
``table.csv`` / ``table.parquet`` with one row per variant, run, cached and resumed by
:func:`footsim.run.batch.run_variants` (parallel, never losing a finished run). A sweep whose
every variant is invalid, or that varies a key no scenario has, is refused before anything
runs (:class:`SweepError`).
"""

from __future__ import annotations

import copy
import itertools
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from footsim.model.keys import check_keys
from footsim.model.scenarios import ScenarioError, from_dict, read_raw, suggest
from footsim.model.schema import check_name
from footsim.model.tomlfiles import read_toml, set_dotted
from footsim.run.batch import Runner, Variant, outcome_text, run_variants, write_table

__all__ = [
    "SweepError",
    "SweepSpec",
    "Variant",
    "expand",
    "load_spec",
    "outcome_text",
    "run_sweep",
    "run_variants",
    "write_table",
]


class SweepError(ValueError):
    """A sweep file that cannot be used (named key, value and allowed form)."""


class RangeSpec(BaseModel):
    """``{start, stop, step}``: start, start + step, ... up to and including stop."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    start: float
    stop: float
    step: float = Field(gt=0.0)

    def values(self) -> list[float]:
        n = math.floor((self.stop - self.start) / self.step + 1e-9)
        if n < 0:
            raise ValueError(f"range start {self.start} > stop {self.stop}")
        return [round(self.start + i * self.step, 10) for i in range(n + 1)]


class ValuesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    values: list[Any] = Field(min_length=1)


class SweepSpec(BaseModel):
    """The schema of a sweep file."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    base: str = Field(description="scenario file, relative to the sweep file")
    mode: Literal["product", "zip"] = "product"
    parameters: dict[str, list[Any] | RangeSpec | ValuesSpec] = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("parameters", "set")
    @classmethod
    def _scenario_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_keys(value)

    @model_validator(mode="after")
    def _zip_lengths(self) -> SweepSpec:
        if self.mode == "zip":
            lengths = {k: len(_values(v)) for k, v in self.parameters.items()}
            if len(set(lengths.values())) > 1:
                raise ValueError(f"mode = 'zip' needs lists of equal length, got {lengths}")
        return self

    def grid(self) -> list[dict[str, Any]]:
        keys = list(self.parameters)
        lists = [_values(self.parameters[k]) for k in keys]
        combos = zip(*lists, strict=True) if self.mode == "zip" else itertools.product(*lists)
        return [dict(zip(keys, c, strict=True)) for c in combos]


def _values(spec) -> list[Any]:
    if isinstance(spec, RangeSpec):
        return spec.values()
    if isinstance(spec, ValuesSpec):
        return list(spec.values)
    if not spec:
        raise ValueError("empty list of values")
    return list(spec)


def load_spec(path: str | Path) -> SweepSpec:
    path = Path(path)
    data = read_toml(path, SweepError, "sweep")
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise SweepError(f"{path.name}: {_sweep_errors(exc)}") from exc


def _sweep_errors(exc: ValidationError) -> str:
    out = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            hint = suggest(str(err["loc"][-1]), list(SweepSpec.model_fields))
            out.append(f"{key}: unknown key{hint}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            out.append(f"{key} = {err.get('input')!r}: {msg}")
    return "; ".join(out)


def expand(path: str | Path) -> tuple[SweepSpec, list[Variant]]:
    """The sweep's variants, each validated as a scenario (invalid ones carry their error).

    Raises :class:`SweepError` when no variant is valid: the sweep would run nothing."""
    path = Path(path)
    spec = load_spec(path)
    base = read_raw(path.parent / spec.base)
    variants = []
    for i, params in enumerate(spec.grid()):
        data = copy.deepcopy(base)
        for key, value in {**spec.set, **params}.items():
            set_dotted(data, key, value)
        data["name"] = f"{spec.name}-{i:03d}"
        varied = ", ".join(f"{k.split('.')[-1]} = {v}" for k, v in params.items())
        # the base's description no longer holds for a variant: say what was changed
        data["description"] = f"{spec.description or data.get('description', '')} ({varied})"
        try:
            variants.append(Variant(i, params, from_dict(data, source=data["name"])))
        except ScenarioError as exc:
            variants.append(Variant(i, params, None, str(exc)))
    if variants and all(v.scenario is None for v in variants):
        raise SweepError(
            f"{path.name}: none of the {len(variants)} variants is a valid scenario; the first: "
            f"{variants[0].error}"
        )
    return spec, variants


def run_sweep(
    path: str | Path,
    results_root: str | Path = "results",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    runner: Runner | str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
):
    """Run (or resume) a sweep; returns its table as a pandas DataFrame (one row per variant).

    Stale staging folders of killed runs in the sweep's ``runs/`` are removed first
    (:func:`footsim.folders.clean_stale`)."""
    spec, variants = expand(path)
    return run_variants(
        spec.name,
        variants,
        Path(results_root) / spec.name,
        workers=workers,
        scheduler=scheduler,
        runner=runner,
        retry_failed=retry_failed,
        progress=progress,
    )
