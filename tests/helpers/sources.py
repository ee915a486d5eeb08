"""A scripted Source for engine and console tests: it reports what the test sets, or fails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.domain.alert import Alert, AlertStatus, fingerprint
from app.sources.base import Snapshot, SourceError


def make_alert(
    source: str = "scripted",
    *,
    alertname: str = "HighLatency",
    customer: str | None = "acme",
    service: str | None = "acme-api",
    severity: str = "warning",
    instance: str = "api-1",
    starts_at: datetime,
    received_at: datetime | None = None,
    summary: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> Alert:
    labels = {"alertname": alertname, "severity": severity, "instance": instance, **(extra or {})}
    if customer:
        labels["customer"] = customer
    if service:
        labels["service"] = service
    annotations = {"summary": summary or f"{alertname} on {instance}"}
    return Alert(
        source=source,
        fingerprint=fingerprint(labels),
        labels=labels,
        annotations=annotations,
        status=AlertStatus.FIRING,
        starts_at=starts_at,
        ends_at=None,
        received_at=received_at or starts_at,
    )


@dataclass
class ScriptedSource:
    """Reports `alerts` (complete unless told otherwise) or raises `error` when set."""

    name: str = "scripted"
    kind: str = "alertmanager"
    interval: timedelta = timedelta(seconds=15)
    alerts: list[Alert] = field(default_factory=list)
    complete: bool = True
    error: SourceError | Exception | None = None
    calls: int = 0

    def set(self, alerts: Iterable[Alert]) -> None:
        self.alerts = list(alerts)

    def fetch(self, now: datetime) -> Snapshot:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return Snapshot(self.name, tuple(self.alerts), now, complete=self.complete)
