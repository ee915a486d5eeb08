"""Alert identity: Alertmanager's fingerprint, immutable labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.domain.alert import Alert, AlertStatus, fingerprint

DATA = Path(__file__).parents[2] / "data"


def test_fingerprint_matches_alertmanager_on_recorded_payload() -> None:
    payload = json.loads((DATA / "alertmanager-alerts.json").read_text())
    assert payload
    for item in payload:
        assert fingerprint(item["labels"]) == item["fingerprint"]


def test_fingerprint_ignores_label_order_but_not_values() -> None:
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "2"})
    # the separator byte keeps ("ab","c") and ("a","bc") apart
    assert fingerprint({"ab": "c"}) != fingerprint({"a": "bc"})


def test_alert_labels_are_read_only_copies() -> None:
    labels = {"alertname": "X", "service": "s"}
    now = datetime(2026, 1, 1, tzinfo=UTC)
    alert = Alert("src", fingerprint(labels), labels, {}, AlertStatus.FIRING, now, None, now)
    labels["service"] = "changed"
    assert alert.service == "s"
    with pytest.raises(TypeError):
        alert.labels["x"] = "y"  # type: ignore[index]
    assert alert.summary == "X on s"
