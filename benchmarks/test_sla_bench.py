"""SLA clocks for one wall refresh: 2,000 open incidents read at `now`.

Issue target: under 20 ms here. A third of the customers count business hours in London
(bronze), the rest 24x7; a few incidents wait on the customer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from pytest_benchmark.fixture import BenchmarkFixture

from app.domain.incident import Incident
from app.domain.severity import Severity
from app.domain.sla import Calendar, SlaPolicy, SlaTarget
from app.engine.sla_clock import ClockReading, read_clock

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday afternoon
TARGETS = {
    Severity.P1: SlaTarget(timedelta(minutes=15), timedelta(hours=4)),
    Severity.P2: SlaTarget(timedelta(minutes=30), timedelta(hours=8)),
    Severity.P3: SlaTarget(timedelta(hours=4), timedelta(days=3)),
    Severity.P4: SlaTarget(timedelta(days=1), timedelta(days=5)),
}
GOLD = SlaPolicy("gold", TARGETS)
BRONZE = SlaPolicy(
    "bronze",
    TARGETS,
    Calendar("Europe/London", time(8, 0), time(18, 0), frozenset(range(5))),
)


def open_incidents(count: int) -> list[tuple[Incident, SlaPolicy]]:
    found = []
    severities = list(Severity)
    for n in range(count):
        contract = BRONZE if n % 3 == 0 else GOLD
        detected = NOW - timedelta(minutes=7 * (n % 600))
        incident = Incident.detect(
            title=f"incident {n}",
            customer="c",
            services=("s",),
            severity=severities[n % 4],
            started_at=detected,
            detected_at=detected,
            group_key=f"c|s{n}",
            policy=contract,
        )
        if n % 2:
            incident = incident.acknowledge("alice", detected + timedelta(minutes=3))
        if n % 50 == 0:
            incident = incident.pause("alice", detected + timedelta(minutes=5), "customer")
        found.append((replace(incident, id=n + 1), contract))
    return found


INCIDENTS = open_incidents(2_000)


def refresh() -> list[ClockReading]:
    return [read_clock(incident, NOW, contract) for incident, contract in INCIDENTS]


def test_clocks_of_2000_open_incidents(benchmark: BenchmarkFixture) -> None:
    readings = benchmark.pedantic(refresh, rounds=30, warmup_rounds=2)
    assert len(readings) == 2_000
    assert {r.state.value for r in readings} >= {"ok", "at_risk", "breached", "paused"}
    print(
        f"\nSLA clocks of 2,000 open incidents: median {benchmark.stats.stats.median * 1000:.1f} ms"
    )
