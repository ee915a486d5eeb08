"""Every SQLite connection: WAL, synchronous=FULL, foreign keys, a busy timeout; writes BEGIN IMMEDIATE."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import IntegrityError

import app.store.database as database_module
from app.store import Database
from app.store.tables import EventRow, SourceHealthRow


def pragma(database: Database, name: str) -> object:
    with database.read() as session:
        return session.execute(text(f"PRAGMA {name}")).scalar_one()


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_connections_use_wal_full_sync_foreign_keys_and_the_busy_timeout(db: Database) -> None:
    assert pragma(db, "journal_mode") == "wal"
    assert pragma(db, "synchronous") == 2  # FULL: a commit survives power loss
    assert pragma(db, "foreign_keys") == 1
    assert pragma(db, "busy_timeout") == database_module.BUSY_TIMEOUT_MS


def test_every_pooled_connection_is_configured_not_just_the_first(db: Database) -> None:
    with ExitStack() as stack:
        connections = [stack.enter_context(db.engine.connect()) for _ in range(3)]
        raw = {id(c.connection.driver_connection) for c in connections}
        assert len(raw) == 3
        for connection in connections:
            values = [
                connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
            assert values == ["wal", 2, 1, database_module.BUSY_TIMEOUT_MS]


def test_the_busy_timeout_can_be_given_per_database(db_url: str) -> None:
    database = Database(db_url, busy_timeout_ms=250)
    try:
        assert pragma(database, "busy_timeout") == 250
    finally:
        database.dispose()


def test_the_module_default_busy_timeout_is_read_when_the_database_opens(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 1234)
    database = Database(db_url)
    try:
        assert pragma(database, "busy_timeout") == 1234
    finally:
        database.dispose()


def test_foreign_keys_are_enforced(db: Database, t0: Any) -> None:
    orphan = {"incident_id": 404, "at": t0, "kind": "note", "actor": "a", "note": "", "data": {}}
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), db.write() as session:
        session.execute(insert(EventRow).values(**orphan))


def test_write_transactions_begin_immediate(db: Database, statements: list[str]) -> None:
    with db.write() as session:
        session.execute(select(SourceHealthRow.name)).all()
    assert statements[0] == "BEGIN IMMEDIATE"
    assert "BEGIN" not in statements[1:]


def test_read_transactions_begin_deferred(db: Database, statements: list[str]) -> None:
    with db.read() as session:
        session.execute(select(SourceHealthRow.name)).all()
    assert statements[0] == "BEGIN"
    assert "BEGIN IMMEDIATE" not in statements


def test_a_write_after_a_read_on_the_same_pooled_connection_still_begins_immediate(
    db: Database, statements: list[str]
) -> None:
    # the write flag is an execution option of one Connection, not of the pooled DBAPI connection
    for _ in range(2):
        with db.read() as session:
            session.execute(select(SourceHealthRow.name)).all()
        with db.write() as session:
            session.execute(select(SourceHealthRow.name)).all()
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]


def test_a_write_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    row = {"kind": "demo", "status": "ok", "alert_count": 0}
    with db.write() as session:
        session.execute(insert(SourceHealthRow).values(name="kept", **row))

    def cancelled_write() -> None:
        with db.write() as session:
            session.execute(insert(SourceHealthRow).values(name="dropped", **row))
            raise RuntimeError("operator cancelled")

    with pytest.raises(RuntimeError, match="operator cancelled"):
        cancelled_write()
    with db.read() as session:
        assert session.execute(select(SourceHealthRow.name)).scalars().all() == ["kept"]
