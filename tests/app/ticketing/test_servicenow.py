"""The ServiceNow client through a contract fake of the Table API (PEERS.md 4.3)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from app.domain.severity import Severity
from app.ticketing import servicenow
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
from app.ticketing.servicenow import ServiceNowClient
from tests.helpers.bad_servers import raw_server, self_signed, tls_server
from tests.helpers.peers import free_port
from tests.helpers.servicenow_fake import (
    NOT_FOUND,
    PASSWORD,
    START,
    TOKEN,
    USER,
    ServiceNowFake,
)

__all__ = ["self_signed"]

NOW = 1_800_000_000.0  # the workstation's wall clock, for X-RateLimit-Reset


@pytest.fixture
def fake(httpserver: HTTPServer) -> ServiceNowFake:
    return ServiceNowFake(httpserver)


def make_client(
    url: str,
    *,
    user: str | None = USER,
    secret: str = PASSWORD,
    group: str | None = None,
    **options: Any,
) -> ServiceNowClient:
    options.setdefault("timeout", 5.0)
    return ServiceNowClient(
        "sn-prod",
        url,
        user=user,
        secret=secret,
        assignment_group=group,
        impact_urgency=options.pop("impact_urgency", None),
        wall_clock=lambda: NOW,
        **options,
    )


@pytest.fixture
def client(fake: ServiceNowFake) -> Iterator[ServiceNowClient]:
    made = make_client(fake.url)
    yield made
    made.disconnect()


def draft(key: str = "noc-7f3a", severity: Severity = Severity.P2, **fields: Any) -> TicketDraft:
    values: dict[str, Any] = {
        "summary": "[acme] HighCPU on web-01:9100",
        "description": "CPU above 95 % for 5 minutes.",
        "customer": "acme",
        "services": ("web", "api"),
        "impact": "acme: 2 services degraded",
        "alerts": ("HighCPU web web-01:9100", "HighLatency api api-01:8080"),
        "link": "https://noc.example.com/incidents/7f3a",
    }
    return TicketDraft(key=key, severity=severity, **(values | fields))


def caught(call: Any, *args: Any) -> TicketingError:
    with pytest.raises(TicketingError) as raised:
        call(*args)
    return raised.value


def test_the_client_is_a_ticketing_client(fake: ServiceNowFake) -> None:
    # mypy checks the assignment: a signature drifting from TicketingClient fails it
    typed: TicketingClient = ServiceNowClient(
        "sn-prod", fake.url, user=USER, secret=PASSWORD, assignment_group=None, impact_urgency=None
    )
    assert typed.kind == "servicenow"
    assert typed.name == "sn-prod"
    typed.disconnect()


# ---------------------------------------------------------------- create


def test_create_posts_the_documented_incident(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    ticket = client.create(draft())

    post = fake.writes[-1]
    assert (post.method, post.path) == ("POST", "/api/now/table/incident")
    assert post.args["sysparm_exclude_reference_link"] == "true"
    assert "sysparm_input_display_value" not in post.args  # no group, nothing to resolve
    assert post.body == {
        "short_description": "[acme] HighCPU on web-01:9100",
        "description": (
            "CPU above 95 % for 5 minutes.\n\nCustomer: acme\nImpact: acme: 2 services degraded\n"
            "Services: web, api\nAlerts:\n- HighCPU web web-01:9100\n"
            "- HighLatency api api-01:8080\nNOC Console: https://noc.example.com/incidents/7f3a"
        ),
        "impact": "1",
        "urgency": "2",
        "correlation_id": "noc-7f3a",
        "correlation_display": "noc-console",
        "work_notes": "Opened by NOC Console",
    }
    record = fake.incidents[ticket.id]
    assert ticket == RemoteTicket(
        key=record["number"],
        id=record["sys_id"],
        url=f"{fake.url}/nav_to.do?uri=incident.do?sys_id={record['sys_id']}",
        state=TicketState.NEW,
        status="New",
        assignee=None,
        priority="2 - High",  # computed by the instance from impact 1 x urgency 2
        updated_at=datetime.strptime(record["sys_updated_on"], "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=UTC
        ),
        idempotency_key="noc-7f3a",
    )
    assert ticket.key.startswith("INC00100")
    assert fake.work_notes(ticket.id) == ["Opened by NOC Console"]


@pytest.mark.parametrize(
    ("severity", "impact", "urgency", "priority"),
    [
        (Severity.P1, "1", "1", "1 - Critical"),
        (Severity.P2, "1", "2", "2 - High"),
        (Severity.P3, "2", "2", "3 - Moderate"),
        (Severity.P4, "3", "3", "5 - Planning"),
    ],
)
def test_severity_sets_impact_and_urgency_never_priority(
    fake: ServiceNowFake,
    client: ServiceNowClient,
    severity: Severity,
    impact: str,
    urgency: str,
    priority: str,
) -> None:
    ticket = client.create(draft(severity=severity))
    body = fake.writes[-1].body
    assert (body["impact"], body["urgency"]) == (impact, urgency)
    assert "priority" not in body
    assert ticket.priority == priority


def test_a_configured_severity_map_overrides_the_default(fake: ServiceNowFake) -> None:
    client = make_client(fake.url, impact_urgency={Severity.P4: ("2", "3")})
    client.create(draft(severity=Severity.P4))
    assert (fake.writes[-1].body["impact"], fake.writes[-1].body["urgency"]) == ("2", "3")


def test_a_long_summary_is_cut_to_one_line_of_160(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    client.create(draft(summary="[acme]  disk\nfull " + "x" * 300))
    short = fake.writes[-1].body["short_description"]
    assert len(short) == 160
    assert short.startswith("[acme] disk full xxx")
    assert short.endswith("…")


def test_an_assignment_group_named_is_resolved_by_the_instance(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    ticket = client.create(draft(assignment_group="Network Operations"))
    post = fake.writes[-1]
    assert post.body["assignment_group"] == "Network Operations"
    assert post.args["sysparm_input_display_value"] == "true"
    group = fake.sys_id_of("sys_user_group", "Network Operations")
    assert fake.incidents[ticket.id]["assignment_group"] == group


def test_the_clients_group_applies_when_the_draft_names_none(fake: ServiceNowFake) -> None:
    group = fake.sys_id_of("sys_user_group", "Network Operations")
    client = make_client(fake.url, group=group)
    ticket = client.create(draft())
    post = fake.writes[-1]
    assert post.body["assignment_group"] == group
    assert "sysparm_input_display_value" not in post.args  # a sys_id needs no resolving
    assert fake.incidents[ticket.id]["assignment_group"] == group


def test_creating_twice_with_one_key_makes_one_incident(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    first = client.create(draft())
    again = client.create(draft(summary="replayed after a crash"))
    assert again.id == first.id
    assert again.key == first.key
    assert len(fake.incidents) == 1
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET"]
    lookup = fake.requests[0].args
    assert lookup["sysparm_query"] == "correlation_id=noc-7f3a^ORDERBYsys_created_on"
    assert lookup["sysparm_limit"] == "1"


# ---------------------------------------------------------------- find and get


def test_find_by_correlation_id(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    assert client.find("noc-7f3a") is None
    other = fake.add_incident(correlation_id="noc-other")
    ours = fake.add_incident(correlation_id="noc-7f3a", state="2")
    found = client.find("noc-7f3a")
    assert found is not None
    assert (found.id, found.idempotency_key, found.state) == (
        ours,
        "noc-7f3a",
        TicketState.IN_PROGRESS,
    )
    assert other != ours


def test_find_ignores_a_jira_project(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    ours = fake.add_incident(correlation_id="noc-7f3a")
    found = client.find("noc-7f3a", project="NET")  # one incident table for every customer
    assert found is not None
    assert found.id == ours
    assert "NET" not in fake.requests[-1].args["sysparm_query"]


def test_find_by_the_stored_sys_id(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    sys_id = fake.add_incident(correlation_id="noc-7f3a")
    found = client.find("noc-7f3a", known_id=sys_id)
    assert found is not None
    assert found.id == sys_id
    assert fake.requests[-1].path == f"/api/now/table/incident/{sys_id}"
    assert client.find("noc-7f3a", known_id="0" * 32) is None  # deleted: 404


@pytest.mark.parametrize("key", ["noc-1^ORDERBYnumber", "state=6", "noc\n1", ""])
def test_a_key_that_would_bend_the_encoded_query_is_refused(
    fake: ServiceNowFake, client: ServiceNowClient, key: str
) -> None:
    error = caught(client.find, key)
    assert error.kind is ErrorKind.BAD_REQUEST
    assert fake.requests == []


def test_an_ignored_correlation_query_is_not_taken_for_a_match(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    fake.add_incident(correlation_id="am-someone-elses")
    # on an instance where the field is unknown the term is dropped, and any incident comes back
    fake.schema["incident"] = fake.schema["incident"] - {"correlation_id"}
    error = caught(client.create, draft())
    assert error.kind is ErrorKind.PAYLOAD
    assert "am-someone-elses" in error.message
    assert fake.writes == []


@pytest.mark.parametrize(
    ("code", "state", "status"),
    [
        ("1", TicketState.NEW, "New"),
        ("2", TicketState.IN_PROGRESS, "In Progress"),
        ("3", TicketState.ON_HOLD, "On Hold"),
        ("6", TicketState.RESOLVED, "Resolved"),
        ("7", TicketState.CLOSED, "Closed"),
        ("8", TicketState.CANCELED, "Canceled"),
        ("10", TicketState.IN_PROGRESS, "10"),
    ],
)
def test_get_maps_the_state_code(
    fake: ServiceNowFake, client: ServiceNowClient, code: str, state: TicketState, status: str
) -> None:
    sys_id = fake.add_incident(state=code, close_code="Duplicate", close_notes="n")
    ticket = client.get(sys_id)
    assert (ticket.state, ticket.status) == (state, status)


def test_get_reads_display_values_for_people_and_priority(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    sys_id = fake.add_incident(impact="1", urgency="1", correlation_id="noc-7f3a")
    fake.assign(sys_id, "jdoe")
    ticket = client.get(sys_id)
    assert fake.requests[-1].args["sysparm_display_value"] == "all"
    assert ticket.assignee == "Jane Doe"
    assert ticket.priority == "1 - Critical"
    assert ticket.updated_at == START + timedelta(seconds=1)
    assert ticket.updated_at.tzinfo is UTC
    assert ticket.idempotency_key == "noc-7f3a"


def test_an_unknown_state_keeps_its_label_and_code(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    body = {
        "result": {
            "sys_id": "a" * 32,
            "number": "INC0010001",
            "state": {"value": "10", "display_value": "Awaiting Vendor"},
        }
    }
    fake.answer_next(200, body)
    ticket = client.get("a" * 32)
    assert (ticket.state, ticket.status) == (TicketState.IN_PROGRESS, "Awaiting Vendor (10)")


def test_records_are_parsed_defensively(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    record = {
        "sys_id": "b" * 32,
        "number": "INC0010002",
        "state": 6,  # a number where a string is documented
        "assigned_to": {"value": "c" * 32, "link": "https://elsewhere/x"},
        "priority": None,
        "sys_updated_on": "yesterday",
    }
    fake.answer_next(200, {"result": record})
    ticket = client.get("b" * 32)
    assert ticket.state is TicketState.RESOLVED
    assert ticket.assignee == "c" * 32  # no display value: the reference as it came
    assert (ticket.priority, ticket.updated_at, ticket.idempotency_key) == (None, None, None)


@pytest.mark.parametrize(
    "result",
    [{"number": "INC1"}, ["not", "an", "incident"], {"sys_id": "../../sys_user", "number": "x"}],
)
def test_a_record_without_identity_is_a_payload_error(
    fake: ServiceNowFake, client: ServiceNowClient, result: object
) -> None:
    fake.answer_next(200, {"result": result})
    assert caught(client.get, "d" * 32).kind is ErrorKind.PAYLOAD


def test_an_id_that_would_walk_the_path_is_refused(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    assert caught(client.get, "../sys_user/x").kind is ErrorKind.BAD_REQUEST
    assert fake.requests == []


# ---------------------------------------------------------------- writes


def test_comment_appends_a_work_note(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    ticket = client.create(draft())
    before = dict(fake.incidents[ticket.id])
    client.comment(ticket.id, "Failover started")
    client.comment(ticket.id, "Failover done")
    client.comment(ticket.id, "   ")  # nothing to say: no request
    patches = [r for r in fake.writes if r.method == "PATCH"]
    assert [p.body for p in patches] == [
        {"work_notes": "Failover started"},
        {"work_notes": "Failover done"},
    ]
    assert fake.work_notes(ticket.id) == [
        "Opened by NOC Console",
        "Failover started",
        "Failover done",
    ]
    after = fake.incidents[ticket.id]
    assert {k: v for k, v in after.items() if k != "sys_updated_on"} == {
        k: v for k, v in before.items() if k != "sys_updated_on"
    }


def test_update_sends_only_the_fields_set(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    ticket = client.create(draft(severity=Severity.P3))
    fake.remote_edit(ticket.id, state="3", hold_reason="4")  # someone put it on hold
    client.update(ticket.id, TicketChange(severity=Severity.P1))
    client.update(ticket.id, TicketChange(assignee="Jane Doe"))
    client.update(ticket.id, TicketChange(comment="Customer informed"))
    client.update(ticket.id, TicketChange())  # nothing set: no request
    patches = [r for r in fake.writes if r.method == "PATCH"]
    assert [p.body for p in patches] == [
        {"impact": "1", "urgency": "1"},
        {"assigned_to": "Jane Doe"},
        {"work_notes": "Customer informed"},
    ]
    assert patches[1].args["sysparm_input_display_value"] == "true"
    assert "sysparm_input_display_value" not in patches[0].args
    remote = client.get(ticket.id)
    assert (remote.state, remote.assignee, remote.priority) == (
        TicketState.ON_HOLD,
        "Jane Doe",
        "1 - Critical",
    )
    assert fake.incidents[ticket.id]["hold_reason"] == "4"


def test_resolve_and_close_send_state_and_codes(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    ticket = client.create(draft())
    client.resolve(ticket.id, Resolution("Solution provided", "Alert resolved at 14:40Z"))
    assert fake.writes[-1].body == {
        "state": "6",
        "close_code": "Solution provided",
        "close_notes": "Alert resolved at 14:40Z",
    }
    assert client.get(ticket.id).state is TicketState.RESOLVED
    client.close(ticket.id, Resolution("Solution provided", "Closed by the NOC"))
    assert fake.writes[-1].body["state"] == "7"
    closed = client.get(ticket.id)
    assert (closed.state, closed.status) == (TicketState.CLOSED, "Closed")
    assert fake.incidents[ticket.id]["active"] == "false"


@pytest.mark.parametrize("call", ["resolve", "close"])
def test_the_data_policy_refusal_comes_with_the_servers_words(
    fake: ServiceNowFake, client: ServiceNowClient, call: str
) -> None:
    ticket = client.create(draft())
    error = caught(getattr(client, call), ticket.id, Resolution("", ""))
    assert (error.kind, error.status, error.retryable) == (ErrorKind.FORBIDDEN, 403, False)
    assert error.message == (
        "Operation Failed: Data Policy Exception: \n"
        "The following fields are mandatory: Resolution code, Resolution notes"
    )
    assert fake.incidents[ticket.id]["state"] == "1"


# ---------------------------------------------------------------- updated_since


def test_updated_since_pages_by_link_headers(fake: ServiceNowFake) -> None:
    client = make_client(fake.url, page_size=2)
    ids = [fake.add_incident(number=f"INC00200{n:02d}") for n in range(7)]
    stranger = fake.add_incident()
    since = fake.now + timedelta(seconds=1)
    for sys_id in reversed(ids[:5]):  # updated after `since`, newest first
        fake.remote_edit(sys_id, state="2")
    fake.remote_edit(stranger, state="2")  # not ours: not asked for

    changed = client.updated_since([*ids, ids[0]], since)

    assert [t.id for t in changed] == list(reversed(ids[:5]))  # oldest change first
    assert all(t.state is TicketState.IN_PROGRESS for t in changed)
    pages = fake.requests
    assert [p.args["sysparm_offset"] for p in pages] == ["0", "2", "4"]
    assert {p.args["sysparm_limit"] for p in pages} == {"2"}
    links = [headers.get("Link", "") for _, headers in fake.answers]
    assert ['rel="next"' in link for link in links] == [True, True, False]
    assert all('rel="first"' in link for link in links)
    query = pages[0].args["sysparm_query"]
    assert query == (
        f"sys_idIN{','.join(ids)}^sys_updated_on>={since:%Y-%m-%d %H:%M:%S}^ORDERBYsys_id"
    )


def test_updated_since_without_link_headers_stops_at_the_total(fake: ServiceNowFake) -> None:
    fake.link_headers = False
    client = make_client(fake.url, page_size=2)
    since = fake.now
    ids = [fake.add_incident() for _ in range(4)]
    for sys_id in ids:
        fake.remote_edit(sys_id, urgency="1")
    assert len(client.updated_since(ids, since)) == 4
    assert [p.args["sysparm_offset"] for p in fake.requests] == ["0", "2"]


def test_updated_since_asks_in_chunks(
    fake: ServiceNowFake, client: ServiceNowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(servicenow, "ID_CHUNK", 3)
    since = fake.now
    ids = [fake.add_incident() for _ in range(7)]
    for sys_id in ids:
        fake.remote_edit(sys_id, impact="2")
    assert {t.id for t in client.updated_since(ids, since)} == set(ids)
    asked = [p.args["sysparm_query"].split("^")[0].removeprefix("sys_idIN") for p in fake.requests]
    assert [len(a.split(",")) for a in asked] == [3, 3, 1]
    assert client.updated_since([], since) == []


def test_updated_since_refuses_a_naive_time(client: ServiceNowClient) -> None:
    with pytest.raises(ValueError, match="naive"):
        client.updated_since(["a" * 32], datetime(2026, 11, 29, 14, 0))  # noqa: DTZ001


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, ErrorKind.BAD_REQUEST, False),
        (401, ErrorKind.AUTH, False),
        (403, ErrorKind.FORBIDDEN, False),
        (404, ErrorKind.NOT_FOUND, False),
        (405, ErrorKind.BAD_REQUEST, False),
        (409, ErrorKind.CONFLICT, False),
        (500, ErrorKind.SERVER, True),
        (503, ErrorKind.SERVER, True),
    ],
)
def test_error_statuses_carry_the_servers_message(
    fake: ServiceNowFake, client: ServiceNowClient, status: int, kind: ErrorKind, retryable: bool
) -> None:
    fake.fail_next(status, "Something specific", "Because of this detail")
    error = caught(client.comment, "e" * 32, "note")
    assert (error.kind, error.status, error.retryable) == (kind, status, retryable)
    assert error.message == "Something specific: Because of this detail"
    assert str(error) == f"HTTP {status} {kind.value}: Something specific: Because of this detail"


def test_an_unknown_record_is_not_found_in_the_documented_words(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    error = caught(client.resolve, "f" * 32, Resolution("Duplicate", "dup"))
    assert error.kind is ErrorKind.NOT_FOUND
    assert error.message == f"{NOT_FOUND['error']['message']}: {NOT_FOUND['error']['detail']}"


def test_429_waits_as_long_as_retry_after_says(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    fake.rate_limit_next(retry_after=42, reset_at=int(NOW) + 900)
    error = caught(client.create, draft())
    assert (error.kind, error.retry_after, error.retryable) == (ErrorKind.RATE_LIMITED, 42, True)
    assert "Rate limit exceeded" in error.message


def test_429_without_retry_after_waits_for_the_rate_limit_reset(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    fake.rate_limit_next(retry_after=None, reset_at=int(NOW) + 900)
    error = caught(client.create, draft())
    assert (error.kind, error.retry_after) == (ErrorKind.RATE_LIMITED, 900)
    fake.rate_limit_next(retry_after=None, reset_at=int(NOW) - 5)  # already past
    assert caught(client.create, draft()).retry_after == 0


def test_503_passes_its_retry_after_on(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    fake.fail_next(503, "Service Unavailable", headers={"Retry-After": "120"})
    error = caught(client.get, "a" * 32)
    assert (error.kind, error.retry_after, error.message) == (
        ErrorKind.SERVER,
        120,
        "Service Unavailable",
    )


@pytest.mark.parametrize(
    ("status", "body", "content_type", "words"),
    [
        (200, b'{"result": [', "application/json", "did not answer JSON"),
        (200, b"<html><title>Instance Hibernating</title></html>", "text/html", "Hibernating"),
        (200, b'{"records": []}', "application/json", "without a result"),
        (200, b"", "application/json", "empty body"),
    ],
)
def test_an_answer_that_is_not_the_documented_json_is_a_payload_error(
    fake: ServiceNowFake,
    client: ServiceNowClient,
    status: int,
    body: bytes,
    content_type: str,
    words: str,
) -> None:
    fake.answer_next(status, body, content_type=content_type)
    error = caught(client.find, "noc-7f3a")
    assert (error.kind, error.retryable) == (ErrorKind.PAYLOAD, False)
    assert words in error.message


def test_an_html_error_page_is_described_by_its_title(
    fake: ServiceNowFake, client: ServiceNowClient
) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    fake.answer_next(502, page, content_type="text/html")
    error = caught(client.get, "a" * 32)
    assert (error.kind, error.status) == (ErrorKind.SERVER, 502)
    assert error.message == "an HTML page titled '502 Bad Gateway'"


def test_a_redirect_is_not_followed(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    target = f"{fake.url}/api/now/table/incident/moved"
    fake.answer_next(302, b"", headers={"Location": target})
    error = caught(client.get, "a" * 32)
    assert (error.kind, error.status, error.retryable) == (ErrorKind.REDIRECT, 302, False)
    assert target in error.message
    assert len(fake.requests) == 1  # the Location was never asked for


def test_a_refused_connection_is_a_network_error() -> None:
    client = make_client(f"http://127.0.0.1:{free_port()}")
    error = caught(client.get, "a" * 32)
    assert (error.kind, error.status, error.retryable) == (ErrorKind.NETWORK, None, True)
    assert "connection failed" in error.message


@pytest.mark.parametrize("behaviour", ["hang", "drip"])
def test_a_stalled_or_dripping_answer_times_out(behaviour: str) -> None:
    with raw_server(behaviour, drip_interval=0.05) as url:
        client = make_client(url, timeout=0.4)
        error = caught(client.get, "a" * 32)
    assert error.kind is ErrorKind.NETWORK
    assert "0.4 s" in error.message


def test_an_untrusted_certificate_is_refused(self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    with tls_server(cert, key) as url:
        error = caught(make_client(url).get, "a" * 32)
    assert error.kind is ErrorKind.NETWORK
    assert "TLS" in error.message


# ---------------------------------------------------------------- credentials


def test_basic_auth_with_a_user(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    assert (
        client.check() == "ok: ServiceNow localhost as noc.bot (NOC Bot), incident table readable"
    )
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert {r.authorization for r in fake.requests} == {expected}
    assert fake.requests[0].args == {"sysparm_limit": "1", "sysparm_fields": "sys_id"}
    assert fake.requests[1].path == "/api/now/table/sys_user"
    assert fake.requests[1].args["sysparm_query"] == "user_name=noc.bot"


def test_bearer_token_without_a_user(fake: ServiceNowFake) -> None:
    client = make_client(fake.url, user=None, secret=TOKEN)
    assert client.check() == "ok: ServiceNow localhost as an OAuth token, incident table readable"
    assert [r.authorization for r in fake.requests] == [f"Bearer {TOKEN}"]


def test_check_survives_a_hidden_user_table(fake: ServiceNowFake, client: ServiceNowClient) -> None:
    fake.answer_next(200, {"result": []})
    fake.fail_next(
        403, "Operation Failed", "ACL Exception Insert Failed due to security constraints"
    )
    assert client.check() == "ok: ServiceNow localhost as noc.bot, incident table readable"


def test_a_wrong_password_is_an_auth_error(fake: ServiceNowFake) -> None:
    error = caught(make_client(fake.url, secret="wrong-password").check)
    assert (error.kind, error.status, error.retryable) == (ErrorKind.AUTH, 401, False)
    assert error.message == "User Not Authenticated: Required to provide Auth information"


@pytest.mark.parametrize(
    ("user", "secret"), [(None, "tok en"), (None, "tok\nen"), (USER, ""), (USER, "pass\nword")]
)
def test_a_credential_http_cannot_carry_fails_without_a_request(
    fake: ServiceNowFake, user: str | None, secret: str
) -> None:
    error = caught(make_client(fake.url, user=user, secret=secret).get, "a" * 32)
    assert error.kind is ErrorKind.AUTH
    assert fake.requests == []
    if secret:
        assert secret not in str(error)


def test_the_secret_appears_in_no_error(fake: ServiceNowFake) -> None:
    client = make_client(fake.url)
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    echo = f"bad header Authorization: Basic {encoded} (password {PASSWORD})".encode()
    fake.answer_next(500, echo, content_type="text/plain")
    fake.fail_next(400, f"Invalid field value {PASSWORD}")
    fake.password = "rotated"  # the stored one is now wrong: 401
    errors = [caught(client.get, "a" * 32) for _ in range(3)]
    errors.append(caught(make_client(f"http://127.0.0.1:{free_port()}").get, "a" * 32))
    texts = [str(e) + repr(e) + e.message for e in errors] + [repr(client)]
    assert [e.kind for e in errors] == [
        ErrorKind.SERVER,
        ErrorKind.BAD_REQUEST,
        ErrorKind.AUTH,
        ErrorKind.NETWORK,
    ]
    assert "[hidden]" in errors[0].message
    for text in texts:
        assert PASSWORD not in text
        assert encoded not in text


def test_bearer_tokens_are_hidden_too(fake: ServiceNowFake) -> None:
    client = make_client(fake.url, user=None, secret=TOKEN)
    fake.fail_next(400, f"token {TOKEN} rejected")
    assert TOKEN not in str(caught(client.get, "a" * 32))


@pytest.mark.parametrize(
    ("url", "verify"),
    [
        ("http://acme.service-now.com", True),
        ("ftp://acme.service-now.com", True),
        ("acme.service-now.com", True),
        ("https://acme.service-now.com", False),
    ],
)
def test_plain_http_or_unverified_tls_is_refused(url: str, verify: bool) -> None:
    with pytest.raises(ValueError, match="ServiceNow 'sn-prod'"):
        make_client(url, verify=verify)
