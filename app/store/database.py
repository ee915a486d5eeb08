"""Opening the database safely: pragmas, write transactions, migrations with a backup first.

SQLite is the default (one file in the user's data folder, WAL, foreign keys on,
`synchronous=FULL`, a busy timeout, and `BEGIN IMMEDIATE` for every write so that two
writers queue instead of deadlocking on a lock upgrade). Any SQLAlchemy URL works;
PostgreSQL is the shared-team choice.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from app.store.errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseOnNetworkShare,
    DatabaseTooNew,
    DatabaseUnwritable,
    NotANocDatabase,
    StoreError,
)
from app.store.migrations import migration_state, upgrade

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "fuse.sshfs", "9p"}
    # a share opened in the GNOME file manager (smb://, sftp://) is reached through gvfs's FUSE
    # mount under /run/user/<uid>/gvfs; cluster and WebDAV filesystems lock no better
    | {"fuse.gvfsd-fuse", "ceph", "glusterfs", "fuse.glusterfs", "lustre", "davfs", "fuse.davfs2"}
)
_WRITE = "noc_write"


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


# orjson: labels and annotations are (de)serialised per alert; the stdlib took ~20 µs each,
# a fifth of a 10k-alert storm's poll (benchmarks/test_poll_bench.py)
_JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


class Database:
    """One database, opened and migrated; hands out read and write sessions.

    Attributes:
        url: the SQLAlchemy URL (passwords are never logged: use `display_url`).
        engine: the SQLAlchemy engine, shared by threads (sessions are not).
        backup_path: the backup taken before the last migration, if any.
        busy_timeout_ms: how long a SQLite writer waits for another's lock before DatabaseBusy.
    """

    def __init__(
        self, url: str, *, migrate: bool = True, busy_timeout_ms: int | None = None
    ) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError(f"not a database URL: {url!r}") from None
        self.url = url
        self.display_url = parsed.render_as_string(hide_password=True)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.sqlite_path: Path | None = None
        self.backup_path: Path | None = None
        self.busy_timeout_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        # WAL is a persistent property of the file: set only once the file proved to be ours
        self._ours = False
        if self.is_sqlite and parsed.database not in (None, "", ":memory:"):
            self.sqlite_path = Path(parsed.database or "").expanduser()
            _check_sqlite_location(self.sqlite_path)
        self.engine = self._create_engine(url)
        try:
            if migrate:
                self.migrate()
            else:
                self.check_version()
        except BaseException:
            self.engine.dispose()
            raise

    # ------------------------------------------------------------------ sessions

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (deferred transaction: readers never block the writer)."""
        with self._translate_errors(), Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE on SQLite): committed on success, else rolled back."""
        with self._translate_errors(), Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={_WRITE: True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ schema

    def check_version(self) -> str | None:
        """The stored revision; refuses databases from a newer console or another program."""
        with self._translate_errors(), self.engine.connect() as connection:
            current = self._checked_state(connection)[0]
            connection.rollback()
            self._claim(connection)
            return current

    def migrate(self) -> None:
        """Apply pending migrations, after a backup (SQLite backup API) of an existing database."""
        with self._translate_errors(), self.engine.connect() as connection:
            # a plain read first: opening an up-to-date database takes no write lock
            current, head = self._checked_state(connection)
            connection.rollback()
            self._claim(connection)
            if current == head:
                return
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Alembic's batch mode rebuilds a table (copy, DROP, rename); with foreign keys
                # on, dropping `incidents` would cascade-delete every timeline event. The pragma
                # is ignored inside a transaction, so it is switched before BEGIN.
                _driver_pragma(connection, "PRAGMA foreign_keys = OFF")
            try:
                with connection.execution_options(**{_WRITE: True}).begin():
                    if connection.dialect.name == "postgresql":
                        # two workstations upgrading a shared database at once take turns
                        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(724201)")
                    # look again under the lock: another process may have migrated meanwhile
                    current, head = self._checked_state(connection)
                    if current == head:
                        return
                    if current is not None and self.sqlite_path is not None:
                        # taken under the write lock, so it is exactly what the upgrade starts from
                        self.backup_path = self.backup(reason=f"pre-{head}")
                    upgrade(connection)
                    if sqlite:
                        _check_foreign_keys(connection, self.display_url)
            finally:
                if sqlite:
                    _driver_pragma(connection, "PRAGMA foreign_keys = ON")
            log.info("database %s migrated from %s to %s", self.display_url, current, head)

    def backup(self, reason: str = "backup") -> Path:
        """Copy the SQLite database page by page with the backup API (consistent under writers)."""
        if self.sqlite_path is None:
            raise StoreError("only a SQLite file database can be backed up here")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.sqlite_path.with_name(f"{self.sqlite_path.name}.{reason}-{stamp}.bak")
        source = sqlite3.connect(str(self.sqlite_path))
        try:
            destination = sqlite3.connect(str(target))
            try:
                source.backup(destination)
            finally:
                destination.close()
        except sqlite3.Error as error:
            raise DatabaseUnwritable(
                f"could not back up {self.sqlite_path} to {target}: {error}"
            ) from None
        finally:
            source.close()
        log.info("backed up %s to %s", self.sqlite_path, target)
        return target

    def _checked_state(self, connection: Connection) -> tuple[str | None, str]:
        current, head, known = migration_state(connection)
        if current is None:
            foreign = [
                t for t in inspect(connection).get_table_names() if not t.startswith("sqlite_")
            ]
            if foreign:
                names = ", ".join(sorted(foreign)[:5])
                raise NotANocDatabase(
                    f"{self.display_url} holds tables of another program ({names}); "
                    "not touching it. Point --db at a new or NOC Console database."
                )
        elif current not in known:
            raise DatabaseTooNew(
                f"{self.display_url} was written by a newer NOC Console (schema {current}; this "
                f"version knows up to {head}). Nothing was changed: upgrade NOC Console to open it."
            )
        return current, head

    def _claim(self, connection: Connection) -> None:
        """Switch a SQLite file to WAL once it proved to be ours (never someone else's file)."""
        if self.sqlite_path is not None and not self._ours:
            _driver_pragma(connection, "PRAGMA journal_mode = WAL")
        self._ours = True

    # ------------------------------------------------------------------ engine

    def _create_engine(self, url: str) -> Engine:
        if not self.is_sqlite:
            return create_engine(url, pool_pre_ping=True, **_JSON_CODEC)
        engine = create_engine(
            url,
            **_JSON_CODEC,
            connect_args={"timeout": self.busy_timeout_ms / 1000, "check_same_thread": False},
            # one shared connection for an in-memory database, or each thread sees its own
            poolclass=StaticPool if self.sqlite_path is None else None,
        )

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # let SQLAlchemy's "begin" hook below issue BEGIN itself (pysqlite's own is deferred)
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
                cursor.execute("PRAGMA foreign_keys = ON")
                if self.sqlite_path is not None and self._ours:
                    cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = FULL")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            immediate = connection.get_execution_options().get(_WRITE, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        """Turn driver errors into messages an operator can act on."""
        try:
            yield
        except DBAPIError as error:  # OperationalError included
            translated = _translated(error.orig, self.display_url, self.busy_timeout_ms)
            if translated is None:
                raise
            raise translated from error
        except sqlite3.Error as error:  # raw driver calls: the pragmas run outside a transaction
            translated = _translated(error, self.display_url, self.busy_timeout_ms)
            if translated is None:
                raise
            raise translated from error


def _translated(
    original: BaseException | None, where: str, busy_timeout_ms: int
) -> StoreError | None:
    """The store error for a SQLite failure, by its result code (messages vary by version)."""
    code = getattr(original, "sqlite_errorcode", None)
    if not isinstance(original, sqlite3.Error) or not isinstance(code, int):
        return None
    primary = code & 0xFF  # extended codes carry the primary one in the low byte
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseBusy(
            f"{where} is busy (another writer held it over {busy_timeout_ms / 1000:g} s); "
            "nothing was lost, try again"
        )
    if primary == sqlite3.SQLITE_FULL:
        return DatabaseUnwritable(f"cannot write {where}: the disk is full; nothing was changed")
    if primary in (
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_PERM,
    ):
        return DatabaseUnwritable(f"cannot write {where}: {original}")
    if primary in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return DatabaseCorrupt(_corrupt_message(where, original))
    return None


def _driver_pragma(connection: Connection, pragma: str) -> None:
    """Run a pragma on the raw connection, outside any transaction (SQLAlchemy would BEGIN)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
        cursor.fetchall()
    finally:
        cursor.close()


def _check_foreign_keys(connection: Connection, where: str) -> None:
    """Refuse a migration that left dangling references (it ran with foreign keys off)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = ", ".join(sorted({str(row[0]) for row in broken}))
        raise StoreError(
            f"upgrading {where} would leave {len(broken)} broken references (in {tables}); "
            "nothing was changed"
        )


def _corrupt_message(where: str, original: object) -> str:
    return (
        f"{where} is not a SQLite database or is damaged ({original}); it was left untouched. "
        "Move it aside or restore a backup (*.bak beside it)."
    )


def _check_sqlite_location(path: Path) -> None:
    """Refuse locations that would fail later, or silently corrupt: unwritable or networked."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnwritable(
            f"cannot create the database folder {folder}: {error.strerror}"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseUnwritable(
            f"cannot write the database folder {folder} (SQLite needs it for its journal)"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseUnwritable(f"cannot read and write the database file {path}")
    filesystem = filesystem_type(folder)
    if filesystem in _NETWORK_FILESYSTEMS:
        raise DatabaseOnNetworkShare(
            f"{path} is on a network share ({filesystem}); SQLite's locks are not reliable there "
            "and the database could be corrupted. Use a local folder, or PostgreSQL for a shared "
            "database."
        )


def filesystem_type(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The filesystem type holding `path`, from the longest matching mount point (Linux)."""
    try:
        lines = mounts.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    resolved = str(path.resolve())
    best: tuple[int, str] | None = None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        inside = resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) > best[0]):
            best = (len(mount_point), parts[2])
    return best[1] if best else None
