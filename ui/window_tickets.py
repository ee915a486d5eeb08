"""The main window's tickets: T, the delivery lane's results, the outbox indicator and dialog.

A feature mixin of MainWindow (why mixins, not controllers: `ui/window_feature.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from PySide6.QtGui import QGuiApplication

from app.domain.changes import ChangeSet
from app.domain.incident import Incident
from app.domain.notifications import Notification
from ui.dialogs import present
from ui.incident_actions import TICKET, ActionSpec, IncidentActions, Prompt
from ui.notifications import Notifier
from ui.side_panel import IncidentPanel
from ui.status_bar import ConsoleStatusBar
from ui.ticket_outbox import TicketOutboxDialog
from ui.tickets import OutboxIndicator, TicketDelivery, TicketOutcome
from ui.wall_model import IncidentTableModel
from ui.window_feature import WindowFeature

Clock = Callable[[], datetime]


class TicketsMixin(WindowFeature):
    """T creates the selected incident's ticket (with `[[ticketing]]` entries: through the
    outbox, delivered again every 15 s by the desk; else a key logged by hand); what the
    delivery passes confirm goes on the wall like a change set.

    Attributes:
        ticket_delivery: the ticket lane: T's creates and the 15 s delivery pass (operator
            mode with `[[ticketing]]` entries only).
        outbox_indicator, ticket_outbox_dialog: "3 ticket updates pending" in the status
            bar, and the outbox's rows once opened.
    """

    # read of the window
    clock: Clock
    _prompt: Prompt
    incident_actions: IncidentActions
    model: IncidentTableModel
    status: ConsoleStatusBar
    notifier: Notifier
    side_panel: IncidentPanel | None
    selected_incident: Callable[[], Incident | None]
    trigger: Callable[[ActionSpec], bool]
    select_incident: Callable[[int], bool]
    apply_changes: Callable[[ChangeSet], None]
    show_error: Callable[[str], None]
    _announce: Callable[[Sequence[Notification]], None]
    _refresh_wall: Callable[[], None]

    # held
    outbox_indicator: OutboxIndicator
    ticket_outbox_dialog: TicketOutboxDialog | None

    def _build_outbox_indicator(self) -> None:
        self.outbox_indicator = OutboxIndicator(clock=self.clock)
        self.ticket_outbox_dialog = None

    def _connect_tickets(self) -> None:
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

    @property
    def ticket_delivery(self) -> TicketDelivery:
        """The ticket lane (the incident actions' own: T's creates share it)."""
        return self.incident_actions.tickets

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
