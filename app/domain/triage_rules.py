"""The triage rules policies.yaml decides: grouping, flapping, severity matrix, known issues.

Plain values with the few pure functions that read them; the engine (app/engine/triage.py)
applies them. Every default here is also written, commented, in resources/policies/default.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from app.domain.matchers import LabelMatcher, matches_all
from app.domain.severity import PRIORITY_MATRIX, Impact, Severity, Urgency, urgency_from_label

_IMPACT_STEPS = (Impact.LOW, Impact.MEDIUM, Impact.HIGH)


@dataclass(frozen=True, slots=True)
class GroupingRule:
    """Which alerts form one incident.

    Attributes:
        by: labels whose values must agree (like Alertmanager's `group_by`); the customer
            always agrees as well, whatever this says: customers never share an incident.
        window: an active incident takes related alerts for this long after its latest one.
    """

    by: tuple[str, ...] = ("customer", "service")
    window: timedelta = timedelta(minutes=5)

    def key(self, labels: Mapping[str, str]) -> str:
        """`customer|value|value`; an alert with no service groups by its alert name instead,
        so unrelated service-less alerts of one customer do not pile into one incident."""
        parts = [labels.get("customer") or "-"]
        for name in self.by:
            if name == "customer":
                continue
            value = labels.get(name) or ""
            if not value and name == "service":
                value = "alertname=" + (labels.get("alertname") or "-")
            parts.append(value or "-")
        return "|".join(parts)

    def describe(self) -> str:
        names = [name for name in self.by if name != "customer"]
        return " and ".join(["customer", *names]) if names else "customer"


@dataclass(frozen=True, slots=True)
class FlappingRule:
    """An alert that fires and clears `changes` times within `window` is flapping."""

    changes: int = 6
    window: timedelta = timedelta(minutes=30)

    def describe(self, changes: int) -> str:
        return f"flapping: {changes} changes in {span_text(self.window)}"


@dataclass(frozen=True, slots=True)
class SeverityRules:
    """Impact x urgency -> P1..P4, and what raises an incident's impact.

    Attributes:
        matrix: priority for each (impact, urgency); the ITIL matrix by default.
        urgency: alert `severity` label value -> urgency; unknown values are low.
        raise_tiers: customer tiers whose incidents count one impact step higher.
        wide_services: an incident over this many services counts one step higher (0: never).
        wide_customers: a failure whose dependants reach this many customers counts one step
            higher (0: never).
    """

    matrix: Mapping[tuple[Impact, Urgency], Severity] = field(
        default_factory=lambda: dict(PRIORITY_MATRIX)
    )
    urgency: Mapping[str, Urgency] = field(default_factory=dict)
    raise_tiers: frozenset[str] = frozenset()
    wide_services: int = 3
    wide_customers: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "matrix", MappingProxyType(dict(self.matrix)))
        object.__setattr__(self, "urgency", MappingProxyType(dict(self.urgency)))
        missing = [f"{i}/{u}" for i in Impact for u in Urgency if (i, u) not in self.matrix]
        if missing:
            raise ValueError(f"the severity matrix has no entry for {', '.join(missing)}")

    def urgency_of(self, labels: Mapping[str, str]) -> Urgency:
        raw = (labels.get("severity") or "").strip().lower()
        return self.urgency.get(raw) or urgency_from_label(raw or None)

    def priority(self, impact: Impact, urgency: Urgency) -> Severity:
        return self.matrix[(impact, urgency)]

    def alert_severity(self, labels: Mapping[str, str], impact: Impact) -> Severity:
        """An explicit P1..P4 label wins (FORMATS.md); else the alert's urgency meets impact."""
        explicit = explicit_priority(labels)
        if explicit is not None:
            return explicit
        raw_impact = (labels.get("impact") or "").strip().lower()
        if raw_impact in Impact._value2member_map_:
            impact = Impact(raw_impact)
        return self.priority(impact, self.urgency_of(labels))


def explicit_priority(labels: Mapping[str, str]) -> Severity | None:
    raw = (labels.get("severity") or "").strip().upper()
    return Severity(raw) if raw in Severity.__members__ else None


def raise_impact(impact: Impact) -> Impact:
    index = _IMPACT_STEPS.index(impact)
    return _IMPACT_STEPS[min(index + 1, len(_IMPACT_STEPS) - 1)]


def highest_impact(impacts: Sequence[Impact]) -> Impact:
    return max(impacts, key=_IMPACT_STEPS.index, default=Impact.MEDIUM)


def highest_urgency(urgencies: Sequence[Urgency]) -> Urgency:
    order = (Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH)
    return max(urgencies, key=order.index, default=Urgency.LOW)


@dataclass(frozen=True, slots=True)
class KnownIssue:
    """A problem the NOC already knows: matching incidents carry its badge.

    Attributes:
        id: short reference shown on the wall (KI-12).
        title: what it is.
        matchers: every one must match an alert's labels (Alertmanager syntax).
        ticket: where it is tracked (OPS-881), if anywhere.
        runbook: what to do about it (a runbook id or URL), if anything.
        until: when the rule stops applying, if ever.
    """

    id: str
    title: str
    matchers: tuple[LabelMatcher, ...]
    ticket: str | None = None
    runbook: str | None = None
    until: datetime | None = None

    def matches(self, labels: Mapping[str, str], now: datetime) -> bool:
        if self.until is not None and now >= self.until:
            return False
        return matches_all(self.matchers, labels)

    def describe(self) -> str:
        text = f"known issue {self.id}: {self.title}"
        return f"{text}, see {self.ticket}" if self.ticket else text


def span_text(delta: timedelta) -> str:
    """'5 min', '2 h', '30 s': how reasons on the wall speak of a duration."""
    minutes = int(delta.total_seconds() // 60)
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min" if minutes else f"{int(delta.total_seconds())} s"
