"""Which label or tag of a source says customer, service and severity, and the fallback customer.

Monitors name these differently (`tenant`, `team`, `priority`...); the engine reads the
canonical `customer`, `service` and `severity` labels. The mapping copies the configured
label onto the canonical one after the source has computed the alert's identity, so a
mapping change never turns one alert into another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from app.domain.alert import Alert
from app.sources.base import Snapshot, Source


@dataclass(frozen=True, slots=True)
class LabelMapping:
    """Source label names for the canonical ones, and the source's `customer` fallback."""

    customer: str = "customer"
    service: str = "service"
    severity: str = "severity"
    default_customer: str | None = None

    @property
    def identity(self) -> bool:
        return (self.customer, self.service, self.severity, self.default_customer) == (
            "customer",
            "service",
            "severity",
            None,
        )

    def apply(self, alert: Alert) -> Alert:
        labels = dict(alert.labels)
        for canonical, configured in (
            ("customer", self.customer),
            ("service", self.service),
            ("severity", self.severity),
        ):
            value = labels.get(configured)
            if configured != canonical and value:
                labels[canonical] = value
        if not labels.get("customer") and self.default_customer:
            labels["customer"] = self.default_customer
        return alert if labels == alert.labels else replace(alert, labels=labels)


class MappedSource:
    """A source whose snapshots go through its label mapping (the factory wraps every source).

    Attributes:
        inner: the wrapped source; `mapping` the label mapping applied to its alerts.
    """

    def __init__(self, inner: Source, mapping: LabelMapping) -> None:
        self.inner = inner
        self.mapping = mapping

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def kind(self) -> str:
        return self.inner.kind

    @property
    def interval(self) -> timedelta:
        return self.inner.interval

    def fetch(self, now: datetime) -> Snapshot:
        snapshot = self.inner.fetch(now)
        if self.mapping.identity:
            return snapshot
        return replace(
            snapshot, alerts=tuple(self.mapping.apply(alert) for alert in snapshot.alerts)
        )

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()
