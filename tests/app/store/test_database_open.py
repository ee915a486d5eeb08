"""Opening a SQLite database: created at the head revision, and refused when it is not ours."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event

import app.store.database as database_module
from app.store import (
    Database,
    DatabaseCorrupt,
    DatabaseTooNew,
    DatabaseUnwritable,
    NotANocDatabase,
    StoreError,
)
from app.store.migrations import alembic_config

TABLES = {
    "ticket_outbox",
    "tickets",
    "action_runs",
    "alembic_version",
    "alerts",
    "incident_customer_totals",
    "incident_day_totals",
    "incident_events",
    "incidents",
    "source_health",
}


def db_path(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///"))


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file in the folder with its bytes: 'unchanged' means no file added, none altered."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine created during the test sends."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_a_new_database_is_created_at_the_head_revision(db_url: str) -> None:
    database = Database(db_url)
    try:
        assert database.check_version() == head_revision()
        assert database.backup_path is None  # nothing to back up in a new file
    finally:
        database.dispose()
    with sqlite3.connect(db_path(db_url)) as raw:
        tables = {
            name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        stored = raw.execute("SELECT version_num FROM alembic_version").fetchall()
        index_sql = raw.execute(
            "SELECT sql FROM sqlite_master WHERE type='index' AND name='uq_alerts_firing'"
        ).fetchone()
    raw.close()
    assert tables == TABLES
    assert stored == [(head_revision(),)]
    assert "UNIQUE" in index_sql[0]
    assert "WHERE status = 'firing'" in index_sql[0]
    assert not list(db_path(db_url).parent.glob("*.bak"))


def test_reopening_an_up_to_date_database_neither_migrates_nor_backs_up(
    db_url: str, monkeypatch: pytest.MonkeyPatch, statements: list[str]
) -> None:
    Database(db_url).dispose()
    upgrades: list[object] = []
    monkeypatch.setattr(database_module, "upgrade", lambda *args: upgrades.append(args))
    statements.clear()

    again = Database(db_url)
    assert again.check_version() == head_revision()
    again.dispose()

    assert upgrades == []
    assert again.backup_path is None
    assert not list(db_path(db_url).parent.glob("*.bak"))
    # opening takes no write lock: a second console starting beside a busy one does not queue
    assert "BEGIN IMMEDIATE" not in statements
    assert not [s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER"))]


@pytest.mark.parametrize("migrate", [True, False], ids=["migrate", "check-only"])
def test_a_database_from_a_newer_console_is_refused_and_left_byte_for_byte(
    db_url: str, migrate: bool
) -> None:
    Database(db_url).dispose()
    with sqlite3.connect(db_path(db_url)) as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'f00d0099'")
    raw.close()
    before = folder_state(db_path(db_url).parent)

    with pytest.raises(DatabaseTooNew, match="newer NOC Console") as raised:
        Database(db_url, migrate=migrate)

    assert "f00d0099" in str(raised.value)
    assert "Nothing was changed" in str(raised.value)
    assert folder_state(db_path(db_url).parent) == before


def test_a_file_of_random_bytes_is_refused_as_corrupt_and_left_byte_for_byte(db_url: str) -> None:
    path = db_path(db_url)
    path.write_bytes(random.Random(16).randbytes(64 * 1024))
    before = folder_state(path.parent)

    with pytest.raises(DatabaseCorrupt, match="not a SQLite database or is damaged") as raised:
        Database(db_url)

    assert "restore a backup" in str(raised.value)
    assert folder_state(path.parent) == before


def test_a_database_of_another_program_is_refused_and_left_byte_for_byte(db_url: str) -> None:
    path = db_path(db_url)
    with sqlite3.connect(path) as raw:  # rollback journal, as most programs leave it
        raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        raw.execute("INSERT INTO invoices (total) VALUES (99.5)")
    raw.close()
    before = folder_state(path.parent)

    with pytest.raises(NotANocDatabase, match="another program") as raised:
        Database(db_url)

    assert "invoices" in str(raised.value)
    # byte-for-byte also means not switched to WAL (the journal mode lives in the header)
    assert folder_state(path.parent) == before
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    raw.close()


@pytest.mark.parametrize("under", ["regular-file", "dev-null"])
def test_a_folder_that_cannot_be_created_is_refused_as_unwritable(
    tmp_path: Path, under: str
) -> None:
    # Tests run as root here and root ignores chmod 0o500, so a read-only folder would be
    # writable after all. Nobody, root included, can create a folder beneath a regular file
    # or a device node: the kernel answers ENOTDIR. That is the same refusal path.
    if under == "regular-file":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
    else:
        blocker = Path("/dev/null")
    target = blocker / "noc" / "noc.db"

    with pytest.raises(DatabaseUnwritable, match="cannot create the database folder") as raised:
        Database(f"sqlite:///{target}")

    assert str(target.parent) in str(raised.value)


def test_an_unwritable_folder_is_refused_before_sqlite_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # root passes every permission check, so the answer of os.access is what is faked here
    folder = tmp_path / "readonly"
    folder.mkdir()
    monkeypatch.setattr("app.store.database.os.access", lambda path, mode: Path(path) != folder)

    with pytest.raises(DatabaseUnwritable, match="cannot write the database folder"):
        Database(f"sqlite:///{folder / 'noc.db'}")

    assert list(folder.iterdir()) == []


def test_a_string_that_is_not_a_database_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        Database("noc.db on the share")
