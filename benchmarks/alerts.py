"""Realistic alert batches for the storage and poll benchmarks (Alertmanager-shaped)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from app.domain.alert import Alert, AlertStatus, fingerprint


def alert_batch(
    count: int, now: datetime, *, source: str = "bench", groups: int = 500
) -> list[Alert]:
    """`count` distinct alerts with 8 labels and 3 annotations, spread over `groups` groups."""
    alerts = []
    for index in range(count):
        group = index % groups
        labels = {
            "alertname": f"Alert{group % 37}",
            "customer": f"customer{group % 20}",
            "service": f"service{group}",
            "severity": ("critical", "warning", "info")[index % 3],
            "instance": f"host-{index}.example.internal:9100",
            "job": "node",
            "region": ("eu-west-1", "us-east-1")[index % 2],
            "team": f"team{group % 7}",
        }
        alerts.append(
            Alert(
                source=source,
                fingerprint=fingerprint(labels),
                labels=labels,
                annotations={
                    "summary": f"Something is wrong on host-{index}",
                    "description": "A longer description of the problem, as rules usually carry.",
                    "runbook_url": f"https://runbooks.example.com/Alert{group % 37}",
                },
                status=AlertStatus.FIRING,
                starts_at=now - timedelta(seconds=index % 600),
                ends_at=None,
                received_at=now,
            )
        )
    return alerts


def am_payload(count: int, now: datetime) -> bytes:
    """The real peer's shape (tests/data/alertmanager-alerts.json), `count` distinct alerts."""
    template = json.loads(
        (Path(__file__).parents[1] / "tests/data/alertmanager-alerts.json").read_text()
    )[1]
    items = []
    for index, alert in enumerate(alert_batch(count, now)):
        item = dict(template)
        item["labels"] = dict(alert.labels)
        item["annotations"] = dict(alert.annotations)
        item["fingerprint"] = alert.fingerprint
        item["startsAt"] = alert.starts_at.isoformat().replace("+00:00", "Z")
        item["status"] = {
            "state": "active" if index % 10 else "suppressed",
            "silencedBy": [],
            "inhibitedBy": [],
        }
        items.append(item)
    return json.dumps(items).encode()
