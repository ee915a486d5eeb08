"""The outbox against each ticketing system: Jira Cloud v3, Jira Data Center v2, ServiceNow.

RELIABILITY.md "Ticket sync" 11 and 13 for every system the console delivers to: writes
of one incident arrive in order, each once; 503 and network errors retry with jittered
backoff, a 429 waits its Retry-After; 400/401/403/404 wait in "needs attention" with the
server's own words, hold the rows behind them and no other incident's; a comment queued
before a refused close still lands first; what people change in the ticket comes back.

Creates whose outcome is unknown (a crash after the POST, a lagging search) are left to
test_outbox.py and test_outbox_crash.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer

from app.console import Console
from app.domain.outbox import OutboxItem, OutboxOp, OutboxStatus
from app.domain.severity import Severity
from tests.helpers.jira_fake import TOKEN
from tests.helpers.peers import free_port
from tests.helpers.ticket_systems import (
    SYSTEMS,
    JiraSystem,
    TicketSystem,
    deliver_until_quiet,
    desk_console,
    incident_for,
    open_ticket,
    outbox_console,
    system_entry,
    wired_system,
)

SECOND = timedelta(seconds=1)
REFUSED_KINDS = {400: "bad_request", 401: "auth", 403: "forbidden", 404: "not_found"}


@pytest.fixture(params=SYSTEMS)
def system(
    request: pytest.FixtureRequest, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> TicketSystem:
    return wired_system(request.param, httpserver, monkeypatch)


@pytest.fixture
def console(db_url: str, system: TicketSystem, t0: datetime) -> Iterator[Console]:
    made = outbox_console(db_url, [system.entry()], t0, incidents=2)
    yield made
    made.shutdown()


def text_of(item: OutboxItem) -> str:
    return str(item.payload.get("text") or item.payload.get("notes") or "")


def in_words(words: list[str], error: str | None) -> bool:
    """The server's words are in the error, as words: not a dump of its JSON body."""
    return (
        bool(words) and error is not None and all(w in error for w in words) and '{"' not in error
    )


def nothing_sent(console: Console, system: TicketSystem, now: datetime) -> bool:
    """A delivery pass at `now` that sends no write at all."""
    before = len(system.fake.wire)
    report = console.deliver_tickets(now)
    return not report.delivered and len(system.fake.wire) == before


def test_a_tickets_writes_arrive_after_its_create_in_order_each_once(
    console: Console, system: TicketSystem, t0: datetime
) -> None:
    incident = incident_for(console, "acme-api")
    console.request_ticket(incident, t0)
    # all queued while the create is still unsent: they must wait for it, then go in order
    console.add_note(incident, t0 + 1 * SECOND, "first look: pool exhausted")
    console.change_severity(incident, Severity.P1, t0 + 2 * SECOND, "checkout down")
    console.add_note(incident, t0 + 3 * SECOND, "pool resized")
    console.resolve(incident, t0 + 4 * SECOND, "latency back to normal")
    console.close(incident, t0 + 5 * SECOND, "connection leak in the orders app")
    assert [i.op for i in console.outbox()] == [
        OutboxOp.CREATE,
        OutboxOp.COMMENT,
        OutboxOp.UPDATE,
        OutboxOp.COMMENT,
        OutboxOp.RESOLVE,
        OutboxOp.CLOSE,
    ]
    deliver_until_quiet(console, t0 + timedelta(minutes=1))
    assert console.outbox() == []
    link = console.ticket_link(incident)
    assert link is not None
    assert link.remote_id is not None
    trail = system.accepted(ticket=link.remote_id)
    assert trail[0].kind == "create"
    assert len(system.accepted("create")) == 1
    markers = [
        "first look: pool exhausted",
        "severity changed to P1 by alice: checkout down",
        "pool resized",
        "resolved by alice: latency back to normal",
        "Root cause: connection leak in the orders app",
    ]
    positions = []
    for marker in markers:
        (write,) = system.landed(marker, link.remote_id)  # once, not once per pass
        positions.append(trail.index(write))
    assert positions == sorted(positions), [w.kind for w in trail]
    assert trail[positions[1]].kind == "update"
    (resolve,) = [w for w in trail if w.kind == "resolve"]
    (close,) = [w for w in trail if w.kind == "close"]
    assert positions[2] < trail.index(resolve) < trail.index(close) == len(trail) - 1
    assert system.state(link.remote_id) == "closed"
    assert system.priority(link.remote_id) is Severity.P1


def test_a_503_retries_with_jittered_backoff_until_the_write_lands(
    console: Console, system: TicketSystem, t0: datetime
) -> None:
    incident = incident_for(console, "acme-api")
    ticket = open_ticket(console, incident, t0)
    console.add_note(incident, t0 + timedelta(minutes=1), "still degraded")
    words = system.refuse("comment", 503, times=2)
    t1 = t0 + timedelta(minutes=2)
    report = console.deliver_tickets(t1)
    assert report.retrying
    assert not report.delivered
    (row,) = console.outbox()
    assert (row.status, row.error_kind, row.attempts) == (OutboxStatus.PENDING, "server", 1)
    assert row.next_attempt_at is not None
    assert t1 + 5 * SECOND <= row.next_attempt_at <= t1 + 10 * SECOND  # 10 s, jittered
    assert in_words(words, row.last_error), row.last_error
    assert nothing_sent(console, system, row.next_attempt_at - SECOND)  # not due yet
    t2 = row.next_attempt_at
    assert console.deliver_tickets(t2).retrying  # the second 503: the step doubles
    (row,) = console.outbox()
    assert row.attempts == 2
    assert row.next_attempt_at is not None
    assert t2 + 10 * SECOND <= row.next_attempt_at <= t2 + 20 * SECOND
    assert nothing_sent(console, system, row.next_attempt_at - SECOND)
    assert console.deliver_tickets(row.next_attempt_at).delivered
    assert console.outbox() == []
    assert len(system.landed("still degraded", ticket)) == 1


def test_a_429_waits_its_retry_after_even_past_the_backoff_cap(
    console: Console, system: TicketSystem, t0: datetime
) -> None:
    incident = incident_for(console, "acme-api")
    ticket = open_ticket(console, incident, t0)
    console.add_note(incident, t0 + timedelta(minutes=1), "vendor engaged")
    system.refuse("comment", 429, retry_after=700)  # longer than the 10 min backoff cap
    t1 = t0 + timedelta(minutes=2)
    assert console.deliver_tickets(t1).retrying
    (row,) = console.outbox()
    assert (row.status, row.error_kind) == (OutboxStatus.PENDING, "rate_limited")
    assert row.next_attempt_at == t1 + timedelta(seconds=700)
    assert nothing_sent(console, system, t1 + timedelta(seconds=699))
    assert console.deliver_tickets(t1 + timedelta(seconds=700)).delivered
    assert console.outbox() == []
    assert len(system.landed("vendor engaged", ticket)) == 1


def test_a_network_error_retries_with_backoff_and_lands_once_the_network_is_back(
    console: Console, system: TicketSystem, db_url: str, t0: datetime
) -> None:
    """A workstation whose network is down (nothing listens where it sends) fails the
    write; it stays queued and goes out once it is due again."""
    incident = incident_for(console, "acme-api")
    ticket = open_ticket(console, incident, t0)
    console.add_note(incident, t0 + timedelta(minutes=1), "rebooting api-1")
    unreachable = system_entry(system.name, f"http://127.0.0.1:{free_port()}")
    offline = desk_console(db_url, [unreachable], operator="bob")
    try:
        t1 = t0 + timedelta(minutes=2)
        assert offline.deliver_tickets(t1).retrying
    finally:
        offline.shutdown()
    (row,) = console.outbox()
    assert (row.status, row.error_kind, row.attempts) == (OutboxStatus.PENDING, "network", 1)
    assert row.last_error is not None
    assert "refused" in row.last_error  # nothing listens there
    assert row.next_attempt_at is not None
    assert t1 + 5 * SECOND <= row.next_attempt_at <= t1 + 10 * SECOND
    assert nothing_sent(console, system, row.next_attempt_at - SECOND)
    assert console.deliver_tickets(row.next_attempt_at).delivered
    assert console.outbox() == []
    assert len(system.landed("rebooting api-1", ticket)) == 1


@pytest.mark.parametrize("status", sorted(REFUSED_KINDS))
def test_a_refused_write_waits_for_attention_and_holds_only_its_own_incident(
    console: Console, system: TicketSystem, t0: datetime, status: int
) -> None:
    mine, other = incident_for(console, "acme-api"), incident_for(console, "globex-db")
    my_ticket = open_ticket(console, mine, t0)
    other_ticket = open_ticket(console, other, t0)
    notes = [(mine, "a-one"), (other, "b-one"), (mine, "a-two"), (other, "b-two")]
    notes.append((mine, "a-three"))
    for minute, (incident, note) in enumerate(notes, 1):
        console.add_note(incident, t0 + timedelta(minutes=minute), note)
    words = system.refuse("comment", status, containing="a-two")
    deliver_until_quiet(console, t0 + timedelta(minutes=10))
    held, behind = console.outbox()  # nothing dropped: both still there, in order
    assert (held.op, held.status, held.error_kind) == (
        OutboxOp.COMMENT,
        OutboxStatus.ATTENTION,
        REFUSED_KINDS[status],
    )
    assert "a-two" in text_of(held)
    assert in_words(words, held.last_error), held.last_error
    assert "a-three" in text_of(behind)
    assert behind.status is OutboxStatus.PENDING
    assert len(system.landed("a-one", my_ticket)) == 1
    assert not system.landed("a-two")
    assert not [w for w in system.fake.wire if any("a-three" in t for t in w.texts)]
    # the other incident's writes went out, in order
    b_one, b_two = system.landed("b-one", other_ticket), system.landed("b-two", other_ticket)
    assert len(b_one) == len(b_two) == 1
    assert system.fake.wire.index(b_one[0]) < system.fake.wire.index(b_two[0])
    # a day later it is still held, not retried blindly and not dropped
    assert nothing_sent(console, system, t0 + timedelta(days=1))
    assert [i.id for i in console.outbox()] == [held.id, behind.id]
    # the operator fixed the cause and sends it again: it lands, then the one behind it
    assert held.id is not None
    assert console.retry_ticket_write(held.id)
    deliver_until_quiet(console, t0 + timedelta(days=1, minutes=1))
    assert console.outbox() == []
    (two,) = system.landed("a-two", my_ticket)
    (three,) = system.landed("a-three", my_ticket)
    assert system.fake.wire.index(two) < system.fake.wire.index(three)


def test_a_comment_queued_before_a_refused_close_still_lands_first(
    console: Console, system: TicketSystem, t0: datetime
) -> None:
    """RELIABILITY 13, on every system: the close is refused, the comment is not lost."""
    incident = incident_for(console, "acme-api")
    ticket = open_ticket(console, incident, t0)
    console.add_note(incident, t0 + timedelta(minutes=1), "customer confirms recovery")
    console.resolve(incident, t0 + timedelta(minutes=2), "pool resized")
    console.close(incident, t0 + timedelta(minutes=3), "connection leak")
    words = system.refuse("close", 403)
    deliver_until_quiet(console, t0 + timedelta(minutes=4))
    (held,) = console.outbox()
    assert (held.op, held.status) == (OutboxOp.CLOSE, OutboxStatus.ATTENTION)
    assert in_words(words, held.last_error), held.last_error
    (note,) = system.landed("customer confirms recovery", ticket)
    (resolve,) = system.accepted("resolve", ticket)
    assert system.fake.wire.index(note) < system.fake.wire.index(resolve)
    assert system.state(ticket) == "resolved"  # the close did not happen
    assert held.id is not None
    assert console.retry_ticket_write(held.id)
    deliver_until_quiet(console, t0 + timedelta(minutes=5))
    assert console.outbox() == []
    assert system.state(ticket) == "closed"
    assert len(system.landed("customer confirms recovery", ticket)) == 1


def test_an_assignee_and_priority_set_in_the_ticket_come_back_once(
    console: Console, system: TicketSystem, t0: datetime
) -> None:
    incident = incident_for(console, "acme-api")
    ticket = open_ticket(console, incident, t0)
    assert console.incident(incident).severity is not Severity.P1
    assert console.sync_tickets(t0 + timedelta(minutes=1)) == []  # nothing changed yet
    owner = system.work_remotely(ticket)
    writes = len(system.fake.wire)
    (changed,) = console.sync_tickets(t0 + timedelta(minutes=6))
    assert changed.id == incident
    assert changed.owner == owner
    assert changed.severity is Severity.P1
    link = console.ticket_link(incident)
    assert link is not None
    assert {e.actor for e in changed.timeline[-2:]} == {f"ticket {link.key}"}
    assert console.outbox() == []  # nothing echoed back to the ticket it came from
    assert len(system.fake.wire) == writes
    assert console.sync_tickets(t0 + timedelta(minutes=7)) == []  # and only once
    assert console.incident(incident).owner == owner


def test_data_center_gets_bearer_v2_wiki_markup_and_search_with_start_at(
    db_url: str, httpserver: HTTPServer, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = JiraSystem(httpserver, "datacenter")
    for name, value in system.secret.items():
        monkeypatch.setenv(name, value)
    console = outbox_console(db_url, [system.entry()], t0)
    try:
        incident = incident_for(console, "acme-api")
        ticket = open_ticket(console, incident, t0)
        console.add_note(incident, t0 + timedelta(minutes=1), "see [runbook] {noformat}")
        deliver_until_quiet(console, t0 + timedelta(minutes=2))
        system.work_remotely(ticket)
        assert console.sync_tickets(t0 + timedelta(minutes=6))
    finally:
        console.shutdown()
    jira = system.jira
    assert jira.requests
    assert {r.headers.get("Authorization") for r in jira.requests} == {f"Bearer {TOKEN}"}
    assert all(r.path.startswith("/rest/api/2/") for r in jira.requests)
    issue = jira.issue(ticket)
    description = issue.fields["description"]
    assert isinstance(description, str)  # wiki markup, not an ADF document
    assert "* HighLatency acme-api api-1" in description.splitlines()
    assert any(isinstance(c, str) and "see [runbook] {noformat}" in c for c in issue.comments)
    searches = jira.calls("search_v2")
    assert searches
    assert all(s.method == "GET" and "startAt" in s.args for s in searches)
    assert jira.calls("search") == []
