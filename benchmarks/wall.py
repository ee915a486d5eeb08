"""An incident history at wall scale for the wall benchmarks, and windows opened on it.

50,000 closed incidents (a year of history, four events each) and 2,000 open ones on the
demo estate's customers and services, written with Core executemany (the store's own
`add_many` returns each id with its own INSERT: about 20x slower at this size).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from sqlalchemy import JSON, Connection, Table

from app.console import Console
from app.domain.catalog import Catalog
from app.domain.incident import SYSTEM, Incident
from app.domain.policy import Policies
from app.domain.severity import Severity
from app.store import Database
from app.store.incidents import _columns, _event_rows
from app.store.metric_totals import rebuild_metric_totals
from app.store.tables import EVENTS, INCIDENTS
from app.store.types import to_millis
from tests.helpers.consoles import scripted_console
from tests.helpers.ui_operator import Clock
from ui.main_window import MainWindow

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday afternoon: business hours run
CLOSED = 50_000
OPEN = 2_000
OPERATOR_SIZE = (1600, 900)
WALL_SIZE = (1920, 1080)

ALERTNAMES = (
    "HighLatency",
    "ErrorRateHigh",
    "DiskFillingUp",
    "ReplicationLag",
    "CertificateExpiring",
    "InstanceDown",
    "QueueBacklog",
    "MemoryPressure",
)
OPERATORS = ("alice", "bob", "carol", "dave")
_TIMES = frozenset(
    {
        "started_at", "detected_at", "acknowledged_at", "resolved_at", "closed_at",
        "response_due", "resolve_due", "updated_at", "paused_since", "update_due",
    }
)  # fmt: skip
# the open wall's mix: share of the open incidents in each lifecycle step
_OPEN_STEPS = {"new": 35, "acked": 30, "escalated": 20, "paused": 5, "resolved": 10}


class Estate:
    """The demo estate's services, their customers and contracts, for making incidents."""

    def __init__(self, console: Console) -> None:
        self.catalog: Catalog = console.catalog
        self.policies: Policies = console.policies
        self.services = sorted(self.catalog.services.values(), key=lambda s: s.id)

    def detect(
        self, rng: random.Random, detected_at: datetime, *, severity: Severity | None = None
    ) -> Incident:
        """A new incident on a random service, with its customer's contract deadlines."""
        service = rng.choice(self.services)
        dependants = self.catalog.dependants(service.id)
        others = tuple(rng.sample(dependants, min(len(dependants), rng.randrange(0, 4))))
        severity = severity or rng.choices(list(Severity), weights=(1, 3, 8, 4))[0]
        contract = self.policies.contract_for(service.customer, self.catalog)
        alertname = rng.choice(ALERTNAMES)
        flags = frozenset({"flapping"}) if rng.random() < 0.03 else frozenset()
        return Incident.detect(
            title=f"{alertname} on {service.name}",
            customer=service.customer,
            services=(service.id, *others),
            root_service=service.id if others else None,
            severity=severity,
            started_at=detected_at - timedelta(seconds=rng.randrange(30, 300)),
            detected_at=detected_at,
            group_key=f"{service.customer}|{service.id}|{alertname}",
            policy=contract,
            sources=("alertmanager",),
            alert_count=rng.randrange(1, 40),
            team=service.owner,
            flags=flags,
        )


def _stored(incident: Incident, incident_id: int) -> Incident:
    return replace(incident, id=incident_id, version=len(incident.timeline))


def closed_incident(estate: Estate, rng: random.Random, incident_id: int) -> Incident:
    """A closed incident detected two days before NOW: detect, acknowledge, resolve, close."""
    detected = NOW - timedelta(days=2, seconds=rng.randrange(0, 86_400))
    incident = estate.detect(rng, detected)
    actor = rng.choice(OPERATORS)
    acked = detected + timedelta(minutes=rng.randrange(1, 120))
    resolved = acked + timedelta(minutes=rng.randrange(5, 3_000))
    incident = incident.acknowledge(actor, acked)
    incident = incident.resolve(actor, resolved, "fixed")
    incident = incident.close(actor, resolved + timedelta(hours=1), "root cause written up")
    return _stored(incident, incident_id)


def open_incident(estate: Estate, rng: random.Random, incident_id: int) -> Incident:
    """An incident on the wall at NOW: new, acknowledged, escalated, paused or just resolved.

    P1/P2 were detected within the last eight hours, P3/P4 within three days, so the wall
    shows every SLA look (ok, at risk, breached, paused, resolved).
    """
    severity = rng.choices(list(Severity), weights=(1, 3, 8, 4))[0]
    span = 8 * 3600 if severity in (Severity.P1, Severity.P2) else 3 * 86_400
    detected = NOW - timedelta(seconds=rng.randrange(60, span))
    incident = estate.detect(rng, detected, severity=severity)
    actor = rng.choice(OPERATORS)
    later = detected + (NOW - detected) * rng.uniform(0.05, 0.5)
    name = rng.choices(list(_OPEN_STEPS), weights=list(_OPEN_STEPS.values()))[0]
    if name != "new":
        incident = incident.acknowledge(actor, later)
    if name == "escalated":
        incident = incident.escalate(SYSTEM, later + timedelta(minutes=1), "not resolved in time")
    if name == "paused":
        incident = incident.pause(actor, later + timedelta(minutes=2), "waiting on the customer")
    if name == "resolved":
        incident = incident.resolve(actor, NOW - timedelta(minutes=rng.randrange(1, 59)))
    return _stored(incident, incident_id)


def stored_rows(
    incidents: list[Incident], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The incidents' and their events' rows, as the store writes them (times as epoch ms)."""
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for incident in incidents:
        assert incident.id is not None
        row = _columns(incident, None)  # no wall incident is a recurrence of another
        row.update(id=incident.id, version=incident.version, updated_at=now)
        rows.append({k: to_millis(v) if isinstance(v, datetime) else v for k, v in row.items()})
        for event in _event_rows(incident.id, incident.timeline):
            event["at"] = to_millis(event["at"])
            events.append(event)
    return rows, events


def history_rows(
    templates: list[Incident], count: int, first_id: int, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`count` closed incidents spread over the year before the templates: each a template's
    rows moved back in time, with an id and uid of its own (40x faster than building
    50,000 incidents through the domain's transitions)."""
    rows, events = stored_rows(templates, NOW)
    by_id: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        by_id.setdefault(event["incident_id"], []).append(event)
    template_events = [by_id[row["id"]] for row in rows]
    out_rows: list[dict[str, Any]] = []
    out_events: list[dict[str, Any]] = []
    year_ms = 365 * 86_400_000
    for n in range(count):
        index = n % len(rows)
        shift = rng.randrange(0, year_ms)
        incident_id = first_id + n
        row = {k: v - shift if k in _TIMES and v is not None else v for k, v in rows[index].items()}
        # the detection day is derived from the (shifted) detection time, as the store does
        row.update(id=incident_id, uid=f"{incident_id:032x}")
        row["detected_day"] = row["detected_at"] // 86_400_000
        out_rows.append(row)
        out_events.extend(
            {**event, "incident_id": incident_id, "at": event["at"] - shift}
            for event in template_events[index]
        )
    return out_rows, out_events


def write_rows(
    database: Database, rows: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """One transaction of plain executemany through the engine's connection: times are
    already epoch ms and JSON is encoded here, so no per-value type processing (Core's
    `insert()` took 5.7 s for these 256k rows, this about 1.5 s)."""
    with database.write() as session:
        connection = session.connection()
        _insert_many(connection, INCIDENTS, rows)
        _insert_many(connection, EVENTS, events)
        rebuild_metric_totals(connection)  # rows written by hand: count them as the store would


def _insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    names = list(rows[0])
    encoded = {column.name for column in table.c if isinstance(column.type, JSON)}
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    values = [
        tuple(orjson.dumps(row[n]).decode() if n in encoded else row[n] for n in names)
        for row in rows
    ]
    connection.exec_driver_sql(sql, values)


def build_history(path: Path, *, closed: int = CLOSED, open_: int = OPEN, seed: int = 6) -> str:
    """A database file with `closed` closed incidents, then `open_` open ones; its URL."""
    url = f"sqlite:///{path}"
    console = scripted_console(url, [])
    try:
        estate = Estate(console)
        rng = random.Random(seed)
        templates = [closed_incident(estate, rng, n) for n in range(1, min(closed, 500) + 1)]
        rows, events = history_rows(templates, closed, 1, rng)
        wall = [open_incident(estate, rng, closed + n) for n in range(1, open_ + 1)]
        wall_rows, wall_events = stored_rows(wall, NOW)
        write_rows(console.database, rows + wall_rows, events + wall_events)
    finally:
        console.shutdown()
    return url


def isolated_settings(folder: Path) -> QSettings:
    return QSettings(str(folder / "view.ini"), QSettings.Format.IniFormat)


def open_window(
    qtbot: Any,
    console: Console,
    clock: Clock,
    folder: Path,
    *,
    wall: bool = False,
    size: tuple[int, int] | None = None,
) -> MainWindow:
    """The real window on `console`'s wall at `clock`, shown at `size`, first paint done.

    The SLA timer is stopped: the benchmark drives the tick itself, on its own clock.
    """
    window = MainWindow(
        console,
        wall=wall,
        clock=clock,
        settings=isolated_settings(folder),
        desktop=lambda _title, _text, _severity: None,
    )
    qtbot.addWidget(window)
    window.table.sla_timer.stop()
    window.load(console.wall(clock()), console.source_health())
    window.resize(*(size or (WALL_SIZE if wall else OPERATOR_SIZE)))
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot, window)
    return window


def settle(qtbot: Any, window: MainWindow) -> None:
    """Background loads done and delivered, pending paints done."""
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    QApplication.processEvents()
