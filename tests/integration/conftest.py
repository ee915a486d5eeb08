"""Real peers for the integration tests: the PostgreSQL cluster and its timings in the summary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.store import Database
from tests.helpers import metrics_history as h
from tests.helpers.postgres import CLUSTER_TIMINGS, pg_db_url, postgres_cluster, postgres_url

__all__ = ["pg_db_url", "postgres_cluster", "postgres_url"]


@pytest.fixture
def both(db_url: str, pg_db_url: str) -> Iterator[tuple[Database, Database]]:
    """The hand-built metrics history (tests/helpers/metrics_history.py) in a fresh SQLite
    file and a fresh PostgreSQL database, for tests that compare the two engines."""
    sqlite, postgres = Database(db_url), Database(pg_db_url)
    h.build(sqlite)
    h.build(postgres)
    yield sqlite, postgres
    sqlite.dispose()
    postgres.dispose()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    timings = config.stash.get(CLUSTER_TIMINGS, None)
    if timings:
        phases = ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in timings.items())
        terminalreporter.write_line(f"PostgreSQL test cluster: {phases}")
