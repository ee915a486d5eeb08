"""Why an incident looks the way it does: which rules put each of its alerts where.

Pure: `explain_incident` reads the stored incident (its timeline says what the engine and
operators did), its stored alerts (each carries the placement reason the engine gave it)
and today's catalog and policies, and recomputes what the rules say now. Nothing here
changes an incident; `noc-console policies check --explain` prints the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.alert import Alert
from app.domain.catalog import Catalog
from app.domain.incident import EventKind, Incident, TimelineEvent
from app.domain.policy import Policies
from app.domain.severity import Severity
from app.domain.timestamps import iso_z
from app.domain.triage_rules import KnownIssue, span_text
from app.engine.impact import Assessment, assess
from app.engine.topology import topology_of


@dataclass(frozen=True, slots=True)
class SeverityStep:
    """The severity an incident was detected with (`previous` None), or a change of it.

    Attributes:
        at, actor: when and who (`system` for the engine, else the operator).
        previous, severity: from and to.
        reason: the assessment or the operator's reason, from the timeline.
    """

    at: datetime
    actor: str
    previous: str | None
    severity: str
    reason: str


@dataclass(frozen=True, slots=True)
class RootChange:
    """A `correlated` timeline event: a failing dependency became the root-cause candidate."""

    at: datetime
    previous: str | None
    service: str
    note: str


@dataclass(frozen=True, slots=True)
class KnownIssueBadge:
    """The known-issue badge an incident carries.

    Attributes:
        id: the rule's id; `rule` the rule as policies.yaml has it now (None: since removed).
        note: what the timeline said when the badge was given.
    """

    id: str
    rule: KnownIssue | None
    note: str


@dataclass(frozen=True, slots=True)
class AlertPlacement:
    """One alert of the incident and why it is there.

    Attributes:
        source, fingerprint, alertname, service, status: the alert.
        severity: its own priority under today's rules (label, service impact, matrix).
        reason: the placement reason the engine stored with it.
        suppressed_by: silences, inhibitions or maintenance holding it, if any.
        flapping: the engine saw it fire and clear too often.
        known_issue: id of the known-issue rule its labels match now, if any.
    """

    source: str
    fingerprint: str
    alertname: str
    service: str | None
    status: str
    severity: Severity
    reason: str
    suppressed_by: tuple[str, ...]
    flapping: bool
    known_issue: str | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything `--explain` says about one incident.

    Attributes:
        key, title, state, customer: the incident.
        contract: the SLA contract its customer gets (by tier, else the default).
        group_key, grouping: its group and the grouping rule in words.
        root_service, root_reason, root_changes: the root-cause candidate and why.
        team, team_reason: the owning team (the root service's owner in the catalog).
        severity: its severity now; `assessment` what impact x urgency gives today over its
            services and firing alerts; `severity_history` detection and every change.
        flags: engine flags; `flapping_reason` the latest flapping event's note.
        known_issue: its known-issue badge, if any.
        recurrence_of: key of the earlier incident it recurs, if any.
        alerts: each alert with its placement.
    """

    key: str
    title: str
    state: str
    customer: str | None
    contract: str
    group_key: str
    grouping: str
    root_service: str | None
    root_reason: str
    root_changes: tuple[RootChange, ...]
    team: str | None
    team_reason: str
    severity: Severity
    assessment: Assessment
    severity_history: tuple[SeverityStep, ...]
    flags: tuple[str, ...]
    flapping_reason: str | None
    known_issue: KnownIssueBadge | None
    recurrence_of: str | None
    alerts: tuple[AlertPlacement, ...]

    @property
    def assessment_note(self) -> str:
        """How today's assessment relates to the severity the incident has."""
        now, then = self.assessment.severity, self.severity
        if now is then:
            return "matches the current severity"
        if now.rank < then.rank:
            return (
                f"more severe than the current {then.value}: the engine raises severity "
                "when alerts join or change"
            )
        return f"less severe than the current {then.value}: severity never falls by itself"


def explain_incident(
    incident: Incident,
    alerts: Sequence[Alert],
    catalog: Catalog,
    policies: Policies,
    now: datetime,
) -> Explanation:
    """Which rules put `incident`'s alerts where they are, and what the rules say now."""
    firing = [alert.labels for alert in alerts if alert.firing]
    assessment = assess(
        customer=incident.customer,
        services=incident.services,
        labels=firing,
        catalog=catalog,
        topology=topology_of(catalog),
        rules=policies.severity,
    )
    root_changes = tuple(
        RootChange(event.at, event.data.get("from") or None, event.data.get("to", ""), event.note)
        for event in incident.timeline
        if event.kind is EventKind.CORRELATED
    )
    team, team_reason = _team(incident.root_service, catalog)
    return Explanation(
        key=incident.key,
        title=incident.title,
        state=incident.state.value,
        customer=incident.customer,
        contract=policies.contract_for(incident.customer, catalog).name,
        group_key=incident.group_key,
        grouping=(
            f"alerts with the same {policies.grouping.describe()} within "
            f"{span_text(policies.grouping.window)} of its latest alert join it"
        ),
        root_service=incident.root_service,
        root_reason=_root_reason(incident, root_changes, alerts),
        root_changes=root_changes,
        team=team,
        team_reason=team_reason,
        severity=incident.severity,
        assessment=assessment,
        severity_history=tuple(_severity_history(incident.timeline)),
        flags=tuple(sorted(incident.flags)),
        flapping_reason=_latest_note(incident.timeline, EventKind.FLAPPING)
        if incident.flapping
        else None,
        known_issue=_badge(incident, policies),
        recurrence_of=f"INC-{incident.recurrence_of:06d}"
        if incident.recurrence_of is not None
        else None,
        alerts=tuple(_placement(alert, catalog, policies, now) for alert in alerts),
    )


def _root_reason(
    incident: Incident, changes: tuple[RootChange, ...], alerts: Sequence[Alert]
) -> str:
    root = incident.root_service
    if changes and changes[-1].service == root:
        return changes[-1].note or f"a failing dependency, {root}, joined"
    if root is not None:
        return f"the incident opened on alerts of {root} alone"
    services = {alert.service for alert in alerts if alert.service}
    if not services:
        return "no alert names a service"
    return "its first alerts named several services and none of them fails upstream of the rest"


def _team(root: str | None, catalog: Catalog) -> tuple[str | None, str]:
    if root is None:
        return None, "no root service, so no owning team"
    service = catalog.service(root)
    if service is None:
        return None, f"{root} is not in the catalog"
    if not service.owner:
        return None, f"{root} has no owner in the catalog"
    return service.owner, f"owner of {root} in the catalog"


def _severity_history(timeline: Sequence[TimelineEvent]) -> list[SeverityStep]:
    steps: list[SeverityStep] = []
    for event in timeline:
        if event.kind is EventKind.DETECTED and "severity" in event.data:
            steps.append(
                SeverityStep(event.at, event.actor, None, event.data["severity"], event.note)
            )
        elif event.kind is EventKind.SEVERITY_CHANGED:
            steps.append(
                SeverityStep(
                    event.at,
                    event.actor,
                    event.data.get("from") or None,
                    event.data.get("to", ""),
                    event.note,
                )
            )
    return steps


def _latest_note(timeline: Sequence[TimelineEvent], kind: EventKind) -> str | None:
    return next((event.note for event in reversed(timeline) if event.kind is kind), None)


def _badge(incident: Incident, policies: Policies) -> KnownIssueBadge | None:
    if incident.known_issue is None:
        return None
    note = _latest_note(incident.timeline, EventKind.KNOWN_ISSUE) or ""
    return KnownIssueBadge(incident.known_issue, policies.known_issue(incident.known_issue), note)


def _placement(alert: Alert, catalog: Catalog, policies: Policies, now: datetime) -> AlertPlacement:
    issue = policies.known_issue_for(alert.labels, now)
    return AlertPlacement(
        source=alert.source,
        fingerprint=alert.fingerprint,
        alertname=alert.alertname,
        service=alert.service,
        status=alert.status.value,
        severity=policies.severity.alert_severity(alert.labels, catalog.impact_of(alert.service)),
        reason=alert.reason,
        suppressed_by=alert.suppressed_by,
        flapping=alert.flapping,
        known_issue=issue.id if issue is not None else None,
    )


# ---------------------------------------------------------------------- output


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    """The `--explain --json` document."""
    e = explanation
    issue = e.known_issue
    return {
        "key": e.key,
        "title": e.title,
        "state": e.state,
        "customer": e.customer,
        "contract": e.contract,
        "group_key": e.group_key,
        "grouping": e.grouping,
        "root_service": e.root_service,
        "root_reason": e.root_reason,
        "root_changes": [
            {"at": iso_z(c.at), "from": c.previous, "to": c.service, "note": c.note}
            for c in e.root_changes
        ],
        "team": e.team,
        "team_reason": e.team_reason,
        "severity": e.severity.value,
        "assessment": {
            "severity": e.assessment.severity.value,
            "steps": list(e.assessment.steps),
            "note": e.assessment_note,
        },
        "severity_history": [
            {
                "at": iso_z(s.at),
                "actor": s.actor,
                "from": s.previous,
                "to": s.severity,
                "reason": s.reason,
            }
            for s in e.severity_history
        ],
        "flags": list(e.flags),
        "flapping_reason": e.flapping_reason,
        "known_issue": None
        if issue is None
        else {
            "id": issue.id,
            "in_policies": issue.rule is not None,
            "title": issue.rule.title if issue.rule else None,
            "ticket": issue.rule.ticket if issue.rule else None,
            "runbook": issue.rule.runbook if issue.rule else None,
            "until": iso_z(issue.rule.until) if issue.rule else None,
            "note": issue.note,
        },
        "recurrence_of": e.recurrence_of,
        "alerts": [
            {
                "source": a.source,
                "fingerprint": a.fingerprint,
                "alertname": a.alertname,
                "service": a.service,
                "status": a.status,
                "severity": a.severity.value,
                "reason": a.reason,
                "suppressed_by": list(a.suppressed_by),
                "flapping": a.flapping,
                "known_issue": a.known_issue,
            }
            for a in e.alerts
        ],
    }


def explanation_lines(explanation: Explanation) -> list[str]:
    """The text an L1 operator reads: the incident, then each alert, one fact a line."""
    e = explanation
    lines = [
        f"{e.key}  {e.severity.value}  {e.state}  {e.title}",
        f"  customer:   {e.customer or '-'} (SLA contract {e.contract})",
        f"  group:      {e.group_key} ({e.grouping})",
        f"  root:       {e.root_service or '-'}: {e.root_reason}",
    ]
    lines += [
        f"              {iso_z(c.at)} {c.previous or '-'} -> {c.service}" for c in e.root_changes
    ]
    lines.append(f"  team:       {e.team or '-'} ({e.team_reason})")
    lines.append(f"  severity:   {e.severity.value}")
    for step in e.severity_history:
        what = (
            f"detected as {step.severity}"
            if step.previous is None
            else f"{step.previous} -> {step.severity}"
        )
        reason = f": {step.reason}" if step.reason else ""
        lines.append(f"              {iso_z(step.at)} {what} by {step.actor}{reason}")
    lines.append(f"              rules today: {e.assessment.explain()} ({e.assessment_note})")
    lines.append(f"  flags:      {', '.join(e.flags) or 'none'}")
    if e.flapping_reason:
        lines.append(f"  flapping:   {e.flapping_reason}")
    if e.known_issue is not None:
        lines += _known_issue_lines(e.known_issue)
    if e.recurrence_of:
        lines.append(f"  recurrence: of {e.recurrence_of}")
    lines.append(f"  alerts ({len(e.alerts)}):")
    for alert in e.alerts:
        lines.append(
            f"    {alert.alertname}  {alert.service or '-'}  {alert.status}  "
            f"{alert.severity.value}  from {alert.source}"
        )
        lines.append(f"      placed:     {alert.reason or '(no reason stored)'}")
        lines += [f"      suppressed: {reason}" for reason in alert.suppressed_by]
        if alert.flapping:
            lines.append("      flapping:   fires and clears too often")
        if alert.known_issue:
            lines.append(f"      known issue now: {alert.known_issue}")
    return lines


def _known_issue_lines(badge: KnownIssueBadge) -> list[str]:
    rule = badge.rule
    if rule is None:
        return [f"  known issue: {badge.id} (no longer in policies.yaml) {badge.note}".rstrip()]
    lines = [f"  known issue: {rule.id}: {rule.title}"]
    if rule.ticket:
        lines.append(f"              ticket {rule.ticket}")
    if rule.runbook:
        lines.append(f"              runbook {rule.runbook}")
    if rule.until:
        lines.append(f"              until {iso_z(rule.until)}")
    return lines
