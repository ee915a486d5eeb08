"""The main window: the incident wall with its side panel (operator mode) or full-screen (wall mode)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.console import Console
from app.domain.changes import ChangeSet
from app.domain.health import SourceHealth
from app.domain.incident import Incident
from app.domain.incident_filter import IncidentFilter
from app.domain.notifications import Notification, NotificationKind
from app.domain.severity import Severity
from app.sound_policy import SoundPolicy
from ui import theme
from ui.connections_dialog import ConnectionsDialog
from ui.dialogs import present
from ui.filter_bar import COMFORTABLE, COMPACT, FilterBar
from ui.incident_actions import (
    ACKNOWLEDGE,
    CHANGE_SEVERITY,
    ESCALATE,
    FALSE_POSITIVE,
    RESOLVE,
    TICKET,
    ActionSpec,
    IncidentActions,
    Prompt,
    dialog_prompt,
    waiting_action,
)
from ui.notifications import DesktopMessage, Notifier
from ui.policy_watch import PolicyWatch
from ui.saved_views import SavedViews, View
from ui.severity_dialog import SeverityPrompt, dialog_severity_prompt
from ui.side_panel import IncidentPanel
from ui.sla_clock import SlaLooks
from ui.sound_alerts import SoundAlerts
from ui.sound_player import SoundPlayer
from ui.sounds_dialog import SoundsDialog
from ui.status_bar import ConsoleStatusBar
from ui.suppressed import SuppressedAlerts, SuppressedAlertsDialog
from ui.ticket_outbox import TicketOutboxDialog
from ui.tickets import OutboxIndicator, TicketDelivery, TicketOutcome
from ui.wall_flash import WallFlash
from ui.wall_header import AllClear, WallHeader
from ui.wall_model import Column, IncidentTableModel
from ui.wall_rotation import WallRotation
from ui.wall_view import IncidentTableView
from ui.workers.actions import TaskRunner

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

ORGANIZATION = "noc-console"
WALL_HIDDEN_COLUMNS = (Column.ALERTS, Column.TICKET)
APPLICATION = "NOC Console"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def is_alarm(notification: Notification) -> bool:
    """What the wall flashes for: a new P1, or an SLA deadline passed."""
    kind = notification.kind
    return kind is NotificationKind.BREACHED or (
        kind is NotificationKind.OPENED and notification.severity is Severity.P1
    )


class _FirstPaintWatch(QObject):
    """Reports the first Paint event of the widgets it watches, once, then stops watching.

    Attributes:
        seen: whether a paint has been seen.

    Signals:
        painted(): the first Paint event arrived.
    """

    painted = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.seen = False
        self._watched: list[QObject] = []

    def watch(self, widget: QObject) -> None:
        widget.installEventFilter(self)
        self._watched.append(widget)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            # a Python filter costs a call per event: stop watching once it has served
            for widget in self._watched:
                widget.removeEventFilter(self)
            self._watched.clear()
            self.painted.emit()
        return False


class MainWindow(QMainWindow):
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

    Attributes:
        console: the facade (actions and alert loads go through it, off the GUI thread).
        wall_mode: True for the wall display.
        clock: returns the current UTC time; every countdown is painted from it.
        model, table: the incident wall.
        runner: the thread pool runner for actions and loads.
        incident_actions: the operator action controller (buttons and keys).
        side_panel: the selected incident's panel (None in wall mode).
        status: the status bar (source lamps, last poll, messages).
        wall_header, all_clear: wall mode's header and quiet-wall message (None in
            operator mode).
        suppressed: the suppressed-alerts query, refreshed after every change set.
        suppressed_dialog: the list of suppressed alerts, once opened (operator mode).
        notifier: the toasts, desktop messages and recent notifications.
        policy_watch: reloads the policies when their files change.
        filter_bar, views: operator mode's filter bar (None on the wall) and saved views.
        rotation, flash: wall mode's rotation (None unless `[wall] rotate`) and alarm frame.
        sound_player, sound_alerts, sounds_dialog: the sounds, their policy, their dialog.
        sounds_enabled: False while another window of this process plays them, or in a
            screenshot (`audible=False`).
        ticket_delivery: the ticket lane: T's creates and the 15 s delivery pass (operator
            mode with `[[ticketing]]` entries only).
        outbox_indicator, ticket_outbox_dialog: "3 ticket updates pending" in the status
            bar, and the outbox's rows once opened.
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
        self.suppressed = SuppressedAlerts(console, self.runner, parent=self)
        self.suppressed_dialog: SuppressedAlertsDialog | None = None
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
        self.wall_header: WallHeader | None = None
        self.all_clear: AllClear | None = None
        self._splitter: QSplitter | None = None
        self._wall_stack: QStackedWidget | None = None
        self.filter_bar: FilterBar | None = None
        self.flash: WallFlash | None = None
        self.rotation: WallRotation | None = None
        self.views = SavedViews(self._settings, self._settings_prefix())
        if wall:
            self._build_wall()
        else:
            self._build_operator()
        self._connect_results()
        self.policy_watch = PolicyWatch(console, self.runner, parent=self)
        self.policy_watch.policies_reloaded.connect(self._on_policies_reloaded)
        self.policy_watch.reload_failed.connect(self._on_policies_refused)
        self._install_keys()
        self._first_paint = _FirstPaintWatch(self)
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
        self.suppressed.suppressed_changed.connect(self._on_suppressed_changed)
        self.suppressed.refresh_failed.connect(self._on_suppressed_failed)
        self.table.sla_timer.timeout.connect(self.tick)
        self.notifier.incident_clicked.connect(self.select_incident)
        self.notifier.stack.bottom_offset = self._toast_bottom
        self.incident_actions.ticket_reported.connect(self._on_ticket_reported)
        self.ticket_delivery.wall_changed.connect(self._on_tickets_delivered)
        self.ticket_delivery.outbox_changed.connect(self._on_outbox_changed)
        self.ticket_delivery.pass_failed.connect(
            lambda error: self.show_error(f"ticket delivery failed: {error}")
        )
        self.outbox_indicator.clicked.connect(self.show_ticket_outbox)
        # a write held in a state conflict: a toast (and desktop message) to decide it
        self.ticket_delivery.conflicts_found.connect(self._announce)
        self.notifier.outbox_requested.connect(self.show_ticket_outbox)

    def _build_sounds(self, player: SoundPlayer | None, audible: bool) -> None:
        sounds = self.console.config.sounds
        self.sound_player = player if player is not None else SoundPlayer(sounds, parent=self)
        if player is not None:
            player.setParent(self)
        self.sound_alerts = SoundAlerts(
            SoundPolicy(sounds), self.sound_player, clock=self.clock, parent=self
        )
        # off while this process's F11 wall plays them (one room, one alarm), and in a
        # screenshot (a picture of the wall, not a running one)
        self.sounds_enabled = audible
        self.sounds_dialog: SoundsDialog | None = None
        self.sound_player.audio_unavailable.connect(self._on_audio_unavailable)
        if not self.sound_player.available and sounds.enabled and self.wall_mode and audible:
            # found out while the player was built, before anyone listened: the wall says so
            # (its room relies on the alarm); a desk shows it on the speaker's tooltip
            self._startup_errors.append(f"{self.sound_player.status}; alarms show on screen only")
        button = QToolButton()
        button.setText("\u266a")  # ♪ (in the fonts every desktop has; an emoji is not)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setToolTip("Sounds: what plays for what, quiet hours, test (F9)")
        button.clicked.connect(self.show_sounds)
        if not self.sound_player.available:
            button.setToolTip(f"Sounds: {self.sound_player.status} (F9 to test)")
        self.sounds_button = button

    def show_sounds(self) -> SoundsDialog:
        """The sounds dialog (F9, or the speaker in the status bar): each event's sound,
        a test button, the quiet hours and whether this machine can play at all."""
        dialog = self.sounds_dialog
        if dialog is None:
            dialog = SoundsDialog(
                self.console.config.sounds,
                self.sound_alerts.policy,
                self.sound_player,
                clock=self.clock,
                parent=self,
            )
            self.sounds_dialog = dialog
        dialog.refresh()
        present(dialog)
        return dialog

    def _on_audio_unavailable(self, status: str) -> None:
        """Told once per outage; the console goes on without sound."""
        self.sounds_button.setToolTip(f"Sounds: {status} (F9 to test)")
        self.notifier.show_message(f"{status}; alarms show on screen only", error=True)

    def _place_history_button(self) -> None:
        """The recent notifications and the sounds sit before "last poll", which stays at
        the far right."""
        self.status.removeWidget(self.status.last_poll_label)
        self.outbox_indicator = OutboxIndicator(clock=self.clock)
        self.ticket_outbox_dialog: TicketOutboxDialog | None = None
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
        bar = FilterBar(
            customers=lambda: self.model.values(Column.CUSTOMER),
            teams=lambda: self.model.values(Column.TEAM),
            ask_name=self._prompt,
        )
        self.filter_bar = bar
        bar.filter_changed.connect(self._on_filter_edited)
        bar.view_chosen.connect(self.choose_view)
        bar.save_requested.connect(self.save_view)
        bar.delete_requested.connect(self.delete_view)
        bar.density_changed.connect(self.set_density)
        bar.leave.connect(self._leave_search)
        self.table.sort_changed.connect(self._on_sort_edited)
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

    def _build_wall(self) -> None:
        display = self.console.config.display.wall
        colours, refused = theme.load_or_fallback(display.theme, "dark")
        if refused is not None:
            self._startup_errors.append(refused)
        self.setPalette(theme.palette(colours))
        self.setAutoFillBackground(True)
        self.model.muted_brush = colours.muted_brush
        scale = display.font_scale
        self.table.setFont(theme.wall_font(font_scale=scale))
        self.table.horizontalHeader().setFont(theme.wall_font(bold=True, font_scale=scale))
        self.table.apply_font_metrics()
        # read from across the room: the wall keeps what decides who moves first
        for column in WALL_HIDDEN_COLUMNS:
            self.table.setColumnHidden(column, True)
        self.status.setFont(theme.wall_font(1.2, font_scale=scale))
        self.status.sources.setFont(theme.wall_font(1.2, font_scale=scale))
        header = WallHeader(
            clock=self.clock, reader=self.console.clock, upcoming=self.console.next_clock_change
        )
        header.setFont(theme.wall_font(1.5, font_scale=scale))
        self.wall_header = header
        self.all_clear = AllClear(font_scale=scale)
        stack = QStackedWidget()
        stack.addWidget(self.table)
        stack.addWidget(self.all_clear)
        self._wall_stack = stack
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(stack, 1)
        self.setCentralWidget(central)
        self.flash = WallFlash(central)
        display = self.console.config.display.wall
        if display.rotate:
            rotation = WallRotation(
                self.model,
                self.table,
                display.rotate,
                int(display.rotate_every.total_seconds() * 1000),
                self,
            )
            rotation.turned.connect(self.status.show_info)
            self.rotation = rotation
        # the header carries the lamps and the suppressed count on the wall
        self.status.sources.setVisible(False)
        self.status.suppressed_button.setVisible(False)
        self.sounds_button.setVisible(False)  # F9 on the wall's keyboard
        self.notifier.history_button.setVisible(False)  # watched, not worked
        self.resize(1920, 1080)

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

    # ------------------------------------------------------------------ suppressed alerts

    def show_suppressed_alerts(self) -> SuppressedAlertsDialog:
        """Open (or raise) the list of suppressed alerts; it follows every refresh."""
        dialog = self.suppressed_dialog
        if dialog is None:
            dialog = SuppressedAlertsDialog(self, clock=self.clock)
            dialog.refresh_requested.connect(self.suppressed.refresh)
            self.suppressed_dialog = dialog
        dialog.set_alerts(self.suppressed.alerts)
        present(dialog)
        return dialog

    def _on_suppressed_changed(self, alerts: object) -> None:
        count = len(alerts) if isinstance(alerts, list) else None
        self.status.set_suppressed(count)
        if self.wall_header is not None:
            self.wall_header.set_suppressed(count)
        if self.suppressed_dialog is not None and isinstance(alerts, list):
            self.suppressed_dialog.set_alerts(alerts)

    def _on_suppressed_failed(self, message: str) -> None:
        # the last count stays: it is older, not wrong; the tooltip says why it did not move
        known = len(self.suppressed.alerts) if self.suppressed.known else None
        self.status.set_suppressed(known, message)

    # ------------------------------------------------------------------ tickets

    @property
    def ticket_delivery(self) -> TicketDelivery:
        """The ticket lane (the incident actions' own: T's creates share it)."""
        return self.incident_actions.tickets

    def show_ticket_outbox(self) -> TicketOutboxDialog:
        """Open (or raise) the ticket writes not yet delivered; it follows every pass."""
        dialog = self.ticket_outbox_dialog
        if dialog is None:
            dialog = TicketOutboxDialog(
                self, clock=self.clock, lane=self.ticket_delivery, prompt=self._prompt
            )
            dialog.incident_chosen.connect(self.select_incident)
            self.ticket_outbox_dialog = dialog
        dialog.set_items(self.ticket_delivery.items)
        present(dialog)
        return dialog

    def show_connections(self) -> ConnectionsDialog:
        """Settings → Connections: the sources' health, the ticketing systems with a test
        each (on the runner), and where the config file is."""
        if self.connections_dialog is None:
            self.connections_dialog = ConnectionsDialog(
                self.console.config, self.runner, health=self._health, clock=self.clock, parent=self
            )
        present(self.connections_dialog)
        return self.connections_dialog

    def _on_ticket_reported(self, outcome: object) -> None:
        """T's create: the key (copied when it was there already), or why it waits."""
        if not isinstance(outcome, TicketOutcome):
            return
        incident = outcome.incident
        self.model.upsert(incident)
        message = f"{incident.key}: {outcome.words()}"
        if outcome.already and outcome.key:
            clipboard = QGuiApplication.clipboard()
            if clipboard is not None:
                clipboard.setText(outcome.key)
            message += " (copied)"
        if outcome.attention:
            self.status.show_error(message)
        else:
            self.status.show_info(message)
        self._refresh_wall()
        self.ticket_delivery.deliver_now()  # the rest that is due, and the outbox's count

    def _on_tickets_delivered(self, changes: object) -> None:
        """A pass confirmed creates: the keys are on the incidents (a wall change set, not
        a poll: the last-poll time stays)."""
        if isinstance(changes, ChangeSet):
            self.apply_changes(replace(changes, at=None))

    def _on_outbox_changed(self, items: object) -> None:
        if not isinstance(items, list):
            return
        self.outbox_indicator.set_items(items)
        if self.side_panel is not None:
            self.side_panel.set_outbox(items)
        if self.ticket_outbox_dialog is not None:
            self.ticket_outbox_dialog.set_items(items)

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

    def ticket(self) -> bool:
        """T: log the ticket's key; when it has one already, say which (and copy it)."""
        incident = self.selected_incident()
        if incident is not None and incident.ticket:
            clipboard = QGuiApplication.clipboard()
            if clipboard is not None:
                clipboard.setText(incident.ticket)
            self.status.show_info(f"{incident.key}: ticket {incident.ticket} (copied)")
            return False
        return self.trigger(TICKET)

    def focus_search(self) -> None:
        """/: type to filter the wall (Esc or Enter goes back to the table)."""
        if self.filter_bar is not None:
            self.filter_bar.focus_search()

    def _leave_search(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if self.table.selected_incident() is None:
            self.table.select_row(0)

    # ------------------------------------------------------------------ filter, views, density

    def _current_view_state(self, name: str = "") -> View:
        return View(name, self.model.filter, self.model.sort_column, self.model.sort_descending)

    def _on_filter_edited(self, wanted: object) -> None:
        if not isinstance(wanted, IncidentFilter):
            return
        self.model.set_filter(wanted)
        self._mark_view_edited()
        self._update_counts()

    def _on_sort_edited(self) -> None:
        self._mark_view_edited()

    def _mark_view_edited(self) -> None:
        """The view's name stays while what is shown is still that view."""
        bar = self.filter_bar
        if bar is None or bar.current_view is None:
            return
        view = self.views.get(bar.current_view)
        shown = (self.model.filter, self.model.sort_column, self.model.sort_descending)
        if view is None or (view.filter, view.sort_column, view.descending) != shown:
            bar.set_current_view(None)

    def apply_view(self, view: View) -> None:
        """Show `view`'s filter and sort (the selection stays on its incident if shown)."""
        self.model.set_sort(view.sort_column, view.descending)
        self.table.show_sort()
        if self.filter_bar is not None:
            self.filter_bar.set_filter(view.filter)  # applies it through filter_changed
        else:
            self.model.set_filter(view.filter)
        self._update_counts()

    def choose_view(self, name: str) -> bool:
        view = self.views.get(name)
        if view is None:
            self.status.show_error(f"no view named {name!r}")
            return False
        self.apply_view(view)
        if self.filter_bar is not None:
            self.filter_bar.set_current_view(name)
        return True

    def save_view(self, name: str) -> bool:
        try:
            saved = self.views.save(self._current_view_state(name))
        except ValueError as error:
            self.status.show_error(f"view not saved: {error}")
            return False
        if self.filter_bar is not None:
            self.filter_bar.set_views(self.views.views(), saved.name)
        self.status.show_info(f"view \u201c{saved.name}\u201d saved")
        return True

    def delete_view(self, name: str) -> bool:
        if not self.views.delete(name):
            return False
        if self.filter_bar is not None:
            current = self.filter_bar.current_view
            self.filter_bar.set_views(self.views.views(), None if current == name else current)
        self.status.show_info(f"view \u201c{name}\u201d deleted")
        return True

    def set_density(self, density: str) -> None:
        """Comfortable or compact rows (kept with the window's state)."""
        self.table.set_density(density)
        bar = self.filter_bar
        if bar is not None and bar.density_action.isChecked() != (density == COMPACT):
            bar.density_action.setChecked(density == COMPACT)

    def _update_counts(self) -> None:
        if self.filter_bar is not None:
            self.filter_bar.set_counts(self.model.rowCount(), self.model.total())

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

    # ------------------------------------------------------------------ policies

    def _on_policies_reloaded(self) -> None:
        self._sla_watch = self.console.sla_watch()  # new marks and contracts: new moments
        header = self.wall_header
        if header is not None and header.looks is not None:  # looks read under the old ones
            header.looks = SlaLooks(self.console.clock, self.console.next_clock_change)
        self.status.show_info("policies reloaded")
        self.notifier.show_message("policies reloaded")
        self.reload_wall()

    def _on_policies_refused(self, error: str) -> None:
        message = f"policies not reloaded: {error} (keeping the last good ones)"
        self.status.show_error(message)
        self.notifier.show_message(message, error=True)

    def reload_wall(self) -> None:
        """Read the whole wall again (new policies: watch window, triage) off the GUI thread;
        the selection stays on the incident it was on."""
        now, console = self.clock(), self.console
        self.runner.submit(
            "reload the wall",
            lambda: (console.wall(now), console.source_health()),
            on_result=self._wall_reloaded,
            on_error=lambda error: self.show_error(f"could not reload the wall: {error}"),
        )

    def _wall_reloaded(self, result: object) -> None:
        if not isinstance(result, tuple):
            return
        incidents, health = result
        selected = self.selected_incident()
        self.load(incidents, health)
        if selected is not None and selected.id is not None:
            self.table.select_incident(selected.id)

    def _refresh_wall(self) -> None:
        header, stack, all_clear = self.wall_header, self._wall_stack, self.all_clear
        if header is None or stack is None or all_clear is None:
            return
        counts = header.update_counts(self.model.all_incidents())
        if AllClear.applies(counts, self._health):
            all_clear.show_state(counts, self._health)
            stack.setCurrentWidget(all_clear)
        else:
            stack.setCurrentWidget(self.table)

    # ------------------------------------------------------------------ state and shutdown

    def _settings_prefix(self) -> str:
        return "wall" if self.wall_mode else "operator"

    @property
    def first_paint_seen(self) -> bool:
        return self._first_paint.seen

    def restore_view_state(self) -> None:
        """Geometry, splitter, columns, density and the view in use, from QSettings (view
        state only: STYLE.md 14)."""
        prefix = self._settings_prefix()
        geometry = self._settings.value(f"{prefix}/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if self._splitter is not None:
            state = self._settings.value(f"{prefix}/splitter")
            if isinstance(state, QByteArray) and not state.isEmpty():
                self._splitter.restoreState(state)
        columns = self._settings.value(f"{prefix}/columns")
        if isinstance(columns, QByteArray) and not columns.isEmpty():
            header = self.table.horizontalHeader()
            self._columns_restored = header.restoreState(columns)
            header.setSortIndicatorShown(False)  # the model's sort decides, below
            for column in Column:  # a hand-edited file cannot hide what a row needs
                if column in (Column.SEVERITY, Column.KEY, Column.TITLE):
                    self.table.setColumnHidden(column, False)
        density = self._settings.value(f"{prefix}/density")
        if density not in (COMFORTABLE, COMPACT):  # never switched here: the config's
            density = (
                COMFORTABLE
                if self.wall_mode
                else self.console.config.display.operator.density.value
            )
        self.set_density(str(density))
        if self.filter_bar is not None:
            name, last = self.views.last()
            self.filter_bar.set_views(self.views.views(), name)
            self.apply_view(last)
            self.filter_bar.set_current_view(name)

    def save_view_state(self) -> None:
        prefix = self._settings_prefix()
        self._settings.setValue(f"{prefix}/geometry", self.saveGeometry())
        if self._splitter is not None:
            self._settings.setValue(f"{prefix}/splitter", self._splitter.saveState())
        self._settings.setValue(f"{prefix}/columns", self.table.horizontalHeader().saveState())
        self._settings.setValue(f"{prefix}/density", self.table.density)
        if self.filter_bar is not None:
            self.views.remember(self.filter_bar.current_view, self._current_view_state())
        self._settings.sync()

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
