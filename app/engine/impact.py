"""An incident's priority: its impact (services, their criticality, tier, reach) x urgency.

Returns the reasoning with the answer, so the timeline and `policies check --explain`
can say why an incident is P2 and not P3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.domain.catalog import Catalog
from app.domain.severity import Impact, Severity
from app.domain.triage_rules import (
    SeverityRules,
    explicit_priority,
    highest_impact,
    highest_urgency,
    raise_impact,
)
from app.engine.topology import Topology


@dataclass(frozen=True, slots=True)
class Assessment:
    """A priority with the steps that led to it, in words."""

    severity: Severity
    steps: tuple[str, ...]

    def explain(self) -> str:
        return "; ".join(self.steps)


def assess(
    *,
    customer: str | None,
    services: Sequence[str],
    labels: Iterable[Mapping[str, str]],
    catalog: Catalog,
    topology: Topology,
    rules: SeverityRules,
) -> Assessment:
    """The priority of an incident over `services` whose alerts carry `labels`."""
    label_sets = list(labels)
    impacts = [catalog.impact_of(service) for service in services]
    impact = highest_impact(impacts) if impacts else Impact.MEDIUM
    steps = [f"impact {impact.value} ({_criticality(services, catalog)})"]
    known = catalog.customer(customer)
    if known is not None and known.tier in rules.raise_tiers:
        impact = raise_impact(impact)
        steps.append(f"{known.tier} customer: impact {impact.value}")
    if rules.wide_services and len(services) >= rules.wide_services:
        impact = raise_impact(impact)
        steps.append(f"{len(services)} services affected: impact {impact.value}")
    reach = topology.reach(services)
    if rules.wide_customers and len(reach) >= rules.wide_customers:
        impact = raise_impact(impact)
        steps.append(f"{len(reach)} customers depend on it: impact {impact.value}")
    urgency = highest_urgency([rules.urgency_of(labels) for labels in label_sets])
    severity = rules.priority(impact, urgency)
    steps.append(f"urgency {urgency.value} -> {severity.value}")
    explicit = [p for p in (explicit_priority(labels) for labels in label_sets) if p is not None]
    if explicit:
        stated = min(explicit, key=lambda p: p.rank)
        if stated.rank < severity.rank:
            severity = stated
            steps.append(f"an alert says {stated.value}")
    return Assessment(severity, tuple(steps))


def _criticality(services: Sequence[str], catalog: Catalog) -> str:
    if not services:
        return "no service named"
    known = [catalog.service(s) for s in services]
    rated = [f"{s.id} {s.impact.value}" for s in known if s is not None]
    unknown = len(known) - len(rated)
    parts = rated[:3] + (["..."] if len(rated) > 3 else [])
    if unknown:
        parts.append(f"{unknown} not in the catalog")
    return ", ".join(parts)
