"""The Jira client against a contract fake of Jira Cloud (v3) and Data Center (v2)."""

from __future__ import annotations

import base64
import json
import logging
import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from app.domain.severity import Severity
from app.ticketing.base import (
    ErrorKind,
    RemoteTicket,
    Resolution,
    TicketChange,
    TicketDraft,
    TicketingClient,
    TicketingError,
    TicketState,
)
from app.ticketing.jira import JiraClient
from tests.helpers.jira_fake import EMAIL, T0, TOKEN, JiraFake, Transition

DRAFT = TicketDraft(
    key="noc-7f3a9c",
    summary="[acme] orders down: 5 services",
    description="Checkout fails for every customer.\n\nStarted after the 13:50 deploy.",
    severity=Severity.P2,
    customer="acme",
    services=("orders", "payments"),
    impact="orders and payments down",
    alerts=("HighErrorRate orders web-01:9100", "HighLatency payments web-02:9100"),
    link="https://noc.example.com/incidents/7f3a9c",
    labels=("customer acme",),
)


@pytest.fixture
def fake(httpserver: HTTPServer) -> JiraFake:
    return JiraFake(httpserver)


@pytest.fixture
def dc(httpserver: HTTPServer) -> JiraFake:
    return JiraFake(httpserver, flavour="datacenter")


def cloud_client(fake: JiraFake, **options: Any) -> JiraClient:
    options = {"priorities": None, "timeout": 5.0, "clock": lambda: T0, **options}
    return JiraClient("jira-acme", fake.url, project="OPS", user=EMAIL, token=TOKEN, **options)


def dc_client(fake: JiraFake, **options: Any) -> JiraClient:
    options = {"priorities": None, "timeout": 5.0, "clock": lambda: T0, "api_version": 2, **options}
    return JiraClient("jira-dc", fake.url, project="OPS", user=None, token=TOKEN, **options)


@pytest.fixture
def jira(fake: JiraFake) -> JiraClient:
    return cloud_client(fake)


def texts(node: Any) -> list[str]:
    """Every text run of an ADF document, in order."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" else []
        return own + [t for child in node.get("content", []) for t in texts(child)]
    return []


def test_satisfies_the_protocol(fake: JiraFake) -> None:
    # mypy checks the assignment: a signature drifting from TicketingClient fails it
    client: TicketingClient = JiraClient(
        "jira-acme", fake.url, project="OPS", user=EMAIL, token=TOKEN, clock=lambda: T0
    )
    assert (client.kind, client.name) == ("jira", "jira-acme")
    client.disconnect()


# ---------------------------------------------------------------- check


def test_check_cloud(jira: JiraClient) -> None:
    assert jira.check() == f"ok: Jira Cloud (v3) as {EMAIL}, project OPS (Operations)"


def test_check_datacenter(dc: JiraFake) -> None:
    assert (
        dc_client(dc).check() == f"ok: Jira Data Center (v2) as {EMAIL}, project OPS (Operations)"
    )


def test_check_names_an_unknown_project(fake: JiraFake) -> None:
    with pytest.raises(TicketingError) as caught:
        JiraClient("j", fake.url, project="NOPE", user=EMAIL, token=TOKEN, priorities=None).check()
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert caught.value.message == "No project could be found with key 'NOPE'."


# ---------------------------------------------------------------- create


def test_create_v3_sends_adf_labels_and_priority_with_basic_auth(
    fake: JiraFake, jira: JiraClient
) -> None:
    ticket = jira.create(DRAFT)

    assert ticket == RemoteTicket(
        key="OPS-1",
        id="10001",
        url=f"{fake.url}/browse/OPS-1",
        state=TicketState.NEW,
        priority="High",
        idempotency_key="noc-7f3a9c",
    )
    (call,) = fake.calls("create")
    expected = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert call.headers["Authorization"] == f"Basic {expected}"
    fields = call.json["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Incident"}
    assert fields["priority"] == {"name": "High"}
    assert fields["labels"] == ["noc-console", "noc-7f3a9c", "customer_acme"]
    doc = fields["description"]
    assert (doc["type"], doc["version"]) == ("doc", 1)
    assert texts(doc) == [
        "Checkout fails for every customer.",
        "Started after the 13:50 deploy.",
        "Customer: acme",
        "Impact: orders and payments down",
        "Services: orders, payments",
        "NOC Console incident: ",
        "noc-7f3a9c",
        "Alerts (2):",
        "HighErrorRate orders web-01:9100",
        "HighLatency payments web-02:9100",
    ]
    link = doc["content"][5]["content"][1]
    assert link["marks"] == [{"type": "link", "attrs": {"href": DRAFT.link}}]
    assert doc["content"][-1]["type"] == "bulletList"
    assert fake.issue("OPS-1").properties["noc-console"] == {
        "idempotency_key": "noc-7f3a9c",
        "incident_link": DRAFT.link,
    }


def test_create_v2_sends_wiki_markup_with_bearer_auth(dc: JiraFake) -> None:
    draft = TicketDraft(
        key="noc-1",
        summary="disk [full] on db-01",
        description="Used {95%} | growing",
        severity=Severity.P1,
        alerts=("DiskFull db-01",),
        link="https://noc.example.com/i/1",
    )
    ticket = dc_client(dc).create(draft)

    (call,) = dc.calls("create")
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.path == "/rest/api/2/issue"
    assert call.json["fields"]["priority"] == {"name": "Highest"}
    assert call.json["fields"]["description"] == (
        "Used \\{95%\\} \\| growing\n"
        "\n"
        "NOC Console incident: [noc-1|https://noc.example.com/i/1]\n"
        "\n"
        "Alerts (1):\n"
        "\n"
        "* DiskFull db-01"
    )
    assert ticket.url == f"{dc.url}/browse/OPS-1"


@pytest.mark.parametrize(
    ("severity", "name"),
    [
        (Severity.P1, "Highest"),
        (Severity.P2, "High"),
        (Severity.P3, "Medium"),
        (Severity.P4, "Low"),
    ],
)
def test_priority_mapping(fake: JiraFake, jira: JiraClient, severity: Severity, name: str) -> None:
    assert (
        jira.create(
            TicketDraft(key="noc-p", summary="s", description="", severity=severity)
        ).priority
        == name
    )
    assert fake.calls("create")[0].json["fields"]["priority"] == {"name": name}


def test_priority_mapping_can_be_configured(fake: JiraFake) -> None:
    jira = cloud_client(fake, priorities={Severity.P4: "Lowest"})
    jira.create(TicketDraft(key="noc-p", summary="s", description="", severity=Severity.P4))
    assert fake.calls("create")[0].json["fields"]["priority"] == {"name": "Lowest"}


def test_create_refused_carries_the_field_errors(fake: JiraFake) -> None:
    jira = cloud_client(fake, priorities={Severity.P2: "Urgent"})
    with pytest.raises(TicketingError) as caught:
        jira.create(DRAFT)
    assert caught.value.kind is ErrorKind.BAD_REQUEST
    assert caught.value.status == 400
    assert caught.value.message == "priority: Priority name 'Urgent' is not valid"
    assert not caught.value.retryable


def test_summary_is_one_line_of_255_at_most(fake: JiraFake, jira: JiraClient) -> None:
    jira.create(
        TicketDraft(
            key="noc-l",
            summary="line one\nline two " + "x" * 400,
            description="",
            severity=Severity.P3,
        )
    )
    summary = fake.calls("create")[0].json["fields"]["summary"]
    assert len(summary) == 255
    assert summary.startswith("line one line two x")
    assert summary.endswith("…")


def test_create_uses_the_drafts_project(fake: JiraFake, jira: JiraClient) -> None:
    ticket = jira.create(
        TicketDraft(key="noc-n", summary="s", description="d", severity=Severity.P3, project="NET")
    )
    assert ticket.key == "NET-1"


def test_a_failed_property_does_not_fail_the_create(
    fake: JiraFake, jira: JiraClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("property", 500)
    with caplog.at_level(logging.WARNING):
        ticket = jira.create(DRAFT)
    assert ticket.key == "OPS-1"
    assert "property not set" in caplog.text
    assert fake.issue("OPS-1").properties == {}


# ---------------------------------------------------------------- find


def test_find_by_known_id(fake: JiraFake, jira: JiraClient) -> None:
    created = jira.create(DRAFT)
    found = jira.find(DRAFT.key, known_id=created.id)
    assert found is not None
    assert (found.key, found.idempotency_key, found.state) == ("OPS-1", DRAFT.key, TicketState.NEW)
    assert fake.calls("search") == []


def test_find_by_a_known_id_that_is_gone_is_none(fake: JiraFake, jira: JiraClient) -> None:
    assert jira.find(DRAFT.key, known_id="OPS-99") is None


def test_find_by_label_once_search_caught_up(fake: JiraFake, jira: JiraClient) -> None:
    fake.search_lag = timedelta(seconds=5)
    jira.create(DRAFT)
    jira.create(TicketDraft(key="noc-other", summary="s", description="", severity=Severity.P3))
    fake.advance(timedelta(seconds=6))

    found = jira.find(DRAFT.key)

    assert found is not None
    assert (found.key, found.idempotency_key, found.priority) == ("OPS-1", DRAFT.key, "High")
    (call,) = fake.calls("search")
    assert call.json["jql"] == 'project = OPS AND labels = "noc-7f3a9c" order by created DESC'
    assert call.json["fields"] == ["summary", "status", "priority", "assignee", "labels", "updated"]


def test_search_lags_behind_create_so_find_says_none(fake: JiraFake, jira: JiraClient) -> None:
    """RELIABILITY.md 10's setup: the issue exists, the immediate search cannot see it."""
    fake.search_lag = timedelta(seconds=5)
    jira.create(DRAFT)
    assert jira.find(DRAFT.key) is None  # not proof of absence: the outbox must wait
    assert len(fake.issues) == 1


def test_find_by_label_on_datacenter(dc: JiraFake) -> None:
    jira = dc_client(dc)
    jira.create(DRAFT)
    found = jira.find(DRAFT.key)
    assert found is not None
    assert found.key == "OPS-1"
    (call,) = dc.calls("search_v2")
    assert call.args["jql"] == 'project = OPS AND labels = "noc-7f3a9c" order by created DESC'
    assert call.args["startAt"] == "0"


def test_the_mark_is_the_projects_newest_key(fake: JiraFake, jira: JiraClient) -> None:
    assert jira.mark() == "OPS-0"  # an empty project
    for _ in range(11):
        fake.add_issue()
    fake.add_issue(project="NET")
    assert jira.mark() == "OPS-11"  # by number, not as text (OPS-9 < OPS-11)
    assert jira.mark("NET") == "NET-1"
    assert fake.calls("search")[-1].json["jql"] == "project = NET order by key DESC"


def test_a_stored_mark_that_is_not_an_issue_key_is_refused(
    fake: JiraFake, jira: JiraClient
) -> None:
    fake.add_issue()
    with pytest.raises(TicketingError) as raised:
        jira.find(DRAFT.key, after="OPS-1; DROP")
    assert raised.value.kind is ErrorKind.PAYLOAD
    assert fake.calls("get") == []


def test_find_after_a_mark_reads_keys_not_the_search(fake: JiraFake, jira: JiraClient) -> None:
    fake.search_lag = timedelta(minutes=5)
    mark = jira.mark()
    created = jira.create(DRAFT)

    found = jira.find(DRAFT.key, after=mark)

    assert found is not None
    assert (found.key, found.idempotency_key) == (created.key, DRAFT.key)
    assert jira.find("noc-other", after=mark) is None  # OPS-1 is not it; -2..-4 missing
    assert [c.path.rsplit("/", 1)[1] for c in fake.calls("get")] == [
        "OPS-1",
        "OPS-1",
        "OPS-2",
        "OPS-3",
        "OPS-4",
    ]


def test_find_nothing(jira: JiraClient) -> None:
    assert jira.find("noc-none") is None


def test_find_searches_the_routed_project(fake: JiraFake, jira: JiraClient) -> None:
    routed = TicketDraft(key="noc-net", summary="s", description="", severity=Severity.P3)
    jira.create(replace(routed, project="NET"))

    assert jira.find(routed.key) is None  # the configured project (OPS) does not hold it
    found = jira.find(routed.key, project="NET")

    assert found is not None
    assert (found.key, found.idempotency_key) == ("NET-1", routed.key)
    assert fake.calls("search")[-1].json["jql"] == (
        'project = NET AND labels = "noc-net" order by created DESC'
    )


# ---------------------------------------------------------------- get


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("To Do", TicketState.NEW),
        ("In Progress", TicketState.IN_PROGRESS),
        ("Resolved", TicketState.RESOLVED),
        ("Closed", TicketState.CLOSED),
        ("Cancelled", TicketState.CANCELED),
    ],
)
def test_get_maps_the_state(
    fake: JiraFake, jira: JiraClient, status: str, state: TicketState
) -> None:
    fake.add_issue(status=status)
    ticket = jira.get("OPS-1")
    assert (ticket.state, ticket.status) == (state, status)


def test_get_reads_assignee_priority_and_updated(fake: JiraFake, jira: JiraClient) -> None:
    fake.now = datetime(2026, 11, 29, 14, 2, tzinfo=UTC)
    fake.add_issue(assignee={"accountId": "5b10ac8d82e05b22cc7d4ef5"}, priority={"name": "High"})
    ticket = jira.get("10001")
    assert ticket.assignee == "Ann Lee"
    assert ticket.priority == "High"
    assert ticket.updated_at == datetime(2026, 11, 29, 14, 2, tzinfo=UTC)
    assert ticket.url == f"{fake.url}/browse/OPS-1"
    assert fake.calls("get")[0].args["fields"] == "summary,status,priority,assignee,labels,updated"


def test_get_on_datacenter_names_the_assignee_by_user_name(dc: JiraFake) -> None:
    dc.add_issue(assignee={"name": "bob"})
    assert dc_client(dc).get("OPS-1").assignee == "bob"


def test_get_a_missing_issue(jira: JiraClient) -> None:
    with pytest.raises(TicketingError) as caught:
        jira.get("OPS-404")
    assert (caught.value.kind, caught.value.status) == (ErrorKind.NOT_FOUND, 404)
    assert caught.value.message == "Issue does not exist or you do not have permission to see it."


def test_an_id_cannot_climb_out_of_its_path(fake: JiraFake, jira: JiraClient) -> None:
    with pytest.raises(TicketingError):
        jira.get("../../myself")
    assert fake.calls("myself") == []


# ---------------------------------------------------------------- comment and update


def test_comment_v3_is_adf(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue()
    jira.comment("OPS-1", "Mitigated.\n\nRolling back.")
    assert texts(fake.issue("OPS-1").comments[0]) == ["Mitigated.", "Rolling back."]


def test_comment_v2_is_a_string(dc: JiraFake) -> None:
    dc.add_issue()
    dc_client(dc).comment("OPS-1", "Mitigated.")
    assert dc.calls("comment")[0].json == {"body": "Mitigated."}


def test_update_sends_only_the_fields_set(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue(summary="edited remotely")
    jira.update("OPS-1", TicketChange(severity=Severity.P1))
    assert fake.calls("edit")[0].json == {"fields": {"priority": {"name": "Highest"}}}
    assert fake.issue("OPS-1").fields["summary"] == "edited remotely"


def test_update_finds_the_cloud_account_by_exact_name(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue()
    jira.update("OPS-1", TicketChange(assignee="Ann Lee", comment="Handing over."))
    assert fake.calls("user_search")[0].args["query"] == "Ann Lee"
    body = fake.calls("edit")[0].json
    assert body["fields"] == {"assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5"}}
    assert texts(body["update"]["comment"][0]["add"]["body"]) == ["Handing over."]
    assert jira.get("OPS-1").assignee == "Ann Lee"


def test_update_by_email(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue()
    jira.update("OPS-1", TicketChange(assignee="ANN.LEEDS@example.com"))
    assert fake.calls("edit")[0].json["fields"]["assignee"] == {
        "accountId": "5b10ac8d82e05b22cc7d4ef6"
    }


def test_update_with_an_unknown_person(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue()
    with pytest.raises(TicketingError) as caught:
        jira.update("OPS-1", TicketChange(assignee="Ann"))
    assert caught.value.kind is ErrorKind.BAD_REQUEST
    assert fake.calls("edit") == []


def test_update_on_datacenter_assigns_by_name(dc: JiraFake) -> None:
    dc.add_issue()
    dc_client(dc).update("OPS-1", TicketChange(assignee="bob"))
    assert dc.calls("edit")[0].json == {"fields": {"assignee": {"name": "bob"}}}


def test_an_empty_assignee_unassigns(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue(assignee={"accountId": "5b10ac8d82e05b22cc7d4ef5"})
    jira.update("OPS-1", TicketChange(assignee=""))
    assert fake.calls("edit")[0].json == {"fields": {"assignee": None}}
    assert jira.get("OPS-1").assignee is None


def test_an_empty_change_sends_nothing(fake: JiraFake, jira: JiraClient) -> None:
    jira.update("OPS-1", TicketChange())
    assert fake.requests == []


# ---------------------------------------------------------------- resolve and close


def test_resolve_takes_the_resolve_transition_with_resolution_and_notes(
    fake: JiraFake, jira: JiraClient
) -> None:
    fake.add_issue(status="In Progress")
    jira.resolve("OPS-1", Resolution("Fixed", "Rolled back the deploy."))

    issue = fake.issue("OPS-1")
    assert (issue.status, issue.resolution) == ("Resolved", "Fixed")
    assert fake.calls("transitions")[0].args["expand"] == "transitions.fields"
    body = fake.calls("transition")[0].json
    assert body["transition"] == {"id": "31"}
    assert body["fields"] == {"resolution": {"name": "Fixed"}}
    assert texts(body["update"]["comment"][0]["add"]["body"]) == ["Rolled back the deploy."]
    assert jira.get("OPS-1").state is TicketState.RESOLVED


def test_resolve_when_already_done_does_nothing(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue(status="Resolved")
    jira.resolve("OPS-1", Resolution("Fixed", "again"))
    assert fake.calls("transition") == []


def test_close_from_resolved_comments_apart_when_the_transition_has_no_screen(
    fake: JiraFake, jira: JiraClient
) -> None:
    fake.add_issue(status="Resolved")
    jira.close("OPS-1", Resolution("Done", "Closing after 24 h quiet."))
    issue = fake.issue("OPS-1")
    assert issue.status == "Closed"
    assert texts(issue.comments[0]) == ["Closing after 24 h quiet."]
    assert fake.calls("transition")[0].json == {"transition": {"id": "61"}}


def test_close_from_to_do_goes_straight_to_closed(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue()
    jira.close("OPS-1", Resolution("Won't Do", "False alarm."))
    issue = fake.issue("OPS-1")
    assert (issue.status, issue.resolution) == ("Closed", "Won't Do")
    assert [c.json["transition"]["id"] for c in fake.calls("transition")] == ["41"]


def test_close_takes_two_steps_when_the_workflow_has_them(fake: JiraFake, jira: JiraClient) -> None:
    fake.transitions = (
        Transition("31", "Resolve Issue", "Resolved", ("To Do",)),
        Transition("61", "Close Issue", "Closed", ("Resolved",), screen=False, fields=()),
    )
    fake.add_issue()
    jira.close("OPS-1", Resolution("Done", "Done."))
    assert fake.issue("OPS-1").status == "Closed"
    assert [c.json["transition"]["id"] for c in fake.calls("transition")] == ["31", "61"]


def test_close_when_closed_does_nothing(fake: JiraFake, jira: JiraClient) -> None:
    fake.add_issue(status="Closed")
    jira.close("OPS-1", Resolution("Done", "again"))
    assert fake.calls("transitions") == []


def test_no_transition_to_done_is_a_conflict(fake: JiraFake, jira: JiraClient) -> None:
    fake.transitions = (Transition("11", "Start Progress", "In Progress", ("To Do",)),)
    fake.add_issue()
    with pytest.raises(TicketingError) as caught:
        jira.resolve("OPS-1", Resolution("Fixed", ""))
    assert caught.value.kind is ErrorKind.CONFLICT
    assert caught.value.message == "no transition to done from To Do"


def test_resolve_on_datacenter(dc: JiraFake) -> None:
    dc.add_issue()
    dc_client(dc).resolve("OPS-1", Resolution("Fixed", "Fixed it."))
    assert dc.issue("OPS-1").comments == ["Fixed it."]
    assert dc.issue("OPS-1").status == "Resolved"


# ---------------------------------------------------------------- updated_since


def test_updated_since_pages_with_next_page_token(fake: JiraFake, jira: JiraClient) -> None:
    fake.now = T0 - timedelta(days=1)
    for _ in range(4):
        fake.add_issue()
    fake.now = T0 - timedelta(hours=1)  # inside the 12 h margin, before `since`: dropped here
    fake.add_issue()
    fake.now = T0 + timedelta(minutes=10)
    changed = [fake.add_issue() for _ in range(7)]
    since = T0 + timedelta(minutes=5)

    tickets = jira.updated_since([f"OPS-{n}" for n in range(1, 13)], since)

    assert [t.key for t in tickets] == [i.key for i in changed]
    calls = fake.calls("search")
    assert len(calls) == 3  # pages of 3 at most
    assert "nextPageToken" not in calls[0].json
    assert all("nextPageToken" in call.json for call in calls[1:])
    assert calls[0].json["jql"].startswith("key in (OPS-1, OPS-2,")
    # from 12 h earlier (the user's time zone is unknown), then filtered here
    assert 'updated >= "2026/11/29 02:05"' in calls[0].json["jql"]


def test_updated_since_asks_fifty_keys_at_a_time(fake: JiraFake, jira: JiraClient) -> None:
    for _ in range(60):
        fake.add_issue()
    fake.page_size = 100
    tickets = jira.updated_since([f"OPS-{n}" for n in range(1, 61)], T0 - timedelta(minutes=1))
    assert len(tickets) == 60
    assert [call.json["jql"].count("OPS-") for call in fake.calls("search")] == [50, 10]


def test_updated_since_in_a_jira_user_zone_west_of_utc(fake: JiraFake, jira: JiraClient) -> None:
    fake.user_offset = -timedelta(hours=8)
    fake.add_issue()
    fake.advance(timedelta(minutes=30))
    fake.add_issue()
    tickets = jira.updated_since(["OPS-1", "OPS-2"], T0 + timedelta(minutes=1))
    assert [t.key for t in tickets] == ["OPS-2"]


def test_updated_since_on_datacenter_pages_by_start_at(dc: JiraFake) -> None:
    for _ in range(5):
        dc.add_issue()
    tickets = dc_client(dc).updated_since([f"OPS-{n}" for n in range(1, 6)], T0)
    assert len(tickets) == 5
    assert [c.args["startAt"] for c in dc.calls("search_v2")] == ["0", "3"]


def test_updated_since_refuses_what_is_no_issue_key(fake: JiraFake, jira: JiraClient) -> None:
    with pytest.raises(TicketingError) as caught:
        jira.updated_since(["OPS-1) OR project = HR AND (key = X"], T0)
    assert caught.value.kind is ErrorKind.BAD_REQUEST
    assert fake.requests == []


def test_a_repeated_page_token_stops_paging(fake: JiraFake, jira: JiraClient) -> None:
    page = b'{"issues": [], "nextPageToken": "same", "isLast": false}'
    fake.fail("search", 200, times=2, body=page)
    with pytest.raises(TicketingError) as caught:
        jira.updated_since(["OPS-1"], T0)
    assert caught.value.kind is ErrorKind.PAYLOAD


# ---------------------------------------------------------------- errors


def fetch(jira: JiraClient) -> Callable[[], object]:
    return lambda: jira.get("OPS-1")


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (403, ErrorKind.FORBIDDEN, "You do not have permission to create issues in this project."),
        (404, ErrorKind.NOT_FOUND, "Issue does not exist or you do not have permission to see it."),
        (409, ErrorKind.CONFLICT, "The issue was updated by someone else (conflicting update)."),
        (500, ErrorKind.SERVER, "Internal server error"),
        (503, ErrorKind.SERVER, "an HTML page titled 'Service Unavailable'"),
        (429, ErrorKind.RATE_LIMITED, "text/plain: 'Rate limit exceeded'"),
    ],
)
def test_error_statuses(
    fake: JiraFake, jira: JiraClient, status: int, kind: ErrorKind, message: str
) -> None:
    fake.add_issue()
    fake.fail("get", status)
    with pytest.raises(TicketingError) as caught:
        jira.get("OPS-1")
    assert (caught.value.kind, caught.value.status, caught.value.message) == (kind, status, message)
    assert caught.value.retryable is (status in (429, 500, 503))


def test_400_with_messages_and_field_errors(fake: JiraFake, jira: JiraClient) -> None:
    body = json.dumps(
        {
            "errorMessages": ["Field 'priority' is required"],
            "errors": {"customfield_10010": "Option value 'x' is not valid"},
            "status": 400,
        }
    ).encode()
    fake.fail("create", 400, body=body)
    with pytest.raises(TicketingError) as caught:
        jira.create(DRAFT)
    assert caught.value.message == (
        "Field 'priority' is required; customfield_10010: Option value 'x' is not valid"
    )
    assert str(caught.value).startswith("HTTP 400 bad_request: ")


def test_401_with_a_wrong_token(fake: JiraFake) -> None:
    jira = JiraClient(
        "j", fake.url, project="OPS", user=EMAIL, token="wrong-token", priorities=None
    )
    with pytest.raises(TicketingError) as caught:
        jira.check()
    assert (caught.value.kind, caught.value.status) == (ErrorKind.AUTH, 401)
    assert caught.value.message == "Client must be authenticated to access this resource."


def test_basic_auth_against_datacenter_is_refused(dc: JiraFake) -> None:
    with pytest.raises(TicketingError) as caught:
        cloud_client(dc).check()
    assert caught.value.kind is ErrorKind.AUTH


def test_429_retry_after_seconds(fake: JiraFake, jira: JiraClient) -> None:
    fake.fail("create", 429, headers={"Retry-After": "17", "RateLimit-Reason": "jira-burst-based"})
    with pytest.raises(TicketingError) as caught:
        jira.create(DRAFT)
    assert (caught.value.kind, caught.value.retry_after) == (ErrorKind.RATE_LIMITED, 17.0)


def test_429_retry_after_http_date(fake: JiraFake, jira: JiraClient) -> None:
    fake.fail("get", 429, headers={"Retry-After": "Sun, 29 Nov 2026 14:01:30 GMT"})
    with pytest.raises(TicketingError) as caught:
        jira.get("OPS-1")
    assert caught.value.retry_after == 90.0


def test_429_x_ratelimit_reset_is_an_iso_time(fake: JiraFake, jira: JiraClient) -> None:
    fake.fail("search", 429, headers={"X-RateLimit-Reset": "2026-11-29T14:05Z"})
    with pytest.raises(TicketingError) as caught:
        jira.find(DRAFT.key)
    assert caught.value.retry_after == 300.0


def test_413_per_issue_write_limit_is_rate_limited(fake: JiraFake, jira: JiraClient) -> None:
    fake.fail("transitions", 413, body=b"", headers={"RateLimit-Reason": "jira-per-issue-on-write"})
    fake.add_issue()
    with pytest.raises(TicketingError) as caught:
        jira.resolve("OPS-1", Resolution("Fixed", ""))
    assert caught.value.kind is ErrorKind.RATE_LIMITED


def test_503_keeps_its_retry_after(fake: JiraFake, jira: JiraClient) -> None:
    fake.fail("get", 503, headers={"Retry-After": "30"})
    with pytest.raises(TicketingError) as caught:
        jira.get("OPS-1")
    assert (caught.value.kind, caught.value.retry_after) == (ErrorKind.SERVER, 30.0)


def test_malformed_json_is_a_payload_error(fake: JiraFake, jira: JiraClient) -> None:
    fake.malformed("search")
    with pytest.raises(TicketingError) as caught:
        jira.find(DRAFT.key)
    assert caught.value.kind is ErrorKind.PAYLOAD
    assert not caught.value.retryable


def test_an_html_login_page_is_a_payload_error(fake: JiraFake, jira: JiraClient) -> None:
    page = b"<html><head><title>Log in - Jira</title></head></html>"
    fake.fail("get", 200, body=page, content_type="text/html")
    with pytest.raises(TicketingError) as caught:
        jira.get("OPS-1")
    assert caught.value.kind is ErrorKind.PAYLOAD
    assert "Log in - Jira" in caught.value.message


def test_a_redirect_is_not_followed_with_credentials(fake: JiraFake, jira: JiraClient) -> None:
    fake.fail("get", 302, body=b"", headers={"Location": f"{fake.url}/elsewhere/steal"})
    with pytest.raises(TicketingError) as caught:
        jira.get("OPS-1")
    assert (caught.value.kind, caught.value.status) == (ErrorKind.REDIRECT, 302)
    assert not caught.value.retryable
    assert "/elsewhere/steal" in caught.value.message
    assert [r.path for r in fake.requests] == ["/rest/api/3/issue/OPS-1"]


def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    jira = JiraClient(
        "j",
        f"http://127.0.0.1:{port}",
        project="OPS",
        user=EMAIL,
        token=TOKEN,
        priorities=None,
        timeout=2,
    )
    with pytest.raises(TicketingError) as caught:
        jira.check()
    assert caught.value.kind is ErrorKind.NETWORK
    assert caught.value.retryable


def test_a_silent_peer_times_out() -> None:
    with socket.socket() as silent:  # listens, never answers: the read timeout ends it
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        jira = JiraClient(
            "j", url, project="OPS", user=EMAIL, token=TOKEN, priorities=None, timeout=0.2
        )
        with pytest.raises(TicketingError) as caught:
            jira.get("OPS-1")
    assert caught.value.kind is ErrorKind.NETWORK
    assert "did not answer within 0.2 s" in caught.value.message


def test_a_token_no_header_can_carry_is_refused_without_quoting_it() -> None:
    with pytest.raises(TicketingError) as caught:
        JiraClient(
            "j",
            "https://acme.atlassian.net",
            project="OPS",
            user=EMAIL,
            token="abc\ndef",
            priorities=None,
        )
    assert caught.value.kind is ErrorKind.AUTH
    assert "abc" not in str(caught.value)


def test_tls_verification_cannot_be_turned_off() -> None:
    with pytest.raises(ValueError, match="TLS"):
        JiraClient(
            "j", "https://x", project="OPS", user=EMAIL, token=TOKEN, priorities=None, verify=False
        )


def test_the_token_appears_in_no_error_and_no_log(
    fake: JiraFake, jira: JiraClient, caplog: pytest.LogCaptureFixture
) -> None:
    encoded = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    errors: list[TicketingError] = []
    fake.add_issue()
    with caplog.at_level(logging.DEBUG):
        for status in (400, 401, 403, 404, 409, 429, 500, 503, 302, 200):
            fake.fail("get", status, headers={"Location": "/x"} if status == 302 else None)
            with pytest.raises(TicketingError) as caught:
                jira.get("OPS-1")
            errors.append(caught.value)
        fake.fail("property", 500)
        jira.create(DRAFT)
    assert len(errors) == 10
    for error in errors:
        for text in (str(error), repr(error), error.message, repr(error.__cause__)):
            assert TOKEN not in text
            assert encoded not in text
    assert TOKEN not in caplog.text
    assert encoded not in caplog.text
    assert TOKEN not in repr(jira)
