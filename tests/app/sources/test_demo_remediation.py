"""The demo estate acted on and charted: remediations end what fires, metrics agree with alerts."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from app.domain.alert import Alert
from app.domain.series import Series
from app.sources.demo import (
    BASELINE,
    MAX_POINTS,
    METRIC_SHAPES,
    DemoSource,
    load_demo_estate,
    load_demo_scenario,
)

ANCHOR = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
ESTATE = load_demo_estate()
SCENARIO = load_demo_scenario()
STORM = SCENARIO.storm
ROOT = STORM.root_alert.alertname
SYMPTOMS = {template.alertname for template in STORM.symptoms}
NOISE = {template.alertname for template in SCENARIO.noise.alerts}
SHAPES = {shape.name: shape for shape in METRIC_SHAPES}
CONNECTIONS = (
    'sum(pg_stat_activity_count{service="acme-db"})'
    ' / max(pg_settings_max_connections{service="acme-db"}) * 100'
)
LATENCY = (
    "histogram_quantile(0.99, sum by (le) "
    '(rate(http_request_duration_seconds_bucket{service="acme-api"}[5m])))'
)


def demo(anchor: datetime | None = ANCHOR) -> DemoSource:
    """A source over the already loaded estate and scenario, on test_demo.py's seed."""
    return DemoSource(catalog=ESTATE, scenario=SCENARIO, seed=7, anchor=anchor)


def alerts_at(source: DemoSource, moment: datetime) -> tuple[Alert, ...]:
    return source.fetch(moment).alerts


def named(alerts: tuple[Alert, ...], *names: str) -> list[Alert]:
    return [alert for alert in alerts if alert.alertname in names]


def values(source: DemoSource, query: str, start: datetime, end: datetime) -> list[float]:
    (series,) = source.queries.query_range(query, start, end, timedelta(seconds=15))
    return [value for _, value in series.points]


def root_start(source: DemoSource) -> datetime:
    (root,) = named(alerts_at(source, ANCHOR), ROOT)
    return root.starts_at


# ---------------------------------------------------------------- remediation


def test_remediating_the_root_ends_the_storm_and_the_symptoms_recover() -> None:
    source, untouched = demo(), demo()
    at = ANCHOR + timedelta(minutes=2)
    assert named(alerts_at(untouched, at + timedelta(minutes=3)), ROOT)  # it would go on

    message = source.remediate("acme-db", at)

    assert re.fullmatch(
        r"acme-db: storm ended early; \d+ symptoms on 5 services recover within \d+s", message
    )
    within = int(message.rsplit(" ", 1)[1].removesuffix("s"))
    assert STORM.recovery[0].total_seconds() <= within <= STORM.recovery[1].total_seconds()
    after = alerts_at(source, at + timedelta(seconds=1))
    assert not named(after, ROOT)
    assert named(after, *SYMPTOMS)  # recovering, as after a natural end
    assert not named(alerts_at(source, at + timedelta(seconds=within)), *SYMPTOMS)
    assert not named(alerts_at(source, at + STORM.recovery[1]), *SYMPTOMS)
    assert source.remedies == {"acme-db": (at,)}


def test_a_remedy_leaves_everything_before_it_as_it_was() -> None:
    source, untouched = demo(), demo()
    at = ANCHOR + timedelta(minutes=2, seconds=7)
    source.remediate("acme-db", at)
    for seconds in range(-900, 0, 13):
        moment = at + timedelta(seconds=seconds)
        assert alerts_at(source, moment) == alerts_at(untouched, moment)
    assert alerts_at(source, at) != alerts_at(untouched, at)  # from `at` on it is over


def test_the_next_storm_still_comes() -> None:
    source, untouched = demo(), demo()
    start = root_start(source)
    source.remediate("acme-db", ANCHOR)
    following = start + STORM.cycle
    (root,) = named(alerts_at(source, following + timedelta(seconds=1)), ROOT)
    assert root.starts_at == following
    for seconds in range(0, int(STORM.cycle.total_seconds()), 29):
        moment = following + timedelta(seconds=seconds)
        assert alerts_at(source, moment) == alerts_at(untouched, moment)


def test_symptoms_not_begun_when_the_storm_ends_never_begin() -> None:
    source = demo()
    start = root_start(source)
    at = start + STORM.delay[0] - timedelta(seconds=5)  # before the first symptom's delay
    assert source.remediate("acme-db", at) == "acme-db: storm ended early"
    for seconds in range(0, int(STORM.duration[1].total_seconds()), 10):
        assert not named(alerts_at(source, at + timedelta(seconds=seconds)), ROOT, *SYMPTOMS)


def test_remediating_a_noise_service_ends_that_spell_only() -> None:
    source, untouched = demo(), demo()
    before = alerts_at(source, ANCHOR)
    stormy = {alert.service for alert in named(before, ROOT, *SYMPTOMS)}
    victim = next(alert for alert in named(before, *NOISE) if alert.service not in stormy)
    service = victim.labels["service"]
    mine = [alert for alert in before if alert.service == service]

    message = source.remediate(service, ANCHOR)

    assert message == (
        f"{service}: {len(mine)} alert{'s' if len(mine) > 1 else ''} cleared "
        f"({', '.join(sorted({a.alertname for a in mine}))})"
    )
    later = ANCHOR + timedelta(seconds=1)
    assert list(alerts_at(source, later)) == [
        alert for alert in alerts_at(untouched, later) if alert.service != service
    ]
    # the service's next noise spell fires as drawn
    for minutes in range(1, 24 * 60):
        moment = ANCHOR + timedelta(minutes=minutes)
        again = [a for a in named(alerts_at(untouched, moment), *NOISE) if a.service == service]
        if again and again[0].starts_at > ANCHOR:
            assert again[0] in alerts_at(source, moment)
            break
    else:
        pytest.fail(f"no later noise on {service} within a day")


@pytest.mark.parametrize(
    ("service", "alertname", "cycle"),
    [
        (SCENARIO.flapping.service, SCENARIO.flapping.alert.alertname, SCENARIO.flapping.cycle),
        (SCENARIO.recurring.service, SCENARIO.recurring.alert.alertname, SCENARIO.recurring.cycle),
    ],
)
def test_remediating_a_cycle_ends_this_spell_and_the_next_fires(
    service: str, alertname: str, cycle: timedelta
) -> None:
    source, untouched = demo(), demo()
    (spell,) = named(alerts_at(source, ANCHOR), alertname)
    assert source.remediate(service, ANCHOR) == f"{service}: 1 alert cleared ({alertname})"
    assert not named(alerts_at(source, ANCHOR + timedelta(seconds=1)), alertname)
    following = spell.starts_at + cycle
    (again,) = named(alerts_at(source, following), alertname)
    assert again.starts_at == following
    assert named(alerts_at(untouched, following), alertname) == [again]


def test_remediating_where_nothing_fires_changes_nothing() -> None:
    source = demo()
    firing = {alert.service for alert in alerts_at(source, ANCHOR)}
    calm = min(set(ESTATE.services) - firing)
    assert source.remediate(calm, ANCHOR) == f"nothing firing on {calm}"
    assert source.remedies == {}
    source.remediate("acme-db", ANCHOR)
    assert source.remediate("acme-db", ANCHOR + timedelta(seconds=5)) == "nothing firing on acme-db"
    assert source.remedies == {"acme-db": (ANCHOR,)}


def test_an_unknown_service_or_a_naive_time_is_refused() -> None:
    source = demo()
    with pytest.raises(ValueError, match="unknown demo service 'acme-mainframe'"):
        source.remediate("acme-mainframe", ANCHOR)
    with pytest.raises(ValueError, match="naive"):
        source.remediate("acme-db", datetime(2026, 11, 29, 10, 0))  # noqa: DTZ001 - the point
    assert source.remedies == {}


def test_a_remedy_before_the_first_poll_fixes_the_anchor() -> None:
    source = demo(anchor=None)
    first = datetime(2026, 11, 29, 8, 30, 12, 345678, tzinfo=UTC)
    assert source.remediate("acme-db", first).startswith("acme-db: storm ended early")
    assert source.anchor == first.replace(microsecond=0)
    assert not named(alerts_at(source, first + timedelta(seconds=1)), ROOT)


def test_remediating_while_polling_from_another_thread() -> None:
    source = demo()
    moments = [ANCHOR + timedelta(seconds=s) for s in range(0, 3600, 30)]
    failures: list[BaseException] = []

    def remediate() -> None:
        try:
            for moment in moments[::3]:
                for service in ("acme-db", "acme-api", "globex-vpn", "initech-backup"):
                    source.remediate(service, moment)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    worker = threading.Thread(target=remediate)
    worker.start()
    rounds = 0
    while worker.is_alive() or rounds < 2:
        for moment in moments:
            source.fetch(moment)
            source.queries.query(CONNECTIONS, moment)
        rounds += 1
    worker.join()
    assert not failures
    # the outcome does not depend on how the threads interleaved
    replay = demo()
    for moment in moments[::3]:
        for service in ("acme-db", "acme-api", "globex-vpn", "initech-backup"):
            replay.remediate(service, moment)
    assert [alerts_at(replay, m) for m in moments] == [alerts_at(source, m) for m in moments]


# ---------------------------------------------------------------- firing_at


def test_firing_at_agrees_with_the_wall() -> None:
    source = demo()
    source.remediate("acme-db", ANCHOR + timedelta(minutes=3))
    for minutes in range(-10, 60, 3):
        moment = ANCHOR + timedelta(minutes=minutes, seconds=17)
        alerts = alerts_at(source, moment)
        for alert in alerts:
            service, instance = alert.labels["service"], alert.labels["instance"]
            assert source.firing_at(service, alert.alertname, moment, instance)
            assert not source.firing_at(service, alert.alertname, moment, "elsewhere:1")
        assert source.firing_at("acme-db", ROOT, moment) == bool(named(alerts, ROOT))
    assert not source.firing_at("acme-db", "NoSuchAlert", ANCHOR)
    assert not demo(anchor=None).firing_at("acme-db", ROOT, ANCHOR)  # no timeline yet


# ---------------------------------------------------------------- queries


def test_connections_saturate_during_the_storm_and_drop_after_a_remedy() -> None:
    source = demo()
    start = root_start(source)
    calm_before = values(source, CONNECTIONS, start - timedelta(minutes=20), start)[:-1]
    assert all(40 <= value <= 60 for value in calm_before)
    at = ANCHOR + timedelta(minutes=2)
    storming = values(source, CONNECTIONS, start, at)
    assert all(97 <= value <= 99 for value in storming)
    before_remedy = source.queries.query_range(
        CONNECTIONS, at - timedelta(minutes=30), at + timedelta(minutes=10), timedelta(seconds=15)
    )

    source.remediate("acme-db", at)

    after = source.queries.query_range(
        CONNECTIONS, at - timedelta(minutes=30), at + timedelta(minutes=10), timedelta(seconds=15)
    )
    (old,), (new,) = before_remedy, after
    split = old.points.index(next(p for p in old.points if p[0] >= at))
    assert new.points[:split] == old.points[:split]  # history is kept
    assert all(40 <= value <= 60 for _, value in new.points[split:])
    assert any(value > 95 for _, value in old.points[split:])
    assert new.labels == {"service": "acme-db"}


def test_latency_on_a_dependant_is_high_through_the_storm_and_its_recovery() -> None:
    source = demo()
    moment = ANCHOR + timedelta(minutes=-20)
    (series,) = source.queries.query_range(
        LATENCY, moment, ANCHOR + timedelta(minutes=40), timedelta(seconds=20)
    )
    hot, calm = SHAPES["latency"].hot, SHAPES["latency"].calm
    states = []
    for when, value in series.points:
        firing = source.firing_at("acme-api", "HighRequestLatency", when)
        states.append(firing)
        low, high = hot if firing else calm
        assert low <= value <= high
    assert True in states
    assert False in states
    # the storm's root clears before its symptoms: latency outlasts saturation
    last_hot = max(when for (when, _), firing in zip(series.points, states, strict=True) if firing)
    assert not source.firing_at("acme-db", ROOT, last_hot)


def test_host_metrics_run_hot_while_their_noise_alert_fires() -> None:
    source = demo()
    queries = {
        "HostHighCpuLoad": 'avg(rate(node_cpu_seconds_total{mode!="idle",service="%s"}[5m]))',
        "HostMemoryUnderPressure": 'node_memory_MemAvailable_bytes{service="%s"}',
        "DiskSpaceLow": 'node_filesystem_avail_bytes{mountpoint="/",service="%s"}',
    }
    shape_of = {
        "HostHighCpuLoad": "cpu",
        "HostMemoryUnderPressure": "memory",
        "DiskSpaceLow": "disk",
    }
    seen = set()
    for minutes in range(0, 6 * 60, 2):
        moment = ANCHOR + timedelta(minutes=minutes)
        for alert in named(alerts_at(source, moment), *queries):
            seen.add(alert.alertname)
            shape = SHAPES[shape_of[alert.alertname]]
            service = alert.labels["service"]
            query = queries[alert.alertname] % service
            (series,) = source.queries.query(query, moment)
            assert shape.hot[0] <= series.points[0][1] <= shape.hot[1]
            later = source.queries.query(query, moment - timedelta(hours=3))[0].points[0]
            if not source.firing_at(service, alert.alertname, later[0]):
                assert shape.calm[0] <= later[1] <= shape.calm[1]
    assert seen == set(queries)


def test_points_follow_the_step_and_are_capped_like_prometheus() -> None:
    queries = demo().queries
    end = ANCHOR + timedelta(hours=1)
    (series,) = queries.query_range(CONNECTIONS, ANCHOR, end, timedelta(seconds=15))
    assert len(series.points) == 241
    assert series.points[0][0] == ANCHOR
    assert series.points[-1][0] == end
    assert {b[0] - a[0] for a, b in pairwise(series.points)} == {timedelta(seconds=15)}
    step = timedelta(seconds=1)
    longest = ANCHOR + (MAX_POINTS - 1) * step
    (series,) = queries.query_range("up", ANCHOR, longest, step)
    assert len(series.points) == MAX_POINTS
    with pytest.raises(ValueError, match="11,000"):
        queries.query_range("up", ANCHOR, longest + step, step)
    with pytest.raises(ValueError, match="positive step"):
        queries.query_range("up", ANCHOR, end, timedelta(0))
    with pytest.raises(ValueError, match="start < end"):
        queries.query_range("up", end, ANCHOR, step)


def test_queries_are_deterministic_and_an_instant_is_a_point_of_the_range() -> None:
    start, end, step = (
        ANCHOR - timedelta(hours=1),
        ANCHOR + timedelta(minutes=30),
        timedelta(seconds=30),
    )
    first = demo().queries.query_range(CONNECTIONS, start, end, step)
    second = demo().queries.query_range(CONNECTIONS, start, end, step)
    assert first == second
    (series,) = first
    moment, value = series.points[17]
    assert demo().queries.query(CONNECTIONS, moment) == [Series(series.labels, ((moment, value),))]
    other = DemoSource(catalog=ESTATE, scenario=SCENARIO, seed=8, anchor=ANCHOR)
    assert other.queries.query_range(CONNECTIONS, start, end, step) != first


@pytest.mark.parametrize(
    ("query", "labels"),
    [
        ('up{service="acme-db"}', {"service": "acme-db"}),
        (
            'ipsec_tunnel_up{service="globex-vpn",instance="vpn-gw-01:9100"}',
            {"service": "globex-vpn", "instance": "vpn-gw-01:9100"},
        ),
        ('rate(cpu_seconds{service="no-such-service"}[5m])', {"service": "no-such-service"}),
        ("this is not promql {{{", {}),
    ],
)
def test_an_unknown_query_gets_a_calm_baseline(query: str, labels: dict[str, str]) -> None:
    source = demo()
    (series,) = source.queries.query_range(
        query, ANCHOR - timedelta(hours=1), ANCHOR + timedelta(hours=1), timedelta(minutes=1)
    )
    assert series.labels == labels
    shape = source.queries.shape_of(query)
    assert all(shape.calm[0] <= value <= shape.calm[1] for _, value in series.points)


def test_label_values_do_not_decide_the_shape() -> None:
    queries = demo().queries
    assert queries.shape_of('up{service="initech-error-tracker"}') is BASELINE
    assert queries.shape_of(CONNECTIONS).name == "connections"
    assert queries.shape_of(LATENCY).name == "latency"
