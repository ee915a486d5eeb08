"""The main window: the incident wall with its side panel (operator mode) or full-screen (wall mode)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.console import Console
from app.domain.changes import ChangeSet
from app.domain.health import SourceHealth
from app.domain.incident import Incident
from app.domain.notifications import Notification, NotificationKind
from app.domain.severity import Severity
from ui.connections_dialog import ConnectionsDialog
from ui.dialogs import present
from ui.first_paint import FirstPaintWatch
from ui.incident_actions import (
    ACKNOWLEDGE,
    CHANGE_SEVERITY,
    ESCALATE,
    FALSE_POSITIVE,
    RESOLVE,
    ActionSpec,
    IncidentActions,
    Prompt,
    dialog_prompt,
    waiting_action,
)
from ui.notifications import DesktopMessage, Notifier
from ui.saved_views import SavedViews
from ui.severity_dialog import SeverityPrompt, dialog_severity_prompt
from ui.side_panel import IncidentPanel
from ui.sound_player import SoundPlayer
from ui.status_bar import ConsoleStatusBar
from ui.wall_model import IncidentTableModel
from ui.wall_view import IncidentTableView
from ui.window_metrics import MetricsMixin
from ui.window_policies import PoliciesMixin
from ui.window_sounds import SoundsMixin
from ui.window_suppressed import SuppressedMixin
from ui.window_tickets import TicketsMixin
from ui.window_views import ViewsMixin
from ui.window_wall import WallModeMixin
from ui.workers.actions import TaskRunner

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

ORGANIZATION = "noc-console"
APPLICATION = "NOC Console"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def is_alarm(notification: Notification) -> bool:
    """What the wall flashes for: a new P1, or an SLA deadline passed."""
    kind = notification.kind
    return kind is NotificationKind.BREACHED or (
        kind is NotificationKind.OPENED and notification.severity is Severity.P1
    )


class MainWindow(
    ViewsMixin,
    TicketsMixin,
    SoundsMixin,
    SuppressedMixin,
    PoliciesMixin,
    WallModeMixin,
    MetricsMixin,
    QMainWindow,
):
    """The console's window.

    Operator mode: a filter bar (search, filter menus, saved views) over the incident table,
    the side panel beside them, a status bar. Wall mode: the wall theme and large type, a
    header with counts and source lamps, no side panel, a big "All clear" when nothing is
    open and every source is healthy, rotation through customers and pages, and a flashing
    frame for a new P1 or a breach. Keys (README, "The wall"): J/K (and the arrows) move
    the selection; A acknowledges, E escalates, R resolves, F9 opens the sounds; in
    operator mode S changes the severity, W pauses or resumes the SLA clocks, F marks a
    false positive, T creates the ticket (with `[[ticketing]]` entries: through the
    outbox, delivered again every 15 s; else a key logged by hand), / searches, Esc clears, F11 asks for the wall. The
    filter and sort are the model's (Python-side); the header's counts, crossings and
    sounds always cover the whole wall. The SLA cells, the header's counts and the side panel read every clock
    through `console.clock` (the customer's contract, the policies' at-risk marks). Both
    modes count the suppressed alerts after every change set; operator mode lists them
    (click the count in the status bar). Escalations by tier timer (with each change set)
    and SLA clocks crossing an at-risk mark or deadline (checked on the 1 s tick) show as
    toasts at the top right, and outside wall mode as desktop messages; the status bar
    lists the recent ones. The policies and catalog files are watched and reloaded when
    they change; a bad file is refused and the last good policies stay.

    Each feature is a mixin with its own attributes (`ui/window_feature.py` says why):
    the filter bar, saved views and view state (`ViewsMixin`: filter_bar, views), tickets
    (`TicketsMixin`: ticket_delivery, outbox_indicator, ticket_outbox_dialog), sounds
    (`SoundsMixin`: sound_player, sound_alerts, sounds_dialog, sounds_enabled,
    sounds_button), suppressed alerts (`SuppressedMixin`: suppressed, suppressed_dialog),
    policy reloads (`PoliciesMixin`: policy_watch), wall mode (`WallModeMixin`:
    wall_header, all_clear, rotation, flash, wall_metrics) and View → Metrics… (`MetricsMixin`:
    metrics_window). This class holds what they share, the
    operator layout, the keys, the data coming in, the SLA tick and the shutdown.

    Attributes:
        console: the facade (actions and alert loads go through it, off the GUI thread).
        wall_mode: True for the wall display.
        clock: returns the current UTC time; every countdown is painted from it.
        model, table: the incident wall.
        runner: the thread pool runner for actions and loads.
        incident_actions: the operator action controller (buttons and keys).
        side_panel: the selected incident's panel (None in wall mode).
        status: the status bar (source lamps, last poll, messages).
        notifier: the toasts, desktop messages and recent notifications.
        connections_dialog: Settings → Connections (operator mode's menu), once opened.

    Signals:
        first_painted(): the window painted for the first time (startup benchmark).
        wall_requested(): F11 in operator mode: open the wall display beside this window.
    """

    first_painted = Signal()
    wall_requested = Signal()

    def __init__(
        self,
        console: Console,
        *,
        wall: bool = False,
        clock: Clock = _utc_now,
        prompt: Prompt | None = None,
        severity_prompt: SeverityPrompt | None = None,
        runner: TaskRunner | None = None,
        settings: QSettings | None = None,
        desktop: DesktopMessage | None = None,
        sound_player: SoundPlayer | None = None,
        audible: bool = True,
    ) -> None:
        super().__init__()
        self.console = console
        self.wall_mode = wall
        self.clock = clock
        self.setWindowTitle(f"{APPLICATION} \u2014 wall" if wall else APPLICATION)
        self._settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)
        self._health: list[SourceHealth] = []
        self._columns_fitted = False
        self._columns_restored = False  # widths from the last session: do not refit them
        self._startup_errors: list[str] = []  # shown once the window is built
        self.runner = runner if runner is not None else TaskRunner(self)
        if runner is not None:
            runner.setParent(self)
        self._prompt = prompt or dialog_prompt(self)
        self.incident_actions = IncidentActions(
            console,
            self.runner,
            clock=clock,
            prompt=self._prompt,
            severity_prompt=severity_prompt or dialog_severity_prompt(self),
            parent=self,
        )
        self._build_suppressed()
        self.model = IncidentTableModel(self, clock=clock, sla_reader=console.clock)
        self.table = IncidentTableView(self.model, clock=clock)
        self.status = ConsoleStatusBar(self, clock=clock)
        self.setStatusBar(self.status)
        self._sla_watch = console.sla_watch()  # crossings without reading every clock each tick
        self.notifier = Notifier(
            self,
            wall=wall,
            desktop=desktop,
            clock=clock,
            tier=console.config.operator_tier,
            font_scale=console.config.display.wall.font_scale if wall else None,
        )
        self._build_sounds(sound_player, audible)
        self._place_history_button()
        self._last_tick: datetime | None = None
        self.side_panel: IncidentPanel | None = None
        self.metrics_window = None
        self.wall_header = None
        self.all_clear = None
        self._splitter: QSplitter | None = None
        self._wall_stack = None
        self.filter_bar = None
        self.flash = None
        self.rotation = None
        self.wall_metrics = None
        self._wall_metrics_at = None
        self.views = SavedViews(self._settings, self._settings_prefix())
        if wall:
            self._build_wall()
        else:
            self._build_operator()
        self._connect_results()
        self._watch_policies()
        self._install_keys()
        self._first_paint = FirstPaintWatch(self)
        self._first_paint.painted.connect(self.first_painted)
        for widget in (self, self.centralWidget(), self.table.viewport(), self.status):
            if widget is not None:
                self._first_paint.watch(widget)
        self.restore_view_state()
        self._tell_startup_errors()

    # ------------------------------------------------------------------ layout

    def _tell_startup_errors(self) -> None:
        """What went wrong while building (a theme file, no audio device), once."""
        for error in self._startup_errors:
            self.show_error(error)
            if self.wall_mode:
                self.notifier.show_message(error, error=True)

    def _connect_results(self) -> None:
        self.incident_actions.action_finished.connect(self._on_action_finished)
        self.incident_actions.action_failed.connect(self._on_action_failed)
        self._connect_suppressed()
        self.table.sla_timer.timeout.connect(self.tick)
        self.notifier.incident_clicked.connect(self.select_incident)
        self.notifier.stack.bottom_offset = self._toast_bottom
        self._connect_tickets()

    def _place_history_button(self) -> None:
        """The recent notifications and the sounds sit before "last poll", which stays at
        the far right."""
        self.status.removeWidget(self.status.last_poll_label)
        self._build_outbox_indicator()
        self.connections_dialog: ConnectionsDialog | None = None
        self.status.addPermanentWidget(self.outbox_indicator)
        self.status.addPermanentWidget(self.sounds_button)
        self.status.addPermanentWidget(self.notifier.history_button)
        self.status.addPermanentWidget(self.status.last_poll_label)
        self.status.last_poll_label.show()

    def _build_operator(self) -> None:
        panel = IncidentPanel(self.console, self.incident_actions, self.runner, clock=self.clock)
        self.side_panel = panel
        settings = self.menuBar().addMenu("&Settings")
        settings.addAction("&Connections\u2026", self.show_connections)
        settings.addAction("&Sounds\u2026\tF9", self.show_sounds)  # F9 is the window's shortcut
        self._build_metrics_menu()
        bar = self._build_filter_bar()
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(bar)
        column.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self._splitter = splitter
        self.setCentralWidget(splitter)
        self.table.incident_selected.connect(self._on_incident_selected)
        self.status.suppressed_button.clicked.connect(self.show_suppressed_alerts)
        self.resize(1600, 900)
        splitter.setSizes([1100, 500])

    def _install_keys(self) -> None:
        bindings: list[tuple[str, Callable[[], object]]] = [
            ("J", lambda: self.table.move_selection(1)),
            ("K", lambda: self.table.move_selection(-1)),
            ("A", lambda: self.trigger(ACKNOWLEDGE)),
            ("E", lambda: self.trigger(ESCALATE)),
            ("R", lambda: self.trigger(RESOLVE)),
            ("F9", self.show_sounds),
        ]
        if not self.wall_mode:  # the wall is watched, not worked: no override from across the room
            bindings.append(("S", lambda: self.trigger(CHANGE_SEVERITY)))
            bindings.append(("W", self.toggle_waiting))
            # closes the incident: the reason it asks for is the confirmation
            bindings.append(("F", lambda: self.trigger(FALSE_POSITIVE)))
            bindings.append(("Esc", self.clear_selection))
            bindings.append(("T", self.ticket))
            bindings.append(("F11", self.wall_requested.emit))
            bindings.append(("/", self.focus_search))
        self._shortcuts = []
        for key, handler in bindings:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(handler)
            self._shortcuts.append(shortcut)
        quit_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Quit), self)
        quit_shortcut.activated.connect(self.close)
        self._shortcuts.append(quit_shortcut)

    # ------------------------------------------------------------------ data in

    def load(self, incidents: Sequence[Incident], health: Sequence[SourceHealth] = ()) -> None:
        """The initial wall (`console.wall(now)`): one model reset, first row selected."""
        self.model.load(incidents)
        if self._last_tick is None:  # crossings count from the first wall, not before
            self._last_tick = self.clock()
        self._fit_columns_once_filled()
        if health:
            self.set_source_health(health)
        self._refresh_wall()
        self._update_counts()
        self.suppressed.refresh()
        if self.rotation is not None and not self.rotation.timer.isActive():
            self.rotation.start()
        # one desk delivers tickets, from its first wall on; the wall display only watches
        if not self.wall_mode and not self.ticket_delivery.timer.isActive():
            self.ticket_delivery.start()

    def _fit_columns_once_filled(self) -> None:
        """Size columns to the first rows seen (a new database starts empty); later polls
        leave the widths alone, so they never jump under the operator's eyes."""
        if self._columns_fitted:
            return
        if not self._columns_restored:
            self.table.fit_columns()
        self._columns_fitted = self.model.rowCount() > 0
        if self._columns_fitted and not self.wall_mode and self.table.currentIndex().row() < 0:
            self.table.select_row(0)

    def apply_changes(self, changes: ChangeSet) -> None:
        """A poll's change set (from the poll worker's `polled` signal)."""
        self.model.apply(changes)
        if changes.notifications:
            self._announce(changes.notifications)
        if self.sounds_enabled:
            self.sound_alerts.hear_changes(changes)
        self._fit_columns_once_filled()
        if changes.sources:
            self.set_source_health(changes.sources)
        if changes.at is not None:
            self.status.set_last_poll(changes.at)
        self._follow_selection()
        self._refresh_wall()
        self._update_counts()
        self.suppressed.refresh()  # coalesced: one query at a time, whatever the burst

    def set_source_health(self, health: Sequence[SourceHealth]) -> None:
        self._health = list(health)
        self.model.set_source_health(health)
        self.status.set_source_health(health)
        if self.connections_dialog is not None:
            self.connections_dialog.set_source_health(health)
        if self.wall_header is not None:
            self.wall_header.set_source_health(health)
        self._refresh_wall()

    def show_error(self, message: str) -> None:
        """An error for the operator, in the status bar; nothing modal."""
        self.status.show_error(message)

    def show_poll_error(self, message: str) -> None:
        self.status.show_error(f"poll failed: {message}")

    # ------------------------------------------------------------------ settings

    def show_connections(self) -> ConnectionsDialog:
        """Settings → Connections: the sources' health, the ticketing systems with a test
        each (on the runner), and where the config file is."""
        if self.connections_dialog is None:
            self.connections_dialog = ConnectionsDialog(
                self.console.config, self.runner, health=self._health, clock=self.clock, parent=self
            )
        present(self.connections_dialog)
        return self.connections_dialog

    # ------------------------------------------------------------------ actions

    def selected_incident(self) -> Incident | None:
        return self.table.selected_incident()

    def trigger(self, spec: ActionSpec) -> bool:
        incident = self.selected_incident()
        if incident is None:
            self.status.show_info("select an incident first")
            return False
        return self.incident_actions.trigger(spec, incident)

    def clear_selection(self) -> None:
        """Esc: no incident selected, and the side panel empties (it otherwise keeps the
        last snapshot of a row that left the wall)."""
        self.table.clear_selected()
        if self.side_panel is not None:
            self.side_panel.show_incident(None)

    def toggle_waiting(self) -> bool:
        """W: pause the selected incident's SLA clocks (asks why), or resume them if paused."""
        return self.trigger(waiting_action(self.selected_incident()))

    def _on_action_finished(self, incident: object, done: str) -> None:
        if isinstance(incident, Incident):
            self.model.upsert(incident)
            self.status.show_info(f"{incident.key} {done}")
            self._refresh_wall()

    def _on_action_failed(self, incident: object, message: str, current: object) -> None:
        if isinstance(current, Incident):
            self.model.upsert(current)
        key = incident.key if isinstance(incident, Incident) else "action"
        self.status.show_error(f"{key}: {message}")

    # ------------------------------------------------------------------ view updates

    def _on_incident_selected(self, incident: object) -> None:
        if self.side_panel is None:
            return
        if isinstance(incident, Incident):
            self.side_panel.show_incident(incident)
        # nothing selected (the row left the wall): keep the last snapshot in view

    def _follow_selection(self) -> None:
        """Keep the side panel on the newest snapshot of the incident it shows."""
        panel = self.side_panel
        if panel is None or panel.incident is None or panel.incident.id is None:
            return
        newer = self.model.incident(panel.incident.id)
        if newer is not None and newer.version > panel.incident.version:
            panel.show_incident(newer)

    def tick(self) -> None:
        """The 1 s SLA tick: the panel's countdowns, the wall's header, and the SLA clocks
        that crossed a mark since the previous tick (pure: no storage)."""
        if self.side_panel is not None:
            self.side_panel.refresh_clock()
        self._refresh_wall()
        now = self.clock()
        since, self._last_tick = self._last_tick, now
        if since is None or now <= since:
            return  # before the first wall, or a clock set back: nothing crossed
        crossings = self._sla_watch.crossings(self.model.all_incidents(), since, now)
        if crossings:
            self._announce(crossings)
            if self.sounds_enabled:
                self.sound_alerts.hear_notifications(crossings)

    def _announce(self, notifications: Sequence[Notification]) -> None:
        """Toasts and desktop messages; on the wall, a new P1 or a breach also flashes the
        frame and brings the whole wall back from its rotation."""
        self.notifier.notify(notifications)
        if any(is_alarm(n) for n in notifications):
            if self.flash is not None:
                self.flash.flash()
            if self.rotation is not None:
                self.rotation.alarm()

    def select_incident(self, incident_id: int) -> bool:
        """Select an incident on the wall (a clicked notification)."""
        if self.table.select_incident(incident_id):
            return True
        self.status.show_info(f"INC-{incident_id:06d} is no longer on the wall")
        return False

    def _toast_bottom(self) -> int:
        """Toasts sit above the status bar (its lamps stay readable)."""
        bar = self.statusBar()
        return bar.height() if bar is not None and bar.isVisible() else 0

    # ------------------------------------------------------------------ state and shutdown

    @property
    def first_paint_seen(self) -> bool:
        return self._first_paint.seen

    def shutdown(self) -> None:
        """Stop the clock and wait for running actions and loads (the window owns them)."""
        self.table.sla_timer.stop()
        self.ticket_delivery.stop()
        if self.rotation is not None:
            self.rotation.stop_rotating()
        self.sound_player.stop()
        self.policy_watch.stop()
        self.runner.wait()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_view_state()
        self.shutdown()
        super().closeEvent(event)
