"""The store on a real PostgreSQL server: migrations, round trips, the upsert, the version check.

Each test gets a fresh database in the session's throwaway cluster (tests/helpers/postgres.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, inspect, select, text

import app.store.database as database_module
from app.domain.incident import EventKind, Incident
from app.domain.severity import Severity
from app.store import Database, IncidentConflict
from app.store.alerts import AlertRepository, alert_row
from app.store.incidents import IncidentRepository
from app.store.migrations import alembic_config
from app.store.migrations import migration_state as real_state
from app.store.tables import AlertRow
from tests.app.store.factories import alert, new_incident, worked_incident
from tests.helpers.postgres import PostgresCluster

pytestmark = pytest.mark.integration


@pytest.fixture
def pg(pg_db_url: str) -> Iterator[Database]:
    database = Database(pg_db_url)
    yield database
    database.dispose()


@pytest.fixture
def statements() -> Iterator[list[tuple[str, str]]]:
    """(thread name, statement) of everything any engine sends during the test."""
    seen: list[tuple[str, str]] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((threading.current_thread().name, statement))

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def poll_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        threading.Event().wait(0.01)  # a poll interval, not a wait for the outcome


def test_migrations_create_the_schema_with_the_partial_index(pg: Database) -> None:
    assert pg.check_version() == head_revision()
    assert pg.backup_path is None
    with pg.read() as session:
        tables = set(inspect(session.connection()).get_table_names())
        index = session.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_alerts_firing'")
        ).scalar_one()
        columns = session.execute(
            text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'incidents' AND column_name = 'detected_at'"
            )
        ).scalar_one()
    assert tables == {
        "action_runs",
        "alembic_version",
        "alerts",
        "incident_customer_totals",
        "incident_day_totals",
        "incident_events",
        "incidents",
        "source_health",
        "ticket_outbox",
        "tickets",
    }
    assert index.startswith("CREATE UNIQUE INDEX uq_alerts_firing ON public.alerts")
    assert "WHERE ((status)::text = 'firing'::text)" in index
    assert columns == "bigint"  # epoch milliseconds, as on SQLite


def test_reopening_does_not_migrate_again(
    pg_db_url: str, monkeypatch: pytest.MonkeyPatch, statements: list[tuple[str, str]]
) -> None:
    Database(pg_db_url).dispose()
    upgrades: list[object] = []
    monkeypatch.setattr(database_module, "upgrade", lambda *args: upgrades.append(args))
    statements.clear()
    Database(pg_db_url).dispose()
    assert upgrades == []
    assert not [s for _, s in statements if "advisory" in s or s.startswith("CREATE")]


def test_an_incident_round_trips_with_every_field(pg: Database, t0: datetime) -> None:
    with pg.write() as session:
        earlier = IncidentRepository(session).add(new_incident(t0 - timedelta(days=3)), t0)
        worked = worked_incident(t0, recurrence_of=earlier.id)
        stored = IncidentRepository(session).add(worked, t0 + timedelta(hours=2))
    assert stored.id is not None
    with pg.read() as session:
        loaded = IncidentRepository(session).get(stored.id)
    assert loaded == stored == replace(worked, id=stored.id, version=1)
    assert [event.kind for event in loaded.timeline] == [
        EventKind.DETECTED,
        EventKind.ACKNOWLEDGED,
        EventKind.TICKETED,
        EventKind.ESCALATED,
        EventKind.RESOLVED,
    ]


def test_save_appends_only_new_events(pg: Database, t0: datetime) -> None:
    with pg.write() as session:
        stored = IncidentRepository(session).add(new_incident(t0), t0)
    after = stored.acknowledge("alice", t0).add_note("alice", t0, "looking")
    with pg.write() as session:
        saved = IncidentRepository(session).save(stored, after, t0)
    assert stored.id is not None
    with pg.read() as session:
        loaded = IncidentRepository(session).get(stored.id)
        events = session.execute(text("SELECT count(*) FROM incident_events")).scalar_one()
        wall = IncidentRepository(session).wall_versions(t0, timedelta(hours=2))
    assert loaded == saved == replace(after, version=2)
    assert events == 3
    assert wall == {stored.id: 2}


def test_the_partial_index_upsert(pg: Database, t0: datetime) -> None:
    with pg.write() as session:
        incident = IncidentRepository(session).add(new_incident(t0), t0)
    first_start = t0 - timedelta(minutes=5)
    later = t0 + timedelta(minutes=1)
    with pg.write() as session:
        AlertRepository(session).upsert_firing(
            [alert_row(alert(t0, starts_at=first_start), incident.id, Severity.P2, t0)]
        )
    with pg.write() as session:
        AlertRepository(session).upsert_firing(
            [
                alert_row(
                    alert(later, starts_at=t0, summary="still down"),
                    incident.id,
                    Severity.P2,
                    later,
                )
            ]
        )
    with pg.read() as session:
        [row] = session.execute(select(AlertRow.__table__)).all()
    assert (row.starts_at, row.last_seen, row.first_seen) == (first_start, later, t0)
    assert row.annotations == {"summary": "still down"}

    with pg.write() as session:
        assert AlertRepository(session).resolve([row.id], later) == 1
    again = t0 + timedelta(minutes=30)
    with pg.write() as session:
        AlertRepository(session).upsert_firing(
            [alert_row(alert(again, starts_at=again), incident.id, Severity.P2, again)]
        )
    with pg.read() as session:
        rows = session.execute(select(AlertRow.__table__).order_by(AlertRow.id)).all()
        counts = AlertRepository(session).firing_counts([incident.id or 0])
    assert [(r.id == row.id, r.status, r.starts_at) for r in rows] == [
        (True, "resolved", first_start),
        (False, "firing", again),
    ]
    assert counts == {incident.id: 1}


def test_a_stale_save_is_a_conflict_naming_who_changed_it(pg: Database, t0: datetime) -> None:
    with pg.write() as session:
        stale = IncidentRepository(session).add(new_incident(t0), t0)
    with pg.write() as session:
        saved = IncidentRepository(session).save(stale, stale.acknowledge("alice", t0), t0)
    with pytest.raises(IncidentConflict, match="alice acknowledged it") as raised, pg.write() as s:
        IncidentRepository(s).save(stale, stale.add_note("bob", t0, "mine"), t0)
    assert raised.value.current == saved
    assert stale.id is not None
    with pg.read() as session:
        stored = IncidentRepository(session).get(stale.id)
    assert [e.actor for e in stored.timeline] == ["system", "alice"]


def test_a_concurrent_save_waits_for_the_row_lock_then_conflicts(
    pg: Database, postgres_cluster: PostgresCluster, pg_db_url: str, t0: datetime
) -> None:
    with pg.write() as session:
        before = IncidentRepository(session).add(new_incident(t0), t0)
    outcome: list[BaseException | Incident] = []

    def bob() -> None:
        try:
            with pg.write() as session:
                after = before.assign("bob", "bob", t0 + timedelta(minutes=2))
                outcome.append(IncidentRepository(session).save(before, after, t0))
        except Exception as error:  # noqa: BLE001 - examined by the test
            outcome.append(error)

    database = pg_db_url.rsplit("/", 1)[1]
    admin = f"host=127.0.0.1 port={postgres_cluster.port} user=postgres dbname=postgres"
    waiting_update = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
        "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE incidents%%'"
    )
    thread = threading.Thread(target=bob, name="bob")
    with psycopg.connect(admin, autocommit=True) as monitor, pg.write() as session:
        alice = IncidentRepository(session).save(before, before.acknowledge("alice", t0), t0)
        thread.start()

        def bob_is_blocked() -> bool:
            row = monitor.execute(waiting_update, (database,)).fetchone()
            return row is not None and row[0] == 1

        poll_until(bob_is_blocked)  # bob's UPDATE waits on alice's row lock
    thread.join(timeout=30)

    [error] = outcome
    assert isinstance(error, IncidentConflict)
    assert error.current == alice
    assert "alice acknowledged it" in str(error)


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_two_consoles_opening_a_new_database_at_once_migrate_it_exactly_once(
    pg_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    statements: list[tuple[str, str]],
    attempt: int,
) -> None:
    # Both consoles must have seen "not migrated yet" before either migrates: the first
    # state check of each thread waits at a barrier. Then only the advisory lock (and the
    # check repeated under it) stands between them and a second CREATE TABLE.
    del attempt
    both_checked = threading.Barrier(2, timeout=30)
    first_check_done: set[str] = set()

    def state_then_meet(connection: Any) -> Any:
        result = real_state(connection)
        name = threading.current_thread().name
        if name.startswith("console-") and name not in first_check_done:
            first_check_done.add(name)
            both_checked.wait()
        return result

    monkeypatch.setattr("app.store.database.migration_state", state_then_meet)
    opened: dict[str, Database | BaseException] = {}

    def open_console() -> None:
        name = threading.current_thread().name
        try:
            opened[name] = Database(pg_db_url)
        except Exception as error:  # noqa: BLE001 - examined by the test
            opened[name] = error

    threads = [threading.Thread(target=open_console, name=f"console-{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert all(isinstance(result, Database) for result in opened.values()), opened
        assert len(opened) == 2
        creates = [s for _, s in statements if s.lstrip().startswith("CREATE TABLE incidents")]
        assert len(creates) == 1
        locks = {thread for thread, s in statements if "pg_advisory_xact_lock" in s}
        assert locks == {"console-1", "console-2"}
        for result in opened.values():
            assert isinstance(result, Database)
            assert result.check_version() == head_revision()
    finally:
        for result in opened.values():
            if isinstance(result, Database):
                result.dispose()
