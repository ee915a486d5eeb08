"""One incident, one ticket, whatever fails: the outbox against the Jira and ServiceNow fakes.

RELIABILITY.md "Ticket sync" 11: 503, 429 and network errors retry with backoff or
Retry-After; 400/401/403 wait in "needs attention" with the server's words; nothing is
dropped. A create whose outcome is unknown (9, 10): test_outbox_recovery.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from app.config.settings import TicketingConfig
from app.config.ticketing import TicketingOptions
from app.console import Console
from app.domain.incident import EventKind
from app.domain.outbox import OutboxStatus
from app.store.alerts import AlertRepository
from app.store.tables import AlertRow
from app.ticketing_commands import create, outbox
from tests.helpers.jira_fake import TOKEN, JiraFake
from tests.helpers.servicenow_fake import PASSWORD, USER, ServiceNowFake
from tests.helpers.ticketing import jira_entry, ticketing_console


@pytest.fixture
def jira(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> JiraFake:
    monkeypatch.setenv("NOC_SECRET_JIRA_OPS", TOKEN)
    return JiraFake(httpserver)


@pytest.fixture
def console(db_url: str, jira: JiraFake, t0: datetime) -> Iterator[Console]:
    made = ticketing_console(db_url, [jira_entry(jira)], t0)
    yield made
    made.shutdown()


def only_incident(console: Console) -> int:
    (incident,) = console.incidents()
    assert incident.id is not None
    return incident.id


def test_ticket_create_prints_the_key_and_a_second_run_creates_nothing(
    console: Console, jira: JiraFake, t0: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    incident_id = only_incident(console)
    assert create(console, incident_id, lambda: t0) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("OPS-")
    assert create(console, incident_id, lambda: t0 + timedelta(minutes=1)) == 0
    assert capsys.readouterr().out.strip() == key
    assert len(jira.calls("create")) == 1
    incident = console.incident(incident_id)
    assert incident.ticket == key
    assert incident.timeline[-1].kind is EventKind.TICKETED
    (issue,) = jira.issues.values()
    assert f"noc-{incident.uid}" in issue.fields["labels"]
    assert console.outbox() == []


def test_a_503_retries_with_backoff_and_a_429_waits_its_retry_after(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    incident_id = only_incident(console)
    jira.fail("create", 503)
    console.request_ticket(incident_id, t0)
    report = console.deliver_tickets(t0)
    assert report.retrying
    (waiting,) = console.outbox()
    assert waiting.status is OutboxStatus.PENDING
    assert waiting.next_attempt_at is not None
    assert t0 + timedelta(seconds=5) <= waiting.next_attempt_at <= t0 + timedelta(seconds=10)
    assert console.deliver_tickets(t0 + timedelta(seconds=1)).delivered == []  # not yet due
    # due again: the 503 may have created it, so it looks first (nothing since the mark)
    later = t0 + timedelta(minutes=3)
    jira.fail("create", 429, headers={"Retry-After": "120"})
    console.deliver_tickets(later)
    (waiting,) = console.outbox()
    assert waiting.next_attempt_at == later + timedelta(seconds=120)
    assert waiting.error_kind == "rate_limited"
    report = console.deliver_tickets(later + timedelta(seconds=121))
    assert report.delivered
    assert len(jira.issues) == 1


def test_a_refused_create_waits_for_attention_with_the_servers_words(
    console: Console, jira: JiraFake, t0: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    incident_id = only_incident(console)
    jira.fail(
        "create",
        400,
        body=json.dumps(
            {"errorMessages": [], "errors": {"priority": "Priority name 'High' is not valid"}}
        ).encode(),
    )
    assert create(console, incident_id, lambda: t0) == 0
    assert capsys.readouterr().out.startswith("queued: needs attention: ")
    (waiting,) = console.outbox()
    assert waiting.status is OutboxStatus.ATTENTION
    assert waiting.last_error is not None
    assert "Priority name 'High' is not valid" in waiting.last_error
    assert console.deliver_tickets(t0 + timedelta(hours=1)).delivered == []  # held, not dropped
    assert outbox(console, as_json=True) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["op"], row["status"], row["system"]) == ("create", "attention", "jira-ops")


def test_servicenow_gets_one_incident_per_incident_from_two_desks(
    db_url: str, httpserver: HTTPServer, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOC_SECRET_SNOW", PASSWORD)
    fake = ServiceNowFake(httpserver)
    entry = TicketingConfig(
        name="snow",
        kind="servicenow",
        url=fake.url,  # the session server's own address (localhost, v4 or v6)
        settings=TicketingOptions(user=USER, assignment_group=None, timeout=5.0),
    )
    first = ticketing_console(db_url, [entry], t0)
    second = ticketing_console(db_url, [entry], t0)
    try:
        incident_id = only_incident(first)
        first.request_ticket(incident_id, t0)
        link, queued = second.request_ticket(incident_id, t0)
        assert not queued  # the same link: one create queued for both desks
        first.deliver_tickets(t0)
        second.deliver_tickets(t0)
        (record,) = fake.incidents.values()
        assert record["correlation_id"] == link.idempotency_key
        stored = second.ticket_link(incident_id)
        assert stored is not None
        assert stored.key == record["number"]
    finally:
        first.shutdown()
        second.shutdown()


def adf_text(node: Any) -> str:
    if isinstance(node, dict):
        own = node.get("text", "") if node.get("type") == "text" else ""
        return own + "".join(adf_text(child) for child in node.get("content", []))
    return str(node) if isinstance(node, str) else ""


def test_escalations_severity_resolve_and_close_follow_the_create_in_order(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    from app.domain.severity import Severity

    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    # queued behind the create while it is still unsent: they go after it, in order
    console.escalate(incident_id, t0 + timedelta(minutes=1), "DBA needed")
    console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=2), "checkout down")
    for minute in range(3, 8):  # one head per incident per pass
        console.deliver_tickets(t0 + timedelta(minutes=minute))
    (issue,) = jira.issues.values()
    comments = [adf_text(c) for c in issue.comments]
    assert any("escalated L1 \u2192 L2 by alice: DBA needed" in c for c in comments), comments
    assert any("severity changed to P1 by alice: checkout down" in c for c in comments), comments
    assert issue.fields["priority"]["name"] == "Highest"
    console.resolve(incident_id, t0 + timedelta(minutes=9), "pool resized")
    console.close(incident_id, t0 + timedelta(minutes=10), "connection leak in the orders app")
    for minute in range(11, 15):
        console.deliver_tickets(t0 + timedelta(minutes=minute))
    assert console.outbox() == []
    assert issue.resolution == "Done"
    assert issue.status in ("Resolved", "Closed")
    assert any(
        "Root cause: connection leak in the orders app" in adf_text(c) for c in issue.comments
    )


def test_auto_create_queues_a_ticket_for_new_incidents_of_its_severities(
    db_url: str, jira: JiraFake, t0: datetime
) -> None:
    from dataclasses import replace

    from app.domain.severity import Severity

    entry = jira_entry(jira)
    entry = replace(entry, settings=replace(entry.settings, auto_create=frozenset({Severity.P2})))
    console = ticketing_console(db_url, [entry], t0)
    try:
        incident_id = only_incident(console)
        assert console.incident(incident_id).severity is Severity.P2
        (waiting,) = console.outbox()
        assert waiting.op.value == "create"
        console.poll_once(t0 + timedelta(seconds=30))  # another poll queues nothing more
        console.deliver_tickets(t0 + timedelta(seconds=31))
        assert len(jira.issues) == 1
        assert console.outbox() == []
    finally:
        console.shutdown()


def test_changes_made_in_the_ticket_come_back_once_and_are_not_echoed(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    from app.domain.severity import Severity

    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    console.deliver_tickets(t0)
    (issue,) = jira.issues.values()
    assert console.sync_tickets(t0 + timedelta(minutes=1)) == []  # nothing changed yet
    # someone works the ticket in Jira: takes it, raises the priority, starts it
    jira.advance(timedelta(minutes=5))
    issue.fields["assignee"] = {"accountId": "5b10ac8d82e05b22cc7d4ef7"}
    issue.fields["priority"] = {"name": "Highest"}
    issue.status = "In Progress"
    issue.updated = jira.now
    (changed,) = console.sync_tickets(t0 + timedelta(minutes=6))
    assert changed.owner == "Bob Ray"
    assert changed.severity is Severity.P1
    actors = {e.actor for e in changed.timeline[-3:]}
    assert actors == {f"ticket {issue.key}"}
    assert f"{issue.key} is now in progress (In Progress)" in changed.timeline[-1].note
    assert console.outbox() == []  # nothing sent back to the ticket it came from
    assert console.sync_tickets(t0 + timedelta(minutes=7)) == []  # and only once


def test_a_ticket_resolved_remotely_resolves_the_incident_only_once_its_alerts_cleared(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    console.deliver_tickets(t0)
    (issue,) = jira.issues.values()
    # engineering resolves the ticket while the alert still fires
    jira.advance(timedelta(minutes=5))
    issue.status, issue.resolution, issue.updated = "Resolved", "Done", jira.now
    (noted,) = console.sync_tickets(t0 + timedelta(minutes=6))
    assert noted.state.active
    assert noted.timeline[-1].actor == f"ticket {issue.key}"
    assert noted.timeline[-1].note == (
        f"{issue.key} is now resolved (Resolved); 1 alert still firing: not resolved here"
    )
    # reopened, then resolved again once the alert is gone (before the next poll saw it)
    with console.database.write() as session:
        ids = session.scalars(select(AlertRow.id).where(AlertRow.incident_id == incident_id))
        AlertRepository(session).resolve(list(ids), t0 + timedelta(minutes=8))
    jira.advance(timedelta(minutes=5))
    issue.status, issue.updated = "In Progress", jira.now
    console.sync_tickets(t0 + timedelta(minutes=11))
    jira.advance(timedelta(minutes=5))
    issue.status, issue.updated = "Resolved", jira.now
    (resolved,) = console.sync_tickets(t0 + timedelta(minutes=16))
    assert resolved.state.value == "resolved"
    assert resolved.timeline[-1].kind is EventKind.RESOLVED
    assert resolved.timeline[-1].actor == f"ticket {issue.key}"
    assert console.outbox() == []  # the ticket is not told what it did itself


def test_a_comment_queued_before_a_failing_close_still_lands_in_order(
    console: Console, jira: JiraFake, t0: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    """RELIABILITY 13, and a refused close released by an operator once fixed."""
    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    console.deliver_tickets(t0)
    console.add_note(incident_id, t0 + timedelta(minutes=1), "customer confirms recovery")
    console.resolve(incident_id, t0 + timedelta(minutes=2), "fixed")
    jira.fail("transition", 409, times=1)
    for minute in range(3, 6):
        console.deliver_tickets(t0 + timedelta(minutes=minute))
    (issue,) = jira.issues.values()
    assert any("customer confirms recovery" in adf_text(c) for c in issue.comments)
    (held,) = console.outbox()
    assert held.op.value == "resolve"
    assert held.status is OutboxStatus.ATTENTION
    assert held.last_error is not None
    assert held.last_error.startswith("state conflict: ")
    assert held.id is not None
    assert outbox(console, as_json=False, retry=held.id) == 0
    assert capsys.readouterr().out.strip() == f"ticket write {held.id} will be sent again"
    console.deliver_tickets(t0 + timedelta(minutes=7))
    assert console.outbox() == []
    assert issue.resolution == "Done"


def test_a_ticket_delivered_after_the_incident_closed_is_still_named_on_it(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)  # queued, not delivered before the close
    console.resolve(incident_id, t0 + timedelta(minutes=1), "fixed")
    console.close(incident_id, t0 + timedelta(minutes=2), "pool size")
    console.deliver_tickets(t0 + timedelta(minutes=3))
    (issue,) = jira.issues.values()
    incident = console.incident(incident_id)
    assert incident.state.value == "closed"
    assert incident.ticket == issue.key
    assert incident.timeline[-1].kind is EventKind.TICKETED


def test_a_retried_close_posts_its_notes_once(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    """A transition without a screen takes no comment: the notes go first as a comment of
    their own, and a retry of the failed transition must not post them again."""
    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    console.deliver_tickets(t0)
    console.resolve(incident_id, t0 + timedelta(minutes=1), "fixed")
    console.deliver_tickets(t0 + timedelta(minutes=1))
    (issue,) = jira.issues.values()
    assert issue.status == "Resolved"
    console.close(incident_id, t0 + timedelta(minutes=2), "pool size too small for Black Friday")
    jira.fail("transition", 503, times=2)  # "Close Issue" from Resolved has no screen
    later = t0 + timedelta(minutes=2)
    for _ in range(3):
        console.deliver_tickets(later)
        later += timedelta(minutes=30)  # past any backoff
    assert issue.status == "Closed"
    assert console.outbox() == []
    notes = [c for c in issue.comments if "pool size too small" in adf_text(c)]
    assert len(notes) == 1
    assert len(jira.calls("transition")) == 4  # resolve, then the close three times


def test_a_row_another_desk_is_delivering_is_left_alone_until_its_lease_runs_out(
    db_url: str, jira: JiraFake, t0: datetime
) -> None:
    from app.store.outbox import OutboxRepository

    first = ticketing_console(db_url, [jira_entry(jira)], t0)
    second = ticketing_console(db_url, [jira_entry(jira)], t0)
    try:
        incident_id = only_incident(first)
        first.request_ticket(incident_id, t0)
        (row,) = first.outbox()
        assert row.id is not None
        with first.database.write() as session:  # the first desk is mid-call on it
            assert OutboxRepository(session).claim(row.id, t0, timedelta(seconds=15))
        assert second.deliver_tickets(t0 + timedelta(seconds=5)).delivered == []
        assert jira.calls("create") == []
        # the first desk died: after its lease the second takes over (one create in all)
        assert second.deliver_tickets(t0 + timedelta(seconds=16)).delivered
        assert len(jira.calls("create")) == 1
    finally:
        first.shutdown()
        second.shutdown()


def test_when_the_alerts_clear_the_engine_resolves_the_ticket_too(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    console.deliver_tickets(t0)
    source = console.sources[0]
    source.set([])  # type: ignore[attr-defined]
    console.poll_once(t0 + timedelta(minutes=5))
    assert console.incident(incident_id).state.value == "resolved"
    (queued,) = console.outbox()
    assert queued.op.value == "resolve"
    console.deliver_tickets(t0 + timedelta(minutes=6))
    (issue,) = jira.issues.values()
    assert issue.resolution == "Done"
    assert console.outbox() == []
