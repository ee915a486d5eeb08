"""Alerts as every source reports them: identity by fingerprint, firing or resolved."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

import orjson

_FNV64_OFFSET = 14695981039346656037
_FNV64_PRIME = 1099511628211
_MASK64 = 0xFFFFFFFFFFFFFFFF
_SEPARATOR = 0xFF


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set (FNV-1a 64 over sorted pairs), as 16 hex digits.

    Using the same function as Prometheus and Alertmanager means an alert keeps one
    identity whether it reaches us from Alertmanager, Prometheus or the demo estate.
    """
    value = _FNV64_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode("utf-8"):
                value = ((value ^ byte) * _FNV64_PRIME) & _MASK64
            value = ((value ^ _SEPARATOR) * _FNV64_PRIME) & _MASK64
    return f"{value:016x}"


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert occurrence as a source reported it.

    Attributes:
        source: name of the configured source that reported it.
        fingerprint: identity within the source (the label set's hash for Alertmanager).
        labels: identifying labels; `customer`, `service`, `severity`, `alertname` carry meaning.
        annotations: descriptive texts (`summary`, `description`, `runbook_url`); may change.
        status: firing or resolved.
        starts_at: when the monitor says the problem began.
        ends_at: when it ended (resolved alerts) or the monitor's expiry, if any.
        received_at: when the console first received this occurrence.
        generator_url: link back to the monitor's view of the alert, if given.
        suppressed_by: why it is held out of every incident (silence, inhibition, maintenance).
        reason: why the console put it where it is ("symptom of acme-db: ..."), once stored.
        flapping: the console saw it fire and clear too often, once stored.
    """

    source: str
    fingerprint: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    status: AlertStatus
    starts_at: datetime
    ends_at: datetime | None
    received_at: datetime
    generator_url: str | None = None
    suppressed_by: tuple[str, ...] = field(default=())
    reason: str = ""
    flapping: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(self, "annotations", _frozen(self.annotations))

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "") or self.fingerprint

    @property
    def customer(self) -> str | None:
        return self.labels.get("customer") or None

    @property
    def service(self) -> str | None:
        return self.labels.get("service") or None

    @property
    def summary(self) -> str:
        return (
            self.annotations.get("summary")
            or self.annotations.get("description")
            or f"{self.alertname} on {self.service or self.labels.get('instance') or '?'}"
        )

    @property
    def firing(self) -> bool:
        return self.status is AlertStatus.FIRING

    def content_digest(self) -> str:
        """A short hash of what may change while the alert keeps its identity (labels a
        source leaves out of its fingerprint, such as Datadog's severity; texts, link,
        suppression): comparing digests tells a storm's 10k unchanged alerts from the few
        that need writing, without reading their texts back from storage."""
        content = orjson.dumps(
            [dict(self.labels), dict(self.annotations), self.generator_url, self.suppressed_by],
            option=orjson.OPT_SORT_KEYS,
        )
        return hashlib.blake2b(content, digest_size=12).hexdigest()
