"""Upgrading an existing database: a consistent backup first, then the migration, nothing lost.

How an "older" database is made: the shipped head revision has no
predecessor, so no database can be stamped to an older *known* revision, and stamping an
unknown one is exactly what "written by a newer console" means (DatabaseTooNew). So these
tests do what the next release will do: they add a real revision (9001) in a temporary copy of
the migrations folder and point `app.store.migrations` at it. A database written by the shipped
code is then one revision behind, and `Database()` runs the genuine backup-and-upgrade path.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command as alembic_command

import app.store.migrations as migrations
from app.domain.health import SourceHealth, SourceStatus
from app.domain.severity import Severity
from app.store import Database, StoreError
from app.store.alerts import AlertRepository, alert_row
from app.store.health import SourceHealthRepository
from app.store.incidents import IncidentRepository
from tests.app.store.factories import alert, new_incident

# a rebuild of `incidents` in Alembic batch mode: copy, DROP TABLE incidents, rename,
# which is how SQLite changes a column type or drops a column
REBUILD_INCIDENTS = """
    with op.batch_alter_table("incidents", recreate="always") as batch:
        batch.add_column(sa.Column("impact", sa.Text(), nullable=True))
"""
# a migration that leaves a timeline event pointing at no incident
ORPHAN_EVENT = """
    op.execute(
        "INSERT INTO incident_events (incident_id, at, kind, actor, note, data) "
        "VALUES (9999, 0, 'note', 'migration', '', '{}')"
    )
"""

InstallRevision = Callable[[str], str]
HEAD = migrations.head_of(migrations.revision_graph())


@pytest.fixture
def install_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InstallRevision:
    """Install a revision 9001 (upgrade body given) on top of a copy of the shipped migrations."""

    def install(body: str) -> str:
        copy = tmp_path / "migrations"
        shutil.copytree(migrations._HERE, copy, ignore=shutil.ignore_patterns("__pycache__"))
        (copy / "versions" / "9001_next.py").write_text(
            '"""A revision of the next release (test only)."""\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f'revision = "9001"\ndown_revision = "{HEAD}"\nbranch_labels = None\n'
            "depends_on = None\n\n\ndef upgrade():\n" + body + "\n\ndef downgrade():\n    pass\n",
            encoding="utf-8",
        )
        monkeypatch.setattr(migrations, "_HERE", copy)
        return "9001"

    return install


def db_path(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///"))


def fill(db_url: str, t0: datetime) -> None:
    """A database at the shipped head with an incident, its timeline and an alert."""
    database = Database(db_url)
    try:
        with database.write() as session:
            incidents = IncidentRepository(session)
            stored = incidents.add(new_incident(t0), t0)
            stored = incidents.save(
                stored, stored.acknowledge("alice", t0 + timedelta(minutes=1)), t0
            )
            row = alert_row(alert(t0), stored.id, Severity.P2, t0)
            AlertRepository(session).upsert_firing([row])
    finally:
        database.dispose()


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as raw:
        found = {
            table: raw.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("incidents", "incident_events", "alerts", "source_health")
        }
    raw.close()
    return found


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        result: str = raw.execute("PRAGMA integrity_check").fetchone()[0]
    raw.close()
    return result


def revision(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        (value,) = raw.execute("SELECT version_num FROM alembic_version").fetchone()
    raw.close()
    return str(value)


def test_an_older_database_is_backed_up_with_the_backup_api_then_upgraded(
    db_url: str, t0: datetime, install_revision: InstallRevision
) -> None:
    fill(db_url, t0)
    path = db_path(db_url)
    # A commit that lives only in the WAL: this connection stays open with checkpoints off,
    # so the main file does not hold the row yet. A byte copy of the file would miss it.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    holder.execute(
        "INSERT INTO source_health (name, kind, status, alert_count) VALUES ('am', 'demo', 'ok', 3)"
    )
    byte_copy = path.with_name("byte-copy.db")
    shutil.copyfile(path, byte_copy)
    assert rows(byte_copy)["source_health"] == []  # the test really tells the two apart
    expected = rows(path)
    assert expected["source_health"][0][:9] == ("am", "demo", "ok", None, None, None, None, 3, None)

    head = install_revision(REBUILD_INCIDENTS)
    upgraded = Database(db_url)
    holder.close()
    try:
        assert upgraded.check_version() == head
        backup = upgraded.backup_path
    finally:
        upgraded.dispose()

    assert backup is not None
    assert backup.parent == path.parent
    assert backup.name.startswith(f"{path.name}.pre-{head}-")
    assert backup.name.endswith(".bak")
    assert integrity(backup) == "ok"
    assert revision(backup) == HEAD
    assert rows(backup) == expected
    assert not backup.with_name(backup.name + "-wal").exists()  # self-contained, no WAL beside it


def test_rebuilding_the_incidents_table_keeps_timelines_and_alert_links(
    db_url: str, t0: datetime, install_revision: InstallRevision
) -> None:
    # DROP TABLE incidents with foreign keys on would cascade-delete every timeline event and
    # null every alert's incident_id: the upgrade must run with foreign keys off
    fill(db_url, t0)
    before = rows(db_path(db_url))
    assert len(before["incident_events"]) == 2
    install_revision(REBUILD_INCIDENTS)

    Database(db_url).dispose()

    after = rows(db_path(db_url))
    assert after["incident_events"] == before["incident_events"]
    assert after["alerts"] == before["alerts"]
    assert [row[:-1] for row in after["incidents"]] == before["incidents"]  # plus `impact`
    assert integrity(db_path(db_url)) == "ok"


def test_foreign_keys_are_enforced_again_after_an_upgrade(
    db_url: str, t0: datetime, install_revision: InstallRevision
) -> None:
    fill(db_url, t0)
    install_revision(REBUILD_INCIDENTS)
    database = Database(db_url)
    try:
        with database.engine.connect() as connection:  # the very connection that migrated
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        database.dispose()


def test_a_migration_that_breaks_references_is_rolled_back(
    db_url: str, t0: datetime, install_revision: InstallRevision
) -> None:
    fill(db_url, t0)
    before = rows(db_path(db_url))
    install_revision(ORPHAN_EVENT)

    with pytest.raises(StoreError, match="broken references"):
        Database(db_url)

    assert revision(db_path(db_url)) == HEAD
    assert rows(db_path(db_url)) == before


def test_reopening_after_an_upgrade_takes_no_second_backup(
    db_url: str, t0: datetime, install_revision: InstallRevision
) -> None:
    fill(db_url, t0)
    install_revision(REBUILD_INCIDENTS)
    Database(db_url).dispose()
    again = Database(db_url)
    again.dispose()
    assert again.backup_path is None
    assert len(list(db_path(db_url).parent.glob("*.bak"))) == 1


def test_a_backup_holds_committed_rows_and_never_a_writer_s_open_transaction(
    db: Database, db_url: str
) -> None:
    path = db_path(db_url)
    with db.write() as session:
        SourceHealthRepository(session).put(
            [SourceHealth(name="committed", kind="demo", status=SourceStatus.OK)]
        )
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO source_health (name, kind, status, alert_count) "
        "VALUES ('uncommitted', 'demo', 'ok', 0)"
    )
    try:
        backup = db.backup(reason="manual")
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert integrity(backup) == "ok"
    assert [row[0] for row in rows(backup)["source_health"]] == ["committed"]


def test_two_databases_migrating_on_two_threads_take_turns_in_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Alembic keeps the running migration in module-level proxies (alembic.context, alembic.op),
    # so two migrations overlapping in one process would run in each other's context.
    real_upgrade = alembic_command.upgrade
    guard, overlapped = threading.Lock(), threading.Event()
    inside, peak = 0, 0

    def counting_upgrade(config: Any, target: str) -> None:
        nonlocal inside, peak
        with guard:
            inside += 1
            peak = max(peak, inside)
            if inside > 1:
                overlapped.set()
        # a bounded window in which an unserialised second migration would join this one
        overlapped.wait(timeout=0.3)
        try:
            real_upgrade(config, target)
        finally:
            with guard:
                inside -= 1

    monkeypatch.setattr(alembic_command, "upgrade", counting_upgrade)
    opened: list[Database | BaseException] = []

    def open_one(name: str) -> None:
        try:
            opened.append(Database(f"sqlite:///{tmp_path / name}"))
        except Exception as error:  # noqa: BLE001 - examined below
            opened.append(error)

    threads = [threading.Thread(target=open_one, args=(f"{n}.db",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in opened:
        if isinstance(result, Database):
            result.dispose()
    assert [type(result) for result in opened] == [Database, Database], opened
    assert peak == 1


def test_the_revision_graph_read_without_alembic_is_alembic_s(
    install_revision: InstallRevision,
) -> None:
    """Startup reads revisions from the files; it must agree with Alembic, also after a release."""
    from alembic.script import ScriptDirectory

    def alembic_view() -> tuple[str | None, frozenset[str]]:
        script = ScriptDirectory.from_config(migrations.alembic_config())
        return script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())

    graph = migrations.revision_graph()
    shipped = frozenset(graph)
    assert (migrations.head_of(graph), shipped) == alembic_view()
    assert HEAD in shipped
    install_revision("    pass")
    graph = migrations.revision_graph()
    assert (
        (migrations.head_of(graph), frozenset(graph))
        == alembic_view()
        == ("9001", shipped | {"9001"})
    )
