"""A queued write meets a ticket changed meanwhile: nothing is overwritten (RELIABILITY 12).

Against the Jira (Cloud, v3) and ServiceNow contract fakes, reading what went over the
wire: a priority change queued while the ticket was resolved or closed is not sent (its
comment is appended, the write waits for a decision, and the pass reports a notice); a
resolve of a done ticket sends nothing; a reassignment made in the ticket is never undone.
An operator then retries (sent anyway) or drops (kept, marked dropped, in the timeline)
the held write, which releases the writes queued behind it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from app.config.settings import TicketingConfig
from app.config.ticketing import TicketingOptions
from app.console import Console
from app.console.ticket_conflicts import CONFIRMED_STATUS, Replay, replay_plan
from app.console.ticket_updates import writes_for
from app.domain.errors import DomainError
from app.domain.incident import EventKind
from app.domain.notifications import NotificationKind
from app.domain.outbox import OutboxItem, OutboxOp, OutboxStatus
from app.domain.severity import Severity
from app.store.outbox import OutboxRepository
from app.ticketing.base import RemoteTicket, TicketState
from app.ticketing_commands import outbox
from tests.helpers.jira_fake import TOKEN, Issue, JiraFake
from tests.helpers.servicenow_fake import PASSWORD, USER, ServiceNowFake
from tests.helpers.ticketing import jira_entry, ticketing_console

BOB = "5b10ac8d82e05b22cc7d4ef7"  # Bob Ray's accountId on the Jira fake


@pytest.fixture
def jira(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> JiraFake:
    monkeypatch.setenv("NOC_SECRET_JIRA_OPS", TOKEN)
    return JiraFake(httpserver)


@pytest.fixture
def console(db_url: str, jira: JiraFake, t0: datetime) -> Iterator[Console]:
    made = ticketing_console(db_url, [jira_entry(jira)], t0)
    yield made
    made.shutdown()


@pytest.fixture
def snow(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> ServiceNowFake:
    monkeypatch.setenv("NOC_SECRET_SNOW", PASSWORD)
    return ServiceNowFake(httpserver)


@pytest.fixture
def snow_console(db_url: str, snow: ServiceNowFake, t0: datetime) -> Iterator[Console]:
    entry = TicketingConfig(
        name="snow",
        kind="servicenow",
        url=snow.url,
        settings=TicketingOptions(user=USER, assignment_group=None, timeout=5.0),
    )
    made = ticketing_console(db_url, [entry], t0)
    yield made
    made.shutdown()


def ticketed(console: Console, t0: datetime) -> int:
    """The one incident, its ticket created and confirmed."""
    (incident,) = console.incidents()
    assert incident.id is not None
    console.request_ticket(incident.id, t0)
    assert console.deliver_tickets(t0).delivered
    return incident.id


def adf_text(node: Any) -> str:
    if isinstance(node, dict):
        own = node.get("text", "") if node.get("type") == "text" else ""
        return own + "".join(adf_text(child) for child in node.get("content", []))
    return str(node) if isinstance(node, str) else ""


def done_in_jira(jira: JiraFake, status: str = "Resolved") -> Issue:
    """Someone resolves (or closes) the issue in Jira, a few minutes on."""
    (issue,) = jira.issues.values()
    jira.advance(timedelta(minutes=5))
    issue.status = status
    issue.resolution = "Done"
    issue.updated = jira.now
    return issue


def rows_of(console: Console, incident_id: int) -> list[OutboxItem]:
    """Every outbox row of the incident, dropped and delivered ones too."""
    with console.database.read() as session:
        return OutboxRepository(session).for_incident(incident_id)


def sent_from(requests: list[Any], start: int) -> list[tuple[str, str]]:
    return [(r.endpoint, r.method) for r in requests[start:]]


# ------------------------------------------------------------------ the plan


@pytest.mark.parametrize(
    ("op", "state", "expected"),
    [
        (OutboxOp.UPDATE, TicketState.IN_PROGRESS, Replay.SEND),
        (OutboxOp.UPDATE, TicketState.ON_HOLD, Replay.SEND),
        (OutboxOp.UPDATE, TicketState.RESOLVED, Replay.CONFLICT),
        (OutboxOp.UPDATE, TicketState.CLOSED, Replay.CONFLICT),
        (OutboxOp.UPDATE, TicketState.CANCELED, Replay.CONFLICT),
        (OutboxOp.RESOLVE, TicketState.NEW, Replay.SEND),
        (OutboxOp.RESOLVE, TicketState.RESOLVED, Replay.DONE_ALREADY),
        (OutboxOp.RESOLVE, TicketState.CANCELED, Replay.DONE_ALREADY),
        (OutboxOp.CLOSE, TicketState.RESOLVED, Replay.SEND),  # the usual way to closed
        (OutboxOp.CLOSE, TicketState.CLOSED, Replay.DONE_ALREADY),
        (OutboxOp.CLOSE, TicketState.CANCELED, Replay.DONE_ALREADY),
    ],
)
def test_the_replay_plan(op: OutboxOp, state: TicketState, expected: Replay) -> None:
    remote = RemoteTicket("OPS-1", "10001", "https://jira/browse/OPS-1", state, "Whatever")
    payload = {"severity": "P1", "comment": "c"} if op is OutboxOp.UPDATE else {"code": "x"}
    assert replay_plan(op, payload, remote) is expected


def test_an_operators_retry_sends_in_the_status_they_saw_only() -> None:
    done = RemoteTicket("OPS-1", "10001", "u", TicketState.RESOLVED, "Resolved")
    confirmed = {"severity": "P1", CONFIRMED_STATUS: "Resolved"}
    assert replay_plan(OutboxOp.UPDATE, confirmed, done) is Replay.SEND
    closed = RemoteTicket("OPS-1", "10001", "u", TicketState.CLOSED, "Closed")
    assert replay_plan(OutboxOp.UPDATE, confirmed, closed) is Replay.CONFLICT
    # an update without a field change is only its comment: always appended
    assert replay_plan(OutboxOp.UPDATE, {"comment": "c"}, closed) is Replay.SEND


# ------------------------------------------------------------------ Jira


def test_a_priority_change_queued_while_the_issue_was_resolved_is_held_not_sent(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    incident_id = ticketed(console, t0)
    issue = done_in_jira(jira)
    priority = issue.fields["priority"]
    console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=6), "checkout down")
    console.add_note(incident_id, t0 + timedelta(minutes=7), "customer informed")
    start = len(jira.requests)
    report = console.deliver_tickets(t0 + timedelta(minutes=8))
    # read the issue, append the update's comment; no edit: the priority stays as it was
    assert sent_from(jira.requests, start) == [("get", "GET"), ("comment", "POST")]
    assert "severity changed to P1 by alice: checkout down" in adf_text(
        jira.requests[-1].json["body"]
    )
    assert issue.fields["priority"] == priority
    assert issue.status == "Resolved"
    (held, behind) = console.outbox()
    assert held.op is OutboxOp.UPDATE
    assert held.status is OutboxStatus.ATTENTION
    assert held.error_kind == "conflict"
    assert held.last_error == (
        f"{issue.key} is Resolved in Jira (last changed 14:05 UTC): the queued priority change"
        " to P1 was not sent (its comment was added)."
    )
    # the operator's prompt: which incident, ticket and write, and where to decide
    (notice,) = report.conflicts
    incident = console.incident(incident_id)
    assert notice.kind is NotificationKind.TICKET_CONFLICT
    assert notice.incident_id == incident_id
    assert notice.text == (
        f"{incident.key}: {issue.key} is Resolved in Jira; the queued priority change to P1"
        " was not sent. Decide in the ticket outbox (retry or drop)."
    )
    # the note behind it is held, and the held row is not tried again
    assert behind.op is OutboxOp.COMMENT
    start = len(jira.requests)
    later = console.deliver_tickets(t0 + timedelta(minutes=30))
    assert (later.delivered, later.conflicts) == ([], [])
    assert jira.requests[start:] == []


def test_retry_sends_a_held_priority_change_anyway_and_only_that(
    console: Console, jira: JiraFake, t0: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    incident_id = ticketed(console, t0)
    issue = done_in_jira(jira)
    console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=6), "checkout down")
    console.add_note(incident_id, t0 + timedelta(minutes=7), "customer informed")
    console.deliver_tickets(t0 + timedelta(minutes=8))
    held = console.outbox()[0]
    assert held.id is not None
    assert outbox(console, as_json=False, retry=held.id) == 0
    assert capsys.readouterr().out.strip() == f"ticket write {held.id} will be sent again"
    start = len(jira.requests)
    report = console.deliver_tickets(t0 + timedelta(minutes=9))
    assert report.delivered
    assert sent_from(jira.requests, start) == [("get", "GET"), ("edit", "PUT")]
    # the field alone: the comment went out with the conflict, it is not sent twice
    assert jira.requests[-1].json == {"fields": {"priority": {"name": "Highest"}}}
    assert issue.fields["priority"] == {"name": "Highest"}
    assert issue.status == "Resolved"  # nothing else touched
    console.deliver_tickets(t0 + timedelta(minutes=10))  # the note that was held behind it
    assert console.outbox() == []
    assert "customer informed" in adf_text(issue.comments[-1])
    assert sum("severity changed to P1" in adf_text(c) for c in issue.comments) == 1


def test_retry_holds_again_when_the_ticket_moved_on_since_the_operator_looked(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    incident_id = ticketed(console, t0)
    issue = done_in_jira(jira)
    console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=6), "checkout down")
    console.deliver_tickets(t0 + timedelta(minutes=8))
    (held,) = console.outbox()
    assert held.id is not None
    assert console.retry_ticket_write(held.id)
    issue.status = "Closed"  # closed in the meantime: not the state the operator accepted
    start = len(jira.requests)
    report = console.deliver_tickets(t0 + timedelta(minutes=9))
    assert sent_from(jira.requests, start) == [("get", "GET")]  # comment sent once, already
    (again,) = console.outbox()
    assert again.status is OutboxStatus.ATTENTION
    assert again.last_error is not None
    assert again.last_error.startswith(f"{issue.key} is Closed in Jira")
    assert len(report.conflicts) == 1


def test_a_resolve_or_close_of_an_issue_done_in_jira_sends_nothing(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    incident_id = ticketed(console, t0)
    issue = done_in_jira(jira, "Closed")
    comments = len(issue.comments)
    console.resolve(incident_id, t0 + timedelta(minutes=6), "pool resized")
    console.close(incident_id, t0 + timedelta(minutes=7), "connection leak")
    start = len(jira.requests)
    for minute in (8, 9):
        report = console.deliver_tickets(t0 + timedelta(minutes=minute))
        assert report.delivered
        assert report.conflicts == []
    # one read each, no transition, no comment: done already is a success
    assert sent_from(jira.requests, start) == [("get", "GET"), ("get", "GET")]
    assert (issue.status, issue.resolution, len(issue.comments)) == ("Closed", "Done", comments)
    assert console.outbox() == []


def test_a_reassignment_in_jira_is_never_overwritten(
    console: Console, jira: JiraFake, t0: datetime
) -> None:
    incident_id = ticketed(console, t0)
    (issue,) = jira.issues.values()
    issue.fields["assignee"] = {"accountId": BOB}  # taken in Jira, not synced back yet
    console.assign(incident_id, "carol", t0 + timedelta(minutes=1), "on shift")
    console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=2), "worse")
    start = len(jira.requests)
    for minute in range(3, 6):
        console.deliver_tickets(t0 + timedelta(minutes=minute))
    assert console.outbox() == []
    bodies = [json.dumps(r.json) for r in jira.requests[start:] if r.json is not None]
    assert not any("assignee" in body for body in bodies), bodies
    (edit,) = jira.calls("edit")
    assert set(edit.json["fields"]) == {"priority"}  # only the changed field
    assert issue.fields["assignee"] == {"accountId": BOB}
    assert any("assigned to carol by alice: on shift" in adf_text(c) for c in issue.comments)


def test_no_queued_write_carries_an_assignee(console: Console, t0: datetime) -> None:
    """Assignments go to the ticket as comments: the owner set in the ticket stands."""
    incident_id = ticketed(console, t0)
    console.acknowledge(incident_id, t0 + timedelta(minutes=1))
    console.assign(incident_id, "carol", t0 + timedelta(minutes=2), "on shift")
    console.escalate(incident_id, t0 + timedelta(minutes=3), "DBA needed")
    console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=4), "worse")
    console.resolve(incident_id, t0 + timedelta(minutes=5), "fixed")
    queued = rows_of(console, incident_id)[1:]  # after the create
    assert [i.op for i in queued] == [
        OutboxOp.COMMENT,
        OutboxOp.COMMENT,
        OutboxOp.COMMENT,
        OutboxOp.UPDATE,
        OutboxOp.RESOLVE,
    ]
    assert not any("assignee" in json.dumps(dict(i.payload)) for i in queued)
    # and the writes the timeline could queue say the same, whatever the events
    incident = console.incident(incident_id)
    assert all("assignee" not in p for _, p in writes_for(incident.timeline, incident))


# ------------------------------------------------------------------ drop


def test_drop_keeps_the_row_writes_the_timeline_and_releases_the_queue(
    console: Console, jira: JiraFake, t0: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    incident_id = ticketed(console, t0)
    issue = done_in_jira(jira)
    console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=6), "checkout down")
    console.add_note(incident_id, t0 + timedelta(minutes=7), "customer informed")
    console.deliver_tickets(t0 + timedelta(minutes=8))
    held, behind = console.outbox()
    assert held.id is not None
    assert behind.id is not None
    # a reason is required; a row that does not wait for attention cannot be dropped
    with pytest.raises(DomainError):
        console.drop_ticket_write(held.id, "bob", "  ", now=t0 + timedelta(minutes=9))
    assert console.drop_ticket_write(behind.id, "bob", "no", now=t0) is None
    assert console.outbox()[0].status is OutboxStatus.ATTENTION
    stored = console.drop_ticket_write(
        held.id, "bob", "customer closed it, priority moot", now=t0 + timedelta(minutes=9)
    )
    assert stored is not None
    event = stored.timeline[-1]
    assert event.kind is EventKind.TICKET_WRITE_DROPPED
    assert (event.actor, event.note) == ("bob", "customer closed it, priority moot")
    assert dict(event.data) == {
        "system": "jira-ops",
        "op": "update",
        "ticket": issue.key,
        "write": "priority change to P1",
        "outbox_id": str(held.id),
    }
    # kept, marked dropped; out of the waiting list; never sent
    kept = {row.id: row for row in rows_of(console, incident_id)}[held.id]
    assert kept.status is OutboxStatus.DROPPED
    assert [i.id for i in console.outbox()] == [behind.id]
    assert outbox(console, as_json=True) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert set(row) == {
        "id",
        "incident",
        "system",
        "op",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "error_kind",
        "created_at",
    }
    # the note held behind it goes out now; the priority never did
    start = len(jira.requests)
    console.deliver_tickets(t0 + timedelta(minutes=10))
    assert sent_from(jira.requests, start) == [("comment", "POST")]
    assert console.outbox() == []
    assert jira.calls("edit") == []
    # dropping is not a change for the ticket: nothing was queued for it
    assert [i.op for i in rows_of(console, incident_id)] == [  # the drop queued nothing
        OutboxOp.CREATE,
        OutboxOp.UPDATE,
        OutboxOp.COMMENT,
    ]


def test_outbox_drop_on_the_command_line(
    console: Console, jira: JiraFake, t0: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    incident_id = ticketed(console, t0)
    done_in_jira(jira)
    console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=6), "checkout down")
    console.deliver_tickets(t0 + timedelta(minutes=8))
    (held,) = console.outbox()
    assert held.id is not None
    assert outbox(console, as_json=False) == 0
    listing = capsys.readouterr().out
    assert f"{held.id:>5}  INC-" in listing
    assert "needs attention" in listing
    assert "noc-console outbox --retry ID, or --drop ID --reason TEXT" in listing
    assert outbox(console, as_json=False, drop=held.id, reason="moot now") == 0
    key = console.incident(incident_id).key
    assert capsys.readouterr().out.strip() == (
        f"ticket write {held.id} dropped; {key}'s timeline says who dropped it and why"
    )
    assert console.incident(incident_id).timeline[-1].actor == "alice"
    assert outbox(console, as_json=False, drop=held.id, reason="again") == 1
    assert capsys.readouterr().out.strip() == f"no ticket write {held.id} waits for attention"


def test_the_outbox_options_parse() -> None:
    from app.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["outbox", "--drop", "7", "--reason", "moot"])
    assert (args.drop, args.reason, args.retry) == (7, "moot", None)
    assert parser.parse_args(["outbox", "--retry", "7"]).retry == 7
    with pytest.raises(SystemExit):
        parser.parse_args(["outbox", "--retry", "7", "--drop", "7"])


# ------------------------------------------------------------------ ServiceNow


def snow_record(snow: ServiceNowFake) -> tuple[str, dict[str, str]]:
    ((sys_id, record),) = snow.incidents.items()
    return sys_id, record


def test_servicenow_a_priority_change_queued_while_the_incident_was_closed_is_held(
    snow_console: Console, snow: ServiceNowFake, t0: datetime
) -> None:
    incident_id = ticketed(snow_console, t0)
    sys_id, record = snow_record(snow)
    snow.remote_edit(sys_id, state="7", close_code="Workaround provided", close_notes="theirs")
    impact, urgency = record["impact"], record["urgency"]
    snow_console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=6), "worse")
    writes = len(snow.writes)
    report = snow_console.deliver_tickets(t0 + timedelta(minutes=8))
    # one write only: the comment as a work note; no impact, urgency or state
    (note,) = snow.writes[writes:]
    assert note.method == "PATCH"
    assert set(note.body) == {"work_notes"}
    assert "severity changed to P1 by alice: worse" in note.body["work_notes"]
    assert (record["state"], record["impact"], record["urgency"]) == ("7", impact, urgency)
    assert (record["close_code"], record["close_notes"]) == ("Workaround provided", "theirs")
    (held,) = snow_console.outbox()
    assert held.error_kind == "conflict"
    assert held.last_error is not None
    assert held.last_error.startswith(f"{record['number']} is Closed in ServiceNow (last changed ")
    assert "the queued priority change to P1 was not sent (its comment was added)" in (
        held.last_error
    )
    (notice,) = report.conflicts
    assert f"{record['number']} is Closed in ServiceNow" in notice.text


def test_servicenow_a_resolve_of_a_resolved_incident_overwrites_nothing(
    snow_console: Console, snow: ServiceNowFake, t0: datetime
) -> None:
    incident_id = ticketed(snow_console, t0)
    sys_id, record = snow_record(snow)
    snow.remote_edit(sys_id, state="6", close_code="Workaround provided", close_notes="theirs")
    snow_console.resolve(incident_id, t0 + timedelta(minutes=6), "pool resized")
    writes = len(snow.writes)
    report = snow_console.deliver_tickets(t0 + timedelta(minutes=8))
    assert report.delivered
    assert snow.writes[writes:] == []  # not even the resolution code: theirs stands
    assert (record["state"], record["close_code"], record["close_notes"]) == (
        "6",
        "Workaround provided",
        "theirs",
    )
    assert snow_console.outbox() == []


def test_servicenow_a_reassignment_is_never_overwritten(
    snow_console: Console, snow: ServiceNowFake, t0: datetime
) -> None:
    incident_id = ticketed(snow_console, t0)
    sys_id, record = snow_record(snow)
    snow.assign(sys_id, "jdoe")  # taken on the instance
    jdoe = record["assigned_to"]
    snow_console.assign(incident_id, "carol", t0 + timedelta(minutes=1), "on shift")
    snow_console.change_severity(incident_id, Severity.P1, t0 + timedelta(minutes=2), "worse")
    writes = len(snow.writes)
    for minute in range(3, 6):
        snow_console.deliver_tickets(t0 + timedelta(minutes=minute))
    assert snow_console.outbox() == []
    sent = snow.writes[writes:]
    assert [set(w.body) for w in sent] == [{"work_notes"}, {"impact", "urgency", "work_notes"}]
    assert record["assigned_to"] == jdoe
    assert any("assigned to carol by alice" in n for n in snow.work_notes(sys_id))
