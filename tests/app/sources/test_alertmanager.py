"""Alertmanager parsing on payloads recorded from the real 0.25 server (tests/data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.domain.alert import fingerprint
from app.sources.alertmanager import merge_members, parse_alerts, silence_reasons
from app.sources.base import BadPayload

DATA = Path(__file__).parents[2] / "data"
NOW = datetime(2026, 11, 29, 14, 3, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def test_recorded_alerts_keep_identity_texts_and_suppression_reasons() -> None:
    silences = silence_reasons(load("alertmanager-silences.json"))
    parsed = parse_alerts(load("alertmanager-alerts.json"), "prod-am", NOW, silences)
    assert parsed.skipped == []
    by_fingerprint = {a.fingerprint: a for a in parsed.alerts}
    assert len(by_fingerprint) == 4
    # two HighCPU alerts on one instance: the warning one is inhibited by the critical one
    cpu = by_fingerprint["30823294d09cb275"]
    assert cpu.fingerprint == fingerprint(cpu.labels)
    assert cpu.customer == "acme"
    assert cpu.annotations["runbook_url"] == "https://runbooks.example.com/HighCPU"
    assert cpu.starts_at == datetime(2026, 11, 29, 14, 1, 44, 157000, tzinfo=UTC)
    assert cpu.suppressed_by == ("inhibited by HighCPU (dbe4c5740991008e)",)
    assert by_fingerprint["dbe4c5740991008e"].suppressed_by == ()
    silenced = [
        a for a in parsed.alerts if any(r.startswith("silenced by") for r in a.suppressed_by)
    ]
    assert silenced
    assert (
        "'maintenance window CHG0001234' (noc-console-test) until 2026-11-29 16:01Z"
        in silenced[0].suppressed_by[0]
    )


def test_alerts_forwarded_by_prometheus_carry_its_external_labels() -> None:
    parsed = parse_alerts(load("alertmanager-alerts-from-prometheus.json"), "am", NOW)
    assert parsed.alerts
    assert all(a.labels.get("site") == "ci" for a in parsed.alerts)
    assert all(a.generator_url for a in parsed.alerts)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("just text", "not an object"),
        ({"labels": {}, "startsAt": "2026-11-29T14:00:00Z"}, "no labels"),
        ({"labels": {"a": 1}, "startsAt": "2026-11-29T14:00:00Z"}, "labels must map text to text"),
        ({"labels": {"alertname": "X"}}, "startsAt"),
        ({"labels": {"alertname": "X"}, "startsAt": "yesterday"}, "Invalid isoformat"),
        (
            {
                "labels": {"alertname": "X"},
                "startsAt": "2026-11-29T14:00:00Z",
                "status": {"state": "exploded"},
            },
            "unknown state",
        ),
    ],
)
def test_a_malformed_alert_is_skipped_with_its_reason(item: Any, reason: str) -> None:
    good = load("alertmanager-alerts.json")[0]
    parsed = parse_alerts([good, item], "am", NOW)
    assert [a.fingerprint for a in parsed.alerts] == [good["fingerprint"]]
    assert len(parsed.skipped) == 1
    assert reason in parsed.skipped[0]


def test_absurd_times_are_clamped_and_a_missing_fingerprint_is_computed() -> None:
    item = {
        "labels": {"alertname": "Future"},
        "startsAt": "2999-01-01T00:00:00Z",
        "annotations": {},
    }
    (alert,) = parse_alerts([item], "am", NOW).alerts
    assert alert.starts_at == NOW
    assert alert.fingerprint == fingerprint({"alertname": "Future"})


def test_not_a_list_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload, match="JSON array"):
        parse_alerts({"alerts": []}, "am", NOW)


def test_members_merge_by_fingerprint_with_the_earliest_start() -> None:
    early, late = load("alertmanager-alerts.json")[0], dict(load("alertmanager-alerts.json")[0])
    late["startsAt"] = "2026-11-29T14:02:44.157Z"
    late["status"] = {"state": "suppressed", "silencedBy": ["s-1"], "inhibitedBy": []}
    merged = merge_members([parse_alerts([late], "am", NOW), parse_alerts([early], "am", NOW)])
    (alert,) = merged.alerts
    assert alert.starts_at == datetime(2026, 11, 29, 14, 1, 44, 157000, tzinfo=UTC)
    assert "silenced by silence s-1" in alert.suppressed_by
