"""The side panel: the selected incident's summary, timeline, alerts and action buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.console import Console
from app.domain.alert import Alert
from app.domain.incident import EventKind, Incident, TimelineEvent
from app.domain.severity import Severity
from ui import theme
from ui.delegates import paint_severity_pill
from ui.incident_actions import ACTIONS, ActionSpec, IncidentActions, can
from ui.local_time import day_and_time, hm
from ui.sla_clock import SlaState, read_sla
from ui.workers.actions import TaskRunner

Clock = Callable[[], datetime]

# The keys that trigger an action from the main window (shown on the buttons' tooltips).
ACTION_KEYS = {"acknowledge": "A", "escalate": "E", "resolve": "R"}


_TIMELINE_COLUMNS = ("Time", "Event", "Actor", "Note")
_SUMMARY_FIELDS = (
    ("customer", "Customer"),
    ("services", "Services"),
    ("root", "Root service"),
    ("state", "State"),
    ("tier", "Tier"),
    ("owner", "Owner"),
    ("ticket", "Ticket"),
    ("detected", "Detected"),
    ("sla", "SLA"),
    ("response_due", "Response due"),
    ("resolve_due", "Resolve due"),
    ("flags", "Flags"),
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SeverityBadge(QWidget):
    """The severity pill of the panel's header (the same drawing as the wall's column).

    Attributes:
        severity: the severity shown, or None for nothing.

    Signals:
        (none)
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.severity: Severity | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_severity(self, severity: Severity | None) -> None:
        self.severity = severity
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        return QSize(
            metrics.horizontalAdvance("P1") + metrics.height() * 2 + 16, metrics.height() + 10
        )

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self.severity is None:
            return
        painter = QPainter(self)
        paint_severity_pill(painter, QRectF(self.rect()), self.severity, self.font())
        painter.end()


class _TimelineTable(QTableWidget):
    """The timeline list; rows grow to fit wrapped notes whenever the width changes."""

    def fit_rows(self, *_args: object) -> None:
        self.resizeRowsToContents()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.resizeRowsToContents()


def _event_words(event: TimelineEvent) -> str:
    words = event.kind.value.replace("_", " ")
    if event.kind is EventKind.ESCALATED and event.data.get("to"):
        return f"{words} {event.data.get('from', '')} \u2192 {event.data['to']}"
    if event.kind is EventKind.SEVERITY_CHANGED and event.data.get("to"):
        return f"{words} {event.data.get('from', '')} \u2192 {event.data['to']}"
    if event.kind is EventKind.ALERTS_ATTACHED and event.data.get("count"):
        return f"{words} (+{event.data['count']})"
    if event.kind is EventKind.TICKETED and event.data.get("ticket"):
        return f"{words} {event.data['ticket']}"
    if event.kind is EventKind.ASSIGNED and event.data.get("to"):
        return f"{words} to {event.data['to']}"
    return words


class IncidentPanel(QWidget):
    """Everything about one incident, and the buttons to act on it.

    Attributes:
        incident: the incident shown, or None.
        incident_actions: the controller the buttons call (shared with the window's keys).
        buttons: action name -> its QPushButton.
        error_label: the inline error line (hidden when there is none).
        timeline, alerts: the two lists of the lower half.

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
        self._build()
        actions.action_started.connect(self._on_action_started)
        actions.action_finished.connect(self._on_action_finished)
        actions.action_failed.connect(self._on_action_failed)
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
        layout.addLayout(header)
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title_label)

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
            form.addRow(f"{label}:", value)
        return form

    def _build_buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for spec in ACTIONS:
            button = QPushButton(spec.label)
            key = ACTION_KEYS.get(spec.name)
            button.setToolTip(f"{spec.label} ({key})" if key else spec.label)
            button.clicked.connect(lambda _checked=False, spec=spec: self.trigger(spec))
            self.buttons[spec.name] = button
            buttons.addWidget(button)
        buttons.addStretch(1)
        return buttons

    def _build_lists(self) -> QTabWidget:
        self.tabs = QTabWidget()
        # a table, not a tree: only QTableView sizes wrapped rows to their column widths,
        # and notes (reasons, root causes) must wrap, not be cut
        self.timeline = _TimelineTable(0, len(_TIMELINE_COLUMNS))
        self.timeline.setHorizontalHeaderLabels(list(_TIMELINE_COLUMNS))
        self.timeline.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.timeline.setWordWrap(True)
        self.timeline.setShowGrid(False)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.verticalHeader().setVisible(False)
        header = self.timeline.horizontalHeader()
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.sectionResized.connect(self.timeline.fit_rows)
        self.alerts = QTreeWidget()
        self.alerts.setHeaderLabels(["Status", "Alert", "Instance", "Since", "Summary"])
        self.alerts.setRootIsDecorated(False)
        self.alerts.setAlternatingRowColors(True)
        self.alerts.setUniformRowHeights(True)
        self.alerts.header().setStretchLastSection(True)
        self.alerts.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.addTab(self.alerts, "Alerts")
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
        if incident is None:
            self._stack.setCurrentIndex(0)
            self._alerts_of = None
            return
        self._stack.setCurrentIndex(1)
        self.badge.set_severity(incident.severity)
        self.key_label.setText(incident.key)
        self.title_label.setText(incident.title)
        values = self._values
        now = self.clock()
        values["customer"].setText(incident.customer or "\u2014")
        values["services"].setText(", ".join(incident.services) or "\u2014")
        values["root"].setText(incident.root_service or "\u2014")
        values["state"].setText(incident.state.value.replace("_", " "))
        values["tier"].setText(incident.tier.value)
        values["owner"].setText(incident.owner or "nobody yet")
        values["ticket"].setText(incident.ticket or "\u2014")
        values["detected"].setText(day_and_time(incident.detected_at, now))
        values["response_due"].setText(
            self._due(incident.response_due, incident.acknowledged_at, now)
        )
        values["resolve_due"].setText(self._due(incident.resolve_due, incident.resolved_at, now))
        flags = sorted(incident.flags)
        if incident.recurrence_of is not None:
            flags.append(f"recurrence of INC-{incident.recurrence_of:06d}")
        values["flags"].setText(", ".join(flags) or "\u2014")
        self.refresh_clock()
        self._fill_timeline(incident)
        self._update_buttons()
        key = (incident.id or 0, incident.version)
        if incident.id is not None and key != self._alerts_of:
            self._load_alerts(incident.id, key)

    @staticmethod
    def _due(due: datetime | None, met: datetime | None, now: datetime) -> str:
        if due is None:
            return "\u2014"
        text = day_and_time(due, now)
        if met is not None:
            verdict = "met" if met <= due else "missed"
            return f"{text} ({verdict} at {hm(met)})"
        return text

    def refresh_clock(self) -> None:
        """Re-read the SLA clock (the window calls this once a second)."""
        incident = self.incident
        if incident is None:
            return
        reading = read_sla(incident, self.clock())
        label = self._values["sla"]
        label.setText(reading.text)
        if reading.state is SlaState.BREACHED:
            colour = theme.error_colour(self.palette()).name()
            label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        elif reading.state is SlaState.AT_RISK:
            label.setStyleSheet(
                f"color: {theme.at_risk_colour(self.palette()).name()}; font-weight: bold;"
            )
        else:
            label.setStyleSheet("")

    def _fill_timeline(self, incident: Incident) -> None:
        now = self.clock()
        table = self.timeline
        table.setRowCount(len(incident.timeline))
        for row, event in enumerate(incident.timeline):
            texts = (day_and_time(event.at, now), _event_words(event), event.actor, event.note)
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                if column == len(texts) - 1:
                    item.setToolTip(text)
                table.setItem(row, column, item)
        for column in range(3):
            table.resizeColumnToContents(column)
        table.resizeRowsToContents()
        table.scrollToBottom()
        items = incident.timeline
        self.tabs.setTabText(0, f"Timeline ({len(items)})")

    def timeline_rows(self) -> list[tuple[str, str, str, str]]:
        """What the timeline shows: (time, event, actor, note) per row, oldest first."""
        table = self.timeline

        def text(row: int, column: int) -> str:
            item = table.item(row, column)
            return item.text() if item is not None else ""

        return [
            (text(row, 0), text(row, 1), text(row, 2), text(row, 3))
            for row in range(table.rowCount())
        ]

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
        now = self.clock()
        self.alerts.clear()
        items = []
        for alert in alerts:
            # a silenced or inhibited alert says so and why, where the operator looks
            suppressed = alert.firing and bool(alert.suppressed_by)
            summary = (
                f"{alert.summary} ({'; '.join(alert.suppressed_by)})"
                if suppressed
                else alert.summary
            )
            item = QTreeWidgetItem(
                [
                    "suppressed" if suppressed else alert.status.value,
                    alert.alertname,
                    alert.labels.get("instance", ""),
                    day_and_time(alert.starts_at, now),
                    summary,
                ]
            )
            labels = "\n".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
            item.setToolTip(4, f"{summary}\n\n{labels}")
            if not alert.firing or suppressed:
                for column in range(5):
                    item.setForeground(column, theme.MUTED_BRUSH)
            items.append(item)
        self.alerts.addTopLevelItems(items)
        for column in range(4):
            self.alerts.resizeColumnToContents(column)
        self.tabs.setTabText(1, f"Alerts ({len(items)})")

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
        for spec in ACTIONS:
            enabled = incident is not None and not busy and can(spec, incident)
            self.buttons[spec.name].setEnabled(enabled)

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

    def _on_action_failed(self, incident: object, message: str, current: object) -> None:
        if not self._is_shown(incident):
            return
        if isinstance(current, Incident):
            self.show_incident(current)
        self._update_buttons()
        self.show_error(message)
