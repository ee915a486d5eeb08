"""Store fixtures: a migrated database per test, and child processes that are always reaped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.store import Database
from tests.app.store.processes import Child


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def children() -> Iterator[list[Child]]:
    """Child processes a test starts; any still running at the end are killed and reaped."""
    started: list[Child] = []
    yield started
    for child in started:
        child.close()
