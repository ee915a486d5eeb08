"""The side panel: the selected incident's summary, known issue, timeline, alerts and actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.console import Console, RunbookView
from app.domain.alert import Alert
from app.domain.incident import Incident
from app.domain.outbox import OutboxItem, OutboxOp
from ui import theme
from ui.alert_list import AlertList
from ui.delegates import sla_text_colour
from ui.incident_actions import (
    ACTIONS,
    CHANGE_SEVERITY,
    CREATE_TICKET_LABEL,
    CUSTOMER_UPDATE,
    DEESCALATE,
    PAUSE,
    RESOLVE,
    RESUME,
    TICKET,
    ActionSpec,
    IncidentActions,
    can,
    waiting_action,
)
from ui.incident_header import (
    KnownIssueBox,
    SeverityBadge,
    flag_words,
    root_words,
    update_words,
    waiting_words,
)
from ui.local_time import day_and_time, hm
from ui.runbook_panel import RunbookPanel
from ui.sla_clock import SlaLook, read_sla
from ui.tickets import TicketOutcome, queued_words
from ui.timeline import TimelineTable
from ui.workers.actions import TaskRunner

Clock = Callable[[], datetime]

# The keys that trigger an action from the main window (shown on the buttons' tooltips).
ACTION_KEYS = {
    "acknowledge": "A",
    "escalate": "E",
    "resolve": "R",
    "change_severity": "S",
    "pause": "W",
    "resume": "W",
    "false_positive": "F",
    "ticket": "T",
}
# the one button that pauses or resumes the SLA clocks (beside the SLA line)
WAITING_BUTTON = "waiting"
_RUNBOOK_TAB = 2

_SUMMARY_FIELDS = (
    ("customer", "Customer"),
    ("team", "Team"),
    ("services", "Services"),
    ("state", "State"),
    ("tier", "Tier"),
    ("owner", "Owner"),
    ("ticket", "Ticket"),
    ("detected", "Detected"),
    ("sla", "SLA"),
    ("waiting", "Waiting"),
    ("customer_update", "Customer update"),
    ("response_due", "Response due"),
    ("resolve_due", "Resolve due"),
    ("flags", "Flags"),
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _waiting_tooltip(spec: ActionSpec) -> str:
    if spec is RESUME:
        return (
            f"{RESUME.label} ({ACTION_KEYS[RESUME.name]}): the SLA deadlines move"
            " by the time spent waiting"
        )
    return f"{PAUSE.label} ({ACTION_KEYS[PAUSE.name]}): stop the SLA clocks, with a reason"


class IncidentPanel(QWidget):
    """Everything about one incident, and the buttons to act on it.

    Attributes:
        incident: the incident shown, or None.
        incident_actions: the controller the buttons call (shared with the window's keys).
        buttons: action name -> its QPushButton (Change severity sits by the severity pill).
        root_label: "root cause candidate: acme-db · ..." (hidden without a root service).
        known_issue_box: the known-issue rule of a badged incident (hidden otherwise).
        error_label: the inline error line (hidden when there is none).
        timeline, alerts, runbook: the tabs of the lower half (runbook: the incident's
            runbook as a checklist, and the links its alerts carry).

    Signals:
        alerts_loaded(int, object): incident id and its list of Alerts, once shown.
    """

    alerts_loaded = Signal(int, object)

    def __init__(
        self,
        console: Console,
        actions: IncidentActions,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        clock: Clock = _utc_now,
    ) -> None:
        super().__init__(parent)
        self.console = console
        self.incident_actions = actions
        self.runner = runner
        self.clock = clock
        self.incident: Incident | None = None
        self._alerts_of: tuple[int, int] | None = None  # (id, version) the alerts belong to
        self._values: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        # incident id -> its waiting create, in words (the Ticket line until the key comes)
        self._queued_tickets: dict[int, OutboxItem] = {}
        self._build()
        actions.action_started.connect(self._on_action_started)
        actions.action_finished.connect(self._on_action_finished)
        actions.action_failed.connect(self._on_action_failed)
        actions.ticket_reported.connect(self._on_ticket_reported)
        self.show_incident(None)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        self.setMinimumWidth(380)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self._stack = QStackedWidget(self)
        outer.addWidget(self._stack)
        self._placeholder = QLabel("Select an incident to see its timeline and alerts.")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._stack.addWidget(self._placeholder)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        self._stack.addWidget(content)
        self._build_header(layout)
        layout.addLayout(self._build_summary())
        layout.addLayout(self._build_buttons())
        self.busy_label = QLabel("working\u2026")
        self.busy_label.setVisible(False)
        layout.addWidget(self.busy_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)
        layout.addWidget(self._build_lists(), 1)

    def _build_header(self, layout: QVBoxLayout) -> None:
        header = QHBoxLayout()
        self.badge = SeverityBadge()
        header.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)
        self.key_label = QLabel()
        font = self.key_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.key_label.setFont(font)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header.addWidget(self.key_label, 1)
        severity = QPushButton(f"{CHANGE_SEVERITY.label}\u2026")
        severity.setToolTip(f"{CHANGE_SEVERITY.label} ({ACTION_KEYS[CHANGE_SEVERITY.name]})")
        severity.clicked.connect(lambda _checked=False: self.trigger(CHANGE_SEVERITY))
        self.buttons[CHANGE_SEVERITY.name] = severity
        header.addWidget(severity, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(header)
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title_label)
        self.root_label = QLabel()
        self.root_label.setWordWrap(True)
        self.root_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.root_label.font()
        font.setBold(True)
        self.root_label.setFont(font)
        layout.addWidget(self.root_label)
        self.known_issue_box = KnownIssueBox()
        layout.addWidget(self.known_issue_box)

    def _build_summary(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setVerticalSpacing(2)
        for name, label in _SUMMARY_FIELDS:
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            self._values[name] = value
            if name == "sla":  # the waiting button sits by the clock it stops
                row = QHBoxLayout()
                row.setContentsMargins(0, 0, 0, 0)
                row.addWidget(value, 1)
                row.addWidget(self._build_waiting_button(), 0, Qt.AlignmentFlag.AlignVCenter)
                form.addRow(f"{label}:", row)
            elif name == "customer_update":  # the button sits by the countdown it restarts
                self._update_row = self._value_with_button(
                    value,
                    CUSTOMER_UPDATE,
                    "Record what the customer was told; the countdown starts again",
                )
                form.addRow(f"{label}:", self._update_row)
            elif name == "ticket":
                form.addRow(f"{label}:", self._ticket_row(value))
            else:
                form.addRow(f"{label}:", value)
        form.setRowVisible(self._values["waiting"], False)  # shown only while paused
        form.setRowVisible(self._update_row, False)  # only when the contract owes updates
        self._form = form
        return form

    def _ticket_row(self, value: QLabel) -> QHBoxLayout:
        """Created through the outbox with a ticketing system; else logged by hand."""
        key = ACTION_KEYS[TICKET.name]
        if not self.incident_actions.creates_tickets:
            return self._value_with_button(
                value,
                TICKET,
                f"Record the key of the ticket logged in the customer's system ({key})",
            )
        row = self._value_with_button(
            value,
            TICKET,
            f"{CREATE_TICKET_LABEL} in the customer's ticketing system ({key}); while the"
            " system is down it waits in the outbox and is retried",
        )
        self.buttons[TICKET.name].setText(CREATE_TICKET_LABEL)  # no question asked
        return row

    def _value_with_button(self, value: QLabel, spec: ActionSpec, tooltip: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(value, 1)
        button = QPushButton(f"{spec.label}\u2026")
        button.setToolTip(tooltip)
        button.clicked.connect(lambda _checked=False: self.trigger(spec))
        self.buttons[spec.name] = button
        row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        return row

    def _build_waiting_button(self) -> QPushButton:
        button = QPushButton(f"{PAUSE.label}\u2026")
        button.setToolTip(_waiting_tooltip(PAUSE))
        button.clicked.connect(lambda _checked=False: self.trigger(waiting_action(self.incident)))
        self.buttons[WAITING_BUTTON] = button
        return button

    def _build_buttons(self) -> QVBoxLayout:
        # two rows: who works it (acknowledge, escalate, de-escalate), then how it ends
        rows = QVBoxLayout()
        rows.setSpacing(4)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        rows.addLayout(buttons)
        for spec in ACTIONS:
            if spec is RESOLVE:
                buttons.addStretch(1)
                buttons = QHBoxLayout()
                buttons.setSpacing(4)
                rows.addLayout(buttons)
            # the actions that ask first say so (the older ones kept their short labels)
            button = QPushButton(f"{spec.label}\u2026" if spec is DEESCALATE else spec.label)
            key = ACTION_KEYS.get(spec.name)
            button.setToolTip(f"{spec.label} ({key})" if key else spec.label)
            button.clicked.connect(lambda _checked=False, spec=spec: self.trigger(spec))
            self.buttons[spec.name] = button
            buttons.addWidget(button)
        buttons.addStretch(1)
        return rows

    def _build_lists(self) -> QTabWidget:
        self.tabs = QTabWidget()
        self.timeline = TimelineTable()
        self.alerts = AlertList()
        self.runbook = RunbookPanel(self.console, self.runner, clock=self.clock)
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.addTab(self.alerts, "Alerts")
        self.tabs.addTab(self.runbook, "Runbook")
        # ticks, answers and runs land like the buttons' actions: wall, status bar, timeline
        self.runbook.incident_changed.connect(self.incident_actions.finished_elsewhere)
        self.runbook.incident_reloaded.connect(self._on_runbook_conflict)
        self.runbook.view_loaded.connect(self._on_runbook_loaded)
        # escalation names the required steps not done, from the view already loaded
        self.incident_actions.missing_steps = self.runbook.missing_steps
        return self.tabs

    # ------------------------------------------------------------------ showing

    def show_incident(self, incident: Incident | None) -> None:
        """Show a snapshot; an older snapshot of the incident already shown is ignored."""
        current = self.incident
        same = incident is not None and current is not None and incident.id == current.id
        if (
            same
            and incident is not None
            and current is not None
            and incident.version < current.version
        ):
            return
        if not same:
            self.clear_error()
        self.incident = incident
        if not same:
            self.tabs.setTabText(_RUNBOOK_TAB, "Runbook (loading\u2026)" if incident else "Runbook")
        self.runbook.show_incident(incident)
        if incident is None:
            self._stack.setCurrentIndex(0)
            self._alerts_of = None
            return
        self._stack.setCurrentIndex(1)
        self.badge.set_severity(incident.severity)
        self.key_label.setText(incident.key)
        self.title_label.setText(incident.title)
        root = root_words(incident)
        self.root_label.setText(root)
        self.root_label.setVisible(bool(root))
        self._show_known_issue(incident)
        values = self._values
        now = self.clock()
        values["customer"].setText(incident.customer or "\u2014")
        values["team"].setText(incident.team or "\u2014")
        values["services"].setText(", ".join(incident.services) or "\u2014")
        values["state"].setText(incident.state.value.replace("_", " "))
        values["tier"].setText(incident.tier.value)
        values["owner"].setText(incident.owner or "nobody yet")
        self._show_ticket(incident)
        values["detected"].setText(day_and_time(incident.detected_at, now))
        paused = incident.paused_since is not None
        values["response_due"].setText(
            self._due(incident.response_due, incident.acknowledged_at, now, paused=paused)
        )
        values["resolve_due"].setText(
            self._due(incident.resolve_due, incident.resolved_at, now, paused=paused)
        )
        waiting = waiting_words(incident, now)
        values["waiting"].setText(waiting)
        self._form.setRowVisible(values["waiting"], bool(waiting))
        self._form.setRowVisible(self._update_row, incident.update_due is not None)
        values["flags"].setText(flag_words(incident))
        self.refresh_clock()
        self._fill_timeline(incident)
        self._update_buttons()
        key = (incident.id or 0, incident.version)
        if incident.id is not None and key != self._alerts_of:
            self._load_alerts(incident.id, key)

    def _show_ticket(self, incident: Incident) -> None:
        """The key; while the create waits in the outbox, why (the full words on hover)."""
        value = self._values["ticket"]
        waiting = self._queued_tickets.get(incident.id or 0)
        if incident.ticket or waiting is None:
            value.setText(incident.ticket or "\u2014")
            value.setToolTip("")
            return
        value.setText(queued_words(waiting))
        value.setToolTip(waiting.last_error or "")

    def set_outbox(self, items: Sequence[OutboxItem]) -> None:
        """The outbox after a delivery pass: the Ticket line says why a create waits."""
        self._queued_tickets = {
            item.incident_id: item for item in items if item.op is OutboxOp.CREATE
        }
        if self.incident is not None:
            self._show_ticket(self.incident)

    def _show_known_issue(self, incident: Incident) -> None:
        box = self.known_issue_box
        if not incident.known_issue:
            box.setVisible(False)
            return
        # policies only, no I/O: fine on the GUI thread
        box.show_issue(incident.known_issue, self.console.known_issue(incident.known_issue))
        box.setVisible(True)

    @staticmethod
    def _due(
        due: datetime | None, met: datetime | None, now: datetime, *, paused: bool = False
    ) -> str:
        if due is None:
            return "\u2014"
        text = day_and_time(due, now)
        if met is not None:
            verdict = "met" if met <= due else "missed"
            return f"{text} ({verdict} at {hm(met)})"
        if paused:  # resuming pushes it by the time spent waiting
            return f"{text} (paused)"
        return text

    def refresh_clock(self) -> None:
        """Re-read the SLA clock (the window calls this once a second)."""
        incident = self.incident
        if incident is None:
            return
        sla = read_sla(incident, self.clock(), self.console.clock)
        label = self._values["sla"]
        label.setText(sla.text)
        palette = self.palette()
        if sla.look is SlaLook.BREACHED:
            colour = theme.error_colour(palette).name()
            sheet = f"color: {colour}; font-weight: bold;"
        elif sla.look in (SlaLook.WARNING, SlaLook.DANGER, SlaLook.PAUSED):
            shade = sla_text_colour(sla.look, palette) or theme.theme_for(palette).muted
            weight = "normal" if sla.look is SlaLook.PAUSED else "bold"
            sheet = f"color: {shade.name()}; font-weight: {weight};"
        else:
            sheet = ""
        # every second: a style sheet set again re-polishes and re-lays the panel out
        if label.styleSheet() != sheet:
            label.setStyleSheet(sheet)
        self._refresh_update_due(incident)

    def _refresh_update_due(self, incident: Incident) -> None:
        label = self._values["customer_update"]
        if incident.update_due is None:
            label.clear()
            return
        text, overdue = update_words(incident.update_due, self.clock())
        label.setText(text)
        # the breached look once overdue: the customer has waited too long already
        colour = theme.error_colour(self.palette()).name() if overdue else ""
        sheet = f"color: {colour}; font-weight: bold;" if overdue else ""
        if label.styleSheet() != sheet:  # once a second: only when it changes
            label.setStyleSheet(sheet)

    def _fill_timeline(self, incident: Incident) -> None:
        self.timeline.fill(incident, self.clock())
        self.tabs.setTabText(0, f"Timeline ({len(incident.timeline)})")

    def summary_text(self, name: str) -> str:
        """The shown value of one summary field ("team", "flags", ... as in _SUMMARY_FIELDS)."""
        return self._values[name].text()

    def summary_shown(self, name: str) -> bool:
        """Whether a summary field's row is shown ("waiting" is, only while paused)."""
        if name == "customer_update":
            return self._form.isRowVisible(self._update_row)
        return self._form.isRowVisible(self._values[name])

    def timeline_rows(self) -> list[tuple[str, str, str, str]]:
        """What the timeline shows: (time, event, actor, note) per row, oldest first."""
        return self.timeline.rows()

    def _on_runbook_loaded(self, view: object) -> None:
        if isinstance(view, RunbookView):
            total = len(view.runbook.steps)
            self.tabs.setTabText(_RUNBOOK_TAB, f"Runbook ({view.progress.done_count}/{total})")
        else:
            self.tabs.setTabText(_RUNBOOK_TAB, "Runbook")

    def _on_runbook_conflict(self, current: object) -> None:
        if self._is_shown(current) and isinstance(current, Incident):
            self.show_incident(current)

    def _load_alerts(self, incident_id: int, key: tuple[int, int]) -> None:
        self._alerts_of = key
        if self.alerts.topLevelItemCount() == 0 or self.tabs.tabText(1) == "Alerts":
            self.tabs.setTabText(1, "Alerts (loading\u2026)")
        console = self.console
        self.runner.submit(
            f"alerts of INC-{incident_id:06d}",
            lambda: console.alerts_of(incident_id),
            on_result=lambda alerts: self._alerts_arrived(key, alerts),
            on_error=lambda error: self._alerts_failed(key, error),
        )

    def _alerts_arrived(self, key: tuple[int, int], alerts: object) -> None:
        if key != self._alerts_of or not isinstance(alerts, list):
            return  # the operator moved on; this answer is for another incident
        self.set_alerts(alerts)
        self.alerts_loaded.emit(key[0], alerts)

    def _alerts_failed(self, key: tuple[int, int], error: BaseException) -> None:
        if key == self._alerts_of:
            self.tabs.setTabText(1, "Alerts (failed)")
            self.show_error(f"could not load the alerts: {error}")

    def set_alerts(self, alerts: Sequence[Alert]) -> None:
        self.alerts.set_alerts(alerts, self.clock())
        self.runbook.set_alerts(alerts)
        self.tabs.setTabText(1, f"Alerts ({len(alerts)})")

    # ------------------------------------------------------------------ actions

    def trigger(self, spec: ActionSpec) -> bool:
        if self.incident is None:
            return False
        return self.incident_actions.trigger(spec, self.incident)

    def show_error(self, message: str) -> None:
        colour = theme.error_colour(self.palette()).name()
        self.error_label.setStyleSheet(f"color: {colour};")
        self.error_label.setText(message)
        self.error_label.setVisible(True)

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.setVisible(False)

    def _update_buttons(self) -> None:
        incident = self.incident
        busy = self.incident_actions.busy(incident)
        self.busy_label.setVisible(busy)
        for spec in (*ACTIONS, CHANGE_SEVERITY, CUSTOMER_UPDATE, TICKET):
            enabled = incident is not None and not busy and can(spec, incident)
            self.buttons[spec.name].setEnabled(enabled)
        waiting = waiting_action(incident)
        button = self.buttons[WAITING_BUTTON]
        button.setText(waiting.label if waiting is RESUME else f"{waiting.label}\u2026")
        button.setToolTip(_waiting_tooltip(waiting))
        button.setEnabled(incident is not None and not busy and can(waiting, incident))

    def _is_shown(self, incident: object) -> bool:
        return (
            isinstance(incident, Incident)
            and self.incident is not None
            and incident.id == self.incident.id
        )

    def _on_action_started(self, incident: object, _name: str) -> None:
        if self._is_shown(incident):
            self.clear_error()
            self._update_buttons()

    def _on_action_finished(self, incident: object, _done: str) -> None:
        if self._is_shown(incident) and isinstance(incident, Incident):
            self.clear_error()
            self.show_incident(incident)

    def _on_ticket_reported(self, outcome: object) -> None:
        if not isinstance(outcome, TicketOutcome) or outcome.incident.id is None:
            return
        incident_id = outcome.incident.id
        if outcome.waiting is not None:
            self._queued_tickets[incident_id] = outcome.waiting
        else:
            self._queued_tickets.pop(incident_id, None)
        if not self._is_shown(outcome.incident):
            return
        self.show_incident(outcome.incident)
        self._update_buttons()
        if outcome.attention:
            self.show_error(f"{outcome.incident.key}: {outcome.words()}")
        else:
            self.clear_error()

    def _on_action_failed(self, incident: object, message: str, current: object) -> None:
        if not self._is_shown(incident):
            return
        if isinstance(current, Incident):
            self.show_incident(current)
        self._update_buttons()
        self.show_error(message)
