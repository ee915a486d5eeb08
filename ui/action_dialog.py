"""The confirmation of a runbook action: the exact call, its inputs, one Run, and the result.

The dialog plans through the console (`prepare_action`) on the runner's pool, and plans
again whenever an input changes, so the call it shows is the one that will run; Run
sends that PreparedAction, whose idempotency key makes a second submission of the same
confirmation run nothing. It is shown non-modally (`ui.dialogs.present`): tests build it,
type, click and read it without an event loop of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.console import Console, PreparedAction, utc_now
from app.domain.action_run import ActionRun
from app.domain.incident import Incident
from app.domain.runbook import Parameter, Step
from app.domain.runbook_progress import RunStatus
from ui import theme
from ui.incident_actions import describe_error
from ui.local_time import hm
from ui.workers.actions import TaskRunner

Clock = Callable[[], datetime]
REPLAN_DELAY_MS = 300  # typing a number plans once, not once per keystroke

_STATUS_WORDS = {
    RunStatus.PENDING: "pending",
    RunStatus.RUNNING: "running (outcome unknown until it reports)",
    RunStatus.SUCCEEDED: "succeeded",
    RunStatus.FAILED: "failed",
    RunStatus.TIMED_OUT: "timed out",
    RunStatus.REFUSED: "refused",
}


def run_and_reload(
    console: Console, prepared: PreparedAction, now: datetime
) -> tuple[ActionRun, Incident]:
    """Run the confirmed action, then read the incident back (its timeline has the run)."""
    run = console.run_action(prepared, now)
    return run, console.incident(prepared.incident_id)


def _fit_height(label: QLabel) -> None:
    """A wrapped label in a dialog keeps the height its lines need: a top-level window does
    not ask its labels' height for their width, so a long result would overlap the call."""
    parent = label.parentWidget()
    width = max(label.width(), parent.width() - 24 if parent is not None else 0, 200)
    label.setMinimumHeight(label.heightForWidth(width) if label.text() else 0)


def status_words(status: RunStatus | None) -> str:
    return _STATUS_WORDS.get(status, "") if status is not None else ""


class ActionDialog(QDialog):
    """Asks the operator to confirm one runbook action, then runs it once.

    Attributes:
        prepared: the plan shown (None while the first plan loads).
        call_box: the exact call, read-only monospace (selectable, copyable).
        inputs: parameter name -> its line edit (the action's `input` parameters).
        input_errors: parameter name -> the line under its field saying why it is refused.
        refused_label: why the plan is refused (then there is no Run button).
        warning_label: destructive action / simulated demo estate.
        status_label: planning, running, or the result's status and summary.
        output_box: the call's output (collapsed under `output_toggle`).
        run_button, close_button: the dialog's buttons.
        submitted: Run was clicked (it never submits twice).

    Signals:
        action_ran(object, object): the ActionRun and the reloaded Incident.
        action_failed(str, object): the error in words, and the reloaded Incident of a
            conflict (else None).
    """

    action_ran = Signal(object, object)
    action_failed = Signal(str, object)

    def __init__(
        self,
        console: Console,
        runner: TaskRunner,
        incident: Incident,
        runbook_id: str,
        step: Step,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
        replan_delay_ms: int = REPLAN_DELAY_MS,
    ) -> None:
        super().__init__(parent)
        self.console = console
        self.runner = runner
        self.incident = incident
        self.runbook_id = runbook_id
        self.step = step
        self.clock = clock
        self.prepared: PreparedAction | None = None
        self.submitted = False
        self.finished_run: ActionRun | None = None
        self.inputs: dict[str, QLineEdit] = {}
        self.input_errors: dict[str, QLabel] = {}
        self._parameters: dict[str, Parameter] = {}
        self._plan_number = 0  # answers to older plans are ignored
        self._planning = False
        self._replan = QTimer(self)
        self._replan.setSingleShot(True)
        self._replan.setInterval(replan_delay_ms)
        self._replan.timeout.connect(self.plan)
        self.setWindowTitle(f"Run {step.title}?")
        self.setMinimumWidth(560)
        self._build()
        self.plan()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        heading = QLabel(f"Run {self.step.title}?")
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        heading.setFont(font)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        action = self.step.action
        kind = action.kind.value if action is not None else "action"
        backend = action.backend.value if action is not None else ""
        self.kind_label = QLabel(
            f"{kind} \u00b7 {backend} \u00b7 on {self.incident.key}" if backend else kind
        )
        layout.addWidget(self.kind_label)
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setVisible(False)
        layout.addWidget(self.warning_label)
        self._form = QFormLayout()
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(self._form)
        self.call_caption = QLabel("The exact call:")
        layout.addWidget(self.call_caption)
        self.call_box = QPlainTextEdit()
        self.call_box.setReadOnly(True)
        self.call_box.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.call_box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.call_box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.call_box.setMinimumHeight(96)
        self.call_box.setPlaceholderText("planning\u2026")
        layout.addWidget(self.call_box, 1)
        self.refused_label = QLabel()
        self.refused_label.setWordWrap(True)
        self.refused_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refused_label.setVisible(False)
        layout.addWidget(self.refused_label)
        self._build_result(layout)

    def _build_result(self, layout: QVBoxLayout) -> None:
        self.status_label = QLabel("planning\u2026")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status_label)
        self.output_toggle = QToolButton()
        self.output_toggle.setText("Output")
        self.output_toggle.setCheckable(True)
        self.output_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.output_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.output_toggle.toggled.connect(self._toggle_output)
        self.output_toggle.setVisible(False)
        layout.addWidget(self.output_toggle)
        self.output_box = QPlainTextEdit()
        self.output_box.setReadOnly(True)
        self.output_box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.output_box.setVisible(False)
        layout.addWidget(self.output_box, 1)
        buttons = QDialogButtonBox()
        self.run_button = QPushButton("Run")
        self.run_button.setEnabled(False)
        self.run_button.setAutoDefault(False)
        self.run_button.setDefault(False)  # Enter in an input must not run the action
        self.run_button.clicked.connect(self.run)
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        layout.addWidget(buttons)

    def _add_inputs(self, asks: tuple[Parameter, ...], answers: dict[str, str]) -> None:
        """The fields for the action's input parameters (built once, from the first plan)."""
        for parameter in asks:
            if parameter.name in self.inputs:
                continue
            edit = QLineEdit(answers.get(parameter.name, parameter.default or ""))
            edit.setToolTip(f"must match {parameter.pattern}")
            edit.textEdited.connect(lambda _text, name=parameter.name: self._input_edited(name))
            error = QLabel()
            error.setWordWrap(True)
            error.setVisible(False)
            colour = theme.error_colour(self.palette()).name()
            error.setStyleSheet(f"color: {colour};")
            box = QVBoxLayout()
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(1)
            box.addWidget(edit)
            box.addWidget(error)
            self._form.addRow(f"{parameter.prompt or parameter.name}:", box)
            self.inputs[parameter.name] = edit
            self.input_errors[parameter.name] = error
            self._parameters[parameter.name] = parameter

    # ------------------------------------------------------------------ planning

    def answers(self) -> dict[str, str]:
        return {name: edit.text().strip() for name, edit in self.inputs.items()}

    def input_problems(self) -> dict[str, str]:
        """Each input refused by its parameter's pattern, and why."""
        problems: dict[str, str] = {}
        for name, value in self.answers().items():
            why = self._parameters[name].check(value)
            if why is not None:
                problems[name] = why
        return problems

    def set_input(self, name: str, text: str) -> None:
        """Type into an input as the operator would (tests; the field's own edits do the same)."""
        self.inputs[name].setText(text)
        self._input_edited(name)

    def _input_edited(self, _name: str) -> None:
        if self.submitted:
            return
        problems = self.input_problems()
        for name, label in self.input_errors.items():
            label.setText(problems.get(name, ""))
            label.setVisible(name in problems)
            _fit_height(label)
        self._plan_number += 1  # whatever plan is on its way is for other inputs
        self._planning = False
        if problems:
            self._replan.stop()
            self.call_box.setPlainText("")
            self.call_box.setPlaceholderText("fix the input above to see the call")
            self._say("an input is refused: nothing can run")
        else:
            self.call_box.setPlainText("")
            self.call_box.setPlaceholderText("planning\u2026")
            self._say("planning\u2026")
            self._planning = True
            self._replan.start()
        self._update_run()

    def plan(self) -> None:
        """Ask the console for the call with the current inputs (off the GUI thread)."""
        if self.submitted:
            return
        self._plan_number += 1
        number = self._plan_number
        self._planning = True
        self._update_run()
        incident_id = self.incident.id
        assert incident_id is not None
        console, runbook_id, step_id = self.console, self.runbook_id, self.step.id
        inputs = self.answers() if self.inputs else None
        self.runner.submit(
            f"plan {step_id} of {self.incident.key}",
            lambda: console.prepare_action(incident_id, runbook_id, step_id, inputs),
            on_result=lambda prepared: self._planned(number, prepared),
            on_error=lambda error: self._plan_failed(number, error),
        )

    def _planned(self, number: int, prepared: object) -> None:
        if number != self._plan_number or self.submitted:
            return  # an input changed since: a newer plan is on its way
        if not isinstance(prepared, PreparedAction):
            return
        self._planning = False
        self.prepared = prepared
        self._add_inputs(prepared.asks, dict(prepared.inputs))
        self.call_box.setPlainText(prepared.confirmation())
        self._show_warnings(prepared)
        if prepared.refused is not None:
            self._show_refused(prepared.refused)
        else:
            self.refused_label.setVisible(False)
            self.run_button.setVisible(True)
            self.call_caption.setVisible(True)
            self.call_box.setVisible(True)
            self._say("Check the call above; Run makes it once.")
        self._update_run()

    def _plan_failed(self, number: int, error: BaseException) -> None:
        if number != self._plan_number:
            return
        self._planning = False
        self.prepared = None
        self._show_refused(f"could not plan the call: {describe_error(error)}")
        self._update_run()

    def _show_refused(self, reason: str) -> None:
        """A refused plan: the reason, and no Run button at all (nothing can run)."""
        colour = theme.error_colour(self.palette()).name()
        self.refused_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.refused_label.setText(f"Refused: {reason}")
        self.refused_label.setVisible(True)
        self.run_button.setVisible(False)
        self.call_caption.setVisible(False)  # the call box would only repeat the reason
        self.call_box.setVisible(False)
        self._say("Nothing will run.")
        _fit_height(self.refused_label)

    def _show_warnings(self, prepared: PreparedAction) -> None:
        lines = []
        action = prepared.step.action
        if action is not None and action.destructive:
            lines.append(
                "\u26a0 This action changes the estate: it runs once for this confirmation."
            )
        if prepared.demo:
            lines.append("Demo estate: the call is simulated, nothing leaves this machine.")
        colour = theme.at_risk_colour(self.palette()).name()
        self.warning_label.setStyleSheet(f"color: {colour};")
        self.warning_label.setText("\n".join(lines))
        self.warning_label.setVisible(bool(lines))
        _fit_height(self.warning_label)

    def _update_run(self) -> None:
        ready = (
            not self.submitted
            and not self._planning
            and self.prepared is not None
            and self.prepared.call is not None
            and self.prepared.refused is None
            and not self.input_problems()
        )
        self.run_button.setEnabled(ready)

    @property
    def runnable(self) -> bool:
        return self.run_button.isVisible() and self.run_button.isEnabled()

    # ------------------------------------------------------------------ running

    def run(self) -> bool:
        """Run the confirmed call once; a second click (or call) does nothing."""
        prepared = self.prepared
        if self.submitted or prepared is None or not self.run_button.isEnabled():
            return False
        self.submitted = True
        self.run_button.setEnabled(False)  # before anything else: a double click runs once
        for edit in self.inputs.values():
            edit.setReadOnly(True)
        self._say("running\u2026")
        self.status_label.setStyleSheet("")
        console, now = self.console, self.clock()
        self.runner.submit(
            f"run {prepared.step.id} of {self.incident.key}",
            lambda: run_and_reload(console, prepared, now),
            on_result=self._ran,
            on_error=self._run_failed,
        )
        return True

    def _ran(self, result: object) -> None:
        if not isinstance(result, tuple) or len(result) != 2:
            return
        run, incident = result
        if not isinstance(run, ActionRun):
            return
        self.finished_run = run
        self.close_button.setText("Close")
        good = run.status is RunStatus.SUCCEEDED
        shade = "" if good else f"color: {theme.error_colour(self.palette()).name()};"
        self.status_label.setStyleSheet(f"{shade} font-weight: bold;")
        when = hm(run.finished_at or run.started_at)
        self._say(
            f"{status_words(run.status)}: {run.summary or '(no summary)'} \u2014 {run.actor} {when}"
        )
        if run.output:
            self.output_box.setPlainText(run.output)
            self.output_toggle.setVisible(True)
        self.action_ran.emit(run, incident)

    def _run_failed(self, error: BaseException) -> None:
        self.close_button.setText("Close")
        colour = theme.error_colour(self.palette()).name()
        self.status_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self._say(f"Not run: {describe_error(error)}")
        current = getattr(error, "current", None)
        self.action_failed.emit(describe_error(error), current)

    def _say(self, text: str) -> None:
        self.status_label.setText(text)
        _fit_height(self.status_label)

    def _toggle_output(self, shown: bool) -> None:
        self.output_box.setVisible(shown)
        self.output_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
