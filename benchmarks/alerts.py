"""Realistic alert batches for the storage and poll benchmarks (Alertmanager-shaped)."""

from __future__ import annotations

from datetime import datetime, timedelta

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
