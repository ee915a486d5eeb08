"""Real peers for the integration tests: the PostgreSQL cluster and its timings in the summary."""

from __future__ import annotations

import pytest

from tests.helpers.postgres import CLUSTER_TIMINGS, pg_db_url, postgres_cluster, postgres_url

__all__ = ["pg_db_url", "postgres_cluster", "postgres_url"]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    timings = config.stash.get(CLUSTER_TIMINGS, None)
    if timings:
        phases = ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in timings.items())
        terminalreporter.write_line(f"PostgreSQL test cluster: {phases}")
