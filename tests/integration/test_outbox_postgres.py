"""The ticket outbox shared by two desks on one PostgreSQL database (RELIABILITY.md 15).

Two workstations deliver the same queue at the same time: the row lease (a conditional
UPDATE) lets one of them send each row, so every write reaches the system once and the
writes of one incident keep their order. A desk killed with SIGKILL while it waits for a
system's answer keeps its row's lease until it runs out (LEASE_CALLS x the entry's
timeout); then the other desk delivers it, and the rows behind it, each once.

Each test gets a fresh database in the session's throwaway cluster (tests/helpers/postgres.py);
every system (Jira Cloud, Jira Data Center, ServiceNow) runs on its contract fake.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from app.console import Console
from app.console.ticket_desk import LEASE_CALLS, Delivery
from app.domain.outbox import OutboxItem, OutboxStatus
from tests.helpers.ticket_systems import (
    ALERTS,
    SYSTEMS,
    TicketSystem,
    deliver_until_quiet,
    desk_console,
    incident_for,
    open_ticket,
    outbox_console,
    wired_system,
)

pytestmark = pytest.mark.integration

CHECKOUT = Path(__file__).resolve().parents[2]
NOTES = 3  # comments queued per incident behind its create
PASSES = NOTES + 3  # each pass sends at most the head of each incident's queue per desk
STARTUP_S = 30.0  # a desk process is ready and calling long before this


@pytest.fixture(params=SYSTEMS)
def system(
    request: pytest.FixtureRequest, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> TicketSystem:
    return wired_system(request.param, httpserver, monkeypatch)


def text_of(item: OutboxItem) -> str:
    return str(item.payload.get("text") or "")


def test_two_desks_deliver_one_queue_concurrently_each_row_once_in_order(
    pg_db_url: str, system: TicketSystem, t0: datetime
) -> None:
    first = outbox_console(pg_db_url, [system.entry()], t0, incidents=len(ALERTS))
    second = desk_console(pg_db_url, [system.entry()], operator="bob")
    desks = {"first": first, "second": second}
    try:
        incidents = [incident_for(first, service) for _, _, service in ALERTS]
        for incident in incidents:
            first.request_ticket(incident, t0)
        for number in range(1, NOTES + 1):
            for incident in incidents:
                first.add_note(incident, t0 + timedelta(seconds=number), f"i{incident}-n{number}")
        queued = {i.id for i in first.outbox()}
        assert len(queued) == len(incidents) * (NOTES + 1)
        # both desks read the due rows at the same moment of every pass, then race to claim
        barrier = threading.Barrier(len(desks), timeout=30)

        def work(console: Console) -> list[Delivery]:
            reports = []
            for step in range(PASSES):
                barrier.wait()
                reports.append(console.deliver_tickets(t0 + timedelta(minutes=1, seconds=step)))
            return reports

        with ThreadPoolExecutor(len(desks), thread_name_prefix="desk") as pool:
            running = {name: pool.submit(work, console) for name, console in desks.items()}
            reports = {name: future.result(timeout=120) for name, future in running.items()}
        assert first.outbox() == []
        for name in desks:  # each desk took part: it delivered rows or lost claims to the other
            assert any(r.delivered or r.retrying for r in reports[name]), name
        delivered = [i.id for name in desks for r in reports[name] for i in r.delivered]
        assert sorted(delivered, key=str) == sorted(queued, key=str)  # each row by one desk
        assert not [i for r in reports["first"] + reports["second"] for i in r.attention]
        # the system saw one create per incident and each comment once, in order
        assert all(w.accepted for w in system.fake.wire), system.fake.wire
        assert len(system.accepted("create")) == len(incidents)
        for incident in incidents:
            link = first.ticket_link(incident)
            assert link is not None
            assert link.remote_id is not None
            comments = [w.texts for w in system.accepted("comment", link.remote_id)]
            expected = [f"i{incident}-n{n}" for n in range(1, NOTES + 1)]
            assert [[n for n in expected if any(n in t for t in texts)] for texts in comments] == [
                [n] for n in expected
            ]
    finally:
        first.shutdown()
        second.shutdown()


def start_desk(
    system: TicketSystem, db_url: str, timeout: float, now: datetime
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.helpers.outbox_desk",
            db_url,
            system.name,
            system.fake.url,
            str(timeout),
            now.isoformat(),
        ],
        cwd=CHECKOUT,
        env={**os.environ, **system.secret},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_a_desk_killed_mid_delivery_leaves_its_row_to_the_other_after_the_lease(
    pg_db_url: str, system: TicketSystem, t0: datetime
) -> None:
    timeout = 1.0
    lease = LEASE_CALLS * timedelta(seconds=timeout)
    entry = system.entry(timeout)
    console = outbox_console(pg_db_url, [entry], t0, incidents=2)
    other = desk_console(pg_db_url, [entry], operator="bob")
    try:
        mine, theirs = incident_for(console, "acme-api"), incident_for(console, "globex-db")
        my_ticket, their_ticket = open_ticket(console, mine, t0), open_ticket(console, theirs, t0)
        for minute, note in enumerate(("x-one", "x-two", "x-three"), 1):
            console.add_note(mine, t0 + timedelta(minutes=minute), note)
        console.add_note(theirs, t0 + timedelta(minutes=4), "y-one")
        hold = system.hold("comment", containing="x-one")
        t1 = t0 + timedelta(minutes=5)
        desk = start_desk(system, pg_db_url, timeout, t1)
        try:
            deadline = time.monotonic() + STARTUP_S
            while not hold.arrived.wait(0.05):
                if desk.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the desk never sent x-one: {desk.communicate(timeout=30)}")
            desk.send_signal(signal.SIGKILL)  # it waits for the answer, holding the lease
            desk.communicate(timeout=30)
            assert desk.returncode == -signal.SIGKILL
        finally:
            hold.release()
            if desk.poll() is None:
                desk.kill()
                desk.communicate(timeout=30)
        assert not system.landed("x-one")  # the server never took it
        (leased,) = [i for i in console.outbox() if text_of(i).endswith("x-one")]
        assert leased.status is OutboxStatus.PENDING
        assert leased.next_attempt_at == t1 + lease
        # within the lease the other desk leaves that queue alone, not the other incident's
        report = other.deliver_tickets(t1 + lease - timedelta(seconds=1))
        assert [text_of(i).endswith("y-one") for i in report.delivered] == [True]
        assert not system.landed("x-one")
        assert len(system.landed("y-one", their_ticket)) == 1
        # the lease ran out: the other desk delivers the row, then the rows behind it
        deliver_until_quiet(other, t1 + lease)
        assert console.outbox() == []
        landed = [system.landed(note, my_ticket) for note in ("x-one", "x-two", "x-three")]
        assert [len(writes) for writes in landed] == [1, 1, 1]
        positions = [system.fake.wire.index(writes[0]) for writes in landed]
        assert positions == sorted(positions)
    finally:
        console.shutdown()
        other.shutdown()
