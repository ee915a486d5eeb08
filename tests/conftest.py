"""Suite-wide fixtures: an isolated home, an in-memory keyring, a fixed clock, the demo console."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from pytest_httpserver import HTTPServer

from app.store import Database

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# subprocesses started by tests (CLI runs) get the in-memory keyring too
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memory_keyring.MemoryKeyring"

# the machines are shared and noisy: no per-example deadline
settings.register_profile("noc", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("noc")

T0 = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


def pytest_sessionstart(session: pytest.Session) -> None:
    import keyring

    from tests.helpers.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())


@pytest.fixture(autouse=True)
def _only_memory_keyring() -> Iterator[None]:
    """Abort the whole session if anything swapped in a real keyring (RELIABILITY.md 24)."""
    yield
    import keyring

    from tests.helpers.memory_keyring import MemoryKeyring

    if not isinstance(keyring.get_keyring(), MemoryKeyring):
        pytest.exit("a test touched a non-memory keyring; aborting the session", returncode=3)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config, data and log folders (platformdirs follows XDG)."""
    home = tmp_path / "home"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        folder = home / name.lower()
        folder.mkdir(parents=True)
        monkeypatch.setenv(name, str(folder))
    for name in list(os.environ):
        if name.startswith("NOC_SECRET_"):
            monkeypatch.delenv(name)
    return home


@pytest.fixture
def httpserver(make_httpserver: HTTPServer) -> HTTPServer:
    """pytest-httpserver's shared server, started again (on a new free port) if an earlier
    test stopped it: a "peer went away" test does, and every later test in that process
    then had its connections refused (how many depends on the order the tests run in)."""
    server = make_httpserver
    if not server.is_running():
        server.port = 0
        server.start()
    server.clear()
    return server


@pytest.fixture
def t0() -> datetime:
    return T0


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'noc.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated SQLite database of the test's own (closed after it)."""
    database = Database(db_url)
    yield database
    database.dispose()
