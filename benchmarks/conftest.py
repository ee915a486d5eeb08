"""Benchmarks run with the same isolation as the tests: own folders, in-memory keyring."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.alerts import am_payload
from tests.helpers.monitoring import post_alerts, start_alertmanager
from tests.helpers.peers import Daemon

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memory_keyring.MemoryKeyring"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        folder = tmp_path / "home" / name.lower()
        folder.mkdir(parents=True)
        monkeypatch.setenv(name, str(folder))
    return tmp_path


@pytest.fixture(scope="session")
def loaded_alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """A real Alertmanager (no inhibit rules) holding 10,000 firing alerts for two hours."""
    now = datetime.now(UTC)
    daemon = start_alertmanager(tmp_path_factory.mktemp("am-bench"))
    items = json.loads(am_payload(10_000, now))
    for item in items:
        item["endsAt"] = (now + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
        for key in ("fingerprint", "status", "receivers", "updatedAt"):
            item.pop(key, None)
    for start in range(0, len(items), 1000):
        post_alerts(daemon.url, items[start : start + 1000])
    yield daemon
    daemon.stop()
