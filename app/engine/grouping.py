"""The first triage engine: one incident per customer, service and alert name.

Pure: given a source's snapshot, what storage knows of open alerts and incidents, the
catalog, the policies and `now`, it returns a plan of what to write. The triage issue
replaces the grouping rule (correlation, flapping, silences); the plan shape stays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.domain.alert import Alert
from app.domain.catalog import Catalog
from app.domain.incident import SYSTEM, Incident
from app.domain.policy import Policies
from app.domain.severity import Severity, severity_from_labels

RECURRENCE_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class KnownAlert:
    """A firing alert storage already holds: identity, incident, start and content digest."""

    id: int
    fingerprint: str
    incident_id: int | None
    starts_at: datetime
    digest: str

    def differs_from(self, alert: Alert) -> bool:
        """Worth writing: new texts or suppression, or an earlier start (an HA member saw it first)."""
        return alert.starts_at < self.starts_at or alert.content_digest() != self.digest


@dataclass(frozen=True, slots=True)
class PreviousIncident:
    """The latest incident of a group, to link a recurrence to."""

    id: int
    detected_at: datetime


@dataclass(slots=True)
class IngestPlan:
    """What one snapshot changes.

    Attributes:
        new_incidents: incidents to create, each with the alerts that opened it.
        attachments: new alerts for incidents that already exist, by incident id.
        changed: existing incidents as read (`before`) and as they must be stored (`after`).
        refreshed: alerts already open whose texts or start changed (all others are only
            touched: their `last_seen` moves in one statement).
        resolved_alert_ids: stored alerts missing from a complete snapshot.
        alert_severity: severity of every alert to be written, by fingerprint.
    """

    new_incidents: list[tuple[Incident, list[Alert]]] = field(default_factory=list)
    attachments: dict[int, list[Alert]] = field(default_factory=dict)
    changed: dict[int, tuple[Incident, Incident]] = field(default_factory=dict)
    refreshed: list[Alert] = field(default_factory=list)
    resolved_alert_ids: list[int] = field(default_factory=list)
    alert_severity: dict[str, Severity] = field(default_factory=dict)
    resolved_incidents: int = 0

    def change(self, before: Incident, after: Incident) -> None:
        if before.id is None:
            raise ValueError("only stored incidents change")
        original = self.changed.get(before.id, (before, before))[0]
        self.changed[before.id] = (original, after)

    def current(self, incident: Incident) -> Incident:
        if incident.id is not None and incident.id in self.changed:
            return self.changed[incident.id][1]
        return incident


def group_key(alert: Alert) -> str:
    """Alerts of one customer, service and alert name are one incident (while it is active)."""
    return f"{alert.customer or '-'}|{alert.service or '-'}|{alert.alertname}"


def alert_severity(alert: Alert, catalog: Catalog) -> Severity:
    return severity_from_labels(alert.labels, catalog.impact_of(alert.service))


def _most_severe(severities: Sequence[Severity]) -> Severity:
    return min(severities, key=lambda severity: severity.rank)


def plan_ingest(
    *,
    source: str,
    alerts: Sequence[Alert],
    complete: bool,
    known: Mapping[str, KnownAlert],
    active_by_group: Mapping[str, Incident],
    incidents_by_id: Mapping[int, Incident],
    firing_counts: Mapping[int, int],
    previous_by_group: Mapping[str, PreviousIncident],
    catalog: Catalog,
    policies: Policies,
    now: datetime,
) -> IngestPlan:
    """Decide what a snapshot of `source` changes; nothing is written here."""
    plan = IngestPlan()
    reported: dict[str, Alert] = {}
    for alert in alerts:
        earlier = reported.get(alert.fingerprint)
        if earlier is None or alert.starts_at < earlier.starts_at:
            reported[alert.fingerprint] = (
                alert  # duplicates (HA members) merge, earliest start wins
            )
    new_by_group: dict[str, list[Alert]] = {}
    for fingerprint, alert in reported.items():
        stored = known.get(fingerprint)
        if stored is None:
            new_by_group.setdefault(group_key(alert), []).append(alert)
        elif stored.differs_from(alert):
            plan.refreshed.append(alert)
        else:
            continue  # unchanged: nothing to write, no severity to work out
        plan.alert_severity[fingerprint] = alert_severity(alert, catalog)

    lost: Counter[int] = Counter()
    if complete:  # only the whole truth may resolve what it no longer mentions
        for fingerprint, stored in known.items():
            if fingerprint not in reported:
                plan.resolved_alert_ids.append(stored.id)
                if stored.incident_id is not None:
                    lost[stored.incident_id] += 1

    for key, group in new_by_group.items():
        severity = _most_severe([plan.alert_severity[a.fingerprint] for a in group])
        existing = active_by_group.get(key)
        if existing is not None and existing.id is not None:
            _attach(plan, existing, group, severity, source, catalog, policies, now)
        else:
            plan.new_incidents.append(
                (
                    _open(key, group, severity, source, previous_by_group, catalog, policies, now),
                    group,
                )
            )

    for incident_id, gone in lost.items():
        stored_incident = incidents_by_id.get(incident_id)
        if stored_incident is None:
            continue
        incident = plan.current(stored_incident)
        remaining = (
            firing_counts.get(incident_id, 0) - gone + len(plan.attachments.get(incident_id, ()))
        )
        if remaining <= 0 and incident.state.active:
            plan.change(stored_incident, incident.resolve(SYSTEM, now, "all alerts cleared"))
            plan.resolved_incidents += 1
    return plan


def _attach(
    plan: IngestPlan,
    existing: Incident,
    group: list[Alert],
    severity: Severity,
    source: str,
    catalog: Catalog,
    policies: Policies,
    now: datetime,
) -> None:
    assert existing.id is not None
    incident = plan.current(existing)
    services = tuple(dict.fromkeys([*incident.services, *(a.service for a in group if a.service)]))
    sources = tuple(dict.fromkeys([*incident.sources, source]))
    after = incident.attach_alerts(len(group), now, services=services, sources=sources)
    if severity.rank < after.severity.rank:
        # upgrades are automatic; a downgrade is an operator's decision
        contract = policies.contract_for(after.customer, catalog)
        after = after.change_severity(severity, contract, SYSTEM, now, "a more severe alert joined")
    plan.change(existing, after)
    plan.attachments.setdefault(existing.id, []).extend(group)


def _open(
    key: str,
    group: list[Alert],
    severity: Severity,
    source: str,
    previous_by_group: Mapping[str, PreviousIncident],
    catalog: Catalog,
    policies: Policies,
    now: datetime,
) -> Incident:
    first = min(group, key=lambda alert: alert.starts_at)
    previous = previous_by_group.get(key)
    recurrence_of = (
        previous.id
        if previous is not None and now - previous.detected_at <= RECURRENCE_WINDOW
        else None
    )
    customer = first.customer
    return Incident.detect(
        title=first.summary,
        customer=customer,
        services=(first.service,) if first.service else (),
        severity=severity,
        started_at=first.starts_at,
        detected_at=now,
        group_key=key,
        policy=policies.contract_for(customer, catalog),
        sources=(source,),
        alert_count=len(group),
        root_service=first.service,
        recurrence_of=recurrence_of,
    )
