"""A create whose outcome is unknown is found, never sent twice (RELIABILITY.md 9 and 10).

Jira's search lags behind creates, so these run with a search that shows nothing new for
a minute: the outbox finds the issue by reading the keys issued since the mark it stored
before the create. ServiceNow's correlation_id query reads the table itself. The real
kill -9 of a process is test_outbox_crash.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from app.config.settings import TicketingConfig
from app.config.ticketing import TicketingOptions
from app.console import Console
from app.console.ticket_desk import LEASE_CALLS, Delivery, TicketDesk
from app.domain.outbox import OutboxStatus
from app.ticketing import jira as jira_module
from app.ticketing.base import ErrorKind, TicketingError
from app.ticketing.jira import JiraClient
from app.ticketing.servicenow import ServiceNowClient
from tests.helpers.jira_fake import EMAIL, TOKEN, JiraFake
from tests.helpers.servicenow_fake import PASSWORD, USER, ServiceNowFake
from tests.helpers.ticketing import ticketing_console

TIMEOUT = 5.0  # the entries' call timeout: a miss is trusted 2 x 5 s after the attempt
LEASE = timedelta(seconds=LEASE_CALLS * TIMEOUT)  # how long a dead desk's claim holds a row


class Killed(BaseException):
    """The process dying at a chosen point (BaseException: nothing may catch it)."""


def jira_config(fake: JiraFake, api: int) -> TicketingConfig:
    return TicketingConfig(
        name="jira-ops",
        kind="jira",
        url=fake.url,
        settings=TicketingOptions(
            project="OPS", api=api, user=EMAIL if api == 3 else None, timeout=TIMEOUT
        ),
    )


@pytest.fixture(params=[3, 2], ids=["cloud-v3", "datacenter-v2"])
def api(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def jira(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, api: int) -> JiraFake:
    monkeypatch.setenv("NOC_SECRET_JIRA_OPS", TOKEN)
    fake = JiraFake(httpserver, flavour="cloud" if api == 3 else "datacenter")
    fake.search_lag = timedelta(minutes=1)
    return fake


@pytest.fixture
def console(db_url: str, jira: JiraFake, api: int, t0: datetime) -> Iterator[Console]:
    made = ticketing_console(db_url, [jira_config(jira, api)], t0)
    yield made
    made.shutdown()


def only_incident(console: Console) -> int:
    (incident,) = console.incidents()
    assert incident.id is not None
    return incident.id


def die_before_storing_the_key(desk: TicketDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(*args: Any) -> None:
        raise Killed("killed between the answer and storing the key")

    monkeypatch.setattr(desk, "_confirm", killed)


def die_before_the_post(monkeypatch: pytest.MonkeyPatch, client: type[Any]) -> None:
    def killed(*args: Any) -> None:
        raise Killed("killed after storing the attempt, before the POST")

    monkeypatch.setattr(client, "create", killed)


def searched_labels(jira: JiraFake) -> list[str]:
    queries = [str(r.json or r.args) for r in jira.requests if r.endpoint.startswith("search")]
    return [query for query in queries if "labels =" in query]


def test_a_create_that_reached_jira_is_found_by_key_though_search_shows_nothing(
    console: Console, jira: JiraFake, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    with monkeypatch.context() as patch:
        die_before_storing_the_key(console.tickets, patch)
        with pytest.raises(Killed):
            console.deliver_tickets(t0)
    (issue,) = jira.issues.values()
    (waiting,) = console.outbox()
    assert waiting.attempt_mark == "OPS-0"  # the project was empty before the create
    # the restart, once the dead desk's lease ran out: the search still shows nothing
    # (it lags a minute), the key reads it at once
    jira.advance(LEASE)
    report = console.deliver_tickets(t0 + LEASE)
    assert report.delivered
    assert len(jira.calls("create")) == 1
    assert [r.path.rsplit("/", 1)[1] for r in jira.calls("get")] == [issue.key]
    assert searched_labels(jira) == []  # no JQL search decided anything
    link = console.ticket_link(incident_id)
    assert link is not None
    assert (link.key, link.remote_id) == (issue.key, issue.id)
    assert console.incident(incident_id).ticket == issue.key


def test_a_create_that_never_left_is_sent_once_the_dead_desks_lease_ran_out(
    console: Console, jira: JiraFake, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(console)
    seeded = jira.add_issue("someone else's")  # OPS-1, the mark
    console.request_ticket(incident_id, t0)
    with monkeypatch.context() as patch:
        die_before_the_post(patch, JiraClient)
        with pytest.raises(Killed):
            console.deliver_tickets(t0)
    assert list(jira.issues) == [seeded.id]
    # the dead desk's lease (LEASE_CALLS x the timeout) holds the row
    assert console.deliver_tickets(t0 + LEASE - timedelta(seconds=1)) == Delivery()
    # then OPS-2, -3, -4 do not exist: the create goes out, once
    report = console.deliver_tickets(t0 + LEASE)
    assert report.delivered
    assert [r.path.rsplit("/", 1)[1] for r in jira.calls("get")] == ["OPS-2", "OPS-3", "OPS-4"]
    assert len(jira.calls("create")) == 1
    link = console.ticket_link(incident_id)
    assert link is not None
    assert link.key == "OPS-2"


def test_a_miss_is_not_trusted_while_jira_may_still_be_writing_a_timed_out_create(
    console: Console, jira: JiraFake, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    with monkeypatch.context() as patch:

        def timed_out(*args: Any) -> None:
            raise TicketingError(ErrorKind.NETWORK, "read timed out after 5 s")

        patch.setattr(JiraClient, "create", timed_out)
        assert console.deliver_tickets(t0).retrying
    (waiting,) = console.outbox()
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at < t0 + timedelta(seconds=2 * TIMEOUT)  # backoff 5-10 s
    # due again, the keys show nothing yet, but Jira may still be writing it
    report = console.deliver_tickets(waiting.next_attempt_at)
    assert report.retrying
    (waiting,) = console.outbox()
    assert waiting.next_attempt_at == t0 + timedelta(seconds=2 * TIMEOUT)
    assert waiting.last_error is not None
    assert "waiting for jira-ops to show the ticket sent at" in waiting.last_error
    assert len(jira.calls("create")) == 0
    assert console.deliver_tickets(t0 + timedelta(seconds=2 * TIMEOUT)).delivered
    assert len(jira.issues) == 1


def test_the_lookup_reads_past_other_peoples_issues_and_deleted_numbers(
    console: Console, jira: JiraFake, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(console)
    jira.add_issue("before us")  # OPS-1: the mark
    real_mark = JiraClient.mark

    def busy_project(client: JiraClient, project: str | None = None) -> str:
        mark = real_mark(client, project)
        # between the mark and our create: a colleague's issue, two made and deleted
        jira.add_issue("a colleague's")  # OPS-2
        for _ in range(2):
            jira.delete(jira.add_issue("deleted").key)  # OPS-3, OPS-4
        return mark

    console.request_ticket(incident_id, t0)
    with monkeypatch.context() as patch:
        patch.setattr(JiraClient, "mark", busy_project)
        die_before_storing_the_key(console.tickets, patch)
        with pytest.raises(Killed):
            console.deliver_tickets(t0)
    ours = jira.issue("OPS-5")
    report = console.deliver_tickets(t0 + LEASE)
    assert report.delivered
    assert [r.path.rsplit("/", 1)[1] for r in jira.calls("get")] == [
        "OPS-2",
        "OPS-3",
        "OPS-4",
        "OPS-5",
    ]
    link = console.ticket_link(incident_id)
    assert link is not None
    assert link.key == ours.key
    assert len(jira.calls("create")) == 1


def test_too_many_issues_since_the_mark_ask_the_operator_instead_of_guessing(
    console: Console, jira: JiraFake, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(console)
    monkeypatch.setattr(jira_module, "MARK_WALK", 3)
    console.request_ticket(incident_id, t0)
    with monkeypatch.context() as patch:
        die_before_the_post(patch, JiraClient)
        with pytest.raises(Killed):
            console.deliver_tickets(t0)
    for number in range(4):
        jira.add_issue(f"storm ticket {number}")
    report = console.deliver_tickets(t0 + timedelta(minutes=5))
    assert report.attention
    (held,) = console.outbox()
    assert held.status is OutboxStatus.ATTENTION
    assert held.error_kind == "uncertain"
    assert held.last_error is not None
    assert "more than 3 issues in OPS since OPS-0" in held.last_error
    assert "noc-" in held.last_error  # the label to search for
    assert len(jira.calls("create")) == 0


def test_an_attempt_stored_without_a_mark_waits_out_the_search_lag(
    console: Console, jira: JiraFake, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows attempted before migration 0007 have no mark: only the label search is left,
    and its miss is not trusted before CREATE_LAG."""
    incident_id = only_incident(console)
    console.request_ticket(incident_id, t0)
    with monkeypatch.context() as patch:
        patch.setattr(JiraClient, "mark", lambda client, project=None: None)
        die_before_storing_the_key(console.tickets, patch)
        with pytest.raises(Killed):
            console.deliver_tickets(t0)
    assert len(jira.issues) == 1
    jira.advance(LEASE)
    report = console.deliver_tickets(t0 + LEASE)
    assert report.retrying
    assert len(searched_labels(jira)) == 1
    (waiting,) = console.outbox()
    assert waiting.next_attempt_at == t0 + timedelta(minutes=2)
    # past the lag the search shows it: the key is stored, still one issue
    jira.advance(timedelta(minutes=2))
    report = console.deliver_tickets(t0 + timedelta(minutes=3))
    assert report.delivered
    assert len(jira.calls("create")) == 1
    link = console.ticket_link(incident_id)
    assert link is not None
    assert link.key == next(iter(jira.issues.values())).key


@pytest.fixture
def servicenow(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> ServiceNowFake:
    monkeypatch.setenv("NOC_SECRET_SNOW", PASSWORD)
    return ServiceNowFake(httpserver)


@pytest.fixture
def sn_console(db_url: str, servicenow: ServiceNowFake, t0: datetime) -> Iterator[Console]:
    entry = TicketingConfig(
        name="snow",
        kind="servicenow",
        url=servicenow.url,
        settings=TicketingOptions(user=USER, timeout=TIMEOUT),
    )
    made = ticketing_console(db_url, [entry], t0)
    yield made
    made.shutdown()


def test_servicenow_finds_a_create_that_arrived_by_its_correlation_id(
    sn_console: Console, servicenow: ServiceNowFake, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(sn_console)
    sn_console.request_ticket(incident_id, t0)
    with monkeypatch.context() as patch:
        die_before_storing_the_key(sn_console.tickets, patch)
        with pytest.raises(Killed):
            sn_console.deliver_tickets(t0)
    (record,) = servicenow.incidents.values()
    assert sn_console.deliver_tickets(t0 + LEASE).delivered
    link = sn_console.ticket_link(incident_id)
    assert link is not None
    assert link.key == record["number"]
    assert len(servicenow.incidents) == 1


def test_servicenow_sends_a_lost_create_again_without_waiting_for_a_search(
    sn_console: Console, servicenow: ServiceNowFake, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(sn_console)
    sn_console.request_ticket(incident_id, t0)
    with monkeypatch.context() as patch:
        die_before_the_post(patch, ServiceNowClient)
        with pytest.raises(Killed):
            sn_console.deliver_tickets(t0)
    (waiting,) = sn_console.outbox()
    assert waiting.attempt_mark is None  # a correlation_id query needs no mark
    # once the dead desk's lease ran out, no search to wait for: sent again
    assert sn_console.deliver_tickets(t0 + LEASE).delivered
    (record,) = servicenow.incidents.values()
    link = sn_console.ticket_link(incident_id)
    assert link is not None
    assert link.key == record["number"]
