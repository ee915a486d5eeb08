"""The triage engine under a storm: 1k, 10k and 100k alerts over 500 services and 20 customers.

Issue target: 10,000 alerts through dedup, correlation and classification into incidents
in under 1 s here, growing linearly. This times the engine alone (plan_ingest on a first
poll, nothing stored yet: every alert needs a place), from alerts already parsed; the
storage half is benchmarks/test_store_bench.py and the whole poll test_poll_bench.py.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from app.config.policies import load_policies
from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.catalog import Catalog, Customer, Service
from app.domain.severity import Impact
from app.engine.triage import IngestPlan, Stored, plan_ingest

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
CUSTOMERS = 20
SERVICES_PER_CUSTOMER = 25
POLICIES = load_policies()
PER_ALERT_US: dict[int, float] = {}


def storm_estate() -> Catalog:
    """Per customer: a database and a cache at the bottom, APIs on them, front ends on APIs."""
    customers = {
        f"c{n:02d}": Customer(f"c{n:02d}", f"Customer {n}", "gold") for n in range(CUSTOMERS)
    }
    services: dict[str, Service] = {}
    for customer in customers:
        db, cache = f"{customer}-db", f"{customer}-cache"
        services[db] = Service(db, customer, "DB", "dba-team", (), Impact.HIGH)
        services[cache] = Service(cache, customer, "Cache", "platform-team", (), Impact.MEDIUM)
        apis = [f"{customer}-api{n}" for n in range(8)]
        for api in apis:
            services[api] = Service(api, customer, "API", "app-team", (db, cache), Impact.HIGH)
        for n in range(SERVICES_PER_CUSTOMER - 2 - len(apis)):
            front = f"{customer}-web{n}"
            needs = (apis[n % len(apis)], apis[(n + 3) % len(apis)])
            services[front] = Service(front, customer, "Web", "web-team", needs, Impact.MEDIUM)
    return Catalog(customers=customers, services=services)


ESTATE = storm_estate()


def storm(count: int) -> list[Alert]:
    """Every customer's database saturates; its dependants raise latency and error alerts."""
    rng = random.Random(count)
    services = sorted(ESTATE.services)
    alerts: list[Alert] = []
    for n in range(count):
        service = ESTATE.services[services[n % len(services)]]
        root = service.id.endswith("-db")
        labels = {
            "alertname": "DbSaturated" if root else rng.choice(["HighLatency", "High5xx", "Slow"]),
            "customer": service.customer,
            "service": service.id,
            "severity": "critical" if root or rng.random() < 0.2 else "warning",
            "instance": f"{service.id}-{n}",
        }
        alerts.append(
            Alert(
                source="storm",
                fingerprint=fingerprint(labels),
                labels=labels,
                annotations={"summary": f"{labels['alertname']} on {labels['instance']}"},
                status=AlertStatus.FIRING,
                starts_at=NOW - timedelta(seconds=rng.randint(0, 600)),
                ends_at=None,
                received_at=NOW,
            )
        )
    return alerts


def triage(alerts: list[Alert]) -> IngestPlan:
    return plan_ingest(
        source="storm",
        alerts=alerts,
        complete=True,
        stored=Stored(),
        catalog=ESTATE,
        policies=POLICIES,
        now=NOW,
    )


@pytest.mark.parametrize("count", [1_000, 10_000, 100_000])
def test_storm_triage(benchmark: BenchmarkFixture, count: int) -> None:
    alerts = storm(count)
    rounds = {1_000: 15, 10_000: 7, 100_000: 3}[count]
    plan = benchmark.pedantic(triage, args=(alerts,), rounds=rounds, warmup_rounds=1)
    # per customer: the database's incident with its dependants' alerts as symptoms, and the
    # cache's own (critical alerts there too; the APIs' alerts go to the more critical db)
    roots = {i.root_service for i, _ in plan.new_incidents}
    assert roots == {f"{c}-{s}" for c in ESTATE.customers for s in ("db", "cache")}
    assert len(plan.new_incidents) == 2 * CUSTOMERS
    assert sum(len(group) for _, group in plan.new_incidents) == count
    median = benchmark.stats.stats.median
    PER_ALERT_US[count] = median / count * 1e6
    print(f"\ntriage of {count:,} alerts: median {median * 1000:.0f} ms")
    if len(PER_ALERT_US) == 3:
        base = PER_ALERT_US[1_000]
        growth = ", ".join(
            f"{n:,}: {us:.1f} us/alert ({us / base:.2f}x)" for n, us in PER_ALERT_US.items()
        )
        print(f"linear growth check: {growth}")
