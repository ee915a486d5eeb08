"""Tickets for incidents: routing, the outbox, and its delivery in order per incident.

A ticket request stores the incident's ticket link with its idempotency key and a
`create` row in the outbox, in one transaction, before anything is sent. Delivery takes
the head of each incident's queue, so a comment never overtakes its create:

- a create is marked attempted (committed, with the system's bookmark: Jira's newest
  issue key in the project) before it is sent; if an attempt's outcome is unknown (the
  process died after the POST, or the network failed mid-call), the next attempt first
  asks the system for a ticket carrying the key (Jira: each issue created after the
  bookmark, read by key, since its search lags behind creates; ServiceNow:
  correlation_id) and creates again only when there is none and the system had time to
  finish that request: one incident, one ticket;
- 429 and 5xx and network errors are retried with capped, jittered backoff, honouring
  Retry-After; 400/401/403/404 and state conflicts wait in "needs attention" with the
  server's words, and hold the incident's later rows, until an operator retries or drops
  them (a dropped row is kept, and the incident's timeline says who dropped it and why);
- an update, resolve or close is replayed only after reading the ticket: one that was
  resolved, closed or reassigned meanwhile is not overwritten (ticket_conflicts.py), and
  a pass reports each write held that way as a notice to decide it;
- a row is marked delivered only after the system confirmed it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.config.settings import TicketingConfig
from app.console.ticket_conflicts import (
    COMMENT_SENT,
    CONFIRMED_STATUS,
    CONFLICT_STATUS,
    NOTES_SENT,
    Replay,
    conflict_notices,
    conflict_words,
    replay_plan,
    status_of,
    write_words,
)
from app.console.ticket_sync import RemoteChange, remote_change
from app.console.ticket_updates import resolution_code
from app.domain.alert import Alert
from app.domain.errors import DomainError
from app.domain.incident import Incident
from app.domain.notifications import Notification
from app.domain.outbox import OutboxItem, OutboxOp, OutboxStatus, TicketLink
from app.domain.severity import Severity
from app.store import Database
from app.store.alerts import AlertRepository
from app.store.incidents import IncidentRepository
from app.store.outbox import OutboxRepository, TicketRepository
from app.ticketing.base import (
    ErrorKind,
    RemoteTicket,
    Resolution,
    TicketChange,
    TicketDraft,
    TicketingClient,
    TicketingError,
)

log = logging.getLogger(__name__)

SYNC_FIRST_LOOK = timedelta(days=1)  # how far back the first sync after a start looks
SYNC_MARGIN = timedelta(minutes=1)  # the systems' clocks are not ours, and second-precise
# how long a search may lag behind a create it should show; only waited for an attempt
# stored without a bookmark (before migration 0007)
CREATE_LAG = timedelta(minutes=2)
# a delivery holds its row for this many call timeouts: a Jira close takes up to six calls
# (read, status, transitions, notes, transition, its second step), a create three (mark,
# issue, property), with room to spare; a desk that died mid-call frees the row when that
# runs out. A create's lookup by key after a crash reads one issue per call and is not
# bounded by this: it is read-only, and re-creating waits until twice the timeout after
# the attempt.
LEASE_CALLS = 8
BACKOFF_FIRST = timedelta(seconds=10)
BACKOFF_CAP = timedelta(minutes=10)
RETRY_AFTER_CAP = timedelta(hours=1)
ClientFactory = Callable[[TicketingConfig], TicketingClient]


class NoTicketingSystem(DomainError):
    """No `[[ticketing]]` entry serves this incident's customer."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one delivery pass did, for the CLI and the status bar; `conflicts` has a
    notice for each write this pass held in a state conflict (the operator's prompt)."""

    delivered: list[OutboxItem] = field(default_factory=list)
    retrying: list[OutboxItem] = field(default_factory=list)
    attention: list[OutboxItem] = field(default_factory=list)
    conflicts: list[Notification] = field(default_factory=list)


class TicketDesk:
    """Routing and delivery of ticket writes; thread-safe as the console is (per-call sessions).

    Attributes:
        systems: the `[[ticketing]]` entries.
    """

    def __init__(
        self,
        database: Database,
        systems: Sequence[TicketingConfig],
        client_factory: ClientFactory,
        *,
        actor: str,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.systems = list(systems)
        self._factory = client_factory
        self._clients: dict[str, TicketingClient] = {}
        self._actor = actor
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._synced: dict[str, datetime] = {}

    # ------------------------------------------------------------------ routing

    def system_for(self, customer: str | None) -> TicketingConfig:
        """The entry that names the customer, else the first that names none."""
        for entry in self.systems:
            if customer and customer in entry.settings.customers:
                return entry
        for entry in self.systems:
            if not entry.settings.customers:
                return entry
        raise NoTicketingSystem(
            f"no [[ticketing]] entry serves customer {customer or '(none)'}: add it to one "
            "entry's customers, or leave one entry without customers"
        )

    # ------------------------------------------------------------------ requests

    def request(self, incident_id: int, now: datetime) -> tuple[TicketLink, bool]:
        """The incident's ticket link, queuing its create if it has none; (link, queued)."""
        with self.database.write() as session:
            incident = IncidentRepository(session).get(incident_id)
            system = self.system_for(incident.customer)
            tickets = TicketRepository(session)
            existing = tickets.link(incident_id, system.name)
            if existing is not None:
                return existing, False
            alerts = AlertRepository(session).for_incident(incident_id)
            link = tickets.add(TicketLink(incident_id, system.name, idempotency_key(incident)))
            OutboxRepository(session).add(
                OutboxItem(
                    incident_id=incident_id,
                    system=system.name,
                    op=OutboxOp.CREATE,
                    payload=draft_payload(incident, alerts, system),
                    created_at=now,
                )
            )
        return link, True

    def automatic(self, incidents: Sequence[Incident], now: datetime) -> list[TicketLink]:
        """Queue tickets for new incidents of the severities a system creates by itself
        (`auto_create`); each incident once, whatever the polls."""
        if not any(entry.settings.auto_create for entry in self.systems):
            return []
        queued = []
        for incident in incidents:
            if incident.id is None or not incident.state.active or incident.ticket:
                continue
            try:
                entry = self.system_for(incident.customer)
            except NoTicketingSystem:
                continue
            if incident.severity not in entry.settings.auto_create:
                continue
            link, fresh = self.request(incident.id, now)
            if fresh:
                queued.append(link)
        return queued

    def remote_changes(self, now: datetime) -> list[RemoteChange]:
        """What changed in the tickets of open incidents since the last look, per system;
        a system that cannot be reached is logged and asked again next time."""
        with self.database.read() as session:
            links = TicketRepository(session).of_open_incidents()
            incidents = {
                i.id: i
                for i in IncidentRepository(session).by_ids({link.incident_id for link in links})
            }
        changes: list[RemoteChange] = []
        for entry in self.systems:
            mine = {k.remote_id: k for k in links if k.system == entry.name and k.remote_id}
            if not mine:
                continue
            since = self._synced.get(entry.name, now - SYNC_FIRST_LOOK) - SYNC_MARGIN
            try:
                found = self._client(entry).updated_since(list(mine), since)
            except TicketingError as error:
                log.warning("ticket sync with %s failed: %s", entry.name, error)
                continue
            self._synced[entry.name] = now
            for remote in found:
                link = mine.get(remote.id)
                incident = incidents.get(link.incident_id) if link else None
                if link is None or incident is None:
                    continue
                change = remote_change(
                    link, remote, incident, entry.kind, entry.settings.priorities
                )
                changes.append(change)
        return changes

    def remember(self, session: Session, change: RemoteChange) -> None:
        """Store what the ticket says now, so the next look compares against it."""
        remote = change.remote
        TicketRepository(session).confirm(
            replace(
                change.link,
                state=remote.state.value,
                assignee=remote.assignee,
                priority=remote.priority,
                remote_updated_at=remote.updated_at,
            )
        )

    def link(self, incident_id: int) -> TicketLink | None:
        with self.database.read() as session:
            links = TicketRepository(session).for_incident(incident_id)
        return links[0] if links else None

    def retry(self, item_id: int) -> bool:
        """Send a row that waits for attention again (after the cause was fixed). A write
        held because the ticket was done is then sent while the ticket stays in the status
        the operator saw; if it moved on again, the row comes back here."""
        with self.database.write() as session:
            outbox = OutboxRepository(session)
            item = outbox.get(item_id)
            if item is None or item.status is not OutboxStatus.ATTENTION:
                return False
            payload = None
            if item.payload.get(CONFLICT_STATUS):
                payload = {**item.payload, CONFIRMED_STATUS: item.payload[CONFLICT_STATUS]}
            return outbox.release(item_id, payload=payload)

    def drop(self, item_id: int, actor: str, reason: str, now: datetime) -> Incident | None:
        """Do not send a row that waits for attention: it is kept, marked dropped, and the
        incident's timeline says who dropped which write and why (one transaction); the
        rows held behind it go out with the next pass. None if no such row waits."""
        with self.database.write() as session:
            outbox = OutboxRepository(session)
            item = outbox.get(item_id)
            if item is None or item.status is not OutboxStatus.ATTENTION:
                return None
            link = TicketRepository(session).link(item.incident_id, item.system)
            incidents = IncidentRepository(session)
            before = incidents.get(item.incident_id)
            data = {
                "system": item.system,
                "op": item.op.value,
                "ticket": (link.key if link is not None else None) or "",
                "write": write_words(item.op, item.payload),
                "outbox_id": str(item_id),
            }
            after = before.record_dropped_ticket_write(actor, now, reason, data)
            outbox.drop(item_id)
            stored = incidents.save(before, after, now)
        log.info("ticket write %s for %s dropped by %s: %s", item_id, stored.key, actor, reason)
        return stored

    def waiting(self) -> list[OutboxItem]:
        with self.database.read() as session:
            return OutboxRepository(session).waiting()

    # ------------------------------------------------------------------ delivery

    def deliver(self, now: datetime, *, incident_id: int | None = None) -> Delivery:
        """One pass over the heads of the queues that are due."""
        report = Delivery()
        with self.database.read() as session:
            due = OutboxRepository(session).due(now, incident_id=incident_id)
        for item in due:
            outcome = self._deliver(item, now)
            if outcome == "delivered":
                report.delivered.append(item)
            elif outcome == "retrying":
                report.retrying.append(item)
            else:
                report.attention.append(item)
        held = {item.id for item in report.attention if item.id is not None}
        if held:
            kinds = {entry.name: entry.kind for entry in self.systems}
            with self.database.read() as session:
                report.conflicts.extend(conflict_notices(session, held, kinds, now))
        return report

    def _deliver(self, item: OutboxItem, now: datetime) -> str:
        assert item.id is not None
        entry = next((s for s in self.systems if s.name == item.system), None)
        if entry is None:
            return self._attention(item, f"no [[ticketing]] entry named {item.system!r}", "config")
        lease = timedelta(seconds=LEASE_CALLS * entry.settings.timeout)
        with self.database.write() as session:
            if not OutboxRepository(session).claim(item.id, now, lease):
                return "retrying"  # another thread or desk is delivering it right now
        try:
            client = self._client(entry)
            if item.op is OutboxOp.CREATE:
                # a request the server took may outlive our timeout: two of them
                return self._create(
                    client, item, now, 2 * timedelta(seconds=entry.settings.timeout)
                )
            return self._write(client, item, now)
        except TicketingError as error:
            return self._failed(item, error, now)
        except (ValueError, DomainError) as error:
            return self._attention(item, str(error), "config")

    def _create(
        self, client: TicketingClient, item: OutboxItem, now: datetime, settle: timedelta
    ) -> str:
        assert item.id is not None
        with self.database.read() as session:
            link = TicketRepository(session).link(item.incident_id, item.system)
        if link is None:
            return self._attention(item, "the ticket link is missing", "payload")
        if link.remote_id is not None:
            self._mark_delivered(item, now)
            return "delivered"
        draft = draft_from(item.payload)
        if item.attempted_at is not None:  # the last attempt's outcome is unknown
            found = client.find(link.idempotency_key, None, draft.project, item.attempt_mark)
            if found is not None:
                self._confirm(item, link, found, now)
                return "delivered"
            # a miss proves nothing while the system may still be writing that create,
            # nor, without a mark, while the search may lag behind it
            wait = settle
            if client.search_lags and item.attempt_mark is None:
                wait = max(wait, CREATE_LAG)
            if now < item.attempted_at + wait:
                self._later(
                    item,
                    item.attempted_at + wait,
                    f"waiting for {item.system} to show the ticket sent at "
                    f"{item.attempted_at:%H:%M:%S} UTC before creating again",
                    "unknown",
                    count=False,
                )
                return "retrying"
        mark = client.mark(draft.project)
        with self.database.write() as session:
            OutboxRepository(session).attempted(item.id, now, mark)
        created = client.create(draft)
        self._confirm(item, link, created, now)
        return "delivered"

    def _write(self, client: TicketingClient, item: OutboxItem, now: datetime) -> str:
        with self.database.read() as session:
            link = TicketRepository(session).link(item.incident_id, item.system)
        if link is None or link.remote_id is None:
            return self._attention(item, "the incident has no ticket in this system yet", "payload")
        payload = item.payload
        if item.op is not OutboxOp.COMMENT:  # a comment overwrites nothing: never checked
            remote = client.get(link.remote_id)
            plan = replay_plan(item.op, payload, remote)
            if plan is Replay.CONFLICT:
                return self._conflict(client, item, remote)
            if plan is Replay.DONE_ALREADY:
                log.info("%s is %s already: %s not sent", remote.key, remote.status, item.op)
                self._mark_delivered(item, now)
                return "delivered"
        if item.op is OutboxOp.COMMENT:
            client.comment(link.remote_id, str(payload["text"]))
        elif item.op is OutboxOp.UPDATE:
            severity = payload.get("severity")
            client.update(
                link.remote_id,
                TicketChange(  # never an assignee: a reassignment in the ticket stands
                    severity=Severity(severity) if severity else None,
                    comment=None if payload.get(COMMENT_SENT) else payload.get("comment"),
                ),
            )
        else:
            code = resolution_code(client.kind, str(payload["code"]))
            finish = client.resolve if item.op is OutboxOp.RESOLVE else client.close
            finish(
                link.remote_id,
                Resolution(
                    code,
                    str(payload["notes"]),
                    notes_posted=bool(payload.get(NOTES_SENT)),
                    on_notes_posted=lambda: self._remember_notes_sent(item),
                ),
            )
        self._mark_delivered(item, now)
        return "delivered"

    # ------------------------------------------------------------------ outcomes

    def _confirm(
        self, item: OutboxItem, link: TicketLink, remote: RemoteTicket, now: datetime
    ) -> None:
        """Store the ticket's id and key, log it on the incident, mark the create delivered:
        one transaction, so a crash leaves either all of it or a create to look up again."""
        assert item.id is not None
        confirmed = TicketLink(
            incident_id=link.incident_id,
            system=link.system,
            idempotency_key=link.idempotency_key,
            remote_id=remote.id,
            key=remote.key,
            url=remote.url,
            state=remote.state.value,
            assignee=remote.assignee,
            priority=remote.priority,
            remote_updated_at=remote.updated_at,
        )
        with self.database.write() as session:
            TicketRepository(session).confirm(confirmed)
            incidents = IncidentRepository(session)
            before = incidents.get(item.incident_id)
            if before.ticket != remote.key:
                try:
                    after = before.log_ticket(
                        remote.key, self._actor, now, f"{item.system}: {remote.url}"
                    )
                    incidents.save(before, after, now)
                except DomainError as error:  # closed meanwhile: the link still records it
                    log.info("ticket %s not logged on %s: %s", remote.key, before.key, error)
            OutboxRepository(session).delivered(item.id, now)
        log.info(
            "ticket %s created in %s for incident %s", remote.key, item.system, item.incident_id
        )

    def _mark_delivered(self, item: OutboxItem, now: datetime) -> None:
        assert item.id is not None
        with self.database.write() as session:
            OutboxRepository(session).delivered(item.id, now)

    def _failed(self, item: OutboxItem, error: TicketingError, now: datetime) -> str:
        if error.kind is ErrorKind.CONFLICT:
            return self._attention(
                item,
                f"state conflict: {error.message} (check the ticket, then retry or drop)",
                error.kind.value,
            )
        if not error.retryable:
            return self._attention(item, error.message, error.kind.value)
        if error.retry_after is not None:
            wait = min(timedelta(seconds=error.retry_after), RETRY_AFTER_CAP)
        else:
            wait = backoff(item.attempts, self._rng)
        # a create's attempt was counted when it was sent
        self._later(
            item, now + wait, str(error), error.kind.value, count=item.op is not OutboxOp.CREATE
        )
        return "retrying"

    def _later(
        self, item: OutboxItem, at: datetime, error: str, kind: str, *, count: bool = True
    ) -> None:
        assert item.id is not None
        with self.database.write() as session:
            OutboxRepository(session).retry_later(item.id, at, error, kind, count=count)

    def _remember_notes_sent(self, item: OutboxItem) -> None:
        """A resolve's notes went out as a comment of their own: a retry of its state
        change must not post them again (at least once: a crash before this commits)."""
        assert item.id is not None
        with self.database.write() as session:
            OutboxRepository(session).set_payload(item.id, {**item.payload, NOTES_SENT: True})

    def _conflict(self, client: TicketingClient, item: OutboxItem, remote: RemoteTicket) -> str:
        """The ticket is done: the update's comment is appended (it overwrites nothing), its
        field change waits for an operator, with what stopped it in plain words."""
        payload = {**item.payload, CONFLICT_STATUS: status_of(remote)}
        comment = payload.get("comment")
        if comment and not payload.get(COMMENT_SENT):
            # at least once: a crash before the row is stored sends the comment again
            client.comment(remote.id, str(comment))
            payload[COMMENT_SENT] = True
        words = conflict_words(item.op, payload, remote, client.kind)
        return self._attention(item, words, ErrorKind.CONFLICT.value, payload=payload)

    def _attention(
        self, item: OutboxItem, error: str, kind: str, *, payload: Mapping[str, Any] | None = None
    ) -> str:
        assert item.id is not None
        log.warning(
            "ticket write %s for incident %s needs attention: %s",
            item.op.value,
            item.incident_id,
            error,
        )
        with self.database.write() as session:
            OutboxRepository(session).needs_attention(item.id, error, kind, payload=payload)
        return "attention"

    def _client(self, entry: TicketingConfig) -> TicketingClient:
        client = self._clients.get(entry.name)
        if client is None:
            client = self._clients[entry.name] = self._factory(entry)
        return client

    def shutdown(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.disconnect()


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Capped exponential backoff with jitter (half to all of the step), so a fleet of
    desks that lost the same system do not come back in step."""
    step: timedelta = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** min(attempts, 16))
    return step * (0.5 + rng.random() / 2)


def idempotency_key(incident: Incident) -> str:
    """`noc-<uid>`: the same for an incident on every desk and after every restart."""
    return f"noc-{incident.uid}"


def draft_payload(
    incident: Incident, alerts: Sequence[Alert], system: TicketingConfig
) -> dict[str, Any]:
    """The create's content, frozen when queued (what the operator saw when asking)."""
    customer = incident.customer
    route = system.settings.routes.get(customer or "")
    services = list(incident.services)
    impact = (
        f"{len(services)} service(s) affected, root cause candidate {incident.root_service}"
        if incident.root_service
        else f"{len(services)} service(s) affected"
    )
    lines = [
        incident.title,
        "",
        f"Severity: {incident.severity.value}",
        f"Customer: {customer or '-'}",
        f"Impact: {impact}",
        f"Services: {', '.join(services) or '-'}",
        f"Detected: {incident.detected_at:%Y-%m-%d %H:%M:%S} UTC (started {incident.started_at:%H:%M:%S})",
        f"NOC Console incident: {incident.key} ({incident.uid})",
    ]
    return {
        "key": idempotency_key(incident),
        "summary": f"[{customer or 'no customer'}] {incident.title}"[:250],
        "description": "\n".join(lines),
        "severity": incident.severity.value,
        "customer": customer,
        "services": services,
        "impact": impact,
        "alerts": [
            f"{a.alertname} {a.service or '-'} {a.labels.get('instance', '')}".strip()
            for a in alerts[:50]
        ],
        "project": route if system.kind == "jira" else None,
        "assignment_group": route if system.kind == "servicenow" else None,
    }


def draft_from(payload: Mapping[str, Any]) -> TicketDraft:
    return TicketDraft(
        key=str(payload["key"]),
        summary=str(payload["summary"]),
        description=str(payload["description"]),
        severity=Severity(payload["severity"]),
        customer=payload.get("customer"),
        services=tuple(payload.get("services") or ()),
        impact=str(payload.get("impact") or ""),
        alerts=tuple(payload.get("alerts") or ()),
        project=payload.get("project"),
        assignment_group=payload.get("assignment_group"),
    )


__all__ = ["CREATE_LAG", "Delivery", "NoTicketingSystem", "OutboxStatus", "TicketDesk"]
