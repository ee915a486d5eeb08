"""The side panel's Runbook tab: the incident's runbook (SOP) as a checklist it can be worked from.

The view (`Console.runbook`) is loaded on the runner's pool, keyed by the incident's id and
version; every tick, answer and action run goes through the console with the version the
operator saw, and the tab shows what the console stored, never a local guess: a checkbox
does not flip until its tick is confirmed. Links in step texts open only through
`ui.runbook_slot.open_web_link` (http and https; anything else is shown with the reason).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDesktopServices, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.console import ChartData, Console, RunbookView, utc_now
from app.domain.alert import Alert
from app.domain.incident import Incident
from app.domain.runbook import Step, StepKind
from app.domain.runbook_progress import Watch, read_progress
from app.runbooks.planning import plan_link
from ui import theme
from ui.action_dialog import ActionDialog
from ui.dialogs import present
from ui.incident_actions import conflict_snapshot, describe_error
from ui.runbook_chart import RunbookChart
from ui.runbook_slot import Opener, RunbookSlot, open_web_link
from ui.runbook_steps import StepCard, bold, markdown_label, wrapping
from ui.workers.actions import TaskRunner

Clock = Callable[[], datetime]
WATCH_REFRESH_MS = 5_000  # a validate step's countdown is re-described this often
WATCH_RELOADS_EVERY = 3  # ... and the view reloaded every third time (15 s) while watching


class RunbookPanel(QWidget):
    """The Runbook tab of the side panel.

    Attributes:
        incident: the incident shown (the newest snapshot handed in or stored by an action).
        view: its loaded RunbookView (None while loading, or when it has no runbook).
        cards: step id -> its StepCard.
        charts: step id -> its RunbookChart (once shown).
        action_dialog: the last confirmation dialog opened (tests read it).
        alert_links: the links the alerts carry ("Linked from alerts").
        message_label: the tab's message line (loading, a refused link, a failed load).

    Signals:
        incident_changed(object, str): the Incident as stored after a tick, answer or run,
            and what happened in words ("ticked: Confirm the database is the root").
        incident_reloaded(object): the stored Incident of a conflict (shown instead).
        view_loaded(object): the RunbookView shown, or None (no runbook).
        link_opened(str): a link went to the desktop's browser.
        link_refused(str, str): a link was not opened, and why.
    """

    incident_changed = Signal(object, str)
    incident_reloaded = Signal(object)
    view_loaded = Signal(object)
    link_opened = Signal(str)
    link_refused = Signal(str, str)

    def __init__(
        self,
        console: Console,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
        opener: Opener | None = None,
        replan_delay_ms: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.console = console
        self.runner = runner
        self.clock = clock
        self._open = opener or QDesktopServices.openUrl
        self._replan_delay_ms = replan_delay_ms
        self.incident: Incident | None = None
        self.view: RunbookView | None = None
        self.cards: dict[str, StepCard] = {}
        self.charts: dict[str, RunbookChart] = {}
        self.action_dialog: ActionDialog | None = None
        self._dialogs: dict[tuple[int, str], ActionDialog] = {}
        self._built_for: tuple[int, str] | None = None  # (incident id, runbook id) of the cards
        self._loading: tuple[int, int] | None = None  # (id, version) asked for
        self._load_number = 0
        self._busy: set[str] = set()  # steps with a tick or answer on its way
        self._watch_ticks = 0
        self._build()
        self.watch_timer = QTimer(self)
        self.watch_timer.setInterval(WATCH_REFRESH_MS)
        self.watch_timer.timeout.connect(self.refresh_watches)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.setSpacing(2)
        self.message_label = wrapping()
        self.message_label.setVisible(False)
        outer.addWidget(self.message_label)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.steps_area = scroll
        outer.addWidget(scroll, 1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        scroll.setWidget(content)
        self.title_label = bold(wrapping(), 1.1)
        layout.addWidget(self.title_label)
        self.reason_label = wrapping()
        layout.addWidget(self.reason_label)
        self.progress_label = bold(wrapping())
        layout.addWidget(self.progress_label)
        self.hint_label = wrapping()
        self.hint_label.setVisible(False)
        layout.addWidget(self.hint_label)
        self.summary_label = markdown_label(self.open_link)
        layout.addWidget(self.summary_label)
        self._steps_box = QVBoxLayout()
        self._steps_box.setSpacing(0)
        layout.addLayout(self._steps_box)
        layout.addSpacing(8)
        layout.addWidget(bold(QLabel("Linked from alerts")))
        self.alert_links = RunbookSlot(opener=self._open, fit_to_rows=True)
        links_layout = self.alert_links.layout()
        if links_layout is not None:
            links_layout.setContentsMargins(0, 0, 0, 0)
        self.alert_links.opened.connect(self.link_opened)
        self.alert_links.refused.connect(self.link_refused)
        layout.addWidget(self.alert_links)
        layout.addStretch(1)

    # ------------------------------------------------------------------ showing

    def show_incident(self, incident: Incident | None) -> None:
        """Show an incident's runbook; an older snapshot of the one shown is ignored."""
        current = self.incident
        if incident is None:
            self.incident = None
            self._loading = None
            self._load_number += 1
            self._clear("")
            return
        if current is not None and current.id == incident.id and incident.version < current.version:
            return
        if current is None or current.id != incident.id:
            self._clear("loading the runbook\u2026")
        self.incident = incident
        key = (incident.id or 0, incident.version)
        if incident.id is not None and key != self._loading:
            self.reload()
        elif self.view is not None:
            self._render()  # the incident's state decides what may run

    def reload(self) -> None:
        """Read the view again (off the GUI thread); answers for another incident are dropped."""
        incident = self.incident
        if incident is None or incident.id is None:
            return
        incident_id, key = incident.id, (incident.id, incident.version)
        self._loading = key
        self._load_number += 1
        number = self._load_number
        console, now = self.console, self.clock()
        self.runner.submit(
            f"runbook of {incident.key}",
            lambda: console.runbook(incident_id, now),
            on_result=lambda view: self._arrived(number, incident_id, view),
            on_error=lambda error: self._load_failed(number, error),
        )

    def _arrived(self, number: int, incident_id: int, view: object) -> None:
        if number != self._load_number or self.incident is None or self.incident.id != incident_id:
            return  # the operator moved on, or a newer load is on its way
        if view is not None and not isinstance(view, RunbookView):
            return
        self._clear_message()
        if view is None:
            self.view = None
            self._clear(
                "No runbook for this incident: no runbook matches its alerts and no"
                " fallback (generic triage) is installed."
            )
            self.view_loaded.emit(None)
            return
        self.view = view
        self._render()
        self.view_loaded.emit(view)

    def _load_failed(self, number: int, error: BaseException) -> None:
        if number == self._load_number:
            self.show_message(f"could not load the runbook: {describe_error(error)}", error=True)

    def _clear(self, message: str) -> None:
        self.view = None
        self._built_for = None
        self._busy.clear()
        self._drop_cards()
        self.charts.clear()
        for label in (self.title_label, self.reason_label, self.progress_label, self.hint_label):
            label.clear()
        self.hint_label.setVisible(False)
        self.summary_label.clear()
        if message:
            self.show_message(message)
        else:
            self._clear_message()

    def _drop_cards(self) -> None:
        # hidden, not unparented: a card just added still has its queued show coming, and
        # without a parent that would open it as a window of its own (stealing activation)
        for card in self.cards.values():
            card.hide()
            self._steps_box.removeWidget(card)
            card.deleteLater()
        self.cards.clear()

    def _render(self) -> None:
        view, incident = self.view, self.incident
        if view is None or incident is None or incident.id is None:
            return
        runbook = view.runbook
        if self._built_for != (incident.id, runbook.id):
            self._build_cards(view)
        self.title_label.setText(runbook.title)
        self.reason_label.setText(f"Why this runbook: {view.match.reason()}")
        self.progress_label.setText(self.progress_words())
        hint = runbook.severity_hint
        shown = hint is not None and hint is not incident.severity
        if hint is not None and shown:
            self.hint_label.setText(
                f"This problem is usually {hint.value}; the incident is {incident.severity.value}."
            )
        self.hint_label.setVisible(shown)
        self.summary_label.setText(runbook.summary)
        self.summary_label.setVisible(bool(runbook.summary.strip()))
        now = self.clock()
        for step in runbook.steps:
            self.cards[step.id].show_state(view, incident, now, busy=step.id in self._busy)
        self._update_watch_timer()

    def _build_cards(self, view: RunbookView) -> None:
        self._drop_cards()
        self.charts.clear()
        for number, step in enumerate(view.runbook.steps, 1):
            card = StepCard(step, number, self)
            self.cards[step.id] = card
            self._steps_box.addWidget(card)
        incident = self.incident
        assert incident is not None
        assert incident.id is not None
        self._built_for = (incident.id, view.runbook.id)

    def progress_words(self) -> str:
        view = self.view
        if view is None:
            return ""
        total = len(view.runbook.steps)
        missing = len(view.progress.missing_required())
        more = f" \u00b7 {missing} required still open" if missing else ""
        return f"{view.progress.done_count} of {total} steps{more}"

    def set_alerts(self, alerts: Sequence[Alert]) -> None:
        self.alert_links.set_alerts(alerts)

    def missing_steps(self, incident: Incident) -> list[str]:
        """Titles of the required steps not done, from the loaded view (no I/O): escalation
        asks why. Empty when the view shown is not this incident's."""
        view = self.view
        if view is None or incident.id is None or view.incident.id != incident.id:
            return []
        return [step.title for step in view.progress.missing_required()]

    # ------------------------------------------------------------------ messages

    def show_message(self, text: str, *, error: bool = False) -> None:
        colour = theme.error_colour(self.palette()).name() if error else ""
        self.message_label.setStyleSheet(f"color: {colour};" if error else "")
        self.message_label.setText(text)
        self.message_label.setVisible(True)

    def _clear_message(self) -> None:
        self.message_label.clear()
        self.message_label.setVisible(False)

    def open_link(self, url: str) -> bool:
        """Open a link from a step's text, the summary or a link step; say why not."""
        why = open_web_link(url, self._open)
        if why is not None:
            self.show_message(f"Not opened: {url} \u2014 {why}.", error=True)
            self.link_refused.emit(url, why)
            return False
        self.link_opened.emit(url)
        return True

    def open_step_link(self, step_id: str) -> bool:
        """A link step's Open button: its URL planned for this incident, through the check."""
        view = self.view
        if view is None:
            return False
        url, why = self.link_of(view.runbook.step(step_id))
        if url is None:
            self.show_message(f"Not opened: {why}.", error=True)
            return False
        return self.open_link(url)

    def link_of(self, step: Step) -> tuple[str | None, str]:
        """A link step's URL for the incident shown (pure planning, no I/O), or why none."""
        view = self.view
        if view is None:
            return None, "the runbook is not loaded"
        return plan_link(view.runbook, step, view.incident, view.match.alert)

    # ------------------------------------------------------------------ checklist actions

    def _target(self) -> tuple[Incident, RunbookView, int] | None:
        """The incident, its view and the version the operator saw, when an action may go."""
        incident, view = self.incident, self.view
        if incident is None or incident.id is None or view is None:
            return None
        if view.incident.id != incident.id:
            return None
        return incident, view, max(incident.version, view.incident.version)

    def tick(self, step_id: str, done: bool) -> bool:
        """Tick (or untick) a check, link or query step through the console."""
        target = self._target()
        if target is None or step_id in self._busy:
            return False
        incident, view, version = target
        step = view.runbook.step(step_id)
        console, runbook_id, now = self.console, view.runbook.id, self.clock()
        incident_id = incident.id
        assert incident_id is not None
        words = f"{'ticked' if done else 'unticked'}: {step.title}"
        return self._submit(
            step_id,
            words,
            lambda: console.tick_step(
                incident_id, runbook_id, step_id, now, done=done, expected_version=version
            ),
        )

    def answer(self, step_id: str, choice: str) -> bool:
        """Answer a decision step; the console marks the steps it passes over as skipped."""
        target = self._target()
        if target is None or step_id in self._busy:
            return False
        incident, view, version = target
        step = view.runbook.step(step_id)
        console, runbook_id, now = self.console, view.runbook.id, self.clock()
        incident_id = incident.id
        assert incident_id is not None
        return self._submit(
            step_id,
            f"answered: {step.title} \u2192 {choice}",
            lambda: console.answer_decision(
                incident_id, runbook_id, step_id, choice, now, expected_version=version
            ),
        )

    def _submit(self, step_id: str, words: str, call: Callable[[], Incident]) -> bool:
        self._busy.add(step_id)
        card = self.cards.get(step_id)
        if card is not None:
            card.set_busy(True)
        incident = self.incident
        assert incident is not None
        self.runner.submit(
            f"runbook step {step_id} of {incident.key}",
            call,
            on_result=lambda result: self._saved(step_id, words, result),
            on_error=lambda error: self._failed(step_id, error),
        )
        return True

    def _saved(self, step_id: str, words: str, result: object) -> None:
        self._busy.discard(step_id)
        if isinstance(result, Incident):
            self.stored(result, words)

    def stored(self, incident: Incident, words: str) -> None:
        """The console stored `incident` after a runbook action: show its progress now (read
        from its timeline, no I/O), reload the rest, and tell the side panel."""
        view = self.view
        shown = self.incident
        if shown is None or incident.id != shown.id:
            self.incident_changed.emit(incident, words)
            return
        if view is not None and view.incident.id == incident.id:
            self.view = replace(
                view, incident=incident, progress=read_progress(incident, view.runbook)
            )
        self.show_incident(incident)
        self._render()
        self.incident_changed.emit(incident, words)

    def _failed(self, step_id: str, error: BaseException) -> None:
        self._busy.discard(step_id)
        card = self.cards.get(step_id)
        if card is not None:
            card.set_busy(False)
            card.show_error(describe_error(error))
        current = conflict_snapshot(error)
        if current is not None and self.incident is not None and current.id == self.incident.id:
            self.show_incident(current)
            self.incident_reloaded.emit(current)

    # ------------------------------------------------------------------ charts and actions

    def show_chart(self, step_id: str, shown: bool) -> RunbookChart | None:
        """Show (and load) or hide a query step's chart."""
        card = self.cards.get(step_id)
        target = self._target()
        if card is None or target is None:
            return None
        chart = self.charts.get(step_id)
        if not shown:
            if chart is not None:
                chart.setVisible(False)
            return chart
        if chart is None:
            chart = RunbookChart()
            self.charts[step_id] = chart
            card.add_chart(chart)
        chart.setVisible(True)
        chart.set_loading()
        incident, view, _version = target
        incident_id = incident.id
        assert incident_id is not None
        console, runbook_id, now = self.console, view.runbook.id, self.clock()
        self.runner.submit(
            f"chart {step_id} of {incident.key}",
            lambda: console.chart(incident_id, runbook_id, step_id, now),
            on_result=lambda data: self._charted(chart, data),
            on_error=lambda error: chart.set_failed(describe_error(error)),
        )
        return chart

    @staticmethod
    def _charted(chart: RunbookChart, data: object) -> None:
        if isinstance(data, ChartData):
            chart.set_data(data)

    def open_action(self, step_id: str) -> ActionDialog | None:
        """The confirmation of an action step (one per incident and step while it is open)."""
        target = self._target()
        if target is None:
            return None
        incident, view, _version = target
        assert incident.id is not None
        key = (incident.id, step_id)
        dialog = self._dialogs.get(key)
        if dialog is None or dialog.submitted or not dialog.isVisible():
            if dialog is not None:
                dialog.deleteLater()
            options = (
                {} if self._replan_delay_ms is None else {"replan_delay_ms": self._replan_delay_ms}
            )
            dialog = ActionDialog(
                self.console,
                self.runner,
                incident,
                view.runbook.id,
                view.runbook.step(step_id),
                self,
                clock=self.clock,
                **options,
            )
            dialog.action_ran.connect(lambda run, stored: self._ran(step_id, run, stored))
            dialog.action_failed.connect(lambda message, current: self._run_failed(current))
            self._dialogs[key] = dialog
        self.action_dialog = dialog
        present(dialog)
        return dialog

    def _ran(self, step_id: str, run: object, incident: object) -> None:
        if not isinstance(incident, Incident):
            return
        status = getattr(getattr(run, "status", None), "value", "finished")
        step = self.cards[step_id].step.title if step_id in self.cards else step_id
        self.stored(incident, f"ran {step}: {status}")

    def _run_failed(self, current: object) -> None:
        shown = self.incident
        if isinstance(current, Incident) and shown is not None and current.id == shown.id:
            self.show_incident(current)
            self.incident_reloaded.emit(current)

    # ------------------------------------------------------------------ validate steps

    def refresh_watches(self) -> None:
        """Re-describe the validate steps at the clock's now; every third time while a
        watch is running, read the view again (alerts clearing change its verdict)."""
        view = self.view
        if view is None:
            return
        now = self.clock()
        for step in view.runbook.steps:
            if step.kind is StepKind.VALIDATE and step.id in self.cards:
                self.cards[step.id].show_validation(view.validations.get(step.id), now)
        self._watch_ticks += 1
        if self._watch_ticks % WATCH_RELOADS_EVERY == 0 and self.watching():
            self.reload()

    def watching(self) -> bool:
        view = self.view
        return view is not None and any(
            v.watch is Watch.WATCHING for v in view.validations.values()
        )

    def _update_watch_timer(self) -> None:
        view = self.view
        wanted = self.isVisible() and view is not None and bool(view.validations)
        if wanted and not self.watch_timer.isActive():
            self.watch_timer.start()
        elif not wanted and self.watch_timer.isActive():
            self.watch_timer.stop()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._update_watch_timer()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        super().hideEvent(event)
        self.watch_timer.stop()
