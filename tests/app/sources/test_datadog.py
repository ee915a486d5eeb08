"""The Datadog parser: monitors to alerts, on payloads in Datadog's documented shape.

The files tests/data/datadog-monitors-*.json are hand-written from the documented shape of
`GET /api/v1/monitor` (PEERS.md 4.1: the API client's OpenAPI schema and its recorded
cassettes), not captured from a live account.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.severity import Severity, severity_from_labels
from app.sources.datadog import app_url_for, parse_monitors
from tests.helpers.datadog_fake import monitor

DATA = Path(__file__).parents[2] / "data"
NOW = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)


def load(name: str) -> list[Any]:
    document: list[Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return document


def by_key(alerts: tuple[Alert, ...]) -> dict[tuple[str, str | None], Alert]:
    return {(a.labels["monitor_id"], a.labels.get("group")): a for a in alerts}


@pytest.fixture(scope="module")
def page() -> dict[tuple[str, str | None], Alert]:
    parsed = parse_monitors(load("datadog-monitors-page.json"), "dd-prod", NOW)
    assert parsed.monitors == 9
    assert parsed.skipped == 0
    assert parsed.warning is None
    return by_key(parsed.alerts)


def test_only_alert_warn_and_no_data_fire(page: dict[tuple[str, str | None], Alert]) -> None:
    assert sorted(page) == [
        ("4711", "host:web-01"),
        ("4712", "host:db-01,env:prod"),
        ("4712", "host:db-02,env:prod"),
        ("4713", None),
        ("4714", None),
        ("4716", "host:api-01,env:staging"),
    ]
    assert {a.labels["datadog_state"] for a in page.values()} == {"Alert", "Warn", "No Data"}
    assert all(a.status is AlertStatus.FIRING and a.ends_at is None for a in page.values())
    assert all(a.source == "dd-prod" and a.received_at == NOW for a in page.values())


def test_identity_is_the_monitor_id_and_group(page: dict[tuple[str, str | None], Alert]) -> None:
    cpu = page[("4711", "host:web-01")]
    assert cpu.fingerprint == fingerprint({"monitor_id": "4711", "group": "host:web-01"})
    # an ungrouped monitor is Datadog's "*" scope
    assert page[("4713", None)].fingerprint == fingerprint({"monitor_id": "4713", "group": "*"})


def test_identity_survives_a_rename_and_retag() -> None:
    before = monitor(7, name="Old name", groups={"host:a": "Alert"}, tags=["customer:acme"])
    after = monitor(7, name="New name", groups={"host:a": "Alert"}, tags=["customer:globex"])
    first = parse_monitors([before], "dd", NOW).alerts[0]
    second = parse_monitors([after], "dd", NOW).alerts[0]
    assert first.fingerprint == second.fingerprint
    assert (first.alertname, second.alertname) == ("Old name", "New name")


def test_labels_from_monitor_and_group_tags(page: dict[tuple[str, str | None], Alert]) -> None:
    cpu = page[("4711", "host:web-01")]
    assert dict(cpu.labels) == {
        "alertname": "[acme] High CPU on {{host.name}}",
        "monitor_id": "4711",
        "monitor_type": "query alert",
        "datadog_state": "Alert",
        "group": "host:web-01",
        "host": "web-01",
        "customer": "acme",
        "service": "web",
        "severity": "critical",
    }
    disk = page[("4712", "host:db-01,env:prod")]
    # the group's env:prod wins over the monitor's env:unknown; the bare `team` tag is skipped
    assert disk.labels["env"] == "prod"
    assert disk.labels["host"] == "db-01"
    assert "team" not in disk.labels
    assert (disk.customer, disk.service) == ("globex", "db")


def test_tags_never_overwrite_identity_labels() -> None:
    item = monitor(8, name="Real", tags=["alertname:fake", "monitor_id:1", "group:x", "env:a"])
    alert = parse_monitors([item], "dd", NOW).alerts[0]
    assert alert.labels["alertname"] == "Real"
    assert alert.labels["monitor_id"] == "8"
    assert "group" not in alert.labels
    assert alert.labels["env"] == "a"


def test_repeated_tag_keys_are_joined() -> None:
    item = monitor(9, tags=["team:noc", "team:db", "team:noc"])
    assert parse_monitors([item], "dd", NOW).alerts[0].labels["team"] == "noc,db"


def test_severity_tag_then_priority_then_state(page: dict[tuple[str, str | None], Alert]) -> None:
    assert page[("4711", "host:web-01")].labels["severity"] == "critical"  # tag beats priority 2
    assert page[("4712", "host:db-01,env:prod")].labels["severity"] == "P3"  # priority 3
    assert page[("4714", None)].labels["severity"] == "P4"  # priority 5 folds into P4
    assert page[("4713", None)].labels["severity"] == "critical"  # Alert, no priority
    assert page[("4716", "host:api-01,env:staging")].labels["severity"] == "warning"  # No Data


@pytest.mark.parametrize(
    ("priority", "state", "expected"),
    [
        (1, "Alert", "P1"),
        (2, "Warn", "P2"),
        (4, "No Data", "P4"),
        (5, "Alert", "P4"),
        (None, "Alert", "critical"),
        (None, "Warn", "warning"),
        (None, "No Data", "warning"),
    ],
)
def test_severity_rule(priority: int | None, state: str, expected: str) -> None:
    item = monitor(10, state=state, tags=[], priority=priority)
    assert parse_monitors([item], "dd", NOW).alerts[0].labels["severity"] == expected


def test_priority_labels_are_what_the_engine_reads() -> None:
    item = monitor(11, tags=[], priority=1)
    labels = parse_monitors([item], "dd", NOW).alerts[0].labels
    assert severity_from_labels(labels) is Severity.P1


def test_annotations(page: dict[tuple[str, str | None], Alert]) -> None:
    cpu = page[("4711", "host:web-01")]
    assert cpu.annotations["summary"] == "[acme] High CPU on web-01 (host:web-01)"
    assert cpu.annotations["description"].startswith("CPU high on {{host.name}}.")
    assert cpu.annotations["description"].endswith("@pagerduty-noc")  # trimmed
    assert cpu.annotations["runbook_url"] == "https://runbooks.example.com/HighCPU"
    assert cpu.annotations["query"].startswith("avg(last_5m)")
    # a markdown link; a templated URL (rendered only in notifications) is passed over
    disk = page[("4712", "host:db-01,env:prod")]
    assert disk.annotations["runbook_url"] == "https://runbooks.example.com/DiskFull"
    latency = page[("4716", "host:api-01,env:staging")]
    assert latency.annotations["runbook_url"] == "https://runbooks.example.com/Latency"
    payments = page[("4714", None)]
    assert payments.annotations["summary"] == "[initech] Payment errors in logs"
    assert "description" not in payments.annotations
    assert "runbook_url" not in payments.annotations


def test_starts_at(page: dict[tuple[str, str | None], Alert]) -> None:
    at = datetime.fromisoformat
    assert page[("4711", "host:web-01")].starts_at == at("2026-11-29T13:51:44+00:00")
    # last_triggered_ts 0: the monitor's overall_state_modified
    assert page[("4712", "host:db-02,env:prod")].starts_at == at("2026-11-29T13:00:00+00:00")
    assert page[("4713", None)].starts_at == at("2026-11-29T13:30:00+00:00")


def test_starts_at_is_never_in_the_future() -> None:
    ahead = int((NOW + timedelta(minutes=5)).timestamp())
    alert = parse_monitors([monitor(12, groups={"host:a": "Alert"}, triggered=ahead)], "dd", NOW)
    assert alert.alerts[0].starts_at == NOW


def test_starts_at_without_any_time_is_now() -> None:
    item = monitor(13, tags=[])
    del item["overall_state_modified"]
    assert parse_monitors([item], "dd", NOW).alerts[0].starts_at == NOW


def test_generator_url_is_the_monitor_page(page: dict[tuple[str, str | None], Alert]) -> None:
    assert page[("4711", "host:web-01")].generator_url == "https://app.datadoghq.com/monitors/4711"
    eu = parse_monitors([monitor(14)], "dd", NOW, app_url="https://app.datadoghq.eu")
    assert eu.alerts[0].generator_url == "https://app.datadoghq.eu/monitors/14"


@pytest.mark.parametrize(
    ("base_url", "app_url"),
    [
        ("https://api.datadoghq.com", "https://app.datadoghq.com"),
        ("https://api.datadoghq.eu", "https://app.datadoghq.eu"),
        ("https://api.us3.datadoghq.com", "https://us3.datadoghq.com"),
        ("https://api.us5.datadoghq.com", "https://us5.datadoghq.com"),
        ("https://api.ap1.datadoghq.com", "https://ap1.datadoghq.com"),
        ("https://api.ddog-gov.com", "https://app.ddog-gov.com"),
    ],
)
def test_app_url_for_each_site(base_url: str, app_url: str) -> None:
    assert app_url_for(base_url) == app_url


def test_app_url_for_a_proxy_is_the_sites() -> None:
    assert app_url_for("http://127.0.0.1:8080", "EU1") == "https://app.datadoghq.eu"
    assert app_url_for("https://dd-proxy.corp.example") == "https://app.datadoghq.com"


def test_muted_and_downtimes(page: dict[tuple[str, str | None], Alert]) -> None:
    # the mute of db-01 ended at 12:00; db-02's holds until 15:00
    assert page[("4712", "host:db-01,env:prod")].suppressed_by == ()
    assert page[("4712", "host:db-02,env:prod")].suppressed_by == (
        "muted in Datadog until 15:00 UTC",
    )
    assert page[("4714", None)].suppressed_by == ("muted in Datadog",)  # "*": null
    # downtime 99 covers env:staging now; 100 is for env:prod; 101 starts at 15:00
    assert page[("4716", "host:api-01,env:staging")].suppressed_by == (
        "muted in Datadog by downtime 99 until 15:00 UTC",
    )
    assert page[("4711", "host:web-01")].suppressed_by == ()


def test_a_mute_ending_days_ahead_names_the_date() -> None:
    item = monitor(15, groups={"host:a": "Alert"})
    item["options"]["silenced"] = {"host:a": int(datetime(2026, 12, 3, 9, tzinfo=UTC).timestamp())}
    alert = parse_monitors([item], "dd", NOW).alerts[0]
    assert alert.suppressed_by == ("muted in Datadog until 2026-12-03 09:00 UTC",)


def test_a_mute_scope_needs_every_tag_of_it() -> None:
    item = monitor(16, groups={"host:a,env:prod": "Alert", "host:a,env:dev": "Alert"})
    item["options"]["silenced"] = {"env:prod,host:a": None}
    muted = {a.labels["group"]: a.suppressed_by for a in parse_monitors([item], "dd", NOW).alerts}
    assert muted == {"host:a,env:prod": ("muted in Datadog",), "host:a,env:dev": ()}


def test_a_group_scoped_mute_does_not_mute_an_ungrouped_monitor() -> None:
    item = monitor(17)
    item["options"]["silenced"] = {"host:a": None}
    assert parse_monitors([item], "dd", NOW).alerts[0].suppressed_by == ()


def test_a_group_marked_muted() -> None:
    item = monitor(18, groups={"host:a": "Alert"})
    item["state"]["groups"]["host:a"]["muted"] = True
    assert parse_monitors([item], "dd", NOW).alerts[0].suppressed_by == ("muted in Datadog",)


def test_a_group_named_star_is_the_ungrouped_identity() -> None:
    grouped = parse_monitors([monitor(19, groups={"*": "Alert"})], "dd", NOW).alerts[0]
    ungrouped = parse_monitors([monitor(19)], "dd", NOW).alerts[0]
    assert grouped.fingerprint == ungrouped.fingerprint
    assert "group" not in grouped.labels


def test_groups_decide_over_overall_state() -> None:
    item = monitor(20, state="Alert", groups={"host:a": "OK", "host:b": "Ignored"})
    assert parse_monitors([item], "dd", NOW).alerts == ()


def test_a_monitor_listed_twice_counts_once() -> None:
    parsed = parse_monitors([monitor(21), monitor(21)], "dd", NOW)
    assert len(parsed.alerts) == 1
    assert parsed.monitors == 1


def test_absurd_monitors_are_skipped_never_crash() -> None:
    parsed = parse_monitors(load("datadog-monitors-bad.json"), "dd", NOW)
    assert [a.labels["monitor_id"] for a in parsed.alerts] == ["5001"]
    assert parsed.monitors == 2  # 5001 and the OK one whose odd texts are never read
    assert parsed.skipped == 10
    assert parsed.skip_reason == "monitor #2 in the list: id None is not a positive integer"
    assert parsed.warning == (
        "10 Datadog monitors skipped "
        "(first: monitor #2 in the list: id None is not a positive integer)"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": "5003"}, "id '5003' is not a positive integer"),
        ({"id": True}, "id True is not a positive integer"),
        ({"id": -1}, "id -1 is not a positive integer"),
        ({"state": {"groups": ["x"]}}, "state.groups is not an object"),
        ({"state": "Alert"}, "state is not an object"),
        ({"overall_state": "Critical", "state": {}}, "unknown overall_state 'Critical'"),
        ({"overall_state": ["Alert"], "state": {}}, "unknown overall_state ['Alert']"),
        ({"tags": "customer:acme"}, "tags is not a list of strings"),
        ({"tags": ["customer:acme", 7]}, "tags is not a list of strings"),
        ({"priority": 9}, "priority 9 is not 1..5"),
        ({"name": ""}, "no name"),
        ({"overall_state_modified": "soon"}, "overall_state_modified 'soon' is not a timestamp"),
        ({"overall_state_modified": 1e20}, "overall_state_modified 1e+20 is out of range"),
    ],
)
def test_each_absurd_field_is_named(change: dict[str, Any], reason: str) -> None:
    item = {**monitor(22), **change}
    parsed = parse_monitors([item], "dd", NOW)
    assert parsed.alerts == ()
    assert parsed.skipped == 1
    assert parsed.skip_reason is not None
    assert parsed.skip_reason.endswith(reason)


@pytest.mark.parametrize(
    ("group", "reason"),
    [
        ({"status": "Critical"}, "group 'host:a' has unknown status 'Critical'"),
        ({"status": None}, "group 'host:a' has unknown status None"),
        ({"status": "Alert", "last_triggered_ts": 1e20}, "last_triggered_ts 1e+20 is out of range"),
        ({"status": "Alert", "last_triggered_ts": -5}, "last_triggered_ts -5 is out of range"),
        ({"status": "Alert", "last_triggered_ts": "x"}, "last_triggered_ts 'x' is not a timestamp"),
    ],
)
def test_each_absurd_group_is_named(group: dict[str, Any], reason: str) -> None:
    item = monitor(23)
    item["state"]["groups"] = {"host:a": {"name": "host:a", **group}}
    parsed = parse_monitors([item], "dd", NOW)
    assert (parsed.alerts, parsed.skipped) == ((), 1)
    assert parsed.skip_reason == f"monitor 23: {reason}"


def test_a_skipped_monitor_does_not_hide_the_others() -> None:
    parsed = parse_monitors([monitor(24), {"id": None}, monitor(25)], "dd", NOW)
    assert [a.labels["monitor_id"] for a in parsed.alerts] == ["24", "25"]
    assert parsed.skipped == 1


def test_parse_is_pure() -> None:
    payload = load("datadog-monitors-page.json")
    snapshot = json.dumps(payload)
    first = parse_monitors(payload, "dd", NOW)
    assert parse_monitors(payload, "dd", NOW) == first
    assert json.dumps(payload) == snapshot


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        parse_monitors([], "dd", datetime(2026, 11, 29, 14, 0))  # noqa: DTZ001
