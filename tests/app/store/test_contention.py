"""Scenario 17: readers, a writer thread and a second writing process share one SQLite file.

Writers queue on BEGIN IMMEDIATE and wait up to the busy timeout; past it the writer gets
DatabaseBusy (retryable, says nothing was lost) and no committed write is lost. The holder
of the lock is controlled line by line, so nothing here sleeps to wait for something.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import insert, select

from app.store import Database, DatabaseBusy, StoreError
from app.store.tables import SourceHealthRow
from tests.app.store.processes import Child

# A second console: holds a write transaction with one uncommitted row until told to commit.
HOLDER = """
import sys
from sqlalchemy import insert
from app.store import Database
from app.store.tables import SourceHealthRow

database = Database(sys.argv[1])
with database.write() as session:
    session.execute(insert(SourceHealthRow).values(name="holder", kind="demo", status="ok", alert_count=0))
    print("holding", flush=True)
    sys.stdin.readline()
print("committed", flush=True)
database.dispose()
"""

# A second console that writes once, waiting on the lock for as long as it takes (60 s).
WAITER = """
import sys, time
from sqlalchemy import insert
from app.store import Database
from app.store.tables import SourceHealthRow

database = Database(sys.argv[1], busy_timeout_ms=60_000)
print("writing", flush=True)
started = time.monotonic()
with database.write() as session:
    session.execute(insert(SourceHealthRow).values(name="waiter", kind="demo", status="ok", alert_count=0))
print(f"committed after {time.monotonic() - started:.3f}", flush=True)
database.dispose()
"""

HELD_FOR = 0.5  # how long the test keeps a lock while checking the other writer has not passed


def put(database: Database, name: str) -> None:
    with database.write() as session:
        session.execute(
            insert(SourceHealthRow).values(name=name, kind="demo", status="ok", alert_count=0)
        )


def names(database: Database) -> list[str]:
    with database.read() as session:
        return sorted(session.execute(select(SourceHealthRow.name)).scalars())


@pytest.fixture
def quick(db_url: str, db: Database) -> Iterator[Database]:
    """A second handle on the same (already migrated) file with a 300 ms busy timeout."""
    database = Database(db_url, busy_timeout_ms=300)
    yield database
    database.dispose()


def test_a_second_process_waits_for_the_lock_then_commits(
    db: Database, db_url: str, children: list[Child]
) -> None:
    put(db, "before")
    waiter = Child(WAITER, db_url)
    children.append(waiter)
    with db.write() as session:
        session.execute(
            insert(SourceHealthRow).values(name="worker", kind="demo", status="ok", alert_count=0)
        )
        waiter.expect("writing")
        # while this transaction is open the other process cannot have committed
        assert waiter.silent_for(HELD_FOR)
    waited = float(waiter.expect("committed after ").rsplit(" ", 1)[1])
    assert waiter.wait() == 0
    assert waited >= HELD_FOR * 0.9  # it queued on the lock; it did not fail and retry
    assert names(db) == ["before", "waiter", "worker"]


def test_a_writer_thread_waits_for_another_thread_s_transaction(db: Database) -> None:
    started, finished = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def worker() -> None:
        started.set()
        try:
            put(db, "thread")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            finished.set()

    thread = threading.Thread(target=worker, name="store-worker")
    with db.write() as session:
        session.execute(
            insert(SourceHealthRow).values(name="gui", kind="demo", status="ok", alert_count=0)
        )
        thread.start()
        assert started.wait(timeout=30)
        assert not finished.wait(timeout=HELD_FOR)  # queued behind our BEGIN IMMEDIATE
    assert finished.wait(timeout=30)
    thread.join(timeout=30)
    assert failures == []
    assert names(db) == ["gui", "thread"]


def test_readers_are_not_blocked_by_an_open_write(db: Database, quick: Database) -> None:
    put(db, "committed")
    with db.write() as session:
        session.execute(
            insert(SourceHealthRow).values(name="pending", kind="demo", status="ok", alert_count=0)
        )
        seen = names(quick)  # a GUI read during a worker's write: a wait would raise DatabaseBusy
    assert seen == ["committed"]
    assert names(quick) == ["committed", "pending"]


def test_past_the_busy_timeout_a_writer_gets_a_retryable_error_and_nothing_is_lost(
    db: Database, quick: Database, db_url: str, children: list[Child]
) -> None:
    put(db, "earlier")
    holder = Child(HOLDER, db_url)
    children.append(holder)
    holder.expect("holding")

    started = time.monotonic()
    with pytest.raises(DatabaseBusy) as raised:
        put(quick, "mine")
    waited = time.monotonic() - started

    assert isinstance(raised.value, StoreError)
    assert "nothing was lost" in str(raised.value)
    assert "try again" in str(raised.value)
    assert "0.3 s" in str(raised.value)
    assert 0.25 <= waited < 5  # it waited the busy timeout, not the 5 s default
    holder.send("commit")
    holder.expect("committed")
    assert holder.wait() == 0

    put(quick, "mine")  # the retry the message asks for
    assert names(db) == ["earlier", "holder", "mine"]
