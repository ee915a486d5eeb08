"""The demo estate acted on and charted: remediations end what fires, metrics agree with alerts."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import groupby, pairwise

import pytest

from app.domain.alert import Alert
from app.domain.series import Series
from app.sources.demo import DemoSource, load_demo_estate, load_demo_scenario
from app.sources.demo_metrics import BASELINE, MAX_POINTS, METRIC_SHAPES

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
            assert source.firing_since(service, alert.alertname, moment, instance) == (
                alert.starts_at
            )
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
        ('node_load15{service="acme-db"}', {"service": "acme-db"}),
        (
            'rabbitmq_queue_messages_ready{service="globex-mq",instance="mq-01:15692"}',
            {"service": "globex-mq", "instance": "mq-01:15692"},
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
    assert queries.shape_of('node_load1{service="initech-error-tracker"}') is BASELINE
    assert queries.shape_of('node_load1{service="tunnel_up-backup_success"}') is BASELINE
    assert queries.shape_of(CONNECTIONS).name == "connections"
    assert queries.shape_of(LATENCY).name == "latency"


# ---------------------------------------------------------------- the runbooks' other charts

# A built-in runbook's chart query (resources/runbooks/) for each demo alert, and the shape
# that draws it; {service} and {instance} are the alert's.
RUNBOOK_CHARTS = [
    ("VpnTunnelDown", 'min by (peer) (ipsec_tunnel_up{service="{service}"})', "tunnel"),
    (
        "BackupJobFailed",
        '(time() - backup_job_last_success_timestamp_seconds{service="{service}"}) / 3600',
        "backup age",
    ),
    (
        "CertificateExpiringSoon",
        (
            '(probe_ssl_earliest_cert_expiry{service="{service}",instance="{instance}"} - time())'
            " / 86400"
        ),
        "certificate",
    ),
    (
        "NtpClockSkew",
        'node_timex_offset_seconds{service="{service}",instance="{instance}"}',
        "clock offset",
    ),
    (
        "NtpClockSkew",
        'min_over_time(node_timex_sync_status{service="{service}",instance="{instance}"}[5m])',
        "clock sync",
    ),
    (
        "ContainerRestarting",
        'sum(increase(kube_pod_container_status_restarts_total{service="{service}"}[15m]))',
        "restarts",
    ),
    ("SlowScrape", 'scrape_duration_seconds{service="{service}",instance="{instance}"}', "scrape"),
    (
        "HostMemoryUnderPressure",
        'rate(node_vmstat_pgmajfault{service="{service}",instance="{instance}"}[5m])',
        "page faults",
    ),
    (
        "DiskSpaceLow",
        (
            'predict_linear(node_filesystem_avail_bytes{service="{service}",instance="{instance}",'
            'fstype!~"tmpfs|overlay"}[6h], 24 * 3600) / 1e9'
        ),
        "disk forecast",
    ),
]


@cache
def first_alert(alertname: str) -> Alert:
    """The first time `alertname` fires on the demo from the anchor on (on seed 7)."""
    source = demo()
    for minutes in range(0, 24 * 60, 2):
        found = named(alerts_at(source, ANCHOR + timedelta(minutes=minutes)), alertname)
        if found:
            return found[0]
    pytest.fail(f"{alertname} never fires within a day")


def chart_for(template: str, alert: Alert) -> str:
    return template.replace("{service}", alert.service or "").replace(
        "{instance}", alert.labels["instance"]
    )


def assert_follows(
    source: DemoSource, query: str, alertname: str, start: datetime, end: datetime
) -> list[tuple[datetime, float, datetime | None]]:
    """Every point is hot while `alertname` fires where the query points, calm otherwise;
    a ramp is taken off first. Returns (moment, value, firing since) for more checks."""
    shape = source.queries.shape_of(query)
    (series,) = source.queries.query_range(query, start, end, timedelta(seconds=15))
    service, instance = series.labels["service"], series.labels.get("instance")
    seen = []
    for moment, value in series.points:
        since = source.firing_since(service, alertname, moment, instance)
        low, high = shape.calm if since is None else shape.hot
        climbed = 0.0 if since is None else shape.ramp * ((moment - since) / timedelta(hours=1))
        assert low <= value - climbed + 1e-12
        assert value - climbed <= high + 1e-12
        seen.append((moment, value, since))
    assert {since is None for _, _, since in seen} == {True, False}  # both states charted
    return seen


@pytest.mark.parametrize(("alertname", "template", "shape"), RUNBOOK_CHARTS)
def test_a_runbook_chart_follows_its_alert(alertname: str, template: str, shape: str) -> None:
    source = demo()
    alert = first_alert(alertname)
    query = chart_for(template, alert)
    assert source.queries.shape_of(query).name == shape
    around = alert.starts_at
    assert_follows(
        source, query, alertname, around - timedelta(minutes=40), around + timedelta(minutes=30)
    )


def test_the_shapes_say_what_the_runbooks_expect() -> None:
    assert SHAPES["tunnel"].calm == SHAPES["up"].calm == SHAPES["clock sync"].calm == (1, 1)
    assert SHAPES["tunnel"].hot == SHAPES["clock sync"].hot == (0, 0)
    assert SHAPES["certificate"].calm == (60, 80)
    assert SHAPES["certificate"].hot == (18, 20)
    assert SHAPES["clock offset"].hot == (0.06, 0.12)
    assert SHAPES["clock offset"].calm[0] < 0.001 < SHAPES["clock offset"].calm[1] < 0.002
    assert SHAPES["restarts"].calm == (0, 0)
    assert SHAPES["scrape"].hot == (6, 9)
    assert SHAPES["disk forecast"].hot[1] < 0 < SHAPES["disk forecast"].calm[0]


@pytest.mark.parametrize(
    ("alertname", "template"),
    [(name, template) for name, template, shape in RUNBOOK_CHARTS if SHAPES[shape].ramp],
)
def test_an_age_or_a_counter_climbs_for_as_long_as_its_alert_fires(
    alertname: str, template: str
) -> None:
    source = demo()
    alert = first_alert(alertname)
    query = chart_for(template, alert)
    start = alert.starts_at - timedelta(hours=1)
    seen = assert_follows(source, query, alertname, start, start + timedelta(hours=3))
    spells = [list(group) for since, group in groupby(seen, key=lambda point: point[2]) if since]
    assert spells
    for spell in spells:  # each spell ends higher than it began, then the line drops back
        assert spell[-1][1] > spell[0][1]
    # a remediation ends the climb: the backup ran, the pod is stable again
    middle = spells[0][len(spells[0]) // 2][0]
    service = alert.service or ""
    source.remediate(service, middle)
    (after,) = source.queries.query(query, middle + timedelta(seconds=15))
    shape = source.queries.shape_of(query)
    assert shape.calm[0] <= after.points[0][1] <= shape.calm[1]


def test_the_tunnel_drops_while_the_vpn_flaps_but_the_gateway_stays_up() -> None:
    source = demo()
    start, end = ANCHOR - timedelta(minutes=30), ANCHOR + timedelta(minutes=30)
    tunnel = 'min by (peer) (ipsec_tunnel_up{service="globex-vpn"})'
    seen = assert_follows(source, tunnel, "VpnTunnelDown", start, end)
    assert {value for _, value, _ in seen} == {0, 1}
    drops = sum(1 for a, b in pairwise(seen) if a[1] == 1 and b[1] == 0)
    assert drops >= 8  # a 3-minute cycle: it flaps, it does not just go down once
    # no demo alert is about `up` or a blackbox probe: through the flap and the storm they stay 1
    for query in (
        'up{service="globex-vpn",instance="vpn-gw-01.globex.internal:9100"}',
        'up{service="acme-db"}',
        'probe_success{service="acme-api",instance="https://api.acme.example"}',
    ):
        assert source.queries.shape_of(query).name == "up"
        assert set(values(source, query, start, end)) == {1}


def test_the_alert_that_drives_a_chart_is_found_by_its_rule_not_its_name() -> None:
    flapping = replace(
        SCENARIO.flapping, alert=replace(SCENARIO.flapping.alert, alertname="GlobexIpsecFlap")
    )
    source = DemoSource(
        catalog=ESTATE, scenario=replace(SCENARIO, flapping=flapping), seed=7, anchor=ANCHOR
    )
    tunnel = 'ipsec_tunnel_up{service="globex-vpn"}'
    start, end = ANCHOR - timedelta(minutes=10), ANCHOR + timedelta(minutes=10)
    assert_follows(source, tunnel, "GlobexIpsecFlap", start, end)
    assert values(source, tunnel, start, end) == values(demo(), tunnel, start, end)


def test_probe_phases_are_fractions_of_a_second() -> None:
    source = demo()
    query = 'sum by (phase) (probe_http_duration_seconds{service="acme-web",instance="x"})'
    assert source.queries.shape_of(query).name == "probe phases"
    assert all(value < 0.3 for value in values(source, query, ANCHOR, ANCHOR + timedelta(hours=1)))
