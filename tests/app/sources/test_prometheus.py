"""Prometheus parsing on payloads recorded from the real 2.42 server (tests/data)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.domain.alert import fingerprint
from app.http import JsonResponse
from app.sources.base import BadPayload
from app.sources.prometheus import QueryError, parse_alerts, parse_matrix, parse_rules, unwrap

DATA = Path(__file__).parents[2] / "data"
NOW = datetime(2026, 11, 29, 14, 10, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def test_firing_alerts_only_with_the_rule_query_as_link() -> None:
    rules = parse_rules(unwrap(JsonResponse(load("prometheus-rules-type-alert.json"), 200)))
    assert rules["AlwaysFiring"].query == "vector(1)"
    assert rules["AlwaysFiring"].health == "ok"
    parsed = parse_alerts(
        unwrap(JsonResponse(load("prometheus-alerts.json"), 200)),
        "prom",
        NOW,
        "http://p:9090",
        rules,
    )
    assert parsed.skipped == []
    # PendingForAnHour is pending, not firing
    assert [a.alertname for a in parsed.alerts] == ["AlwaysFiring", "TargetUp"]
    alert = parsed.alerts[0]
    assert alert.fingerprint == fingerprint(alert.labels)
    assert alert.starts_at == datetime(2026, 11, 29, 14, 8, 44, 579440, tzinfo=UTC)
    assert alert.generator_url == "http://p:9090/graph?g0.expr=vector%281%29&g0.tab=1"
    assert alert.annotations["summary"] == "Always-firing test alert (value 1)"


def test_malformed_alerts_are_skipped() -> None:
    data = {"alerts": [{"state": "firing", "labels": {"alertname": "X"}}, {"state": "odd"}, 7]}
    parsed = parse_alerts(data, "prom", NOW, "http://p", {})
    assert parsed.alerts == []
    assert len(parsed.skipped) == 3


def test_error_envelope_is_a_query_error_and_garbage_a_bad_payload() -> None:
    recorded = load("prometheus-error-bad-query.json")["body"]
    with pytest.raises(QueryError, match="bad_data: invalid parameter"):
        unwrap(JsonResponse(recorded, 400))
    with pytest.raises(BadPayload):
        unwrap(JsonResponse(["not", "an", "envelope"], 200))


def test_range_query_result() -> None:
    (series,) = parse_matrix(unwrap(JsonResponse(load("prometheus-query_range.json"), 200)))
    assert series.labels["handler"] == "/api/v1/alerts"
    assert series.points[0] == (datetime.fromtimestamp(1795961346.872, UTC), 0.0)
    (odd,) = parse_matrix(
        {"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "NaN"], [2, "+Inf"]]}]}
    )
    assert math.isnan(odd.points[0][1])
    assert odd.points[1][1] == math.inf
