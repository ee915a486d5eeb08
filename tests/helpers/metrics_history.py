"""A hand-built incident history whose service metrics are worked out by hand, and those values.

Fourteen incidents, built through the domain's own transitions (so the SLA verdicts are the
ones the clocks record) and stored through the store (so `recorded_clocks` fills the
verdict columns), plus a few alerts for the recurring pairs. The main period is the two
ISO weeks [Mon 2 Nov 2026, Mon 16 Nov 2026), and `NOW` is its end. Every instant is a
whole second after detection, written as (detection, seconds); the figures below were
worked out on paper from these lines and are what the tests expect, exactly.

    key  customer  sev  detected      MTTD  ack     resolved       what else
    X0   acme      P2   28 Oct 00:00    60  +300    +3600          before the period
    XO   globex    P2   28 Sep 00:00    60  +300    +3600          long before
    A    acme      P1   3 Nov 10:00     30  +600    +7200          recurrence_of X0 (6 d)
    B    acme      P2   3 Nov 12:00     90  +2400   +36000         both clocks breached
    C    globex    P2   4 Nov 08:00     30  +600    +3600, reopened +5000, +9000
    D    globex    P3   5 Nov 09:00    120  +18000  +86400         waited +1800..+9000
    E    initech   P1   9 Nov 10:00     45  +120    +300, reopened +400, false positive +600
    F    initech   P4   10 Nov 10:00   600  -       -              open, both clocks late
    G    acme      P3   15 Nov 20:00    60  +1800   -              open, resolve not due
    H    -         P4   11 Nov 06:00   300  +100    +1000          no contract
    I    globex    P2   12 Nov 14:00    30  -       +3000          recurrence_of XO (45 d)
    J    acme      P3   13 Nov 09:00   200  +600    -              waiting since +3600
    K    globex    P1   14 Nov 10:00    10  -       -              waiting since +600
    L    initech   P1   14 Nov 12:00    20  +1200   -              waiting since +18000

Contract (24x7): P1 15m/4h, P2 30m/8h, P3 4h/3d, P4 1d/5d.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from alembic import command
from sqlalchemy import create_engine, insert, select

from app.domain.errors import DomainError
from app.domain.incident import Incident
from app.domain.service_metrics import (
    Bucket,
    Compliance,
    Durations,
    GroupCompliance,
    MetricsReport,
    MetricsScope,
    RecurringPair,
)
from app.domain.severity import Severity
from app.domain.sla import SlaPolicy, SlaTarget
from app.store import Database, service_metrics
from app.store.errors import IncidentConflict
from app.store.incidents import IncidentRepository
from app.store.metric_totals import rebuild_metric_totals
from app.store.migrations import alembic_config
from app.store.tables import ALERTS, CUSTOMER_TOTALS, DAY_TOTALS, INCIDENTS

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
END = START + timedelta(days=14)
NOW = END
CONTRACT = SlaPolicy(
    "gold",
    {
        Severity.P1: SlaTarget(timedelta(minutes=15), timedelta(hours=4)),
        Severity.P2: SlaTarget(timedelta(minutes=30), timedelta(hours=8)),
        Severity.P3: SlaTarget(timedelta(hours=4), timedelta(days=3)),
        Severity.P4: SlaTarget(timedelta(days=1), timedelta(days=5)),
    },
)
OPERATOR = "alice"


@dataclass(frozen=True)
class Line:
    """One incident of the table above."""

    key: str
    customer: str | None
    severity: Severity
    detected: datetime
    mttd: int
    alert_count: int = 1
    recurrence_of: str | None = None
    contract: bool = True
    steps: tuple[tuple[str, int], ...] = ()  # (action, seconds after detection)


def _at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


LINES = (
    Line("X0", "acme", Severity.P2, _at(28, 0, 10), 60, steps=(("ack", 300), ("resolve", 3600))),
    Line("XO", "globex", Severity.P2, _at(28, 0, 9), 60, steps=(("ack", 300), ("resolve", 3600))),
    Line(
        "A", "acme", Severity.P1, _at(3, 10), 30, alert_count=3, recurrence_of="X0",
        steps=(("ack", 600), ("resolve", 7200), ("close", 7300)),
    ),
    Line(
        "B", "acme", Severity.P2, _at(3, 12), 90,
        steps=(("ack", 2400), ("resolve", 36000), ("close", 36100)),
    ),
    Line(
        "C", "globex", Severity.P2, _at(4, 8), 30, alert_count=2,
        steps=(("ack", 600), ("resolve", 3600), ("reopen", 5000), ("resolve", 9000)),
    ),
    Line(
        "D", "globex", Severity.P3, _at(5, 9), 120,
        steps=(("pause", 1800), ("resume", 9000), ("ack", 18000), ("resolve", 86400)),
    ),
    Line(
        "E", "initech", Severity.P1, _at(9, 10), 45, alert_count=5,
        steps=(("ack", 120), ("resolve", 300), ("reopen", 400), ("false_positive", 600)),
    ),
    Line("F", "initech", Severity.P4, _at(10, 10), 600),
    Line("G", "acme", Severity.P3, _at(15, 20), 60, steps=(("ack", 1800),)),
    Line(
        "H", None, Severity.P4, _at(11, 6), 300, contract=False,
        steps=(("ack", 100), ("resolve", 1000)),
    ),
    Line(
        "I", "globex", Severity.P2, _at(12, 14), 30, recurrence_of="XO",
        steps=(("resolve", 3000),),
    ),
    Line("J", "acme", Severity.P3, _at(13, 9), 200, steps=(("ack", 600), ("pause", 3600))),
    Line("K", "globex", Severity.P1, _at(14, 10), 10, steps=(("pause", 600),)),
    Line("L", "initech", Severity.P1, _at(14, 12), 20, steps=(("ack", 1200), ("pause", 18000))),
)  # fmt: skip

# (incident, service, alertname): what the recurring pairs are counted from
ALERTS_HELD = (
    ("A", "db", "HostDown"),
    ("A", "db", "HostDown"),  # a second alert of the same pair: the incident counts once
    ("A", "api", "LatencyHigh"),
    ("C", "db", "HostDown"),
    ("C", None, "Heartbeat"),
    ("E", "db", "HostDown"),  # reopened, but a false positive
    ("I", "db", "HostDown"),  # recurrence_of an incident 45 days earlier: not recurring
    ("B", "web", "ErrorRate"),  # not recurring
)

_ACTIONS: dict[str, Callable[[Incident, datetime], Incident]] = {
    "ack": lambda i, at: i.acknowledge(OPERATOR, at),
    "resolve": lambda i, at: i.resolve(OPERATOR, at, "fixed"),
    "close": lambda i, at: i.close(OPERATOR, at, "root cause written up"),
    "reopen": lambda i, at: i.reopen("system", at, "fired again"),
    "pause": lambda i, at: i.pause(OPERATOR, at, "waiting on the customer"),
    "resume": lambda i, at: i.resume(OPERATOR, at, CONTRACT.calendar),
    "false_positive": lambda i, at: i.mark_false_positive(OPERATOR, at, "test alert"),
}


def build(database: Database) -> dict[str, int]:
    """Store the history; returns the storage id of each incident by key."""
    ids: dict[str, int] = {}
    with database.write() as session:
        repository = IncidentRepository(session)
        for line in LINES:
            incident = Incident.detect(
                title=f"incident {line.key}",
                customer=line.customer,
                services=("svc",),
                severity=line.severity,
                started_at=line.detected - timedelta(seconds=line.mttd),
                detected_at=line.detected,
                group_key=f"{line.customer}|{line.key}",
                policy=CONTRACT if line.contract else None,
                alert_count=line.alert_count,
                recurrence_of=ids[line.recurrence_of] if line.recurrence_of else None,
            )
            for action, seconds in line.steps:
                incident = _ACTIONS[action](incident, line.detected + timedelta(seconds=seconds))
            ids[line.key] = repository.add(incident, NOW).id or 0
        rows: list[dict[str, Any]] = [
            {
                "source": "am",
                "fingerprint": f"{key}-{number}",
                "incident_id": ids[key],
                "status": "resolved",
                "alertname": alertname,
                "customer": None,
                "service": service,
                "severity": "P3",
                "labels": {},
                "annotations": {},
                "starts_at": START,
                "ends_at": END,
                "first_seen": START,
                "last_seen": END,
            }
            for number, (key, service, alertname) in enumerate(ALERTS_HELD)
        ]
        session.execute(insert(ALERTS), rows)
    return ids


# ------------------------------------------------------------------ migration 0008

RECORDED = (INCIDENTS.c.id, INCIDENTS.c.response_met, INCIDENTS.c.resolve_met, INCIDENTS.c.reopened)


def recorded(url: str) -> dict[int, tuple[Any, ...]]:
    database = Database(url)
    try:
        with database.read() as session:
            return {row[0]: tuple(row[1:]) for row in session.execute(select(*RECORDED))}
    finally:
        database.dispose()


def downgrade_to(url: str, revision: str) -> None:
    """Back to an earlier revision (foreign keys off: SQLite rebuilds tables)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def check_the_upgrade_fills_what_the_store_writes(url: str) -> None:
    """Shared with the PostgreSQL test: the SQL backfill equals `recorded_clocks`."""
    database = Database(url)
    ids = build(database)
    database.dispose()
    written = recorded(url)
    assert written[ids["C"]] == (True, True, True)  # the sample is not all NULL
    downgrade_to(url, "0007")
    assert recorded(url) == written  # Database() upgraded it again, filling the columns


# ------------------------------------------------------------------ expected, by hand


def durations(count: int, mean: float, median: float, p90: float) -> Durations:
    return Durations(count=count, mean=mean, median=median, p90=p90)


# the period [START, END): A..L, E a false positive
PERIOD_MTTD = durations(11, 1490 / 11, 60.0, 300.0)  # 10 20 30 30 30 60 90 120 200 300 600
PERIOD_MTTA = durations(8, 3162.5, 900.0, 7080.0)  # 100 600 600 600 1200 1800 2400 18000
PERIOD_MTTR = durations(6, 142600 / 6, 8100.0, 61200.0)  # 1000 3000 7200 9000 36000 86400
PERIOD_RESPONSE = Compliance(met=5, counted=9)  # A C D G J met; B L breached, F late, I unanswered
PERIOD_RESOLVE = Compliance(met=4, counted=7)  # A C D I met; B breached, F late, L late when paused
WEEK_1 = (
    durations(4, 67.5, 60.0, 111.0),  # 30 30 90 120
    durations(4, 5400.0, 1500.0, 13320.0),  # 600 600 2400 18000
    durations(4, 34650.0, 22500.0, 71280.0),  # 7200 9000 36000 86400
)
WEEK_2 = (
    durations(7, 1220 / 7, 60.0, 420.0),  # 10 20 30 60 200 300 600
    durations(4, 925.0, 900.0, 1620.0),  # 100 600 1200 1800
    durations(2, 2000.0, 2000.0, 2800.0),  # 1000 3000
)
BY_CUSTOMER = (
    GroupCompliance(None, 1, Compliance(0, 0), Compliance(0, 0)),
    GroupCompliance("acme", 4, Compliance(3, 4), Compliance(1, 2)),
    GroupCompliance("globex", 4, Compliance(2, 3), Compliance(3, 3)),
    GroupCompliance("initech", 2, Compliance(0, 2), Compliance(0, 2)),
)
BY_SEVERITY = (
    GroupCompliance("P1", 3, Compliance(1, 2), Compliance(1, 2)),
    GroupCompliance("P2", 3, Compliance(1, 3), Compliance(2, 3)),
    GroupCompliance("P3", 3, Compliance(3, 3), Compliance(1, 1)),
    GroupCompliance("P4", 2, Compliance(0, 1), Compliance(0, 1)),
)
TOP_RECURRING = (
    RecurringPair("db", "HostDown", 2),  # A and C
    RecurringPair(None, "Heartbeat", 1),  # ties: no service first
    RecurringPair("api", "LatencyHigh", 1),
)


# ------------------------------------------------------------------ the kept totals

# what a random write does to a stored incident (the domain refuses what does not apply)
_CHURN: tuple[Callable[[Incident, datetime], Incident], ...] = (
    *_ACTIONS.values(),
    lambda i, at: i.change_severity(
        Severity.P1 if i.severity is not Severity.P1 else Severity.P3, CONTRACT, OPERATOR, at
    ),
    lambda i, at: i.count_alerts(i.alert_count + 2),
    lambda i, at: i.add_note(OPERATOR, at, "looked at it"),
)


def churn(database: Database, ids: dict[str, int], seed: int, writes: int = 120) -> int:
    """Random lifecycle writes through the store's `save`, a few per transaction, some
    rolled back; returns how many were saved and committed."""
    rng = random.Random(seed)
    keys = sorted(ids)
    at = NOW
    saved = 0
    while writes > 0:
        batch = rng.randint(1, 4)
        writes -= batch
        failing = rng.random() < 0.15
        written = 0
        try:
            with database.write() as session:
                repository = IncidentRepository(session)
                # in id order, as one desk's batch locks rows: two desks locking in random
                # orders deadlock on the incident rows themselves (PostgreSQL says so)
                for incident_id in sorted(ids[rng.choice(keys)] for _ in range(batch)):
                    at += timedelta(minutes=rng.randint(1, 90))
                    before = repository.get(incident_id)
                    try:
                        after = rng.choice(_CHURN)(before, at)
                    except DomainError:
                        continue
                    repository.save(before, after, at)
                    written += 1
                if failing:
                    raise _RolledBack
            saved += written
        except (_RolledBack, IncidentConflict):  # a conflict: another desk wrote it first
            pass
    return saved


class _RolledBack(Exception):
    """Raised inside a write to roll it back."""


def totals(database: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Both totals tables, sorted, without the groups no incident is in any more (the
    store leaves them at zero; a recount does not make them)."""
    with database.read() as session:
        found = []
        for table in (DAY_TOTALS, CUSTOMER_TOTALS):
            rows = [tuple(row) for row in session.execute(select(table))]
            keys = len(table.primary_key.columns)
            empty = [row for row in rows if row[keys] == 0]
            assert all(not any(row[keys:]) for row in empty), empty
            found.append(sorted(row for row in rows if row[keys] != 0))
    return found[0], found[1]


def recount(database: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with database.write() as session:
        rebuild_metric_totals(session.connection())
    return totals(database)


def check_the_kept_totals_are_a_recount(url: str) -> None:
    """Shared with the PostgreSQL test: after adds, saves and rollbacks, the totals the
    store kept are what counting the incidents again gives."""
    database = Database(url)
    try:
        ids = build(database)
        assert totals(database) == recount(database)
        assert churn(database, ids, seed=9) > 40
        with ThreadPoolExecutor(2) as desks:  # two desks at once (PostgreSQL: no deadlock)
            list(desks.map(lambda seed: churn(database, ids, seed), (21, 22)))
        kept = totals(database)
        assert kept == recount(database)
        assert len(kept[0]) > 10
    finally:
        database.dispose()


def check_the_upgrade_counts_what_the_store_kept(url: str) -> None:
    """Shared with the PostgreSQL test: migration 0009 counts the totals the store keeps."""
    database = Database(url)
    try:
        ids = build(database)
        churn(database, ids, seed=4)
        kept = totals(database)
        recurred = _recurred(database)
        # A recurrence_of X0 (6 days), C reopened; I recurrence_of XO 45 days before: not
        assert (recurred[ids["A"]], recurred[ids["C"]], recurred[ids["I"]]) == (True, True, False)
    finally:
        database.dispose()
    downgrade_to(url, "0008")
    upgraded = Database(url)
    try:
        assert _recurred(upgraded) == recurred  # filled by the SQL as the store decides it
        assert totals(upgraded) == kept
    finally:
        upgraded.dispose()


def _recurred(database: Database) -> dict[int, bool]:
    with database.read() as session:
        rows = session.execute(select(INCIDENTS.c.id, INCIDENTS.c.recurred))
        return {incident_id: bool(flag) for incident_id, flag in rows}


# scopes whose sides fall inside days, on midnights, or are open
SPLIT_SCOPES = (
    MetricsScope(),
    MetricsScope(START, END),
    MetricsScope(datetime(2026, 11, 3, 11, tzinfo=UTC), datetime(2026, 11, 14, 11, tzinfo=UTC)),
    MetricsScope(datetime(2026, 11, 3, 11, tzinfo=UTC), datetime(2026, 11, 3, 13, tzinfo=UTC)),
    MetricsScope(datetime(2026, 11, 9, 10, 1, tzinfo=UTC), None),
    MetricsScope(None, datetime(2026, 11, 12, 14, 0, 1, tzinfo=UTC)),
    MetricsScope(START, datetime(2026, 11, 10, 10, tzinfo=UTC), severity=Severity.P4),
    MetricsScope(datetime(2026, 11, 4, 0, 0, 0, 1000, tzinfo=UTC), END, severity=Severity.P2),
    MetricsScope(START, END, customer="globex"),
)


def check_the_totals_give_what_the_incidents_give(url: str) -> None:
    """Shared with the PostgreSQL test: every report read through the totals equals the
    one read from every incident, for scopes cut anywhere, at several `now`s."""
    database = Database(url)
    try:
        churn(database, build(database), seed=7)
        for scope in SPLIT_SCOPES:
            for bucket in Bucket:
                for now in (NOW, NOW + timedelta(hours=5), NOW + timedelta(days=9)):
                    assert _report(database, scope, bucket, now, live=False) == _report(
                        database, scope, bucket, now, live=True
                    ), (scope, bucket, now)
    finally:
        database.dispose()


def _report(
    database: Database, scope: MetricsScope, bucket: Bucket, now: datetime, *, live: bool
) -> MetricsReport:
    with ExitStack() as stack:
        if live:
            stack.enter_context(
                patch.object(service_metrics, "_per_day", service_metrics.per_day_of_incidents)
            )
            stack.enter_context(
                patch.object(
                    service_metrics, "_per_customer", service_metrics.per_customer_of_incidents
                )
            )
        with database.read() as session:
            return service_metrics.metrics_report(session, scope, bucket, now)
