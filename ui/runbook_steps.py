"""The runbook panel's step cards: one per step, with its checkbox, text, button and result.

A card shows what the loaded view says and asks the panel (ui/runbook_panel.py) to act;
it never calls the console itself, so every I/O stays on the panel's task runner.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.console import RunbookView
from app.domain.health import SourceStatus
from app.domain.incident import OPEN_STATES, Incident
from app.domain.runbook import Step, StepKind
from app.domain.runbook_progress import StepStatus, Validation, Watch
from ui import theme
from ui.action_dialog import status_words
from ui.local_time import hm
from ui.runbook_chart import RunbookChart

if TYPE_CHECKING:
    from ui.runbook_panel import RunbookPanel


def bold(label: QLabel, scale: float = 1.0) -> QLabel:
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def wrapping(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def _restyle(widget: QWidget, sheet: str) -> None:
    """Set a style sheet only when it changes (setting one re-polishes and re-lays out)."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def markdown_label(on_link: Callable[[str], object]) -> QLabel:
    """A wrapping Markdown label whose links go to `on_link`, never straight to the desktop."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.MarkdownText)
    label.setWordWrap(True)
    label.setOpenExternalLinks(False)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.linkActivated.connect(on_link)
    return label


class ConfirmedCheckBox(QCheckBox):
    """A checkbox a click does not flip: the click asks, the console's answer sets it.

    Its box is outlined in the text colour: Fusion draws the outline a shade darker than
    the window, which on the dark themes leaves an empty box almost invisible.

    Attributes:
        (none beyond QCheckBox's)

    Signals:
        (QCheckBox's: `clicked` asks for the other state)
    """

    def __init__(self) -> None:
        super().__init__()
        self._outline()

    def nextCheckState(self) -> None:  # noqa: N802 - Qt's name
        return

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._outline()

    def _outline(self) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        if palette.color(QPalette.ColorRole.Window) != text:  # also ends the change events
            palette.setColor(QPalette.ColorRole.Window, text)
            self.setPalette(palette)


_KIND_MARKS = {
    StepKind.INFO: "\u2139",  # i
    StepKind.DECISION: "?",
    StepKind.ACTION: "\u25b6",  # ▶
    StepKind.VALIDATE: "\u25cb",  # ○
}
_WATCH_MARKS = {
    Watch.WAITING: "\u25cb",  # ○
    Watch.WATCHING: "\u25d4",  # ◔
    Watch.CLEARED: "\u2714",  # ✔
    Watch.NOT_CLEARED: "\u2716",  # ✖
}


class StepCard(QFrame):
    """One step of the checklist: its title, text and the control its kind needs.

    Attributes:
        step: the runbook step.
        check: the checkbox of a check, link or query step (else None).
        title_label, state_label: the title, and who ticked it when ("\u2713 alice 10:32").
        text_label: the step's Markdown text.
        detail_label: the skip reason, the decision's answer, the last run, the watch.
        error_label: why the last tick, answer or run was refused.
        skipped: a decision's answer passed over this step (it is greyed).
        buttons: the decision's answers by label; "open", "chart" or "run" by name.

    Signals:
        (none: the buttons call the panel)
    """

    def __init__(self, step: Step, number: int, panel: RunbookPanel) -> None:
        super().__init__()
        self.step = step
        self.panel = panel
        self.buttons: dict[str, QPushButton] = {}
        self.check: ConfirmedCheckBox | None = None
        self.skipped = False
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 6, 2, 6)
        layout.setSpacing(2)
        # every widget is in the card before it is shown or hidden: a parentless widget
        # told to show opens as a window of its own, and takes the console's activation
        self._build_header(layout, number)
        self.text_label = markdown_label(panel.open_link)
        layout.addWidget(self.text_label)
        self.text_label.setText(step.text)
        self.text_label.setVisible(bool(step.text.strip()))
        self.text_label.setContentsMargins(22, 0, 0, 0)
        # a decision's answers can be long: one per line; other controls sit in a row
        vertical = step.kind is StepKind.DECISION
        self._controls = QVBoxLayout() if vertical else QHBoxLayout()
        self._controls.setContentsMargins(22, 0, 0, 0)
        self._controls.setSpacing(2 if vertical else 6)
        self._build_controls()
        layout.addLayout(self._controls)
        self.detail_label = wrapping()
        layout.addWidget(self.detail_label)
        self.detail_label.setContentsMargins(22, 0, 0, 0)
        self.detail_label.setVisible(False)
        self.error_label = wrapping()
        layout.addWidget(self.error_label)
        self.error_label.setContentsMargins(22, 0, 0, 0)
        self.error_label.setVisible(False)
        self._chart_box = QVBoxLayout()
        self._chart_box.setContentsMargins(22, 0, 0, 0)
        layout.addLayout(self._chart_box)

    def _build_header(self, layout: QVBoxLayout, number: int) -> None:
        step = self.step
        header = QHBoxLayout()
        header.setSpacing(6)
        layout.addLayout(header)
        if step.tickable:
            self.check = ConfirmedCheckBox()
            self.check.setAccessibleName(step.title)
            self.check.setToolTip("tick when done (it goes into the timeline)")
            self.check.clicked.connect(lambda _checked=False: self._ticked())
            header.addWidget(self.check, 0, Qt.AlignmentFlag.AlignTop)
        else:
            self.mark_label = QLabel(_KIND_MARKS.get(step.kind, ""))
            self.mark_label.setMinimumWidth(16)
            header.addWidget(self.mark_label, 0, Qt.AlignmentFlag.AlignTop)
        self.title_label = bold(wrapping(f"{number}. {step.title}"))
        header.addWidget(self.title_label, 1)
        self.required_label = QLabel("required" if step.required else "")
        header.addWidget(self.required_label, 0, Qt.AlignmentFlag.AlignTop)
        self.required_label.setVisible(step.required)
        self.state_label = QLabel()
        header.addWidget(self.state_label, 0, Qt.AlignmentFlag.AlignTop)

    def _build_controls(self) -> None:
        step = self.step
        if step.kind is StepKind.LINK:
            self._button("open", "Open", lambda: self.panel.open_step_link(step.id))
        elif step.kind is StepKind.QUERY:
            button = self._button("chart", "Show chart", None)
            button.setCheckable(True)
            button.toggled.connect(self._chart_toggled)
        elif step.kind is StepKind.DECISION:
            for option in step.options:
                self._button(
                    option.label, option.label, partial(self.panel.answer, step.id, option.label)
                )
        elif step.kind is StepKind.ACTION:
            self._button("run", "Run\u2026", lambda: self.panel.open_action(step.id))
        if isinstance(self._controls, QHBoxLayout):
            self._controls.addStretch(1)

    def _button(self, name: str, text: str, slot: Callable[[], object] | None) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        if slot is not None:
            button.clicked.connect(lambda _checked=False: slot())
        if self.step.kind is StepKind.DECISION:
            button.setStyleSheet("text-align: left; padding: 3px 8px;")
        self.buttons[name] = button
        self._controls.addWidget(button)
        return button

    def _ticked(self) -> None:
        if self.check is not None:
            self.panel.tick(self.step.id, not self.check.isChecked())

    def _chart_toggled(self, shown: bool) -> None:
        self.buttons["chart"].setText("Hide chart" if shown else "Show chart")
        self.panel.show_chart(self.step.id, shown)

    def add_chart(self, chart: RunbookChart) -> None:
        self._chart_box.addWidget(chart)

    # ------------------------------------------------------------------ state

    def set_busy(self, busy: bool) -> None:
        if busy:
            self.error_label.setVisible(False)
            self.state_label.setText("saving\u2026")
        if self.check is not None:
            self.check.setEnabled(not busy)
        if self.step.kind is StepKind.DECISION:
            for button in self.buttons.values():
                button.setEnabled(not busy)

    def show_error(self, message: str) -> None:
        colour = theme.error_colour(self.palette()).name()
        self.error_label.setStyleSheet(f"color: {colour};")
        self.error_label.setText(message)
        self.error_label.setVisible(True)

    def show_state(
        self, view: RunbookView, incident: Incident, now: datetime, *, busy: bool
    ) -> None:
        step = self.step
        state = view.progress.state(step.id)
        skipped = state.status is StepStatus.SKIPPED
        done = state.status is StepStatus.DONE
        muted = theme.theme_for(self.palette()).muted.name()
        at_risk = theme.at_risk_colour(self.palette()).name()
        _restyle(
            self.required_label,
            f"color: {muted};" if done or skipped else f"color: {at_risk}; font-weight: bold;",
        )
        if self.check is not None:
            self.check.setChecked(done)
        who = f"\u2713 {state.actor} {hm(state.at)}" if done and state.actor else ""
        self.state_label.setText("saving\u2026" if busy else who if step.tickable else "")
        self.set_busy(busy)
        detail = ""
        if skipped:
            detail = f"skipped: {state.choice}"
        elif step.kind is StepKind.DECISION:
            detail = self._show_answer(state.choice if done else None, state.actor, state.at)
        elif step.kind is StepKind.ACTION:
            detail = self._show_action(view, incident)
        elif step.kind is StepKind.LINK:
            url, why = self.panel.link_of(step)
            button = self.buttons["open"]
            button.setEnabled(url is not None)
            button.setToolTip(url or f"cannot open: {why}")
            detail = "" if url else f"cannot open: {why}"
        self._grey(skipped, muted)
        if step.kind is StepKind.VALIDATE and not skipped:
            self.show_validation(view.validations.get(step.id), now)
            return
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))

    def _grey(self, skipped: bool, muted: str) -> None:
        """A skipped step is greyed, in the readable muted colour, and its controls do
        nothing (answering the decision again brings it back)."""
        self.skipped = skipped
        sheet = f"color: {muted};" if skipped else ""
        for label in (self.title_label, self.text_label, self.detail_label):
            _restyle(label, sheet)
        if skipped:
            if self.check is not None:
                self.check.setEnabled(False)
            for button in self.buttons.values():
                button.setEnabled(False)
        elif "chart" in self.buttons:  # the others' controls were set by their state
            self.buttons["chart"].setEnabled(True)

    def _show_answer(self, choice: str | None, actor: str | None, at: datetime | None) -> str:
        for label, button in self.buttons.items():
            font = button.font()
            font.setBold(label == choice)
            button.setFont(font)
            button.setText(f"\u2713 {label}" if label == choice else label)
        return f"answered: {choice} \u2014 {actor} {hm(at)}" if choice else ""

    def _show_action(self, view: RunbookView, incident: Incident) -> str:
        button = self.buttons["run"]
        action = self.step.action
        if incident.state in OPEN_STATES:
            button.setEnabled(True)
            kind = action.kind.value if action is not None else "action"
            button.setToolTip(f"{kind}: shows the exact call and asks before it runs")
        else:
            button.setEnabled(False)
            where = incident.state.value.replace("_", " ")
            button.setToolTip(f"{incident.key} is {where}: no actions on it")
        runs = [run for run in view.runs if run.step == self.step.id]
        state = view.progress.state(self.step.id)
        if runs:
            run = runs[-1]
            when = hm(run.finished_at or run.started_at or run.requested_at)
            auto = " \u00b7 auto" if run.automatic else ""
            summary = f": {run.summary}" if run.summary else ""
            return f"last run {status_words(run.status)}{summary} \u2014 {run.actor} {when}{auto}"
        if state.run_status is not None:
            auto = " \u00b7 auto" if state.automatic else ""
            return (
                f"last run {status_words(state.run_status)}: {state.run_summary}"
                f" \u2014 {state.actor} {hm(state.at)}{auto}"
            )
        return ""

    def show_validation(self, validation: Validation | None, now: datetime) -> None:
        if validation is None:
            return
        palette = self.palette()
        colours = {
            Watch.WAITING: theme.theme_for(palette).muted,
            Watch.WATCHING: theme.at_risk_colour(palette),
            Watch.CLEARED: theme.theme_for(palette).lamps[SourceStatus.OK],
            Watch.NOT_CLEARED: theme.error_colour(palette),
        }
        self.mark_label.setText(_WATCH_MARKS[validation.watch])
        _restyle(self.mark_label, f"color: {colours[validation.watch].name()};")
        self.detail_label.setText(validation.describe(now))
        self.detail_label.setVisible(True)

    @property
    def watch_text(self) -> str:
        return self.detail_label.text()
