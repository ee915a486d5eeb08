"""Severity P1-P4 from an ITIL impact x urgency matrix, and how alert labels map onto it."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Severity(StrEnum):
    """Incident priority; P1 is the most severe. Sort by `rank` (1 = P1)."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @property
    def rank(self) -> int:
        return int(self.value[1])

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.strip().upper())
        except ValueError:
            raise ValueError(f"unknown severity {value!r} (expected P1, P2, P3 or P4)") from None


class Impact(StrEnum):
    """How much of a customer's business is hurt (ITIL impact)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Urgency(StrEnum):
    """How fast the harm grows if nobody acts (ITIL urgency)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# The classic ITIL priority matrix folded to four levels: low impact and low urgency,
# which ITIL calls P5 (planning), is P4 here because the NOC has no fifth queue.
PRIORITY_MATRIX: Mapping[tuple[Impact, Urgency], Severity] = {
    (Impact.HIGH, Urgency.HIGH): Severity.P1,
    (Impact.HIGH, Urgency.MEDIUM): Severity.P2,
    (Impact.MEDIUM, Urgency.HIGH): Severity.P2,
    (Impact.HIGH, Urgency.LOW): Severity.P3,
    (Impact.MEDIUM, Urgency.MEDIUM): Severity.P3,
    (Impact.LOW, Urgency.HIGH): Severity.P3,
    (Impact.MEDIUM, Urgency.LOW): Severity.P4,
    (Impact.LOW, Urgency.MEDIUM): Severity.P4,
    (Impact.LOW, Urgency.LOW): Severity.P4,
}

# Monitoring systems speak of urgency (how loud the alert is), not of business impact.
_URGENCY_BY_LABEL: Mapping[str, Urgency] = {
    "critical": Urgency.HIGH,
    "crit": Urgency.HIGH,
    "page": Urgency.HIGH,
    "high": Urgency.HIGH,
    "error": Urgency.MEDIUM,
    "major": Urgency.MEDIUM,
    "warning": Urgency.MEDIUM,
    "warn": Urgency.MEDIUM,
    "medium": Urgency.MEDIUM,
    "minor": Urgency.LOW,
    "info": Urgency.LOW,
    "low": Urgency.LOW,
    "none": Urgency.LOW,
}


def priority(impact: Impact, urgency: Urgency) -> Severity:
    return PRIORITY_MATRIX[(impact, urgency)]


def urgency_from_label(value: str | None) -> Urgency:
    """Unknown or missing severity labels count as low urgency: noise must not page anyone."""
    if value is None:
        return Urgency.LOW
    return _URGENCY_BY_LABEL.get(value.strip().lower(), Urgency.LOW)


def severity_from_labels(
    labels: Mapping[str, str],
    default_impact: Impact = Impact.MEDIUM,
    severity_label: str = "severity",
) -> Severity:
    """An explicit P1..P4 label wins; otherwise the label's urgency meets the impact.

    Impact comes from an `impact` label when the alert carries one, else from the
    service catalog (the caller passes the service's impact), else medium.
    """
    raw = labels.get(severity_label)
    if raw is not None and raw.strip().upper() in Severity.__members__:
        return Severity(raw.strip().upper())
    impact = default_impact
    raw_impact = labels.get("impact")
    if raw_impact is not None and raw_impact.strip().lower() in Impact._value2member_map_:
        impact = Impact(raw_impact.strip().lower())
    return priority(impact, urgency_from_label(raw))
