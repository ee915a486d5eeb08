"""Tickets through the console's outbox: T's create, the delivery pass, the outbox in view.

With `[[ticketing]]` entries in the config, T queues the incident's ticket create and
tries it at once; the window runs a delivery pass every 15 s (and right after each T),
refreshes the wall when a pass confirmed something (the new key shows in the Ticket
column), and shows what still waits in the status bar and in the outbox dialog
(ui/ticket_outbox.py), where an operator retries or drops a write that needs attention.
A write a pass held in a state conflict (the ticket was resolved or closed meanwhile)
comes out as a notice to decide it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from app.console import Console, utc_now
from app.console.ticket_conflicts import held_in_conflict
from app.domain.incident import Incident
from app.domain.outbox import OutboxItem, OutboxOp, OutboxStatus
from ui import theme
from ui.local_time import day_and_time
from ui.workers.actions import OnError, OnResult, TaskRunner

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

DELIVERY_MS = 15_000  # how often the window sends what the outbox holds that is due
SYNC_EVERY_PASSES = 4  # ticket changes come back every fourth pass: once a minute
ERROR_CHARS = 160  # a server's words beyond this go to the tooltip, not the side panel's line
COLUMNS = ("Incident", "System", "Op", "Status", "Attempts", "Next attempt", "Last error")
_ID_ROLE = int(Qt.ItemDataRole.UserRole)


def incident_key(incident_id: int) -> str:
    return f"INC-{incident_id:06d}"


# ------------------------------------------------------------------ words


@dataclass(frozen=True, slots=True)
class TicketOutcome:
    """What T's create came to.

    Attributes:
        incident: the stored snapshot after the call (its `ticket` set once confirmed).
        key: the ticket's key; None while the create waits in the outbox.
        already: the key was known before this T (an earlier create was confirmed).
        waiting: the create's outbox row while it waits (its status and last error).
    """

    incident: Incident
    key: str | None
    already: bool = False
    waiting: OutboxItem | None = None

    @property
    def attention(self) -> bool:
        """The system refused the create: a person must look (it is never dropped)."""
        return (
            self.key is None
            and self.waiting is not None
            and self.waiting.status is OutboxStatus.ATTENTION
        )

    def words(self) -> str:
        """'ticket OPS-17 created', 'ticket queued (503 Service Unavailable)', ..."""
        if self.key is not None:
            return f"ticket {self.key}" if self.already else f"ticket {self.key} created"
        reason = (self.waiting.last_error if self.waiting else None) or "pending"
        if self.attention:
            return f"ticket needs attention ({reason})"
        return f"ticket queued ({reason})"


def create_ticket(console: Console, incident_id: int, now: datetime) -> TicketOutcome:
    """Queue the incident's create (once: a second T finds the link), try it at once, and
    read back what came of it. Runs on the pool, in the window's ticket lane."""
    link, _queued = console.request_ticket(incident_id, now)
    already = link.key is not None
    if not already:
        console.deliver_tickets(now, incident_id=incident_id)
        link = console.ticket_link(incident_id) or link
    waiting = None
    if link.key is None:
        waiting = next(
            (
                item
                for item in console.outbox()
                if item.incident_id == incident_id and item.op is OutboxOp.CREATE
            ),
            None,
        )
    return TicketOutcome(console.incident(incident_id), link.key, already, waiting)


def status_words(item: OutboxItem) -> str:
    """'needs attention' ('... (conflict)' when the ticket moved on), 'retrying' (failed at
    least once) or 'pending'."""
    if item.status is OutboxStatus.ATTENTION:
        return "needs attention (conflict)" if held_in_conflict(item) else "needs attention"
    return "retrying" if item.attempts else "pending"


def counts(items: Sequence[OutboxItem]) -> tuple[int, int]:
    """(waiting to be sent, needing attention)."""
    attention = sum(1 for item in items if item.status is OutboxStatus.ATTENTION)
    return len(items) - attention, attention


def pending_text(count: int) -> str:
    return f"{count} ticket update{'s' if count != 1 else ''} pending"


def attention_text(count: int, *, alone: bool) -> str:
    """'1 needs attention' beside the pending count; on its own it says what needs it."""
    if alone:
        return f"{count} ticket update{'s' if count != 1 else ''} need{'s' if count == 1 else ''} attention"
    return f"{count} need{'s' if count == 1 else ''} attention"


def outbox_row(item: OutboxItem, now: datetime) -> tuple[str, ...]:
    """One outbox row as the dialog lists it (the columns of COLUMNS)."""
    due = item.next_attempt_at
    next_attempt = (
        "held for a person"
        if item.status is OutboxStatus.ATTENTION
        else (day_and_time(due, now) if due is not None else "now")
    )
    return (
        incident_key(item.incident_id),
        item.system,
        item.op.value,
        status_words(item),
        str(item.attempts),
        next_attempt,
        item.last_error or "\u2014",
    )


def outbox_tooltip(items: Sequence[OutboxItem], now: datetime) -> str:
    """Every waiting row on a line: incident, system, op, status, last error."""
    lines = []
    for item in items:
        error = f": {item.last_error}" if item.last_error else ""
        lines.append(
            f"{incident_key(item.incident_id)} \u00b7 {item.system} \u00b7 {item.op.value}"
            f" \u00b7 {status_words(item)}{error}"
        )
    lines.append("Click to list them.")
    return "\n".join(lines)


def queued_words(item: OutboxItem) -> str:
    """The side panel's Ticket line while the create waits: 'queued in jira-ops (503 ...)'."""
    error = item.last_error or "pending"
    if len(error) > ERROR_CHARS:
        error = error[: ERROR_CHARS - 1] + "\u2026"
    if item.status is OutboxStatus.ATTENTION:
        return f"not created: {item.system} refused it ({error})"
    return f"queued in {item.system} ({error})"


# ------------------------------------------------------------------ delivery


@dataclass(frozen=True, slots=True)
class Decision:
    """What came of an operator's retry or drop of a write that needed attention.

    Attributes:
        item_id: the outbox row.
        action: "retry" or "drop".
        done: False when the row no longer waited for attention (another desk decided it).
        incident: after a drop, the stored incident (its timeline has the drop).
    """

    item_id: int
    action: str
    done: bool
    incident: Incident | None = None

    def words(self) -> str:
        if not self.done:
            return f"ticket write {self.item_id} no longer waits for attention"
        if self.action == "retry":
            return f"ticket write {self.item_id} will be sent again"
        key = self.incident.key if self.incident is not None else "the incident"
        return f"ticket write {self.item_id} dropped; {key}'s timeline says who and why"


@dataclass(frozen=True, slots=True)
class _Job:
    label: str
    call: Callable[[], Any]
    on_result: OnResult
    on_error: OnError


class TicketDelivery(QObject):
    """The window's ticket calls, one at a time, and the delivery pass every 15 s.

    Two delivery passes over the same due create would both send it (the outbox marks a
    create attempted after reading it as due), so every ticket call of the window (T's
    create and the passes) goes through one lane: a timer tick is skipped while anything
    in the lane runs or waits, and T's create waits for a running pass.

    Thread: lives in the GUI thread; the console calls run on the runner's pool.

    Attributes:
        console: the facade whose outbox is delivered.
        runner: the TaskRunner the calls go to.
        clock: the `now` of each pass (tests move it).
        enabled: the config has `[[ticketing]]` entries (else nothing runs).
        timer: the 15 s QTimer (started by `start`).
        items: the outbox as last loaded (empty before the first pass).

    Signals:
        wall_changed(object): a pass confirmed something (or a drop wrote a timeline
            event); the console's refresh ChangeSet.
        outbox_changed(object): the list of OutboxItems still waiting, after each pass.
        pass_failed(str): a pass raised; the error in words.
        conflicts_found(object): a pass held writes in a state conflict; a list of
            Notifications, one per write (the operator's prompt to decide them).
    """

    wall_changed = Signal(object)
    outbox_changed = Signal(object)
    pass_failed = Signal(str)
    conflicts_found = Signal(object)

    def __init__(
        self,
        console: Console,
        runner: TaskRunner,
        *,
        clock: Clock = utc_now,
        interval_ms: int = DELIVERY_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.console = console
        self.runner = runner
        self.clock = clock
        self.enabled = bool(console.config.ticketing)
        self.items: list[OutboxItem] = []
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.deliver_now)
        self._queue: deque[_Job] = deque()
        self._busy = False
        self._passes = 0

    @property
    def busy(self) -> bool:
        return self._busy or bool(self._queue)

    def start(self) -> None:
        """Deliver every 15 s from now on, starting at once (what a last session left)."""
        if not self.enabled:
            return
        self.timer.start()
        self.deliver_now()

    def stop(self) -> None:
        self.timer.stop()
        self._queue.clear()

    def create(
        self, incident_id: int, now: datetime, *, on_result: OnResult, on_error: OnError
    ) -> None:
        """T: queue and try the incident's create (after a pass that is running)."""
        console = self.console
        self._submit(
            _Job(
                f"create ticket {incident_key(incident_id)}",
                lambda: create_ticket(console, incident_id, now),
                on_result,
                on_error,
            )
        )

    def retry(self, item_id: int, *, on_result: OnResult, on_error: OnError) -> None:
        """Send a write that needs attention again, then run a pass (it goes at once)."""
        console = self.console

        def call() -> tuple[Decision, None, list[OutboxItem]]:
            released = console.retry_ticket_write(item_id)
            return Decision(item_id, "retry", released), None, console.outbox()

        self._submit(
            _Job(f"retry ticket write {item_id}", call, self._decided(on_result), on_error)
        )

    def drop(self, item_id: int, reason: str, *, on_result: OnResult, on_error: OnError) -> None:
        """Do not send a write that needs attention (kept, marked dropped, in the incident's
        timeline as this desk's operator's decision), then run a pass: the writes held
        behind it go out."""
        console, now = self.console, self.clock()

        def call() -> tuple[Decision, Any, list[OutboxItem]]:
            incident = console.drop_ticket_write(item_id, console.operator, reason, now=now)
            changes = console.refresh(now) if incident is not None else None
            decision = Decision(item_id, "drop", incident is not None, incident)
            return decision, changes, console.outbox()

        self._submit(_Job(f"drop ticket write {item_id}", call, self._decided(on_result), on_error))

    def _decided(self, on_result: OnResult) -> OnResult:
        """After a retry or drop: the wall and the outbox as they are now, the caller's
        callback with the Decision, then a pass for what the decision let go."""

        def done(result: object) -> None:
            if not isinstance(result, tuple):
                return
            decision, changes, items = result
            if changes is not None:
                self.wall_changed.emit(changes)
            self.items = list(items)
            self.outbox_changed.emit(self.items)
            on_result(decision)
            self.deliver_now()

        return done

    def deliver_now(self) -> bool:
        """One pass over what is due, and every fourth the tickets' own changes; skipped
        (False) while a ticket call runs or waits."""
        if not self.enabled or self.busy:
            return False
        now, console = self.clock(), self.console

        sync = self._passes % SYNC_EVERY_PASSES == 0
        self._passes += 1

        def deliver() -> tuple[Any, Any, list[OutboxItem]]:
            report = console.deliver_tickets(now)
            # changes made in the tickets come back every few passes (a minute)
            synced = console.sync_tickets(now) if sync else []
            # the new keys and owners are on the incidents: the wall's change set brings them
            changes = console.refresh(now) if report.delivered or synced else None
            return report, changes, console.outbox()

        self._submit(_Job("deliver tickets", deliver, self._passed, self._failed))
        return True

    def _passed(self, result: object) -> None:
        if not isinstance(result, tuple):
            return
        report, changes, items = result
        if changes is not None:
            self.wall_changed.emit(changes)
        self.items = list(items)
        self.outbox_changed.emit(self.items)
        if report.conflicts:
            self.conflicts_found.emit(list(report.conflicts))

    def _failed(self, error: BaseException) -> None:
        self.pass_failed.emit(str(error) or type(error).__name__)

    def _submit(self, job: _Job) -> None:
        self._queue.append(job)
        self._next()

    def _next(self) -> None:
        if self._busy or not self._queue:
            return
        job = self._queue.popleft()
        self._busy = True

        def succeeded(result: object) -> None:
            self._busy = False
            try:
                job.on_result(result)
            finally:
                self._next()

        def raised(error: BaseException) -> None:
            self._busy = False
            try:
                job.on_error(error)
            finally:
                self._next()

        self.runner.submit(job.label, job.call, on_result=succeeded, on_error=raised)


# ------------------------------------------------------------------ in view


class OutboxIndicator(QWidget):
    """'3 ticket updates pending · 1 needs attention' in the status bar; hidden at zero.

    Attributes:
        pending_button: the count waiting to be sent.
        attention_button: the count the systems refused, in the warning colour.

    Signals:
        clicked(): either count was clicked (the window opens the outbox).
    """

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = utc_now) -> None:
        super().__init__(parent)
        self.clock = clock
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.pending_button = self._button()
        self.attention_button = self._button()
        font = self.attention_button.font()
        font.setBold(True)
        self.attention_button.setFont(font)
        layout.addWidget(self.pending_button)
        layout.addWidget(self.attention_button)
        self.set_items([])

    def _button(self) -> QToolButton:
        button = QToolButton(self)
        button.setAutoRaise(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(self.clicked)
        return button

    def set_items(self, items: Sequence[OutboxItem]) -> None:
        pending, attention = counts(items)
        self.pending_button.setText(pending_text(pending))
        self.pending_button.setVisible(bool(pending))
        self.attention_button.setText(attention_text(attention, alone=not pending))
        self.attention_button.setVisible(bool(attention))
        palette = QPalette()
        palette.setColor(QPalette.ColorRole.ButtonText, theme.danger_colour(self.palette()))
        self.attention_button.setPalette(palette)
        tip = outbox_tooltip(items, self.clock()) if items else ""
        for button in (self.pending_button, self.attention_button):
            button.setToolTip(tip)
        self.setVisible(bool(items))
