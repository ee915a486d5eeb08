"""Store fixtures: child processes that are always reaped (`db` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.app.store.processes import Child


@pytest.fixture
def children() -> Iterator[list[Child]]:
    """Child processes a test starts; any still running at the end are killed and reaped."""
    started: list[Child] = []
    yield started
    for child in started:
        child.close()
