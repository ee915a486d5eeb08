"""Scenario 16: kill -9 in the middle of a burst of writes loses nothing that was acknowledged.

A child process writes incidents one transaction each (an incident row and its timeline
event) and prints each id only after its commit returned: a printed id is an acknowledged
write. The parent kills it with SIGKILL mid-burst, then reopens the database.

SIGKILL tests a process crash; the page cache survives it, so this does not prove the
power-loss promise of synchronous=FULL (that needs a VM or a fault-injecting filesystem).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.store import Database
from app.store.incidents import IncidentRepository
from app.store.tables import EventRow, IncidentRow
from tests.app.store.processes import Child

BURST = """
import sys
from datetime import UTC, datetime, timedelta

from app.domain.incident import Incident
from app.domain.severity import Severity
from app.store import Database
from app.store.incidents import IncidentRepository

database = Database(sys.argv[1])
t0 = datetime(2026, 11, 29, 10, tzinfo=UTC)
print("ready", flush=True)
for n in range(1_000_000):
    now = t0 + timedelta(seconds=n)
    incident = Incident.detect(
        title=f"burst {n}", customer="acme", services=("db",), severity=Severity.P3,
        started_at=now, detected_at=now, group_key=f"acme/burst/{n}", policy=None,
    )
    with database.write() as session:
        stored = IncidentRepository(session).add(incident, now)
    print(stored.id, flush=True)  # after the commit: an acknowledged write
"""


@pytest.mark.parametrize("acknowledged_before_kill", [1, 40, 250])
def test_kill_9_mid_burst_keeps_the_file_sound_and_every_acknowledged_write(
    db_url: str, children: list[Child], acknowledged_before_kill: int
) -> None:
    child = Child(BURST, db_url)
    children.append(child)
    child.expect("ready")
    for _ in range(acknowledged_before_kill):
        child.expect("")
    child.kill()
    acknowledged = [int(line) for line in child.drain() if line.isdigit()]
    assert len(acknowledged) >= acknowledged_before_kill

    path = Path(db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    raw.close()

    database = Database(db_url)  # reopens after a crash without complaint
    try:
        with database.read() as session:
            stored = set(session.execute(select(IncidentRow.id)).scalars())
            per_incident = select(EventRow.incident_id, func.count()).group_by(EventRow.incident_id)
            events: dict[int, int] = dict(session.execute(per_incident).all())
            found = IncidentRepository(session).by_ids(acknowledged)
    finally:
        database.dispose()
    assert set(acknowledged) <= stored
    # the write in flight is either whole or absent: never an incident without its event
    assert events == dict.fromkeys(stored, 1)
    assert [incident.title for incident in found] == [f"burst {i - 1}" for i in acknowledged]
