"""A year of incident history at a million incidents, for the metrics benchmark, cached.

The database is built once and kept in `.benchmarks/cache/` under a name holding a
digest of the schema the migrations create and this generator's version, so a schema
change or a change here builds a new one (delete old ones by hand: about 0.8 GB each).

Building takes one to two minutes here: the store creates the schema (every migration),
the incident and alert indexes are dropped, the rows go in with plain executemany in one
transaction, in detection order, and the indexes are created again (sorting once per
index is much faster than maintaining a dozen indexes row by row). Every incident holds
one alert row (the top recurring pairs join alerts); the metric totals are counted from
the rows at the end (`rebuild_metric_totals`); timelines are not written, as the
metrics never read them (the verdicts and `reopened` are on the incident row, as the
store writes them).

The mix, per incident (seeded, so every build is the same database):
- detected uniformly over the 365 days before `NOW`; severity P1-P4 weighted 1:3:8:4;
  200 customers, 60 services, 8 alert names;
- started 10 s to 10 min before detection;
- 3 % false positives; 0.5 % still open (detected in the last two days, some waiting on
  the customer); 97 % of the others acknowledged 1 min to 2 h after detection, resolved
  5 min to 3 days after that, then closed;
- deadlines from a gold-like contract (P1 15m/4h ... P4 1d/5d); verdicts from the times;
- 2 % reopened, 5 % `recurrence_of` an incident detected shortly before.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from app.store import Database
from app.store.metric_totals import rebuild_metric_totals
from app.store.types import to_millis
from benchmarks.wall import ALERTNAMES

GENERATOR_VERSION = 3
COUNT = 1_000_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)
CACHE = Path(__file__).resolve().parent.parent / ".benchmarks" / "cache"

_SEVERITIES = ("P1", "P2", "P3", "P4")
_TARGETS_MIN = {"P1": (15, 240), "P2": (30, 480), "P3": (240, 4320), "P4": (1440, 7200)}
_INCIDENT_COLUMNS = (
    "id", "uid", "title", "customer", "services", "severity", "state", "tier", "flags",
    "started_at", "detected_at", "acknowledged_at", "resolved_at", "closed_at",
    "response_due", "resolve_due", "alert_count", "sources", "group_key", "recurrence_of",
    "updated_at", "version", "paused_since", "response_met", "resolve_met", "reopened",
    "detected_day", "time_to_detect_ms", "time_to_acknowledge_ms", "time_to_resolve_ms",
    "recurred",
)  # fmt: skip
_ALERT_COLUMNS = (
    "source", "fingerprint", "incident_id", "status", "alertname", "customer", "service",
    "severity", "labels", "annotations", "starts_at", "ends_at", "first_seen", "last_seen",
)  # fmt: skip


def schema_digest() -> str:
    """A digest of the schema the migrations create now (tables and index definitions)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schema.db"
        Database(f"sqlite:///{path}").dispose()
        connection = sqlite3.connect(path)
        try:
            ddl = connection.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")
            # line by line, sorted: a table rebuilt by a migration lists its constraints in
            # an order that varies from run to run
            lines = sorted(line.strip() for (sql,) in ddl for line in sql.splitlines())
        finally:
            connection.close()
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def cached_history() -> Path:
    """The path of the cached database, built first if missing (a minute or two)."""
    path = CACHE / f"metrics-{COUNT}-{schema_digest()}-v{GENERATOR_VERSION}.db"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        building = path.with_suffix(".building")
        for leftover in CACHE.glob(building.name + "*"):
            leftover.unlink()
        phases = build(building)
        building.replace(path)
        print(f"\nbuilt {path.name}: {phases} (seconds)")
    return path


def build(path: Path) -> dict[str, float]:
    """Build the history at `path`; returns the seconds each phase took."""
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal started
        phases[phase] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()

    Database(f"sqlite:///{path}").dispose()  # the schema, through every migration
    lap("schema")
    incidents, alerts = _rows(random.Random(20261201))
    lap("rows in Python")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")  # one file to cache, no WAL beside
        connection.execute("PRAGMA synchronous = OFF")
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('incidents', 'alerts')"
        ).fetchall()
        connection.execute("BEGIN")
        for name, _ in indexes:
            connection.execute(f"DROP INDEX {name}")
        connection.executemany(_insert("incidents", _INCIDENT_COLUMNS), incidents)
        connection.executemany(_insert("alerts", _ALERT_COLUMNS), alerts)
        lap("inserts")
        for _, sql in indexes:
            connection.execute(sql)
        connection.execute("COMMIT")
        lap("indexes")
    finally:
        connection.close()
    database = Database(f"sqlite:///{path}")
    try:
        with database.write() as session:  # rows written by hand: count them as the store does
            rebuild_metric_totals(session.connection())
    finally:
        database.dispose()
    lap("totals")
    return phases


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def _rows(rng: random.Random) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    now = to_millis(NOW)
    year = 365 * 86_400_000
    detected = sorted(now - year + rng.randrange(year) for _ in range(COUNT))
    customers = [f"c{n:03d}" for n in range(200)]
    services = [f"s{n:02d}" for n in range(60)]
    incidents: list[tuple[object, ...]] = []
    alerts: list[tuple[object, ...]] = []
    minute = 60_000
    for index, at in enumerate(detected):
        incident_id = index + 1
        severity = rng.choices(_SEVERITIES, weights=(1, 3, 8, 4))[0]
        customer = rng.choice(customers)
        service = rng.choice(services)
        alertname = rng.choice(ALERTNAMES)
        started = at - rng.randrange(10_000, 600_000)
        response_target, resolve_target = _TARGETS_MIN[severity]
        response_due, resolve_due = at + response_target * minute, at + resolve_target * minute
        roll = rng.random()
        acknowledged = resolved = closed = paused = None
        if roll < 0.03:
            state = "false_positive"
            closed = at + rng.randrange(1, 120) * minute
        elif now - at < 2 * 86_400_000 and roll < 0.5:
            state = rng.choice(("new", "triaged", "diagnosing"))
            if state != "new":
                acknowledged = at + rng.randrange(1, 120) * minute
            if rng.random() < 0.2:
                paused = at + rng.randrange(1, 600) * minute
        else:
            state = "closed"
            if rng.random() < 0.97:
                acknowledged = at + rng.randrange(1, 120) * minute
            resolved = (acknowledged or at) + rng.randrange(5, 4320) * minute
            closed = resolved + 60 * minute
        acknowledged = min(acknowledged, now) if acknowledged else None
        paused = min(paused, now) if paused else None
        response_met = acknowledged <= response_due if acknowledged else None
        resolve_met = resolved <= resolve_due if resolved else None
        recurrence_of = None
        if index > 1000 and rng.random() < 0.05:
            recurrence_of = incident_id - rng.randrange(1, 1000)
        reopened = rng.random() < 0.02
        # as the store decides it: reopened, or the earlier one detected <= 30 days before
        earlier = detected[recurrence_of - 1] if recurrence_of else None
        recurred = reopened or (earlier is not None and at - earlier <= 30 * 86_400_000)
        incidents.append(
            (
                incident_id, f"{incident_id:032x}", f"{alertname} on {service}", customer,
                f'["{service}"]', severity, state, "L1", "[]", started, at, acknowledged,
                resolved, closed, response_due, resolve_due, rng.randrange(1, 40), '["am"]',
                f"{customer}|{service}|{alertname}", recurrence_of, closed or at, 3, paused,
                response_met, resolve_met, reopened,
                at // 86_400_000, at - started, acknowledged - at if acknowledged else None,
                resolved - at if resolved else None, recurred,
            )
        )  # fmt: skip
        alerts.append(
            (
                "am", f"{incident_id:016x}", incident_id, "resolved", alertname, customer,
                service, severity, "{}", "{}", started, resolved or closed, at, closed or at,
            )
        )  # fmt: skip
    return incidents, alerts


if __name__ == "__main__":
    print(cached_history())
