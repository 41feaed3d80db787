"""Scenarios: one TOML file describes one simulation.

A scenario names the anatomy overrides, the footwear, the load case, the mesh
preset, material overrides and what to write. It is validated by a pydantic
schema before any meshing or solving starts: wrong types (strict: no number from a
string or a boolean, no NaN or infinity), unknown keys (with the nearest valid key
suggested, in any table), out-of-range values and every condition across keys (the
pad on the insole and under the foot, the mesh size within its preset's range, known
materials, a plantar cap that encloses the bones, a name that stays in its folder)
are errors on one line that name the key, its value and the allowed range.

A scenario may extend another with ``base = "other.toml"`` (path relative to the
file) and override a few keys; tables are merged key by key, a ``footwear.pad = false``
removes an inherited pad. ``footsim run`` without a file runs the embedded
default scenario (``footsim/data/default.toml``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from footsim.model.anatomy import Anatomy
from footsim.model.contact import ContactSpec
from footsim.model.footwear import Footwear
from footsim.model.keys import format_errors
from footsim.model.loadpath import LoadPathSpec
from footsim.model.schema import Frozen, check_name
from footsim.model.tomlfiles import deep_merge, drop_false_tables, dumps_toml, read_toml
from footsim.model.versions import (
    BODY_CONTACT_VERSION,
    GROUND_CONTACT_VERSION,
    MODEL_VERSION,
    MT2_LENGTH_VERSION,
    PAD_SHAPE_VERSION,
    RESULTS_EPOCH,
)

DEFAULT_SCENARIO = "default.toml"

SIZE_RANGE_MM: dict[str, tuple[float, float]] = {
    "coarse": (0.5, 8.0),
    "default": (0.5, 15.0),
    "fine": (0.5, 15.0),
}
"""Allowed element size under the heads (mm), ``[mesh] size_mm``, per preset (the size
elsewhere scales with it, :func:`footsim.mesh.geometry.sizes`). Defined once, here: the schema
and the mesher refuse the same values. The upper ends are the largest sizes that mesh the
default forefoot above the quality floor: the coarse preset (no curvature refinement) meshes
at 8 mm and falls below the floor at 10 mm (min SICN 0.042 < 0.05); the others mesh at 15 mm,
where an element spans a metatarsal head (radius 4-14 mm). The lower end is the mesher's."""

SESAMOID_SIZE_RANGE_MM = (0.3, 15.0)
"""Allowed element size in the fat under the sesamoids (mm), ``[mesh] sesamoid_size_mm``: two
small boxes only, so finer than :data:`SIZE_RANGE_MM` is affordable."""


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the key, value and allowed range."""


class LoadSpec(Frozen):
    """The load case: a preset of :mod:`footsim.model.loads` scaled by body mass."""

    case: Literal["standing", "push_off"] = Field(
        "push_off",
        description="standing: half body weight per foot times the forefoot share; push_off: "
        "forefoot carries ~1.1 body weight (see footsim.model.loads for the cited shares)",
    )
    body_mass_kg: float = Field(
        70.0, ge=20.0, le=250.0, description="body mass in kg (default: 70 kg reference adult)"
    )
    heel_rise_deg: float | None = Field(
        None,
        ge=0.0,
        le=30.0,
        description="sagittal rotation of the metatarsals about the heads (deg); default the "
        "case's (standing 0, push_off footsim.model.loads.PUSH_OFF_HEEL_RISE_DEG)",
    )
    force_N: float | None = Field(
        None,
        gt=0.0,
        le=5000.0,
        description="explicit total vertical forefoot force in N; "
        "overrides case and body mass when given",
    )


class MeshSpec(Frozen):
    """Mesh resolution: a preset of :mod:`footsim.mesh.geometry`, or a characteristic size."""

    preset: Literal["coarse", "default", "fine"] = Field(
        "default", description="coarse (tests, seconds), default, fine (convergence studies)"
    )
    size_mm: float | None = Field(
        None,
        ge=min(lo for lo, _ in SIZE_RANGE_MM.values()),
        le=max(hi for _, hi in SIZE_RANGE_MM.values()),
        description="element size under the heads in mm; overrides the preset's, within "
        "the preset's range (SIZE_RANGE_MM: coarse 0.5-8, default and fine 0.5-15)",
    )
    sesamoid_size_mm: float | None = Field(
        None,
        ge=SESAMOID_SIZE_RANGE_MM[0],
        le=SESAMOID_SIZE_RANGE_MM[1],
        description="element size in mm in the fat under the two sesamoids (MTH1); default: "
        "the size under the heads. The push-off MTH1 peak sits there and keeps rising with "
        "refinement (3.0 mm elsewhere; 3.0 / 1.5 / 1.0 / 0.67 mm here: 1789 / 2338 / 2434 / "
        "2559 kPa, no converged value; docs/limitations.md)",
    )

    _added_fields: ClassVar[tuple[str, ...]] = ("sesamoid_size_mm",)

    @model_validator(mode="after")
    def _size_within_the_preset(self) -> MeshSpec:
        lo, hi = SIZE_RANGE_MM[self.preset]
        if self.size_mm is not None and not lo <= self.size_mm <= hi:
            raise ValueError(
                f"mesh.size_mm = {self.size_mm:g} mm is outside the range of preset "
                f"{self.preset!r} (allowed: {lo:g} .. {hi:g} mm)"
            )
        return self


class OutputSpec(Frozen):
    """What a run writes beside its summary and regional table."""

    fields: bool = Field(True, description="write VTU fields (displacement, stresses, pressure)")
    pressure_png: bool = Field(True, description="write the plantar pressure map PNG")
    steps: bool = Field(False, description="keep the plantar pressure of each load step")


class SolverSpec(Frozen):
    """Contact-solver settings a scenario may need (the rest:
    footsim.solve.options.SolverOptions)."""

    penalty_factor: float = Field(
        10.0,
        ge=1.0,
        le=1000.0,
        description="contact penalty kappa = penalty_factor * E / h "
        "(footsim.physics.contact.obstacles.penalty_parameter): 10 for standing; push-off "
        "loads, which compress the tissue into its stiff range, need ~100 so that "
        "augmented-Lagrangian updates stay small",
    )
    max_uzawa: int = Field(
        6,
        ge=1,
        le=50,
        description="augmented-Lagrangian updates allowed (a budget: a converged result does "
        "not depend on it); push-off converges linearly and may need ~10",
    )
    quadrature_degree: int = Field(
        2,
        ge=2,
        le=6,
        description="cell quadrature degree: 2 (default), the 4-point rule of Abaqus's C3D10 "
        "quadratic tetrahedra, exact for the small-strain P2-P1 stiffness; 4, twice the P2 "
        "displacement degree, assembles a Jacobian 1.4-2.5 times slower and moves the peaks "
        "by under 0.6 % (docs/performance.md)",
    )

    reuse_factorization: bool = Field(
        True,
        description="solve each Newton step with Krylov iterations preconditioned by the "
        "reused (single-precision) factors of an earlier Jacobian (fast); false: a fresh LU "
        "per Newton step, slower, and the same load path on any number of MPI processes "
        "(with reused factors the figures of one and two processes differ by ~1e-5, within "
        "the force tolerance)",
    )

    _added_fields: ClassVar[tuple[str, ...]] = ("quadrature_degree", "reuse_factorization")


class Scenario(Frozen):
    """One fully resolved simulation (the schema of a scenario TOML file)."""

    name: str = Field(
        "default",
        min_length=1,
        max_length=120,
        description="short identifier; names the run folder, so no path separator or '..'",
    )
    description: str = Field("", description="what the scenario shows, for people")
    anatomy: Anatomy = Field(
        default_factory=Anatomy, description="overrides of footsim.model.anatomy"
    )
    footwear: Footwear = Field(
        default_factory=Footwear,
        description="footsim.model.footwear: barefoot unless an insole is given",
    )
    load: LoadSpec = Field(default_factory=LoadSpec)
    mesh: MeshSpec = Field(default_factory=MeshSpec)
    materials: dict[str, str] = Field(
        default_factory=dict,
        description="material overrides by volume name (footsim.mesh.tags.Volume) or group "
        "(ALL_BONES, METATARSALS, SESAMOIDS, PHALANGES, PLATES; single volumes win), e.g. "
        "{SOFT_TISSUE = 'soft_tissue_ogden', ALL_BONES = 'bone_rigid'}",
    )
    output: OutputSpec = Field(default_factory=OutputSpec)
    solver: SolverSpec = Field(default_factory=SolverSpec)
    load_path: LoadPathSpec = Field(
        default_factory=LoadPathSpec,
        description="footsim.model.loadpath: elastic bones on one block, or rigid jointed "
        "bones with fascia and tendons",
    )
    contact: ContactSpec = Field(
        default_factory=ContactSpec,
        description="footsim.model.contact: friction of the plantar skin on the ground",
    )

    _added_fields: ClassVar[tuple[str, ...]] = ("solver", "load_path", "contact")

    @model_validator(mode="after")
    def _sesamoid_size_needs_sesamoids(self) -> Scenario:
        if self.mesh.sesamoid_size_mm is not None and not self.anatomy.sesamoids:
            raise ValueError(
                f"mesh.sesamoid_size_mm = {self.mesh.sesamoid_size_mm:g} mm refines under the "
                "sesamoids, but anatomy.sesamoids is false"
            )
        return self

    @field_validator("name")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        return check_name(value)

    @model_validator(mode="after")
    def _footwear_fits_the_foot(self) -> Scenario:
        """The insole and pad checked against the anatomy they will be meshed with (the heel
        applied), so that a pad off the insole or beside the foot is refused here, not by the
        mesher."""
        from footsim.model.footwear import apply_heel

        self.footwear.check(apply_heel(self.anatomy, self.footwear))
        return self

    @field_validator("materials")
    @classmethod
    def _known_materials(cls, value: dict[str, str]) -> dict[str, str]:
        from footsim.mesh import tags
        from footsim.physics.materials.library import MATERIALS

        volumes = [v.name for v in tags.Volume] + list(tags.GROUPS)
        for volume, material in value.items():
            if volume.upper() not in volumes:
                raise ValueError(
                    f"materials: unknown volume {volume!r}{suggest(volume.upper(), volumes)}"
                )
            if material not in MATERIALS:
                raise ValueError(
                    f"materials.{volume}: unknown material {material!r}"
                    f"{suggest(material, list(MATERIALS))}; known: {', '.join(sorted(MATERIALS))}"
                )
        return {k.upper(): v for k, v in value.items()}

    def physics_dict(self) -> dict[str, Any]:
        """Everything that changes the numbers (not the name, description or output)."""
        return self.model_dump(mode="json", exclude={"name", "description", "output"})

    def content_hash(self) -> str:
        """Hash of the fully resolved scenario and the versions its numbers depend on
        (:mod:`footsim.model.versions`): the results epoch, the model, the contact it uses
        (two-body with an insole, else ground), the pad's shape (with a pad) and the Morton's
        foot geometry (with an MT2 of other than its default length); 16 hex digits."""
        payload = {
            "scenario": self.model_dump(mode="json", exclude={"name", "description"}),
            "footsim": RESULTS_EPOCH,
            "model": MODEL_VERSION,
        }
        if self.footwear.insole is not None:
            payload["body_contact"] = BODY_CONTACT_VERSION
        else:
            payload["ground_contact"] = GROUND_CONTACT_VERSION
        if self.footwear.pad is not None:
            payload["pad_shape"] = PAD_SHAPE_VERSION
        if self.anatomy.mt2_extra_length_mm != 0.0:
            payload["mt2_length"] = MT2_LENGTH_VERSION
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_toml(self) -> str:
        """The resolved scenario as TOML (no ``base``), e.g. to store beside its results."""
        return dumps_toml(self.model_dump(mode="json", exclude_none=True))


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_raw(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario TOML and everything it extends, merged, as plain data (not validated)."""
    path = Path(path).resolve()
    if path in _seen:
        chain = " -> ".join(p.name for p in (*_seen, path))
        raise ScenarioError(f"base: scenarios extend each other in a cycle: {chain}")
    data = read_toml(path, ScenarioError)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError(f"{path.name}: base must be a file name, got {base!r}")
    parent = read_raw(path.parent / base, (*_seen, path))
    parent.pop("name", None)
    parent.pop("description", None)
    return deep_merge(parent, data)


def from_dict(data: dict[str, Any], source: str = "scenario") -> Scenario:
    """Validate plain data as a :class:`Scenario`, turning pydantic errors into one clear line."""
    try:
        return Scenario.model_validate(drop_false_tables(data))
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {format_errors(exc)}") from exc


def load(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario file (``None``: the embedded default scenario).

    ``overrides`` are merged into the file's tables before validation, e.g.
    ``{"mesh": {"size_mm": 7.0}}``; they are checked like the file's own keys.
    """
    if path is None:
        ref = resources.files("footsim") / "data" / DEFAULT_SCENARIO
        with resources.as_file(ref) as p:
            data = read_raw(p)
        source = "default scenario"
    else:
        data = read_raw(path)
        data.setdefault("name", Path(path).stem)
        source = Path(path).name
    if overrides:
        data = deep_merge(data, overrides)
    return from_dict(data, source=source)
