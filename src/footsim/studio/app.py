"""footsim studio: design a metatarsal pad on a foot in the browser (trame, Vuetify 3, VTK).

Data flows one way, as everywhere in footsim: the form's values (:mod:`~footsim.studio.design`)
-> a checked scenario -> a run through the cached pipeline (:mod:`~footsim.studio.jobs`) -> an
ordinary run folder under the results folder -> its pictures and tables
(:mod:`~footsim.studio.pictures`). The app holds no result of its own: what it shows is read
from run folders, which ``footsim show``, ``plot``, ``compare`` and ``report`` read too, and a
design exported from it runs with ``footsim run`` into the same folder.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from trame.app import TrameApp
from trame.decorators import change, controller, trigger

from footsim.model.footwear import apply_heel
from footsim.model.scenarios import ScenarioError, from_dict
from footsim.post.results import read_summary
from footsim.studio import design, outline, pictures, studies
from footsim.studio.jobs import Job, Queue

SERVE_PREFIX = "footsim-results"
"""URL path under which the results folder is served read-only (pictures, TOML, reports)."""


class Studio(TrameApp):
    """The studio of one results folder. ``workers``: runs at a time."""

    def __init__(
        self, results: Path, *, workers: int = 1, server=None, study_runner: str | None = None
    ):
        super().__init__(server, client_type="vue3")
        self.results = Path(results).resolve()
        self.results.mkdir(parents=True, exist_ok=True)
        self.server.enable_module({"serve": {SERVE_PREFIX: str(self.results)}})
        self.queue = Queue(self.results, workers=workers, on_change=self._job_changed)
        self.base = design.start_base()
        self._frame = None
        self._anatomy = None
        self._plotter = None
        self._announced: set[int] = set()  # finished jobs whose run was shown
        self.study: studies.StudyRun | None = None
        self.study_runner = study_runner  # tests: a cheap runner instead of solves
        self._init_state()
        from footsim.studio import ui

        self.ui = ui.build(self)
        self.check_design()
        self.refresh_runs()
        done = [r["value"] for r in self.state.runs if r["status"] == "done"]
        self.state.selected_run = done[0] if done else None  # the newest finished run

    # ------------------------------------------------------------------ the design
    def _init_state(self) -> None:
        s = self.state
        start = design.check(self.base, {})
        s.update(design.values_of(start.scenario))
        s.update(
            field_errors={},
            design_errors=[],
            design_ok=True,
            design_folder="",
            outline_svg="",
            jobs=[],
            runs=[],
            selected_run=None,
            view="pressure",
            view_url="",
            view_error="",
            table_rows=[],
            run_a=None,
            run_b=None,
            compare_url="",
            compare_rows=[],
            compare_error="",
            export_toml_url="",
            export_report_url="",
            tab="map",
            notice="",
            study_apex=list(studies.START_APEX_MM),
            study_height=list(studies.START_HEIGHT_MM),
            study_trials=studies.START_TRIALS,
            study_objective="platform",
            study_status="",
            study_message="",
            study_rows=[],
            study_headers=[],  # set by start_study, in the objective's unit
            study_best="",
            study_image_url="",
            study_report_url="",
        )

    def values(self) -> dict:
        """The form's current values (by control name)."""
        return {c.name: self.state[c.name] for c in design.CONTROLS}

    @change(*[c.name for c in design.CONTROLS])
    def check_design(self, **_) -> design.Checked:
        """Check the design as ``footsim run`` checks a file; show each error by its field."""
        checked = design.check(self.base, self.values())
        self.state.field_errors = checked.field_errors
        self.state.design_errors = list(checked.errors)
        self.state.design_ok = checked.ok
        if checked.ok:
            from footsim.run.pipeline import run_folder

            sc = checked.scenario
            self.state.design_folder = run_folder(sc, self.results).name
            self._anatomy = apply_heel(sc.anatomy, sc.footwear)
            self._frame = outline.Frame.around(self._anatomy, sc.footwear)
            self.state.outline_svg = outline.svg(self._anatomy, sc.footwear, self._frame)
        else:
            self.state.design_folder = ""
        return checked

    @trigger("place_pad")
    def place_pad(self, u_px: float, v_px: float, width_px: float) -> None:
        """Put the pad's apex where the pointer is on the outline (pixels of the drawing as
        the browser shows it, ``width_px`` wide), within the position fields' limits as their
        sliders are (a pad dragged off the insole is still refused by the schema)."""
        if self._frame is None or not self.state.footwear__pad or width_px <= 0:
            return
        scale = self._frame.size_px[0] / width_px
        position = outline.pad_position_at(self._anatomy, self._frame, u_px * scale, v_px * scale)
        for key, value in zip(design.PAD_KEYS, position, strict=True):
            control = design.BY_NAME[key.replace(".", "__")]
            lo, hi = control.limits
            self.state[control.name] = min(max(value, lo), hi)

    @controller.set("open_run_design")
    def open_run_design(self) -> None:
        """Make the selected run's scenario the design (its base and its form values)."""
        if self.state.selected_run:
            self.open_design(self.results / self.state.selected_run / "scenario.toml")

    def open_design(self, path: Path) -> None:
        """Make the scenario file ``path`` the design (its base and its form values)."""
        try:
            data = tomllib.loads(Path(path).read_text())
            scenario = from_dict(data, source=str(path))
        except (OSError, tomllib.TOMLDecodeError, ScenarioError) as exc:
            self.state.notice = f"cannot open the design {path}: {exc}"
            return
        self.base = design.base_of(scenario)
        self.state.update(design.values_of(scenario))
        self.state.notice = f"the design is now {Path(path).parent.name}/{Path(path).name}"
        self.check_design()

    # ------------------------------------------------------------------ runs
    @controller.set("run_design")
    def run_design(self) -> Job | None:
        """Queue a run of the design, if it passes the checks."""
        checked = self.check_design()
        if not checked.ok:
            self.state.notice = "fix the marked fields first"
            return None
        sc = checked.scenario
        self.state.notice = ""
        return self.queue.submit(sc.name, sc.to_toml())

    @controller.set("cancel_job")
    def cancel_job(self, job_id: int) -> None:
        self.queue.cancel(int(job_id))

    def _job_changed(self, job: Job) -> None:
        with self.state:
            self.state.jobs = [j.as_row() for j in reversed(self.queue.jobs.values())]
            if job.finished and job.id in self._announced:
                return  # told once (its process may report again as it exits)
            if job.finished:
                self._announced.add(job.id)
            if job.status == "done":  # show it, next to the run shown before
                previous = self.state.selected_run
                self.refresh_runs()
                self.state.selected_run = job.folder
                if previous and previous != job.folder:
                    self.state.run_a, self.state.run_b = previous, job.folder
            elif job.status == "failed":
                self.refresh_runs()

    @controller.set("refresh_runs")
    def refresh_runs(self) -> None:
        """List the run folders of the results folder (newest first)."""
        self.state.runs = [
            {"value": r.folder, "title": r.label, "status": r.status}
            for r in pictures.list_runs(self.results)
        ]

    # ------------------------------------------------------------------ results
    def _url(self, path: Path) -> str:
        rel = Path(path).resolve().relative_to(self.results)
        return f"{SERVE_PREFIX}/{rel.as_posix()}?t={int(Path(path).stat().st_mtime_ns)}"

    @change("selected_run", "view")
    def show_run(self, **_) -> None:
        """Draw the selected run: its picture, table, 3-D view and export links."""
        folder = self.state.selected_run
        self.state.update(
            view_url="",
            view_error="",
            table_rows=[],
            export_toml_url="",
            export_report_url="",
        )
        if not folder:
            return
        path = self.results / folder
        summary = read_summary(path)
        if summary is None:
            self.state.view_error = f"{folder} is not a run folder"
            return
        self.state.export_toml_url = self._url(path / "scenario.toml")
        if summary.get("status") != "done":
            self.state.view_error = f"{folder}: the run failed: {summary.get('reason', '')}"
            return
        try:
            self.state.view_url = self._url(pictures.view_file(path, self.state.view))
        except ValueError as exc:  # a view this run cannot have (no shear without friction)
            self.state.view_error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown, and the app keeps working
            self.state.view_error = f"cannot draw {self.state.view}: {type(exc).__name__}: {exc}"
        try:
            self.state.table_rows = pictures.region_rows(path)
            self._show_3d(path)
        except Exception as exc:  # noqa: BLE001 - as above
            self.state.view_error = f"cannot read {folder}: {type(exc).__name__}: {exc}"

    def _show_3d(self, path: Path) -> None:
        if self._plotter is None:
            return
        from footsim.post.plotting import add_deformed

        self._plotter.clear()
        add_deformed(self._plotter, path)
        self.ctrl.view_update()

    def plotter(self):
        """The plotter of the rotatable 3-D view (rendered on the server, off-screen)."""
        if self._plotter is None:
            from footsim._render import prefer_headless

            prefer_headless()
            import pyvista as pv

            self._plotter = pv.Plotter(off_screen=True, window_size=(800, 600))
            self._plotter.set_background("white")
        return self._plotter

    @controller.set("make_report")
    def make_report(self) -> None:
        """Write the selected run's HTML report (as ``footsim report``) and link it."""
        folder = self.state.selected_run
        if not folder:
            return
        from footsim.post import html_report

        self.state.export_report_url = self._url(html_report(self.results / folder))

    @change("run_a", "run_b")
    def show_compare(self, **_) -> None:
        """A, B and B - A of the two runs chosen for comparison."""
        a, b = self.state.run_a, self.state.run_b
        self.state.update(compare_url="", compare_rows=[], compare_error="")
        if not a or not b:
            return
        if a == b:
            self.state.compare_error = "choose two different runs"
            return
        done = {r["value"] for r in self.state.runs if r["status"] == "done"}
        if a not in done or b not in done:
            self.state.compare_error = "both runs must have finished"
            return
        try:
            self.state.compare_url = self._url(pictures.compare_file(self.results, a, b))
            self.state.compare_rows = pictures.difference_rows(self.results, a, b)
        except Exception as exc:  # noqa: BLE001 - shown, and the app keeps working
            self.state.compare_error = f"cannot compare: {type(exc).__name__}: {exc}"

    # ------------------------------------------------------------------ studies
    @controller.set("start_study")
    def start_study(self) -> None:
        """Start (or resume) ``footsim optimise`` on the design's pad."""
        checked = self.check_design()
        if not checked.ok or (self.study is not None and not self.study.finished):
            return
        s = self.state
        trials = s.study_trials
        if not isinstance(trials, int | float) or not 1 <= trials <= studies.MAX_TRIALS:
            s.study_status = "failed"
            s.study_message = f"trials = {trials!r}: allowed 1 .. {studies.MAX_TRIALS}"
            return
        try:
            path = studies.write_study(
                self.results / "studies",
                checked.scenario,
                apex_mm=tuple(s.study_apex),
                height_mm=tuple(s.study_height),
                objective=s.study_objective,
            )
        except ValueError as exc:
            s.study_status, s.study_message = "failed", str(exc)
            return
        self.study = studies.StudyRun(
            path,
            self.results / "studies",
            trials=int(trials),
            workers=self.queue.workers,
            runner=self.study_runner,
            on_change=self._study_changed,
        )
        s.update(
            study_rows=[],
            study_headers=studies.trial_headers(self.study.unit),
            study_best="",
            study_image_url="",
            study_report_url="",
        )
        self.study.start()

    @controller.set("cancel_study")
    def cancel_study(self) -> None:
        if self.study is not None:
            self.study.cancel()

    def _study_changed(self, run: studies.StudyRun) -> None:
        with self.state as s:
            s.study_status, s.study_message = run.status, run.message
            s.study_rows = list(reversed(run.rows))
            if run.best is not None:
                b = run.best
                s.study_best = (
                    f"{'best' if run.finished else 'best so far'}: trial {b['trial']}, "
                    f"apex {b['apex_mm']:g} mm proximal, "
                    f"height {b['height_mm']:g} mm: {b['objective']:g} {run.unit}"
                )
            for name, key in (("best-vs-no-pad.png", "study_image_url"),
                              ("report.html", "study_report_url")):  # fmt: skip
                if run.finished and (run.folder / name).exists():
                    s[key] = self._url(run.folder / name)

    @controller.set("use_best_design")
    def use_best_design(self) -> None:
        """Make the study's best design the design (then Run shows it in full): with a
        pressure-time objective, the design in its own posture, not in each of the study's."""
        if self.study is not None and (self.study.folder / "best.toml").exists():
            self.open_design(self.study.folder / "best.toml")


def serve(
    results: str | Path = "results",
    *,
    port: int = 8080,
    host: str = "localhost",
    workers: int = 1,
    open_browser: bool = True,
    study_runner: str | None = None,
) -> None:
    """Serve the studio of ``results`` on ``host:port`` until interrupted."""
    app = Studio(Path(results), workers=workers, study_runner=study_runner)
    app.server.start(port=port, host=host, open_browser=open_browser, show_connection_info=True)
