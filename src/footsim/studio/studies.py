"""Optimisation studies from the studio: the pad of the current design searched over its
apex position and height by ``footsim optimise`` (:mod:`footsim.optimise`), started from the
app, followed trial by trial, cancelled (and resumed by starting it again).

The studio writes two ordinary files into ``<results>/studies/``: the design (a scenario) and
the study that names it as its base; ``footsim optimise`` runs them in its own process, so that
the same study runs, resumes and reports the same from the command line. Trials are read from
the study's Optuna storage while it runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from footsim.model.scenarios import Scenario
from footsim.model.tomlfiles import dumps_toml
from footsim.optimise.spec import load_study

OBJECTIVES: dict[str, dict[str, Any]] = {
    "platform": {"kind": "sensor_peak", "device": "platform", "aggregate": "max"},
    "insole": {"kind": "sensor_peak", "device": "insole", "aggregate": "max"},
    "fat-pad-stress": {"kind": "region_figure", "column": "peak_von_mises_kPa", "aggregate": "max"},
}
"""What a studio study minimises over MTH2-4 (the heads metatarsalgia overloads), by name: the
largest peak on a pressure platform's 5 mm sensors, on in-shoe 14 mm sensors, or the largest
von Mises stress in the fat pad (kPa; :class:`footsim.optimise.spec.Objective`)."""

PRESSURE_TIME = "pressure-time"
"""The menu's pressure-time objective (kPa s): the objective of :data:`PRESSURE_TIME_STUDY`,
its postures and their seconds included, over the design (:func:`objective_table`)."""

PRESSURE_TIME_STUDY = Path(str(resources.files("footsim") / "data" / "studies")) / (
    "pad-pressure-time.toml"
)
"""The study file the pressure-time objective is read from, the one place its postures (the
scenario keys of each and its seconds in a step, with their source) are written: the shipped
studies (the repository's ``studies/``)."""

OBJECTIVE_TITLES = {
    "platform": "Largest MTH2-4 peak, platform sensors (kPa)",
    "insole": "Largest MTH2-4 peak, in-shoe sensors (kPa)",
    "fat-pad-stress": "Largest fat-pad von Mises stress under MTH2-4 (kPa)",
    PRESSURE_TIME: "Largest MTH2-4 pressure-time, standing + push-off (kPa s)",
}
"""The Optimise tab's menu: each objective's name and its title (its unit in brackets)."""

START_APEX_MM = (0.0, 24.0)
"""The apex range a study starts with (mm proximal to the MTH2-3 midpoint): that of
``studies/pad-placement.toml``, from the head line to where the default 40 mm dome lies wholly
proximal to the heads, 4 mm clear of them."""

START_HEIGHT_MM = (3.0, 7.0)
"""The height range a study starts with (mm): about the 4-8 mm of commercial pads
(:class:`footsim.model.footwear.MetatarsalPad`), as in ``studies/pad-placement.toml``."""

START_TRIALS = 12
"""Trials a study starts with: about 12 min on the teaching mesh with two workers (a trial is
a run of about a minute). The 30-trial pad-placement study came within 1.5 % of its final
best at its 11th trial (notebooks/data/pad-placement-study/trials.csv)."""

MAX_TRIALS = 500

TRIAL_COLUMNS = {
    "trial": "Trial",
    "state": "State",
    "apex_mm": "Apex mm",
    "height_mm": "Height mm",
    "objective": "Objective",
}
"""The trials table's columns (:meth:`StudyRun.read_trials`) and their headings; the
objective's heading gets its unit (:func:`trial_headers`)."""

APEX_KEY = "footwear.pad.apex_proximal_to_mth_mm"
HEIGHT_KEY = "footwear.pad.height_mm"
POLL_S = 2.0
"""Seconds between two readings of a running study's trials."""


def trial_headers(unit: str) -> list[dict[str, str]]:
    """The trials table's headings (Vuetify's ``headers``), the objective's in ``unit``
    (:attr:`footsim.optimise.spec.Objective.unit`: kPa, or kPa s for pressure-time)."""
    titles = dict(TRIAL_COLUMNS, objective=f"{TRIAL_COLUMNS['objective']} {unit}")
    return [{"title": title, "key": key} for key, title in titles.items()]


def objective_table(name: str) -> dict[str, Any]:
    """The ``[objective]`` table of the menu's objective ``name``: one of :data:`OBJECTIVES`,
    or for :data:`PRESSURE_TIME` that of :data:`PRESSURE_TIME_STUDY` (read, not copied)."""
    if name != PRESSURE_TIME:
        return OBJECTIVES[name]
    # the table as the file writes it (defaults it leaves out stay out), checked
    return load_study(PRESSURE_TIME_STUDY).spec.objective.model_dump(exclude_unset=True)


def _check_posture(scenario: Scenario, target: dict[str, Any]) -> None:
    """The postures of :data:`PRESSURE_TIME_STUDY` are written over its base: the design must
    be in that base's posture (every key a posture sets as the base has it), or its 'standing'
    would be another load case (mm, N, MPa as in the scenario)."""
    keys = {k for phase in target.get("phases", {}).values() for k in phase.get("set", {})}
    if not keys:
        return
    base = load_study(PRESSURE_TIME_STUDY).scenario({}).model_dump()
    have = scenario.model_dump()
    for key in sorted(keys):
        want, got = _dotted(base, key), _dotted(have, key)
        if want != got:
            raise ValueError(
                f"{key} = {got!r}: the pressure-time objective runs the design as "
                f"{' and '.join(target['phases'])}, each written over a design at {key} = "
                f"{want!r} (as in {PRESSURE_TIME_STUDY.name}): set {key} to {want!r}"
            )


def _dotted(data: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def write_study(
    folder: Path,
    scenario: Scenario,
    *,
    apex_mm: tuple[float, float],
    height_mm: tuple[float, float],
    objective: str | dict[str, Any] = "platform",
    seed: int = 1,
) -> Path:
    """Write the study of ``scenario``'s pad (apex proximal to MTH2-3 in ``apex_mm``, height in
    ``height_mm``, both mm) and its design into ``folder``; returns the study file, checked as
    ``footsim optimise`` checks it (a :class:`ValueError` saying why). ``objective``: a name of
    :data:`OBJECTIVE_TITLES` or an ``[objective]`` table. The name holds a hash of all of it,
    so the same study started twice resumes."""
    if scenario.footwear.pad is None:
        raise ValueError("footwear.pad: the design has no pad to optimise (switch the pad on)")
    for what, (lo, hi) in (("apex_mm", apex_mm), ("height_mm", height_mm)):
        if not lo < hi:
            raise ValueError(f"study {what} = ({lo:g}, {hi:g}): the low end must be below the high")
    target = objective_table(objective) if isinstance(objective, str) else objective
    target = {"regions": ["MTH2", "MTH3", "MTH4"], **target}
    if objective == PRESSURE_TIME:
        _check_posture(scenario, target)
    spec = {
        "description": f"Pad apex {apex_mm[0]:g}-{apex_mm[1]:g} mm proximal to MTH2-3 and "
        f"height {height_mm[0]:g}-{height_mm[1]:g} mm for {scenario.name} "
        f"({scenario.content_hash()}), from footsim studio.",
        "sampler": "tpe",
        "seed": seed,
        "variables": {
            APEX_KEY: {"low": float(apex_mm[0]), "high": float(apex_mm[1])},
            HEIGHT_KEY: {"low": float(height_mm[0]), "high": float(height_mm[1])},
        },
        "objective": target,
    }
    digest = hashlib.sha256(
        json.dumps([scenario.content_hash(), spec], sort_keys=True).encode()
    ).hexdigest()[:10]
    name = f"{scenario.name}-pad-study-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.design.toml").write_text(scenario.to_toml())
    path = folder / f"{name}.toml"
    path.write_text(dumps_toml({"name": name, "base": f"{name}.design.toml", **spec}))
    load_study(path)  # refused here (every posture of the design built), not by the process
    return path


@dataclass
class StudyRun:
    """A running (or finished) ``footsim optimise`` of the study file ``path`` into
    ``out``; ``on_change(self)`` is called on the event loop whenever something changed."""

    path: Path
    out: Path
    trials: int
    workers: int = 1
    runner: str | None = None
    on_change: Callable[[StudyRun], None] = lambda run: None
    status: str = "starting"
    message: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None
    _proc: asyncio.subprocess.Process | None = None

    @property
    def folder(self) -> Path:
        """Where ``footsim optimise`` writes the study (its storage, runs and outputs)."""
        return self.out / self.path.stem

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    @cached_property
    def unit(self) -> str:
        """The objective's unit, as the study file says (kPa; kPa s for pressure-time)."""
        return load_study(self.path).spec.objective.unit

    def start(self) -> None:
        """Start the study's process and follow it (call on the event loop)."""
        asyncio.get_running_loop().create_task(self._run())

    def cancel(self) -> None:
        """End the study's process; its finished trials stay, and starting it again resumes."""
        if self._proc is not None and self._proc.returncode is None:
            self.status = "cancelling"
            self._proc.terminate()
            self.on_change(self)

    async def _run(self) -> None:
        args = [sys.executable, "-m", "footsim", "optimise", str(self.path)]
        args += ["--trials", str(self.trials), "--workers", str(self.workers), "-o", str(self.out)]
        if self.runner:
            args += ["--runner", self.runner]
        self._proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        self.status, self.message = "running", "trials running"
        self.on_change(self)
        output = asyncio.get_running_loop().create_task(self._proc.stdout.read())
        while self._proc.returncode is None:
            self.read_trials()
            self.on_change(self)
            try:
                await asyncio.wait_for(asyncio.shield(output), POLL_S)
            except TimeoutError:
                continue
            await self._proc.wait()
        text = (await output).decode(errors="replace").strip()
        self.read_trials()
        last = text.splitlines()[-1] if text else ""
        if self.status == "cancelling":
            self.status, self.message = "cancelled", "cancelled: start it again to resume"
        elif self._proc.returncode == 0:
            self.status, self.message = "done", last
        else:
            self.status, self.message = "failed", f"exit {self._proc.returncode}: {last}"
        self.on_change(self)

    def read_trials(self) -> None:
        """Read the trials so far from the study's storage (rows and the best finished one)."""
        storage = self.folder / "study.db"
        if not storage.exists():
            return
        import optuna

        from footsim.optimise.study import storage_url

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        from sqlalchemy.exc import OperationalError

        try:
            ostudy = optuna.load_study(study_name=self.path.stem, storage=storage_url(self.folder))
        except (KeyError, OperationalError):  # created but not yet written, or being created
            return
        rows = []
        for t in ostudy.get_trials(deepcopy=False):
            row = {
                "trial": t.number,
                "state": t.state.name.lower(),
                "apex_mm": round(float(t.params.get(APEX_KEY, float("nan"))), 2),
                "height_mm": round(float(t.params.get(HEIGHT_KEY, float("nan"))), 2),
                "objective": round(float(t.values[0]), 1) if t.values else None,
            }
            rows.append(row)
        self.rows = rows
        done = [r for r in rows if r["objective"] is not None]
        self.best = min(done, key=lambda r: r["objective"]) if done else None
        finished = sum(r["state"] in ("complete", "fail", "pruned") for r in rows)
        if self.status == "running":
            self.message = f"{finished} of {self.trials} trials finished"
