"""The studio's design form: the scenario keys a designer changes, each a :class:`Control` whose
limits are the schema's own (:func:`footsim.model.keys.constraints`), and the form's values
turned into a :class:`~footsim.model.scenarios.Scenario` the same way a TOML file is, with every
error placed next to the field it names.

A design is a *base* (a scenario's resolved data: a shipped scenario, or a run the designer
reopens) with the form's values written over it; every other key of the base is kept. The form
holds plain values (state names are the dotted keys with ``__`` for ``.``), so that the browser,
the tests and a script all speak the same dictionary. Units: mm, kg, as in the schema.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from footsim.model import keys
from footsim.model.footwear import INSOLE_MATERIALS, MetatarsalPad, apply_heel
from footsim.model.scenarios import Scenario
from footsim.model.tomlfiles import deep_merge, drop_false_tables
from footsim.validate.suite import MESHES

START_SCENARIO = "pad-5mm-proximal"
"""The shipped scenario a new design starts from: quiet standing on a 6 mm EVA insole with a
5 mm dome pad, apex 5 mm proximal to MTH2-3 (:mod:`footsim.model.bundled`), on the teaching
mesh (:data:`START_MESH`)."""

START_MESH = "teaching"
"""The mesh a new design runs on: 7 mm under the heads, about a minute per standing run with
an insole and a pad (:data:`footsim.validate.suite.MESHES`)."""

PAD_KEYS = ("footwear.pad.apex_proximal_to_mth_mm", "footwear.pad.apex_y_mm")
"""The keys that place the pad: distance of its apex proximal to the MTH2-3 midpoint and its
absolute y (mm). Dragging the pad on the outline sets both."""


@dataclass(frozen=True)
class Control:
    """One field of the form: the scenario key it sets, how it is shown, its limits.

    ``key`` is dotted, with the item index last for a tuple (``anatomy.tissue_thickness_mm.1``:
    under MTH2). ``kind`` is ``slider`` (a number between the schema's bounds), ``select``
    (one of ``choices``), ``switch`` (a table present or not) or ``text``."""

    group: str
    key: str
    label: str
    kind: str = "slider"
    unit: str = ""
    step: float = 0.5
    choices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The form's (and the browser state's) name for this field."""
        return self.key.replace(".", "__")

    @property
    def limits(self) -> tuple[float, float]:
        """(low, high) of a slider: the schema's ``ge``/``gt`` and ``le``/``lt`` bounds."""
        bounds = keys.constraints(self.key.split("."))
        return (
            float(bounds.get("ge", bounds.get("gt", 0.0))),
            float(bounds.get("le", bounds.get("lt", 0.0))),
        )


def _materials() -> tuple[str, ...]:
    from footsim.physics.materials.library import MATERIALS

    return tuple(sorted(MATERIALS))


HEADS = ("MTH1", "MTH2", "MTH3", "MTH4", "MTH5")

CONTROLS: tuple[Control, ...] = (
    Control("design", "name", "Design name", "text"),
    Control("foot", "load.body_mass_kg", "Body mass", unit="kg", step=1.0),
    Control("foot", "anatomy.mt2_extra_length_mm", "Second metatarsal longer by", unit="mm"),
    *(
        Control("foot", f"anatomy.tissue_thickness_mm.{i}", f"Fat pad under {h}", unit="mm")
        for i, h in enumerate(HEADS)
    ),
    Control("foot", "footwear.heel_height_mm", "Heel height", unit="mm", step=5.0),
    Control("footwear", "footwear.insole", "Insole", "switch"),
    Control(
        "footwear",
        "footwear.insole.material",
        "Insole material",
        "select",
        choices=INSOLE_MATERIALS,
    ),
    Control("footwear", "footwear.insole.thickness_mm", "Insole thickness", unit="mm"),
    Control("footwear", "footwear.pad", "Metatarsal pad", "switch"),
    Control("footwear", "footwear.pad.shape", "Pad shape", "select", choices=("dome", "teardrop")),
    Control("footwear", "footwear.pad.height_mm", "Pad height", unit="mm"),
    Control("footwear", "footwear.pad.length_mm", "Pad length", unit="mm", step=1.0),
    Control("footwear", "footwear.pad.width_mm", "Pad width", unit="mm", step=1.0),
    Control("footwear", PAD_KEYS[0], "Apex proximal to MTH2-3", unit="mm"),
    Control("footwear", PAD_KEYS[1], "Apex across (y)", unit="mm"),
    Control("footwear", "footwear.pad.material", "Pad material", "select", choices=_materials()),
    Control("load", "load.case", "Load case", "select", choices=("standing", "push_off")),
    Control("load", "load_path.bones", "Bones", "select", choices=("elastic", "rigid")),
    Control("mesh", "mesh", "Mesh", "select", choices=tuple(MESHES)),
)
"""Every field of the form, in the order the panels show them."""

BY_NAME = {c.name: c for c in CONTROLS}


def start_base() -> dict[str, Any]:
    """The resolved data of the scenario a new design starts from (:data:`START_SCENARIO` on
    :data:`START_MESH`)."""
    from footsim.model.bundled import shipped

    scenario = shipped(START_SCENARIO, MESHES[START_MESH])
    return base_of(scenario.model_copy(update={"name": "studio"}))


def base_of(scenario: Scenario) -> dict[str, Any]:
    """A scenario's resolved data, as a design's base (what its ``scenario.toml`` holds)."""
    return scenario.model_dump(mode="json", exclude_none=True)


def _mesh_name(data: dict[str, Any]) -> str:
    mesh = {k: v for k, v in data.get("mesh", {}).items() if k in ("preset", "size_mm")}
    for name, table in MESHES.items():
        if mesh == table["mesh"]:
            return name
    return mesh.get("preset", "coarse")


def values_of(scenario: Scenario) -> dict[str, Any]:
    """The form's values that show ``scenario`` (every control, absent tables at their
    defaults so that switching one on starts from sensible values)."""
    from footsim.model.footwear import Insole

    fw = scenario.footwear
    insole = fw.insole or Insole()
    pad = fw.pad or MetatarsalPad()
    anatomy = apply_heel(scenario.anatomy, fw)
    mid = 0.5 * (anatomy.head_centres()[1] + anatomy.head_centres()[2])
    apex_x, apex_y = pad.apex_xy(anatomy)
    out = {
        "name": scenario.name,
        "load__body_mass_kg": scenario.load.body_mass_kg,
        "anatomy__mt2_extra_length_mm": scenario.anatomy.mt2_extra_length_mm,
        "footwear__heel_height_mm": fw.heel_height_mm,
        "footwear__insole": fw.insole is not None,
        "footwear__insole__material": insole.material,
        "footwear__insole__thickness_mm": insole.thickness_mm,
        "footwear__pad": fw.pad is not None,
        "footwear__pad__shape": pad.shape,
        "footwear__pad__height_mm": pad.height_mm,
        "footwear__pad__length_mm": pad.length_mm,
        "footwear__pad__width_mm": pad.width_mm,
        "footwear__pad__apex_proximal_to_mth_mm": round(float(mid[0] - apex_x), 2),
        "footwear__pad__apex_y_mm": round(float(apex_y), 2),
        "footwear__pad__material": pad.material,
        "load__case": scenario.load.case,
        "load_path__bones": scenario.load_path.bones,
        "mesh": _mesh_name(scenario.model_dump(mode="json", exclude_none=True)),
    }
    for i, t in enumerate(scenario.anatomy.tissue_thickness_mm):
        out[f"anatomy__tissue_thickness_mm__{i}"] = t
    return out


def design_data(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The scenario data of a design: ``base`` with the form's ``values`` written over it.

    A switched-off insole or pad is ``false`` (the table removed, as in a TOML file); the pad's
    apex y is left to its default (between MTH2 and MTH3) while the form shows that default, so
    a design that matches a shipped scenario has its hash, and reuses its cached run."""
    data = copy.deepcopy(base)
    data.pop("base", None)
    tuples: dict[str, dict[int, Any]] = {}
    for name, value in values.items():
        control = BY_NAME.get(name)
        if control is None or control.kind == "switch" or control.key == "mesh":
            continue
        *table, last = control.key.split(".")
        if last.isdigit():
            tuples.setdefault(".".join(table), {})[int(last)] = value
            continue
        _set(data, control.key, value)
    for key, items in tuples.items():
        current = list(_get(data, key) or Scenario().anatomy.tissue_thickness_mm)
        for i, v in items.items():
            current[i] = v
        _set(data, key, current)
    data = deep_merge(data, MESHES.get(values.get("mesh", ""), {}))
    if values.get("mesh") in MESHES and "size_mm" not in MESHES[values["mesh"]]["mesh"]:
        data["mesh"].pop("size_mm", None)
    fw = data.setdefault("footwear", {})
    pad = fw.get("pad")
    if isinstance(pad, dict):
        pad.pop("apex_x_mm", None)  # the form places the apex relative to MTH2-3
        if values.get("footwear__pad__apex_y_mm") is not None and _y_is_default(data):
            pad.pop("apex_y_mm", None)
    if not values.get("footwear__insole", True):
        fw["insole"] = False
        fw["pad"] = False
    elif not values.get("footwear__pad", True):
        fw["pad"] = False
    return data


def _y_is_default(data: dict[str, Any]) -> bool:
    """Whether the pad's apex y in ``data`` is (within 0.05 mm) its default, between MTH2 and
    MTH3 of the design's own anatomy."""
    try:
        probe = copy.deepcopy(data)
        y = probe["footwear"]["pad"].pop("apex_y_mm")
        scenario = Scenario.model_validate(drop_false_tables(probe))
    except (ValidationError, KeyError, TypeError):
        return False
    anatomy = apply_heel(scenario.anatomy, scenario.footwear)
    return abs(scenario.footwear.pad.apex_xy(anatomy)[1] - float(y)) <= 0.05


def _get(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *tables, last = dotted.split(".")
    for part in tables:
        if not isinstance(data.get(part), dict):
            data[part] = {}
        data = data[part]
    data[last] = value


@dataclass(frozen=True)
class Checked:
    """A design checked like a scenario file: the scenario, or the errors by form field
    (``field_errors``) and those that name no single field (``errors``)."""

    scenario: Scenario | None
    field_errors: dict[str, str]
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.scenario is not None


def check(base: dict[str, Any], values: dict[str, Any]) -> Checked:
    """Validate the design ``values`` over ``base`` with the scenario schema: the same checks,
    and the same messages (key, value, allowed range), as ``footsim run`` on a file."""
    try:
        scenario = Scenario.model_validate(drop_false_tables(design_data(base, values)))
    except ValidationError as exc:
        fields: dict[str, str] = {}
        other: list[str] = []
        for key, line in keys.error_lines(exc):
            name = _field_of(key, line)
            if name is None:
                other.append(line)
            else:
                fields[name] = f"{fields[name]}; {line}" if name in fields else line
        return Checked(None, fields, tuple(other))
    return Checked(scenario, {}, ())


def _field_of(key: str, line: str) -> str | None:
    """The form field an error belongs to: its key's, or, for a check across tables, the
    field whose key the message starts with."""
    candidates = [key] if key else []
    candidates.append(line.split(" ", 1)[0].split("=", 1)[0].rstrip(":"))
    for candidate in candidates:
        parts = candidate.split(".")
        while parts:
            name = "__".join(parts)
            if name in BY_NAME and BY_NAME[name].kind != "switch":
                return name
            parts.pop()
    return None
