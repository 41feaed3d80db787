"""The study file: what to vary, what to minimise, what must hold.

::

    name = "pad-placement"
    base = "../scenarios/pad-5mm-proximal.toml"   # relative to the study file
    sampler = "tpe"                               # tpe, gp or nsga2 (Pareto front)
    seed = 1
    [set]                                         # fixed overrides of the base scenario
    "mesh.size_mm" = 7.0
    [variables]                                   # dotted scenario keys
    "footwear.pad.apex_proximal_to_mth_mm" = { low = -5.0, high = 20.0 }
    "footwear.pad.height_mm" = { low = 3.0, high = 8.0, step = 0.5 }
    "footwear.pad.shape" = { choices = ["dome", "teardrop"] }
    [objective]                                   # minimised
    kind = "sensor_peak"                          # or "region_figure", "figure"
    regions = ["MTH2", "MTH3", "MTH4"]
    aggregate = "max"                             # or "sum"
    device = "platform"
    [constraints]
    pad_peak_kPa = 200.0                          # pressure under the pad, sensor peak
    head_share_max = { MTH1 = 0.4 }               # a head's share of the forefoot force

Every key is checked against the scenario schema before anything runs, and a design that
cannot be built (a pad outside the insole, say) is a failed trial with its reason, not a
crash of the study.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from footsim.model.keys import check_keys
from footsim.model.scenarios import Scenario, from_dict, read_raw
from footsim.model.schema import check_name
from footsim.model.tomlfiles import read_toml, set_dotted
from footsim.post.results import REGION_COLUMNS, REGIONS


class StudyError(ValueError):
    """A study file that cannot be used (named key, value and allowed range)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class FloatRange(_Strict):
    """A real design variable in ``[low, high]`` (``step``: a grid; ``log``: log-uniform)."""

    low: float
    high: float
    step: float | None = Field(None, gt=0.0)
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> FloatRange:
        if not self.low < self.high:
            raise ValueError(f"low = {self.low} must be below high = {self.high}")
        return self


class Choices(_Strict):
    """A categorical design variable: one of ``choices`` (e.g. a shape or a material)."""

    choices: list[Any] = Field(min_length=2)


class Phase(_Strict):
    """One posture of a step for the pressure-time objective: the design with ``set`` (dotted
    scenario keys, e.g. the push-off load case and its tissue law) written over it, its peaks
    held for ``seconds`` (s).

    No default duration: the study file says how long each posture lasts and why. The shipped
    ``studies/pad-pressure-time.toml`` takes foot flat (mid-stance, 10-30 % of the gait
    cycle) as the standing posture and heel rise to toe-off (30-60 %) as push-off (Perry &
    Burnfield 2010, *Gait Analysis*, 2nd ed., ch. 2), of a 1.06 s cycle (113 steps/min)."""

    seconds: float = Field(gt=0.0, le=10.0)
    set: dict[str, Any] = Field(default_factory=dict)

    @field_validator("set")
    @classmethod
    def _scenario_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_keys(value)


class Objective(_Strict):
    """What is minimised (kPa, kPa s, or the figure's unit).

    ``sensor_peak``: the peak pressure of ``regions`` on ``device``'s sensors (``platform``
    5 mm, ``insole`` 14 mm), combined by ``aggregate``; ``region_figure``: a column of the
    regional table (``column``, e.g. ``peak_von_mises_kPa``, the fat pad's stress) over
    ``regions``; ``figure``: one figure of the run's summary (``figure``);
    ``pressure_time``: each region's sensor peak in every posture of ``phases`` times the
    posture's duration, summed over the postures (kPa s), then combined by ``aggregate``
    over ``regions`` - a proxy of the pressure-time integral of a step (each posture's peak
    held over its phase), for ranking designs, not for comparing with a measured integral."""

    kind: Literal["sensor_peak", "region_figure", "figure", "pressure_time"] = "sensor_peak"
    regions: list[str] = Field(default_factory=lambda: ["MTH2", "MTH3", "MTH4"], min_length=1)
    aggregate: Literal["max", "sum"] = "max"
    device: Literal["platform", "insole"] = "platform"
    column: str = "peak_kPa"
    figure: str | None = None
    phases: dict[str, Phase] = Field(default_factory=dict)

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: list[str]) -> list[str]:
        for r in value:
            if r not in REGIONS:
                raise ValueError(f"region {r!r} is not one of {', '.join(REGIONS)}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Objective:
        if self.kind == "figure" and not self.figure:
            raise ValueError('kind = "figure" needs figure = NAME (a figure of summary.json)')
        if self.kind == "region_figure" and self.column not in REGION_COLUMNS:
            raise ValueError(f"column = {self.column!r} is not one of {', '.join(REGION_COLUMNS)}")
        if (self.kind == "pressure_time") != bool(self.phases):
            raise ValueError(
                'kind = "pressure_time" needs [objective.phases] (a posture and its seconds '
                "each), and phases are only for that kind"
            )
        for name in self.phases:
            check_name(name)
        return self

    @property
    def unit(self) -> str:
        return "kPa s" if self.kind == "pressure_time" else "kPa"

    def describe(self) -> str:
        if self.kind == "figure":
            return f"figure {self.figure}"
        if self.kind == "pressure_time":
            postures = ", ".join(f"{k} {p.seconds:g} s" for k, p in self.phases.items())
            return (
                f"{self.aggregate} over {', '.join(self.regions)} of the sensor peak times "
                f"its posture's duration, summed over {postures} ({self.device} sensors, kPa s)"
            )
        what = "sensor peak" if self.kind == "sensor_peak" else self.column
        where = f" ({self.device} sensors)" if self.kind == "sensor_peak" else ""
        return f"{self.aggregate} of the {what} over {', '.join(self.regions)}{where}"


class Constraints(_Strict):
    """Limits a design must respect (none by default): ``pad_peak_kPa``, the sensor peak
    under the pad (a tissue-tolerance limit of the user's choosing); ``head_share_max``, the
    largest share (0-1) of the forefoot force a head may take (e.g. keep MTH1 and MTH5 from
    taking the load the pad moves)."""

    pad_peak_kPa: float | None = Field(None, gt=0.0)  # with phases: the largest over them
    head_share_max: dict[str, float] = Field(default_factory=dict)

    @field_validator("head_share_max")
    @classmethod
    def _heads(cls, value: dict[str, float]) -> dict[str, float]:
        for head, share in value.items():
            if head not in REGIONS[:5]:
                raise ValueError(f"head {head!r} is not one of {', '.join(REGIONS[:5])}")
            if not 0.0 < share <= 1.0:
                raise ValueError(f"head_share_max.{head} = {share} is outside (0, 1]")
        return value


class StudySpec(_Strict):
    """The schema of a study file."""

    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    base: str = Field(description="scenario file, relative to the study file")
    sampler: Literal["tpe", "gp", "nsga2"] = "tpe"
    seed: int | None = 1
    set: dict[str, Any] = Field(default_factory=dict)
    variables: dict[str, FloatRange | Choices] = Field(min_length=1)
    objective: Objective = Field(default_factory=Objective)
    constraints: Constraints = Field(default_factory=Constraints)
    compare_without_pad: bool = Field(
        True, description="also run the base without its pad: what the best pad gains"
    )

    @field_validator("name")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("variables", "set")
    @classmethod
    def _scenario_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_keys(value)

    @model_validator(mode="after")
    def _phases_do_not_set_variables(self) -> StudySpec:
        for name, phase in self.objective.phases.items():
            both = sorted(set(phase.set) & set(self.variables))
            if both:
                raise ValueError(
                    f"objective.phases.{name}.set sets the design variable {both[0]!r}: a "
                    "posture may change the load, not the design"
                )
        return self

    @property
    def multi_objective(self) -> bool:
        """NSGA-II: the objective and the pressure under the pad, both minimised."""
        return self.sampler == "nsga2"


class Study:
    """A loaded study: its spec, the base scenario's data and the folder it was read from."""

    def __init__(self, spec: StudySpec, base: dict[str, Any], path: Path):
        self.spec, self.base, self.path = spec, base, path

    def scenario(
        self, params: dict[str, Any], index: int | None = None, phase: str | None = None
    ) -> Scenario:
        """The scenario of one design (``params``: dotted key -> value), in the posture
        ``phase`` of a pressure-time objective if given; refused like any scenario
        (:class:`~footsim.model.scenarios.ScenarioError`) if it cannot be built."""
        import copy

        data = copy.deepcopy(self.base)
        posture = self.spec.objective.phases[phase].set if phase else {}
        for key, value in {**self.spec.set, **params, **posture}.items():
            set_dotted(data, key, value)
        data["name"] = self.spec.name if index is None else f"{self.spec.name}-{index:04d}"
        if phase:
            data["name"] += f"-{phase}"
        return from_dict(data, source=f"{self.path.name} design {params}")

    def scenarios(self, params: dict[str, Any]) -> dict[str | None, Scenario]:
        """The runs one design needs: one per posture of a pressure-time objective, keyed by
        the posture's name, or the design alone (key None)."""
        phases = self.spec.objective.phases
        if not phases:
            return {None: self.scenario(params)}
        return {name: self.scenario(params, phase=name) for name in phases}


NO_PAD = {"footwear.pad": False}
"""The design of the comparison run: the base without its metatarsal pad."""


def has_baseline(study: Study) -> bool:
    """Whether the study compares its designs with the base without its pad."""
    return study.spec.compare_without_pad and "pad" in study.base.get("footwear", {})


def load_study(path: str | Path) -> Study:
    """Read and check a study file and its base scenario (nothing runs)."""
    path = Path(path)
    raw = read_toml(path, StudyError)
    try:
        spec = StudySpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise StudyError(f"{path.name}: {where}: {first['msg']}") from exc
    base = read_raw(path.parent / spec.base)
    study = Study(spec, base, path)
    study.scenarios({})  # the base with the study's fixed overrides (and postures) must be valid
    return study
