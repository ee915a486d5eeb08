"""The demo estate: a catalog that loads, and a simulator that is deterministic and alive."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.config.catalog import parse_catalog_text
from app.config.errors import ConfigError
from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.catalog import Catalog
from app.resources import read_text
from app.sources.base import Snapshot, Source
from app.sources.demo import DemoSource, load_demo_estate, load_demo_scenario, parse_demo_scenario

ANCHOR = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
ESTATE = load_demo_estate()
SCENARIO = load_demo_scenario()
NOISE = {template.alertname for template in SCENARIO.noise.alerts}
FLAPPING = SCENARIO.flapping.alert.alertname
RECURRING = SCENARIO.recurring.alert.alertname
ROOT = SCENARIO.storm.root_alert.alertname
SYMPTOMS = {template.alertname for template in SCENARIO.storm.symptoms}


def demo(seed: int = 7, anchor: datetime | None = ANCHOR) -> DemoSource:
    """A source over the already loaded estate and scenario (loading YAML is the slow part)."""
    return DemoSource(catalog=ESTATE, scenario=SCENARIO, seed=seed, anchor=anchor)


@pytest.fixture(scope="module")
def source() -> DemoSource:
    return demo()


def at(source: DemoSource, minutes: float = 0) -> tuple[Alert, ...]:
    return source.fetch(ANCHOR + timedelta(minutes=minutes)).alerts


def named(alerts: tuple[Alert, ...], *names: str) -> list[Alert]:
    return [alert for alert in alerts if alert.alertname in names]


def identities(alerts: Iterable[Alert]) -> set[tuple[str, str, datetime]]:
    return {(alert.fingerprint, alert.alertname, alert.starts_at) for alert in alerts}


# ---------------------------------------------------------------- the estate


def test_estate_has_three_customers_and_a_realistic_number_of_services() -> None:
    catalog = parse_catalog_text(read_text("demo", "estate.yaml"), "estate.yaml")
    assert set(catalog.customers) == {"acme", "globex", "initech"}
    assert 15 <= len(catalog.services) <= 25
    assert {service.customer for service in catalog.services.values()} == set(catalog.customers)
    assert load_demo_estate() == catalog


def test_estate_dependencies_have_no_cycles() -> None:
    catalog = load_demo_estate()
    done: set[str] = set()

    def visit(service_id: str, trail: tuple[str, ...]) -> None:
        assert service_id not in trail, f"cycle through {service_id}"
        for dependency in catalog.services[service_id].depends_on:
            if dependency not in done:
                visit(dependency, (*trail, service_id))
        done.add(service_id)

    for service_id in catalog.services:
        visit(service_id, ())


def test_each_customer_has_a_dependency_chain() -> None:
    catalog = load_demo_estate()
    for customer in catalog.customers:
        chained = [
            s
            for s in catalog.services.values()
            if s.customer == customer and any(catalog.services[d].depends_on for d in s.depends_on)
        ]
        assert chained, f"{customer} has no service two hops from a root"


# ---------------------------------------------------------------- the source


def test_is_a_source_with_a_complete_utc_snapshot(source: DemoSource) -> None:
    protocol: Source = source  # mypy checks the protocol here
    assert protocol is source
    assert (source.name, source.kind, source.interval) == ("demo", "demo", timedelta(seconds=5))
    now = ANCHOR + timedelta(minutes=3, seconds=7)
    snapshot = source.fetch(now)
    assert isinstance(snapshot, Snapshot)
    assert snapshot.source == "demo"
    assert snapshot.complete
    assert snapshot.warning is None
    assert snapshot.fetched_at == now
    for alert in snapshot.alerts:
        assert alert.source == "demo"
        assert alert.status is AlertStatus.FIRING
        assert alert.ends_at is None
        assert alert.received_at == now
        for moment in (alert.starts_at, alert.received_at):
            assert moment.tzinfo is not None
            assert moment.utcoffset() == timedelta(0)


def test_refuses_a_naive_now(source: DemoSource) -> None:
    with pytest.raises(ValueError, match="naive"):
        source.fetch(datetime(2026, 11, 29, 10, 0))  # noqa: DTZ001 - the point of the test


def test_same_seed_and_anchor_give_the_same_alerts() -> None:
    first, second = demo(3), demo(3)
    moments = [ANCHOR + timedelta(seconds=s) for s in range(-3600, 4 * 3600, 397)]
    forward = [first.fetch(now).alerts for now in moments]
    backward = [second.fetch(now).alerts for now in reversed(moments)][::-1]
    assert forward == backward  # equal alerts, whatever the order of the polls


def test_a_different_seed_changes_the_noise() -> None:
    moments = [ANCHOR + timedelta(minutes=m) for m in range(0, 60, 6)]
    one, other = demo(1), demo(2)
    assert [identities(named(one.fetch(t).alerts, *NOISE)) for t in moments] != [
        identities(named(other.fetch(t).alerts, *NOISE)) for t in moments
    ]


def test_the_timeline_is_relative_to_the_anchor() -> None:
    later = ANCHOR + timedelta(days=3, minutes=17)
    here, there = demo(anchor=ANCHOR), demo(anchor=later)
    shift = later - ANCHOR
    for minutes in (0, 7, 31):
        now = ANCHOR + timedelta(minutes=minutes)
        assert {(a.fingerprint, a.starts_at + shift) for a in here.fetch(now).alerts} == {
            (a.fingerprint, a.starts_at) for a in there.fetch(now + shift).alerts
        }


@pytest.mark.parametrize("seed", [1, 2, 99])
def test_the_wall_is_alive_at_the_anchor(seed: int) -> None:
    alerts = demo(seed).fetch(ANCHOR).alerts
    (root,) = named(alerts, ROOT)
    assert ANCHOR - timedelta(minutes=10) < root.starts_at < ANCHOR - timedelta(minutes=1)
    assert len(named(alerts, *SYMPTOMS)) >= 20
    assert len(named(alerts, FLAPPING)) == 1
    assert len(named(alerts, RECURRING)) == 1
    assert len(named(alerts, *NOISE)) >= 2


def test_default_anchor_is_the_first_fetch() -> None:
    source = demo(anchor=None)
    first = datetime(2026, 11, 29, 8, 30, 12, 345678, tzinfo=UTC)
    alerts = source.fetch(first).alerts
    assert source.anchor == first.replace(microsecond=0)
    assert named(alerts, ROOT)
    assert named(alerts, FLAPPING)
    assert named(alerts, RECURRING)
    assert source.fetch(first + timedelta(minutes=1)).fetched_at > first
    assert source.anchor == first.replace(microsecond=0)  # latched, not moved by later polls


def test_storm_spreads_from_the_database_to_its_dependants(source: DemoSource) -> None:
    catalog = source.catalog
    root_service = SCENARIO.storm.root

    def needs_root(service_id: str) -> bool:
        depends_on = catalog.services[service_id].depends_on
        return root_service in depends_on or any(needs_root(d) for d in depends_on)

    dependants = {s for s in catalog.services if needs_root(s)}
    storms = 0
    for minutes in range(-10, 180):
        alerts = at(source, minutes)
        roots, symptoms = named(alerts, ROOT), named(alerts, *SYMPTOMS)
        assert {a.service for a in symptoms} <= dependants
        if not roots:
            continue
        storms += 1
        (root,) = roots
        assert root.service == root_service
        for symptom in symptoms:
            delay = symptom.starts_at - root.starts_at
            assert timedelta(seconds=30) <= delay <= timedelta(minutes=2)
    assert storms > 20


def test_storm_is_tens_of_alerts_on_every_dependant_and_repeats(source: DemoSource) -> None:
    alerts = at(source, 5)
    symptoms = named(alerts, *SYMPTOMS)
    assert {a.service for a in symptoms} == {
        "acme-api",
        "acme-payments",
        "acme-checkout",
        "acme-web",
        "acme-mobile-api",
    }
    assert 20 <= len(symptoms) + 1 <= 60
    assert {a.labels["severity"] for a in symptoms} == {"warning", "critical"}
    assert named(alerts, ROOT)[0].labels["severity"] == "critical"
    starts = {a.starts_at for m in range(0, 180, 2) for a in named(at(source, m), ROOT)}
    assert len(starts) >= 3  # one storm per cycle
    gaps = sorted(b - a for a, b in pairwise(sorted(starts)))
    assert gaps[0] == SCENARIO.storm.cycle


def test_storm_lasts_ten_to_fifteen_minutes(source: DemoSource) -> None:
    (root,) = named(at(source), ROOT)
    last = max(m / 4 for m in range(30 * 4) if named(at(source, m / 4), ROOT))
    length = ANCHOR + timedelta(minutes=last) - root.starts_at
    assert timedelta(minutes=10) <= length <= timedelta(minutes=15)
    assert not named(at(source, last + 3), *SYMPTOMS)  # the symptoms recover soon after


def test_flapping_check_toggles_at_least_six_times_in_thirty_minutes(source: DemoSource) -> None:
    states = [
        bool(named(source.fetch(ANCHOR + timedelta(seconds=s)).alerts, FLAPPING))
        for s in range(0, 30 * 60 + 1, 15)
    ]
    changes = sum(1 for a, b in pairwise(states) if a != b)
    assert changes >= 6


def test_recurring_incident_comes_back_with_a_new_start(source: DemoSource) -> None:
    starts = sorted({a.starts_at for m in range(61) for a in named(at(source, m), RECURRING)})
    assert len(starts) >= 2
    states = [bool(named(at(source, m), RECURRING)) for m in range(61)]
    assert states.count(False) > 0  # it clears between occurrences
    for gap in (b - a for a, b in pairwise(starts)):
        assert timedelta(minutes=20) <= gap <= timedelta(minutes=25)


@pytest.mark.parametrize("seed", [1, 7, 12345])
def test_noise_stays_within_bounds(seed: int) -> None:
    source = demo(seed)
    counts = [len(named(at(source, m), *NOISE)) for m in range(-60, 5 * 60)]
    assert min(counts) >= 2
    assert max(counts) <= 6
    assert 3 <= sum(counts) / len(counts) <= 5


def test_noise_is_low_severity_on_services_of_every_customer(source: DemoSource) -> None:
    noise = [a for m in range(0, 240, 3) for a in named(at(source, m), *NOISE)]
    assert {a.labels["severity"] for a in noise} <= {"warning", "info"}
    assert {a.customer for a in noise} == {"acme", "globex", "initech"}
    assert len({a.service for a in noise}) >= 12
    minutes_firing = Counter(
        (a.fingerprint, a.starts_at) for m in range(240) for a in named(at(source, m), *NOISE)
    )
    assert max(minutes_firing.values()) <= 6  # each occurrence fires a few minutes
    assert sum(minutes_firing.values()) / len(minutes_firing) >= 2


def test_every_alert_is_well_formed_against_the_catalog(source: DemoSource) -> None:
    catalog = source.catalog
    for minutes in range(-30, 120, 1):
        now = ANCHOR + timedelta(minutes=minutes, seconds=11)
        alerts = source.fetch(now).alerts
        assert len({a.fingerprint for a in alerts}) == len(alerts), "duplicate identity"
        for alert in alerts:
            check_alert(alert, now, catalog)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    offset=st.integers(min_value=-30 * 86400, max_value=30 * 86400),
)
def test_any_moment_gives_valid_alerts(seed: int, offset: int) -> None:
    now = ANCHOR + timedelta(seconds=offset, microseconds=offset % 1000)
    alerts = demo(seed).fetch(now).alerts
    assert len({a.fingerprint for a in alerts}) == len(alerts)
    for alert in alerts:
        check_alert(alert, now, ESTATE)
    assert alerts == demo(seed).fetch(now).alerts


def check_alert(alert: Alert, now: datetime, catalog: Catalog) -> None:
    labels = alert.labels
    assert set(labels) == {"alertname", "customer", "service", "severity", "instance"}
    assert labels["severity"] in {"critical", "warning", "info"}
    service = catalog.services[labels["service"]]
    assert labels["customer"] == service.customer
    assert alert.fingerprint == fingerprint(labels)
    assert alert.starts_at <= now
    assert set(alert.annotations) == {"summary", "description", "runbook_url"}
    assert alert.annotations["runbook_url"] == f"https://runbooks.example.com/{alert.alertname}"
    assert "$" not in alert.annotations["summary"] + alert.annotations["description"]
    assert (alert.generator_url or "").startswith("http://prometheus.demo.example/graph?g0.expr=")


# ---------------------------------------------------------------- the scenario file


def scenario_text(old: str, new: str) -> str:
    text = read_text("demo", "scenarios.yaml")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("severity: info", "severity: critical", "noise.alerts[3].severity"),
        ("alertname: SlowScrape", "alertname: VpnTunnelDown", "unique"),
        ("cycle: 3m", "cycle: 90s", "flapping.firing"),
        ("lead_in: 4m", "lead_in: soon", "storm.lead_in"),
        ("$service_name p99", "$nope p99", "placeholder"),
        ("quiet: [10s, 2m]", "quiet: [2m, 10s]", "noise.quiet"),
    ],
)
def test_a_bad_scenario_file_names_the_field(old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_demo_scenario(scenario_text(old, new), "scenarios.yaml")


def test_a_scenario_must_name_catalog_services() -> None:
    scenario = parse_demo_scenario(scenario_text("root: acme-db", "root: acme-mainframe"))
    with pytest.raises(ConfigError, match="acme-mainframe"):
        DemoSource(scenario=scenario)
