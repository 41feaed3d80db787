"""The studio's page (Vuetify 3 widgets through trame): the design panels in the drawer, the
plantar outline to place the pad on with Run and the run queue, and the results as tabs: the
map, the regional table, the 3-D view, the comparison of two runs and the exports.

Every element a test or a user may address has an ``id`` (``ctl-<control name>``, ``run``,
``outline``, ``view-img``, ``table``, ``compare-img``, ...).
"""

from __future__ import annotations

from trame.ui.vuetify3 import SinglePageWithDrawerLayout
from trame.widgets import html
from trame.widgets import vtk as vtk_widgets
from trame.widgets import vuetify3 as v3

from footsim.studio import design, pictures, studies

PANELS = {
    "design": "Design",
    "foot": "Foot",
    "footwear": "Footwear",
    "load": "Load case",
    "mesh": "Mesh",
}
"""The drawer's panels, by control group, with their titles."""


def _enabled_when(control: design.Control) -> str:
    """A JavaScript condition for the control to be editable (pad keys need the pad, ...)."""
    if control.key.startswith("footwear.pad."):
        return "footwear__insole && footwear__pad"
    if control.key.startswith("footwear.insole.") or control.key == "footwear.pad":
        return "footwear__insole"
    return "true"


def _control(control: design.Control) -> None:
    name, err = control.name, f"field_errors['{control.name}'] || []"
    common = {
        "id": f"ctl-{name}",
        "disabled": (f"!({_enabled_when(control)})",),
        "error_messages": (err,),
        "density": "compact",
        "hide_details": "auto",
        "classes": "mb-2",
    }
    if control.kind == "switch":
        v3.VSwitch(v_model=(name,), label=control.label, color="primary", **common)
    elif control.kind == "select":
        v3.VSelect(v_model=(name,), label=control.label, items=(list(control.choices),), **common)
    elif control.kind == "text":
        v3.VTextField(v_model=(name,), label=control.label, **common)
    else:
        lo, hi = control.limits
        label = f"{control.label} ({control.unit}, {lo:g} to {hi:g})"
        with v3.VSlider(
            v_model_number=(name,),
            label=None,
            min=lo,
            max=hi,
            step=control.step,
            **common,
        ):
            with v3.Template(v_slot_prepend=True):
                html.Div(label, classes="text-caption", style="width: 9.5em; line-height: 1.1")
            with v3.Template(v_slot_append=True):
                v3.VTextField(
                    v_model_number=(name,),
                    id=f"num-{name}",
                    type="number",
                    step=control.step,
                    density="compact",
                    hide_details=True,
                    variant="outlined",
                    style="width: 5.5em",
                    disabled=(f"!({_enabled_when(control)})",),
                )


def _drawer() -> None:
    with v3.VExpansionPanels(multiple=True, model_value=("['foot', 'footwear']",)):
        for group, title in PANELS.items():
            with v3.VExpansionPanel(value=group, title=title):
                with v3.VExpansionPanelText():
                    for control in design.CONTROLS:
                        if control.group == group:
                            _control(control)


_POINTER = (
    "[$event.clientX - $event.currentTarget.getBoundingClientRect().left, "
    "$event.clientY - $event.currentTarget.getBoundingClientRect().top, "
    "$event.currentTarget.clientWidth]"
)
"""The pointer's position in the outline (px from its top left) and the outline's width (px)."""


def _design_bar(app) -> None:
    with v3.VCard(classes="ma-2", variant="outlined"):
        v3.VCardTitle("Pad placement: click or drag on the outline", classes="text-subtitle-1")
        with v3.VCardText(classes="d-flex flex-wrap", style="gap: 16px"):
            html.Div(
                id="outline",
                v_html=("outline_svg",),
                style="cursor: crosshair; user-select: none; touch-action: none; width: 100%; "
                "max-width: 420px",
                __events=["pointerdown", "pointermove"],
                pointerdown=f"trigger('place_pad', {_POINTER})",
                pointermove=f"$event.buttons === 1 && trigger('place_pad', {_POINTER})",
            )
            with html.Div(style="min-width: 320px; flex: 1"):
                v3.VAlert(
                    v_for="msg in design_errors",
                    key="msg",
                    text=("msg",),
                    type="error",
                    density="compact",
                    classes="mb-2 design-error",
                )
                html.Div(
                    "Run folder: {{ design_folder }}",
                    id="design-folder",
                    v_if="design_ok",
                    classes="text-caption mb-2",
                )
                v3.VBtn(
                    "Run",
                    id="run",
                    color="primary",
                    prepend_icon="mdi-play",
                    disabled=("!design_ok",),
                    click=app.ctrl.run_design,
                    classes="mr-2",
                )
                v3.VBtn(
                    "Open selected run's design",
                    id="open-design",
                    variant="text",
                    disabled=("!selected_run",),
                    click=app.ctrl.open_run_design,
                )
                html.Div("{{ notice }}", id="notice", classes="text-caption my-2")
                _jobs(app)


def _jobs(app) -> None:
    with v3.VList(density="compact", id="jobs"):
        with v3.VListItem(v_for="job in jobs", key="job.id", classes="job px-0"):
            with html.Div(classes="d-flex align-center", style="gap: 8px"):
                html.Span("#{{ job.id }} {{ job.name }}", classes="text-body-2")
                html.Span("{{ job.status }}", classes="job-status text-caption")
                v3.VBtn(
                    "Cancel",
                    v_if="!['done', 'failed', 'cancelled'].includes(job.status)",
                    size="x-small",
                    variant="tonal",
                    classes="cancel",
                    click=(app.ctrl.cancel_job, "[job.id]"),
                )
            v3.VProgressLinear(
                model_value=("100 * job.progress",),
                color=("job.status === 'failed' ? 'error' : 'primary'",),
                height=4,
            )
            html.Div("{{ job.message }}", classes="job-message text-caption")


def _table(ident: str, rows: str, columns: dict[str, str] | str, per_page: int = -1) -> None:
    """A data table of the state's list ``rows``, its ``columns`` (row key -> heading, or the
    name of the state's list of Vuetify headers when they change, as units do)."""
    if isinstance(columns, dict):
        columns = [{"title": title, "key": key} for key, title in columns.items()]
    v3.VDataTable(
        v_if=f"{rows}.length",
        id=ident,
        items=(rows,),
        headers=(columns,),
        density="compact",
        items_per_page=per_page,
        hide_default_footer=per_page < 0,
    )


def _run_picker(model: str, label: str, ident: str) -> None:
    v3.VSelect(
        v_model=(model,),
        items=("runs",),
        label=label,
        id=ident,
        density="compact",
        hide_details=True,
        classes="mb-2",
    )


def _results(app) -> None:
    with v3.VCard(classes="ma-2", variant="outlined"):
        with v3.VCardText():
            with html.Div(classes="d-flex", style="gap: 8px"):
                _run_picker("selected_run", "Run shown", "selected-run")
                v3.VBtn(icon="mdi-refresh", variant="text", click=app.ctrl.refresh_runs)
            with v3.VTabs(v_model=("tab",), density="compact", id="tabs"):
                for value, title in (
                    ("map", "Map"),
                    ("table", "Table"),
                    ("3d", "3-D"),
                    ("compare", "Compare A/B"),
                    ("optimise", "Optimise"),
                    ("export", "Export"),
                ):
                    v3.VTab(title, value=value, id=f"tab-{value}")
            with v3.VWindow(v_model=("tab",)):
                with v3.VWindowItem(value="map"):
                    v3.VSelect(
                        v_model=("view",),
                        items=([{"value": k, "title": t} for k, t in pictures.VIEWS.items()],),
                        label="Picture",
                        id="view",
                        density="compact",
                        hide_details=True,
                        classes="my-2",
                        style="max-width: 360px",
                    )
                    v3.VAlert(
                        v_if="view_error",
                        text=("view_error",),
                        type="warning",
                        density="compact",
                        id="view-error",
                    )
                    html.Img(
                        v_if="view_url",
                        src=("view_url",),
                        id="view-img",
                        style="max-width: 100%; max-height: 72vh",
                    )
                with v3.VWindowItem(value="table"):
                    _table("table", "table_rows", pictures.TABLE_COLUMNS)
                with v3.VWindowItem(value="3d", eager=True):
                    with html.Div(style="width: 100%; height: 520px", id="view-3d"):
                        view = vtk_widgets.VtkRemoteView(app.plotter().ren_win, interactive_ratio=1)
                        app.ctrl.view_update = view.update
                with v3.VWindowItem(value="compare"):
                    with html.Div(classes="d-flex", style="gap: 8px"):
                        _run_picker("run_a", "A", "run-a")
                        _run_picker("run_b", "B", "run-b")
                    v3.VAlert(
                        v_if="compare_error",
                        text=("compare_error",),
                        type="warning",
                        density="compact",
                        id="compare-error",
                    )
                    html.Img(
                        v_if="compare_url",
                        src=("compare_url",),
                        id="compare-img",
                        style="max-width: 100%; max-height: 72vh",
                    )
                    _table("compare-table", "compare_rows", pictures.DIFFERENCE_COLUMNS)
                with v3.VWindowItem(value="optimise"):
                    _study(app)
                with v3.VWindowItem(value="export"):
                    with html.Div(classes="pa-2"):
                        html.P(
                            "The design's scenario file runs with `footsim run FILE` into the "
                            "same run folder; the report is the one `footsim report` writes."
                        )
                        html.A(
                            "scenario.toml",
                            v_if="export_toml_url",
                            id="export-toml",
                            href=("export_toml_url",),
                            download="scenario.toml",
                            classes="mr-4",
                        )
                        v3.VBtn(
                            "Write the HTML report",
                            id="make-report",
                            size="small",
                            click=app.ctrl.make_report,
                            disabled=("!selected_run",),
                        )
                        html.A(
                            "report.html",
                            v_if="export_report_url",
                            id="export-report",
                            href=("export_report_url",),
                            target="_blank",
                            classes="ml-4",
                        )


def _study(app) -> None:
    apex = design.BY_NAME[design.PAD_KEYS[0].replace(".", "__")].limits
    height = design.BY_NAME["footwear__pad__height_mm"].limits
    with html.Div(classes="pa-2", style="max-width: 720px"):
        html.P(
            "Search the design's pad over its apex position and height with `footsim "
            "optimise` (Optuna, TPE): each trial is a run of the design with that pad. "
            "Starting the same study again resumes it.",
            classes="text-body-2",
        )
        v3.VRangeSlider(
            v_model=("study_apex",),
            min=apex[0],
            max=apex[1],
            step=0.5,
            label="Apex proximal to MTH2-3 (mm)",
            thumb_label="always",
            id="study-apex",
            classes="mt-6",
        )
        v3.VRangeSlider(
            v_model=("study_height",),
            min=height[0],
            max=height[1],
            step=0.5,
            label="Pad height (mm)",
            thumb_label="always",
            id="study-height",
            classes="mt-6",
        )
        with html.Div(classes="d-flex", style="gap: 8px"):
            v3.VSelect(
                v_model=("study_objective",),
                items=([{"value": k, "title": t} for k, t in studies.OBJECTIVE_TITLES.items()],),
                label="Minimise",
                id="study-objective",
                density="compact",
            )
            v3.VTextField(
                v_model_number=("study_trials",),
                type="number",
                label="Trials",
                id="study-trials",
                density="compact",
                style="max-width: 7em",
            )
        v3.VBtn(
            "Start study",
            id="start-study",
            color="primary",
            disabled=(
                "!design_ok || !footwear__pad || "
                "['starting', 'running', 'cancelling'].includes(study_status)",
            ),
            click=app.ctrl.start_study,
            classes="mr-2",
        )
        v3.VBtn(
            "Cancel study",
            id="cancel-study",
            variant="tonal",
            disabled=("study_status !== 'running'",),
            click=app.ctrl.cancel_study,
            classes="mr-2",
        )
        v3.VBtn(
            "Use the best design",
            id="use-best",
            variant="text",
            disabled=("study_status !== 'done'",),
            click=app.ctrl.use_best_design,
        )
        html.Div(
            "{{ study_status }}: {{ study_message }}",
            v_if="study_status",
            id="study-status",
            classes="text-body-2 my-2",
        )
        html.Div("{{ study_best }}", id="study-best", classes="text-body-2 mb-2")
        _table("study-table", "study_rows", "study_headers", per_page=10)
        html.Img(
            v_if="study_image_url",
            src=("study_image_url",),
            id="study-img",
            style="max-width: 100%; max-height: 72vh",
        )
        html.A(
            "study report",
            v_if="study_report_url",
            href=("study_report_url",),
            target="_blank",
            id="study-report",
        )


def build(app) -> SinglePageWithDrawerLayout:
    """The page of ``app`` (:class:`footsim.studio.app.Studio`)."""
    with SinglePageWithDrawerLayout(app.server, full_height=True) as layout:
        layout.title.set_text("footsim studio")
        layout.drawer.width = 380
        with layout.drawer:
            _drawer()
        with layout.content:
            with v3.VContainer(fluid=True, classes="pa-0"):
                with v3.VRow(no_gutters=True):
                    with v3.VCol(cols=12, lg=4):
                        _design_bar(app)
                    with v3.VCol(cols=12, lg=8):
                        _results(app)
    return layout
