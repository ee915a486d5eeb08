"""Storing alerts: the Core upsert beside a raw sqlite3.executemany floor of the same rows.

Issue target: 100,000 alerts upserted into SQLite within 2x the raw floor, serialisation
included (both sides start from the same domain Alert objects).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.domain.severity import Severity
from app.store import Database
from app.store.alerts import AlertRepository, alert_row
from app.store.types import to_millis
from benchmarks.alerts import alert_batch

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
COUNT = 100_000
ALERTS = alert_batch(COUNT, NOW)
MEDIANS: dict[str, float] = {}

RAW_INSERT = (
    "INSERT INTO alerts (source, fingerprint, incident_id, status, alertname, customer, service, severity,"
    " labels, annotations, generator_url, starts_at, ends_at, first_seen, last_seen)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def fresh_database(tmp_path: Path, counter: list[int]) -> Database:
    counter[0] += 1
    return Database(f"sqlite:///{tmp_path / f'bench{counter[0]}.db'}")


def raw_floor(path: str) -> None:
    now = to_millis(NOW)
    rows = [
        (
            a.source, a.fingerprint, None, "firing", a.alertname, a.customer, a.service, "P3",
            json.dumps(dict(a.labels)), json.dumps(dict(a.annotations)), a.generator_url,
            to_millis(a.starts_at), None, now, now,
        )
        for a in ALERTS
    ]  # fmt: skip
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous = FULL")
        with connection:
            connection.executemany(RAW_INSERT, rows)
    finally:
        connection.close()


def core_upsert(database: Database, alerts: Any = ALERTS) -> None:
    with database.write() as session:
        AlertRepository(session).upsert_firing(
            [alert_row(a, None, Severity.P3, NOW) for a in alerts]
        )


@pytest.mark.benchmark(group="store: 100k alerts into an empty table")
def test_raw_sqlite3_executemany_floor(benchmark: Any, tmp_path: Path) -> None:
    counter = [0]

    def setup() -> tuple[tuple[str], dict[str, Any]]:
        database = fresh_database(tmp_path, counter)
        database.dispose()
        assert database.sqlite_path is not None
        return (str(database.sqlite_path),), {}

    benchmark.pedantic(raw_floor, setup=setup, rounds=5, iterations=1)
    MEDIANS["raw"] = benchmark.stats.stats.median


@pytest.mark.benchmark(group="store: 100k alerts into an empty table")
def test_core_upsert_100k(benchmark: Any, tmp_path: Path) -> None:
    counter = [0]

    def setup() -> tuple[tuple[Database], dict[str, Any]]:
        return (fresh_database(tmp_path, counter),), {}

    def run(database: Database) -> None:
        core_upsert(database)
        database.dispose()

    benchmark.pedantic(run, setup=setup, rounds=5, iterations=1)
    median = benchmark.stats.stats.median
    if "raw" in MEDIANS:
        benchmark.extra_info["x_raw_floor"] = round(median / MEDIANS["raw"], 2)


@pytest.mark.benchmark(group="store: storm of 10k (half known) into a 100k table")
def test_core_upsert_storm_into_a_full_table(benchmark: Any, tmp_path: Path) -> None:
    database = fresh_database(tmp_path, [0])
    core_upsert(database)
    storm = ALERTS[:5_000] + alert_batch(5_000, NOW, source="other")

    def run() -> None:
        core_upsert(database, storm)

    benchmark.pedantic(run, rounds=5, iterations=1)
    with database.read() as session:
        assert AlertRepository(session).firing_total() == COUNT + 5_000
    database.dispose()
