"""A throwaway PostgreSQL cluster for the real-peer tests, started once per test session.

Debian's `initdb` and `pg_ctl` refuse to run as root; when the suite runs as root the
cluster runs as the `postgres` user (`runuser`) in a temporary folder that user owns.
Authentication is `trust` and the server listens on 127.0.0.1 only, on a free port.
Missing binaries skip the tests, unless `NOC_REQUIRE_PEERS=1` makes that a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from tests.helpers.peers import free_port, peer_unavailable

_DEBIAN_BINARIES = "/usr/lib/postgresql/*/bin"
_SERVER_USER = "postgres"
_START_TIMEOUT_S = 60
# seconds per phase (initdb, start, stop), printed in the session summary
CLUSTER_TIMINGS = pytest.StashKey[dict[str, float]]()


@dataclass
class PostgresCluster:
    """One running cluster.

    Attributes:
        url: SQLAlchemy URL of the `postgres` database (psycopg 3 driver).
        port: the TCP port on 127.0.0.1.
        folder: the temporary folder holding the data directory, socket and log.
        timings: seconds taken by `initdb`, `start` and `stop`, for the session summary.
    """

    url: str
    port: int
    folder: Path
    timings: dict[str, float] = field(default_factory=dict)

    def database_url(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + f"/{name}"


def _unavailable(reason: str) -> NoReturn:
    peer_unavailable("PostgreSQL", reason)


def find_binaries() -> Path | None:
    """The newest Debian PostgreSQL bin folder, or the one on PATH."""

    def version(folder: Path) -> tuple[int, ...]:
        name = folder.parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    candidates = sorted(Path("/").glob(_DEBIAN_BINARIES.lstrip("/")), key=version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).parent / "initdb").is_file():
        return Path(on_path).parent
    return None


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The argv prefix that runs the binaries as a non-root user, and that user's ids."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return [], None, None
    import pwd  # POSIX only, and only needed as root

    runuser = shutil.which("runuser")
    if runuser is None:
        _unavailable("running as root and `runuser` is missing")
    try:
        account = pwd.getpwnam(_SERVER_USER)
    except KeyError:
        _unavailable(f"running as root and there is no `{_SERVER_USER}` user")
    return [runuser, "-u", _SERVER_USER, "--"], account.pw_uid, account.pw_gid


def _run(argv: list[str], what: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}): {result.stdout}{result.stderr}")
    return time.perf_counter() - started


def start_cluster() -> PostgresCluster:
    """initdb + pg_ctl start in a fresh temporary folder; the caller stops it."""
    binaries = find_binaries()
    if binaries is None:
        _unavailable(f"no initdb/pg_ctl in {_DEBIAN_BINARIES} or on PATH")
    prefix, uid, gid = _as_server_user()
    # not under pytest's tmp_path: that is private to root, and the server user must reach it
    folder = Path(tempfile.mkdtemp(prefix="noc-pg-"))
    if uid is not None and gid is not None:
        os.chown(folder, uid, gid)
    data, log = folder / "data", folder / "server.log"
    port = free_port()
    cluster = PostgresCluster(
        url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", port=port, folder=folder
    )
    try:
        cluster.timings["initdb"] = _run(
            [
                *prefix,
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            "initdb",
        )
        # fsync off: the cluster is thrown away; durability is SQLite's test, not this one's
        for attempt in range(3):  # the free port may be taken between probe and bind
            options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=50"
            argv = [*prefix, str(binaries / "pg_ctl"), "start", "-D", str(data), "-l", str(log)]
            argv += ["-w", "-t", str(_START_TIMEOUT_S), "-o", options]
            started = time.perf_counter()
            result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
            if result.returncode == 0:
                cluster.timings["start"] = time.perf_counter() - started
                break
            in_use = "could not bind" in log.read_text(errors="replace") if log.exists() else False
            if not in_use or attempt == 2:
                server_log = log.read_text(errors="replace") if log.exists() else ""
                pytest.fail(f"pg_ctl start failed: {result.stdout}{result.stderr}\n{server_log}")
            port = free_port()
            cluster.port = port
            cluster.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    except BaseException:
        with contextlib.suppress(Exception):
            _stop(binaries, prefix, data)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return cluster


def stop_cluster(cluster: PostgresCluster) -> None:
    binaries = find_binaries()
    prefix, _, _ = _as_server_user()
    if binaries is not None:
        # a server that would not stop keeps its folder, for the log and a manual stop
        cluster.timings["stop"] = _stop(binaries, prefix, cluster.folder / "data")
    shutil.rmtree(cluster.folder, ignore_errors=True)


def _stop(binaries: Path, prefix: list[str], data: Path) -> float:
    """pg_ctl stop -m fast (waits for the shutdown); raises if the server would not stop."""
    started = time.perf_counter()
    if (data / "postmaster.pid").exists():
        result = subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {result.stdout}{result.stderr}")
    return time.perf_counter() - started


@pytest.fixture(scope="session")
def postgres_cluster(pytestconfig: pytest.Config) -> Iterator[PostgresCluster]:
    """The session's cluster: skipped if absent, failed instead under NOC_REQUIRE_PEERS=1."""
    cluster = start_cluster()
    pytestconfig.stash[CLUSTER_TIMINGS] = cluster.timings
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """SQLAlchemy URL (postgresql+psycopg://...) of the session cluster's `postgres` database."""
    return postgres_cluster.url


@pytest.fixture
def pg_db_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database in the session cluster for one test, dropped afterwards."""
    import psycopg

    name = f"noc_{uuid.uuid4().hex[:12]}"
    admin = f"host=127.0.0.1 port={postgres_cluster.port} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield postgres_cluster.database_url(name)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
