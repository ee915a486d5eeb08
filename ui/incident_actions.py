"""Operator actions on an incident: ask what is needed, run the console call off the GUI thread.

The same controller serves the side panel's buttons and the window's A/E/R/S/W keys. Each
action carries `expected_version=incident.version`, so an incident that changed under
the operator comes back as a conflict with the stored snapshot instead of being
overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from app.console import Console, IncidentConflict
from app.domain.errors import DomainError
from app.domain.incident import EscalationTier, EventKind, Incident
from ui.severity_dialog import SeverityPrompt, dialog_severity_prompt
from ui.tickets import TicketDelivery, TicketOutcome
from ui.workers.actions import TaskRunner

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# prompt(title, label, required) -> the text, or None when the operator cancelled
Prompt = Callable[[str, str, bool], str | None]
# call(incident id, now, expected version) -> the stored Incident; runs on the pool
Call = Callable[[int, datetime, int], Incident]
# missing_steps(incident) -> titles of its runbook's required steps not done (no I/O)
MissingSteps = Callable[[Incident], list[str]]


def _none_missing(_incident: Incident) -> list[str]:
    return []


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One operator action, as a button and a key show it.

    Attributes:
        name: the action's id (acknowledge, escalate, ...).
        label: the button's text.
        kind: the timeline event it records (the transition table decides when it may).
        done: the past tense for the status bar ("acknowledged").
    """

    name: str
    label: str
    kind: EventKind
    done: str  # past tense for the status bar


ACKNOWLEDGE = ActionSpec("acknowledge", "Acknowledge", EventKind.ACKNOWLEDGED, "acknowledged")
ESCALATE = ActionSpec("escalate", "Escalate", EventKind.ESCALATED, "escalated")
DEESCALATE = ActionSpec("deescalate", "De-escalate", EventKind.DEESCALATED, "de-escalated")
RESOLVE = ActionSpec("resolve", "Resolve", EventKind.RESOLVED, "resolved")
CLOSE = ActionSpec("close", "Close", EventKind.CLOSED, "closed")
FALSE_POSITIVE = ActionSpec(
    "false_positive", "False positive", EventKind.FALSE_POSITIVE, "marked as false positive"
)
# the incident's ticket (T): created through the outbox when the config has `[[ticketing]]`
# entries, else logged by hand in the customer's system; its key shows on the wall
TICKET = ActionSpec("ticket", "Log ticket", EventKind.TICKETED, "ticket logged")
CREATE_TICKET_LABEL = "Create ticket"
ACTIONS = (ACKNOWLEDGE, ESCALATE, DEESCALATE, RESOLVE, CLOSE, FALSE_POSITIVE)
# not a lifecycle step: its button sits by the severity pill, not in the row of ACTIONS
CHANGE_SEVERITY = ActionSpec(
    "change_severity", "Change severity", EventKind.SEVERITY_CHANGED, "severity changed"
)
# waiting on the customer: one button and one key (W) that pauses or resumes the SLA clocks
PAUSE = ActionSpec(
    "pause", "Waiting on customer", EventKind.PAUSED, "waiting on the customer: SLA clocks paused"
)
RESUME = ActionSpec("resume", "Resume clocks", EventKind.RESUMED, "SLA clocks resumed")
# what the customer was told (P1/P2 contracts owe an update every so often); by the countdown
CUSTOMER_UPDATE = ActionSpec(
    "customer_update", "Customer update", EventKind.CUSTOMER_UPDATE, "customer update recorded"
)


def tier_below(tier: EscalationTier) -> EscalationTier | None:
    """The tier a de-escalation goes back to (None from L1)."""
    order = list(EscalationTier)
    return order[tier.rank - 1] if tier.rank > 0 else None


def can(spec: ActionSpec, incident: Incident) -> bool:
    """Whether the button for `spec` makes sense now (the transition table, plus the
    domain's extra refusals: a second acknowledgement, an escalation past the top tier)."""
    if not incident.allows(spec.kind):
        return False
    if spec is ACKNOWLEDGE:
        return incident.acknowledged_at is None
    if spec is ESCALATE:
        return incident.tier.above() is not None
    if spec is DEESCALATE:
        return tier_below(incident.tier) is not None
    if spec is PAUSE:
        return incident.paused_since is None
    if spec is RESUME:
        return incident.paused_since is not None
    if spec is TICKET:
        return incident.ticket is None
    return True


def waiting_action(incident: Incident | None) -> ActionSpec:
    """What the waiting button and the W key do now: resume a paused incident, else pause."""
    return RESUME if incident is not None and incident.paused_since is not None else PAUSE


def refusal(spec: ActionSpec, incident: Incident) -> str:
    """Why `spec` cannot be done to `incident` now, in the operator's words."""
    if incident.state.active and spec is PAUSE:
        return f"{incident.key} is already waiting on the customer"
    if incident.state.active and spec is RESUME:
        return f"{incident.key} is not waiting on the customer"
    if spec is TICKET and incident.ticket is not None:
        return f"{incident.key} already has ticket {incident.ticket}"
    if incident.state.active and spec is DEESCALATE:
        return f"cannot de-escalate {incident.key}: it is already at {incident.tier}"
    state = incident.state.value.replace("_", " ")
    verb = {PAUSE.name: "pause the SLA clocks of", RESUME.name: "resume the SLA clocks of"}
    return f"cannot {verb.get(spec.name, spec.label.lower())} {incident.key}: it is {state}"


def describe_error(error: BaseException) -> str:
    """The operator's words for a failed action; domain and storage messages are shown as is."""
    text = str(error).strip()
    if isinstance(error, DomainError):
        return text or "the action is not allowed"
    return text or f"the action failed ({type(error).__name__})"


def conflict_snapshot(error: BaseException) -> Incident | None:
    """The reloaded incident of an optimistic-locking conflict, to show instead of the stale one."""
    if isinstance(error, IncidentConflict) and isinstance(error.current, Incident):
        return error.current
    return None


def dialog_prompt(parent: QWidget | None) -> Prompt:
    """The default prompt: a text dialog that insists while a required answer is empty."""

    def prompt(title: str, label: str, required: bool) -> str | None:
        text = ""
        while True:
            text, accepted = QInputDialog.getText(
                parent, title, label, QLineEdit.EchoMode.Normal, text
            )
            if not accepted:
                return None
            if text.strip() or not required:
                return text.strip()
            label = label if label.endswith("(required)") else f"{label} (required)"

    return prompt


class IncidentActions(QObject):
    """Runs operator actions on the thread pool and reports the outcome.

    Thread: lives in the GUI thread; the console calls run on the runner's pool.

    Attributes:
        console: the facade whose actions are called.
        clock: returns the current UTC time (the action's `now`).
        runner: the TaskRunner the calls go to.
        prompt: asks the operator for a reason, RCA or note (tests replace it).
        severity_prompt: asks for the new severity and its reason (tests replace it).
        missing_steps: the titles of an incident's required runbook steps not done, from
            what is already loaded (the side panel's runbook view): escalating past them
            names them in the prompt and the note.
        tickets: the ticket lane (T's creates and the delivery passes, one at a time); with
            `[[ticketing]]` entries T creates the ticket through it, else T asks for a key
            logged by hand.

    Signals:
        action_started(object, str): the incident and the action's name.
        action_finished(object, str): the updated Incident and what happened ("acknowledged").
        action_failed(object, str, object): the incident, the error in words, and the
            reloaded Incident when it was a conflict (else None).
        ticket_reported(object): T's TicketOutcome (created, queued, or refused).
    """

    action_started = Signal(object, str)
    action_finished = Signal(object, str)
    action_failed = Signal(object, str, object)
    ticket_reported = Signal(object)

    def __init__(
        self,
        console: Console,
        runner: TaskRunner,
        *,
        clock: Clock = _utc_now,
        prompt: Prompt | None = None,
        severity_prompt: SeverityPrompt | None = None,
        missing_steps: MissingSteps | None = None,
        tickets: TicketDelivery | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.console = console
        self.runner = runner
        self.clock = clock
        self.prompt: Prompt = prompt or dialog_prompt(None)
        self.severity_prompt: SeverityPrompt = severity_prompt or dialog_severity_prompt(None)
        self.missing_steps: MissingSteps = missing_steps or _none_missing
        self.tickets = tickets or TicketDelivery(console, runner, clock=clock, parent=self)
        self._in_flight: set[int] = set()

    @property
    def creates_tickets(self) -> bool:
        """T creates the ticket in a ticketing system (else a key is logged by hand)."""
        return self.tickets.enabled

    def busy(self, incident: Incident | None) -> bool:
        return incident is not None and incident.id in self._in_flight

    def acknowledge(self, incident: Incident) -> bool:
        console = self.console
        return self._run(
            ACKNOWLEDGE,
            incident,
            lambda i, now, version: console.acknowledge(i, now, "", expected_version=version),
        )

    def escalate(self, incident: Incident) -> bool:
        """One tier up, with a reason; the runbook's required steps not done are named in
        the question and recorded with the answer."""
        target = incident.tier.above()
        where = f" to {target}" if target else ""
        label = f"Why escalate {incident.key}{where}?"
        missing = self.missing_steps(incident) if can(ESCALATE, incident) else []
        suffix = ""
        if missing:
            steps = ", ".join(missing)
            label = f"{label} Required runbook steps not done: {steps}"
            suffix = f"(required runbook steps not done: {steps})"
        return self._ask_and_run(ESCALATE, incident, label, True, suffix=suffix)

    def deescalate(self, incident: Incident) -> bool:
        """One tier down, with a reason (the tier timers count again from now)."""
        target = tier_below(incident.tier)
        where = f" back to {target}" if target else ""
        return self._ask_and_run(
            DEESCALATE,
            incident,
            f"Why de-escalate {incident.key}{where}?",
            True,
            done=f"de-escalated {incident.tier} \u2192 {target}" if target else "",
        )

    def record_customer_update(self, incident: Incident) -> bool:
        """What the customer was told (required); the update countdown starts again."""
        return self._ask_and_run(
            CUSTOMER_UPDATE, incident, f"What was the customer told about {incident.key}?", True
        )

    def resolve(self, incident: Incident) -> bool:
        return self._ask_and_run(RESOLVE, incident, "Resolution note (optional):", False)

    def close(self, incident: Incident) -> bool:
        return self._ask_and_run(CLOSE, incident, f"Root cause of {incident.key}:", True)

    def mark_false_positive(self, incident: Incident) -> bool:
        return self._ask_and_run(
            FALSE_POSITIVE, incident, f"Why is {incident.key} a false positive?", True
        )

    def pause(self, incident: Incident) -> bool:
        """Waiting on the customer: ask what for (required), then stop the SLA clocks."""
        return self._ask_and_run(
            PAUSE,
            incident,
            f"What is {incident.key} waiting on? (its SLA clocks stop until resumed)",
            True,
        )

    def resume(self, incident: Incident) -> bool:
        """The clocks run again; the console pushes the deadlines by the time spent waiting."""
        console = self.console
        return self._run(
            RESUME,
            incident,
            lambda i, now, version: console.resume(i, now, expected_version=version),
        )

    def log_ticket(self, incident: Incident) -> bool:
        """T: create the ticket when a ticketing system is configured; else ask for the
        key of the ticket logged in the customer's system, then record it."""
        if self.creates_tickets:
            return self.create_ticket(incident)
        return self._ask_and_run(
            TICKET,
            incident,
            f"Ticket key for {incident.key} (as logged in the customer's system):",
            True,
            done="ticket logged",
        )

    def create_ticket(self, incident: Incident) -> bool:
        """Queue the incident's create in the outbox and try it at once; the outcome (the
        key, or why it waits) comes back as `ticket_reported`. A second T finds the
        queued or confirmed create: one incident, one ticket."""
        if not self._allowed(TICKET, incident):
            return False
        incident_id = incident.id
        assert incident_id is not None
        self._in_flight.add(incident_id)
        self.action_started.emit(incident, TICKET.name)
        self.tickets.create(
            incident_id,
            self.clock(),
            on_result=lambda outcome: self._ticket_done(incident_id, outcome),
            on_error=lambda error: self._failed(incident, error),
        )
        return True

    def change_severity(self, incident: Incident) -> bool:
        """Ask for P1..P4 and a reason, then override the severity (the engine's is kept in
        the timeline; the reason is required by the console)."""
        if not self._allowed(CHANGE_SEVERITY, incident):
            return False
        answer = self.severity_prompt(incident)
        if answer is None:
            return False  # cancelled
        severity, reason = answer[0], answer[1].strip()
        if not reason:
            self.action_failed.emit(incident, "changing the severity needs a reason", None)
            return False
        if severity is incident.severity:
            self.action_failed.emit(incident, f"{incident.key} is already {severity}", None)
            return False
        console = self.console
        return self._run(
            CHANGE_SEVERITY,
            incident,
            lambda i, now, version: console.change_severity(
                i, severity, now, reason, expected_version=version
            ),
            done=f"severity changed {incident.severity.value} \u2192 {severity.value}",
        )

    def finished_elsewhere(self, incident: Incident, done: str) -> None:
        """An action stored by another part of the panel (the runbook tab): reported as
        this controller's own, so the wall, the status bar and the panel follow."""
        self.action_finished.emit(incident, done)

    def trigger(self, spec: ActionSpec, incident: Incident) -> bool:
        """Run the action named by `spec` (buttons and keys share this)."""
        handlers = {
            ACKNOWLEDGE.name: self.acknowledge,
            ESCALATE.name: self.escalate,
            DEESCALATE.name: self.deescalate,
            CUSTOMER_UPDATE.name: self.record_customer_update,
            RESOLVE.name: self.resolve,
            CLOSE.name: self.close,
            FALSE_POSITIVE.name: self.mark_false_positive,
            CHANGE_SEVERITY.name: self.change_severity,
            PAUSE.name: self.pause,
            RESUME.name: self.resume,
            TICKET.name: self.log_ticket,
        }
        return handlers[spec.name](incident)

    # ------------------------------------------------------------------ internals

    def _ask_and_run(
        self,
        spec: ActionSpec,
        incident: Incident,
        label: str,
        required: bool,
        done: str = "",
        *,
        suffix: str = "",
    ) -> bool:
        if not self._allowed(spec, incident):
            return False
        text = self.prompt(f"{spec.label} {incident.key}", label, required)
        if text is None:
            return False  # cancelled
        if required and not text.strip():
            needs = "a ticket key" if spec is TICKET else "a reason"
            self.action_failed.emit(incident, f"{spec.label.lower()} needs {needs}", None)
            return False
        note = f"{text.strip()} {suffix}".strip()
        console = self.console
        # every one of these takes (incident id, now, the operator's words)
        methods: dict[str, Callable[..., Incident]] = {
            ESCALATE.name: console.escalate,
            DEESCALATE.name: console.deescalate,
            CUSTOMER_UPDATE.name: console.record_update,
            RESOLVE.name: console.resolve,
            CLOSE.name: console.close,
            FALSE_POSITIVE.name: console.mark_false_positive,
            PAUSE.name: console.pause,
            TICKET.name: console.log_ticket,
        }
        method = methods[spec.name]

        def call(incident_id: int, now: datetime, version: int) -> Incident:
            return method(incident_id, now, note, expected_version=version)

        return self._run(spec, incident, call, done)

    def _allowed(self, spec: ActionSpec, incident: Incident) -> bool:
        if incident.id is None or incident.id in self._in_flight:
            return False
        if not can(spec, incident):
            self.action_failed.emit(incident, refusal(spec, incident), None)
            return False
        return True

    def _run(self, spec: ActionSpec, incident: Incident, call: Call, done: str = "") -> bool:
        """Submit `call(id, now, expected_version)` to the pool; the outcome comes back as a signal."""
        if not self._allowed(spec, incident):
            return False
        incident_id = incident.id
        assert incident_id is not None
        now = self.clock()
        version = incident.version
        said = done or spec.done
        self._in_flight.add(incident_id)
        self.action_started.emit(incident, spec.name)
        self.runner.submit(
            f"{spec.name} {incident.key}",
            lambda: call(incident_id, now, version),
            on_result=lambda result: self._finished(incident_id, said, result),
            on_error=lambda error: self._failed(incident, error),
        )
        return True

    def _finished(self, incident_id: int, done: str, result: object) -> None:
        self._in_flight.discard(incident_id)
        if isinstance(result, Incident):
            self.action_finished.emit(result, done)

    def _ticket_done(self, incident_id: int, outcome: object) -> None:
        self._in_flight.discard(incident_id)
        if isinstance(outcome, TicketOutcome):
            self.ticket_reported.emit(outcome)

    def _failed(self, incident: Incident, error: BaseException) -> None:
        if incident.id is not None:
            self._in_flight.discard(incident.id)
        self.action_failed.emit(incident, describe_error(error), conflict_snapshot(error))
