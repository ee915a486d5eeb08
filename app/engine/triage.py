"""The triage engine: one source's snapshot in, a plan of what to store out.

Pure: given the snapshot, what storage knows (open alerts, the incidents they could join,
earlier occurrences), the catalog, the policies and `now`, it decides where every alert
goes and why, and which incidents change. Nothing is read or written here; app/console/
ingest.py gathers `Stored` and writes the plan in one transaction.

Where an alert goes, in order (the first rule that applies wins):
1. suppressed: silenced or inhibited at the source, or inside a maintenance window: kept,
   with the reason, in no incident;
2. the same alert (source and fingerprint) fired before: back to its incident while that
   is active; reopening it when it was resolved within the validation window;
3. a failing dependency: attached to that service's incident as a symptom;
4. same group (customer and `grouping.by` labels) as an incident that took alerts within
   `grouping.window`: grouped;
5. a dependant service's active incident: joins it and becomes its root-cause candidate;
6. otherwise a new incident, linked to the group's earlier one when there is one.
Steps 3-6 look at whole groups, so the order of alerts in a snapshot never matters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from app.domain.alert import Alert
from app.domain.catalog import Catalog
from app.domain.incident import SYSTEM, Incident, IncidentState
from app.domain.policy import Policies
from app.domain.severity import Severity, Urgency
from app.domain.triage_rules import span_text
from app.engine.impact import Assessment, assess
from app.engine.topology import Topology, topology_of

# an alert back after this long is news, not a recurrence (metrics count recurrences)
RECURRENCE_HORIZON = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class KnownAlert:
    """A firing alert storage already holds: identity, placement, start, digest and severity."""

    id: int
    fingerprint: str
    incident_id: int | None
    starts_at: datetime
    digest: str
    severity: Severity
    suppressed_by: tuple[str, ...] = ()
    flapping: bool = False

    def differs_from(self, alert: Alert, suppressed_by: tuple[str, ...]) -> bool:
        """Worth writing: new labels, texts or suppression, or an earlier start (an HA
        member saw it first). Cheap first: a storm's unchanged alerts stop at the digest."""
        return (
            alert.starts_at < self.starts_at
            or suppressed_by != self.suppressed_by
            or alert.content_digest() != self.digest
        )


@dataclass(frozen=True, slots=True)
class PriorOccurrence:
    """An alert's latest cleared occurrence: which incident held it."""

    incident_id: int | None


@dataclass(slots=True)
class Stored:
    """What storage knows that the plan depends on (gathered by app/console/ingest.py).

    Attributes:
        known: this source's firing alerts, by fingerprint.
        incidents: active incidents of the snapshot's customers, incidents losing alerts,
            incidents of earlier occurrences and flapping ones, by id.
        firing_counts: firing alerts per incident (for incidents that may resolve).
        prior: latest cleared occurrence of each new fingerprint.
        state_changes: fire/clear changes of each new or vanishing fingerprint within the
            flapping window, before this poll.
        incident_changes: the busiest alert's changes within the window, per flapping incident.
        urgent_services: per active incident, the services with a firing critical alert.
        unchanged: known alerts `reads_for` found with nothing to write.
    """

    known: Mapping[str, KnownAlert] = field(default_factory=dict)
    incidents: Mapping[int, Incident] = field(default_factory=dict)
    firing_counts: Mapping[int, int] = field(default_factory=dict)
    prior: Mapping[str, PriorOccurrence] = field(default_factory=dict)
    state_changes: Mapping[str, int] = field(default_factory=dict)
    incident_changes: Mapping[int, int] = field(default_factory=dict)
    urgent_services: Mapping[int, frozenset[str]] = field(default_factory=dict)
    unchanged: frozenset[str] = frozenset()


@dataclass(slots=True)
class IngestPlan:
    """What one snapshot changes.

    Attributes:
        new_incidents: incidents to create, each with the alerts it holds.
        attachments: alerts for incidents that already exist, by incident id.
        changed: existing incidents as read (`before`) and as they must be stored (`after`).
        refreshed: placed alerts whose texts, start, severity or suppression changed.
        suppressed: alerts held out of every incident (new, or whose reasons changed).
        resolved_alert_ids: stored alerts missing from a complete snapshot.
        alert_severity: severity of every alert to be written, by fingerprint.
        reasons: why each placed alert is where it is, by fingerprint.
        suppression: every suppression reason of each alert to be written, by fingerprint.
        flapping: fingerprints of alerts found flapping.
        urgent: fingerprints of high-urgency (critical) alerts: their services are failing.
    """

    new_incidents: list[tuple[Incident, list[Alert]]] = field(default_factory=list)
    attachments: dict[int, list[Alert]] = field(default_factory=dict)
    changed: dict[int, tuple[Incident, Incident]] = field(default_factory=dict)
    refreshed: list[Alert] = field(default_factory=list)
    suppressed: list[Alert] = field(default_factory=list)
    resolved_alert_ids: list[int] = field(default_factory=list)
    alert_severity: dict[str, Severity] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    suppression: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flapping: set[str] = field(default_factory=set)
    urgent: set[str] = field(default_factory=set)
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


def suppression_reasons(alert: Alert, policies: Policies, now: datetime) -> tuple[str, ...]:
    """The source's reasons (silences, inhibitions, mutes) and any local maintenance window."""
    window = policies.maintenance_for(alert.customer, alert.service, now)
    if window is None:
        return alert.suppressed_by
    return (*alert.suppressed_by, window.describe())


@dataclass(frozen=True, slots=True)
class Reads:
    """What `plan_ingest` will need from storage for one snapshot (see `reads_for`).

    Attributes:
        customers: whose active incidents new alerts may join.
        incident_ids: incidents the snapshot touches (losing alerts, severity rising).
        new_fingerprints: alerts storage holds no firing row of (earlier occurrences matter).
        vanished_fingerprints: firing alerts a complete snapshot no longer mentions.
        unchanged: known alerts with nothing to write (the plan skips them unseen: hashing
            a storm's 10k alerts once per poll is enough).
    """

    customers: frozenset[str | None]
    incident_ids: frozenset[int]
    new_fingerprints: frozenset[str]
    vanished_fingerprints: frozenset[str]
    unchanged: frozenset[str]


def reads_for(
    *,
    alerts: Sequence[Alert],
    complete: bool,
    known: Mapping[str, KnownAlert],
    catalog: Catalog,
    policies: Policies,
    now: datetime,
) -> Reads:
    """The storage reads a snapshot needs: nothing at all for an unchanged one."""
    customers: set[str | None] = set()
    incident_ids: set[int] = set()
    new: set[str] = set()
    reported = _merge_duplicates(alerts)
    unchanged: set[str] = set()
    for fingerprint, alert in reported.items():
        stored = known.get(fingerprint)
        reasons = suppression_reasons(alert, policies, now)
        if stored is not None and (stored.incident_id is not None or reasons):
            if not stored.differs_from(alert, reasons):
                unchanged.add(fingerprint)
                continue
            if stored.incident_id is not None:
                severity = policies.severity.alert_severity(
                    alert.labels, catalog.impact_of(alert.service)
                )
                if severity.rank < stored.severity.rank:
                    incident_ids.add(stored.incident_id)
                continue
        if stored is None:
            new.add(fingerprint)
        if not reasons:
            customers.add(alert.customer)
    vanished: set[str] = set()
    if complete:
        for fingerprint, stored in known.items():
            if fingerprint not in reported:
                vanished.add(fingerprint)
                if stored.incident_id is not None:
                    incident_ids.add(stored.incident_id)
    return Reads(
        frozenset(customers),
        frozenset(incident_ids),
        frozenset(new),
        frozenset(vanished),
        frozenset(unchanged),
    )


def plan_ingest(
    *,
    source: str,
    alerts: Sequence[Alert],
    complete: bool,
    stored: Stored,
    catalog: Catalog,
    policies: Policies,
    now: datetime,
) -> IngestPlan:
    """Decide what a snapshot of `source` changes; nothing is written here."""
    triage = _Triage(source, stored, catalog, policies, now)
    return triage.run(alerts, complete)


@dataclass(slots=True)
class _Group:
    """New alerts of one group key, and where they go."""

    key: str
    customer: str | None
    alerts: list[Alert]
    services: tuple[str, ...]
    root: str | None = None  # the failing dependency these alerts are symptoms of
    failing: tuple[str, ...] = ()  # its services with a critical alert


@dataclass(slots=True)
class _Opening:
    """A new incident being assembled from groups."""

    key: str
    customer: str | None
    root_service: str | None
    alerts: list[Alert]
    recurrence_of: int | None = None


class _Triage:
    """One plan's working state; see the module docstring for the rules."""

    def __init__(
        self, source: str, stored: Stored, catalog: Catalog, policies: Policies, now: datetime
    ) -> None:
        self.source = source
        self.stored = stored
        self.catalog = catalog
        self.policies = policies
        self.rules = policies.grouping
        self.now = now
        self.topology: Topology = topology_of(catalog)
        self.plan = IngestPlan()
        # incident id -> alerts joining it in this plan (flaps counted apart: not announced)
        self.joining: dict[int, list[Alert]] = {}
        self.flaps: dict[int, list[Alert]] = {}
        self.reroots: dict[int, tuple[str, Alert]] = {}
        self.openings: dict[str, _Opening] = {}

    # ------------------------------------------------------------------ the steps

    def run(self, alerts: Sequence[Alert], complete: bool) -> IngestPlan:
        placeable = self._sort_out(_merge_duplicates(alerts))
        groups = self._same_alert_first(placeable)
        self._correlate(groups)
        self._write_joins()
        self._write_openings()
        if complete:
            self._resolve_vanished({a.fingerprint for a in alerts})
            self._calm_flapping()
        return self.plan

    def _sort_out(self, reported: Mapping[str, Alert]) -> list[Alert]:
        """Suppressed alerts are kept aside, placed ones refreshed; the rest need a place."""
        plan = self.plan
        placeable: list[Alert] = []
        for fingerprint, alert in reported.items():
            if fingerprint in self.stored.unchanged:
                continue  # reads_for already compared it: nothing to write
            known = self.stored.known.get(fingerprint)
            reasons = suppression_reasons(alert, self.policies, self.now)
            if (
                known is not None
                and (known.incident_id is not None or reasons)
                and not known.differs_from(alert, reasons)
            ):
                continue  # unchanged: nothing to write, no severity to work out
            severity = self.policies.severity.alert_severity(
                alert.labels, self.catalog.impact_of(alert.service)
            )
            if known is not None and known.incident_id is not None:
                plan.refreshed.append(alert)
                self._note(alert, severity, reasons)
                if severity.rank < known.severity.rank:
                    self._raise_severity(known.incident_id, severity, alert)
                continue
            self._note(alert, severity, reasons)
            if reasons:
                plan.suppressed.append(alert)
                continue
            placeable.append(alert)
        return placeable

    def _same_alert_first(self, placeable: list[Alert]) -> dict[str, _Group]:
        """An alert that fired before goes back to its incident; the rest form groups."""
        groups: dict[str, _Group] = {}
        validation = self.policies.validation_window
        for alert in placeable:
            fingerprint = alert.fingerprint
            is_new = fingerprint not in self.stored.known
            changes = self.stored.state_changes.get(fingerprint, 0) + int(is_new)
            if changes >= self.policies.flapping.changes:
                self.plan.flapping.add(fingerprint)
            prior = self.stored.prior.get(fingerprint) if is_new else None
            earlier = self._incident(prior.incident_id if prior else None)
            if earlier is not None and earlier.state.active:
                self._join(earlier, alert, "fired again: same alert as before")
                continue
            if (
                earlier is not None
                and earlier.state is IncidentState.RESOLVED
                and earlier.resolved_at is not None
                and self.now - earlier.resolved_at <= validation
            ):
                note = f"recurrence within the {span_text(validation)} validation window"
                self._reopen(earlier, note)
                self._join(earlier, alert, f"{note}: reopened {earlier.key}")
                continue
            key = self.rules.key(alert.labels)
            group = groups.get(key)
            if group is None:
                groups[key] = _Group(key, alert.customer, [alert], ())
            else:
                group.alerts.append(alert)
        for group in groups.values():
            group.services = tuple(sorted({a.service for a in group.alerts if a.service}))
        return groups

    def _correlate(self, groups: Mapping[str, _Group]) -> None:
        by_customer: dict[str | None, list[_Group]] = {}
        for group in groups.values():
            by_customer.setdefault(group.customer, []).append(group)
        for customer, customer_groups in by_customer.items():
            self._correlate_customer(customer, sorted(customer_groups, key=lambda g: g.key))

    def _correlate_customer(self, customer: str | None, groups: list[_Group]) -> None:
        active = [
            self.plan.current(i)
            for i in self.stored.incidents.values()
            if i.customer == customer and self.plan.current(i).state.active
        ]
        active.sort(key=lambda i: i.id or 0)
        # failing: a service with a critical alert; warnings and info explain nothing downstream
        holding: dict[str, list[Incident]] = {}
        for incident in active:
            for service in sorted(self.stored.urgent_services.get(incident.id or 0, ())):
                holding.setdefault(service, []).append(incident)
        for group in groups:
            group.failing = tuple(
                sorted({a.service for a in group.alerts if a.service and self._urgent(a)})
            )
        failing = set(holding) | {s for g in groups for s in g.failing}
        for group in groups:
            group.root = self._root_of(group.services, failing)
        # targets of root services with groups of their own, decided before their symptoms
        targets: dict[str, Incident | _Opening] = {}
        for group in groups:
            if group.root is None:
                target = self._place_root_group(group, active)
                for service in group.services:
                    targets.setdefault(service, target)
        for group in groups:
            if group.root is None:
                continue
            symptom_of = targets.get(group.root)
            if symptom_of is None and group.root in holding:
                symptom_of = _preferred(holding[group.root], group.root)
            if symptom_of is None:  # its root fails only inside a mixed group: stand alone
                group.root = None
                self._place_root_group(group, active)
                continue
            self._add(symptom_of, group.alerts, self._symptom_reason(group))

    def _root_of(self, services: tuple[str, ...], failing: set[str]) -> str | None:
        """The most upstream failing service these services depend on, if any."""
        upstream: set[str] = set()
        for service in services:
            upstream |= self.topology.ancestors(service) & failing
        upstream -= set(services)
        roots = [s for s in upstream if not self.topology.ancestors(s) & failing]
        if not roots:
            return None
        impact_rank = {"high": 0, "medium": 1, "low": 2}
        root: str = min(roots, key=lambda s: (impact_rank[self.catalog.impact_of(s).value], s))
        return root

    def _place_root_group(self, group: _Group, active: list[Incident]) -> Incident | _Opening:
        window = self.rules.window
        same_group = [
            i for i in active if i.group_key == group.key and self.now - i.last_alert_at <= window
        ]
        if same_group:
            target = same_group[-1]
            reason = f"grouped: same {self.rules.describe()} within {span_text(window)}"
            self._add(target, group.alerts, reason)
            return target
        # a critical alert upstream of an open incident's root explains it: it takes the lead
        for root in group.failing:
            below = self.topology.descendants(root)
            dependants = [i for i in active if i.root_service in below]
            if not dependants:
                continue
            target = dependants[0]
            needy = sorted(set(target.services) & below)
            reason = f"root-cause candidate: {', '.join(needy)} depends on {root}"
            self.reroots.setdefault(target.id or 0, (root, _headline(group.alerts)))
            self._add(target, group.alerts, reason)
            return target
        opening = _Opening(
            key=group.key,
            customer=group.customer,
            root_service=group.services[0] if len(group.services) == 1 else None,
            alerts=[],
            recurrence_of=self._recurrence_link(group),
        )
        self.openings[group.key] = opening
        count = len(group.alerts)
        reason = (
            f"grouped: same {self.rules.describe()} within {span_text(window)}"
            if count > 1
            else "opened the incident"
        )
        self._add(opening, group.alerts, reason)
        return opening

    def _symptom_reason(self, group: _Group) -> str:
        assert group.root is not None
        service = next(
            (s for s in group.services if group.root in self.topology.ancestors(s)),
            group.services[0],
        )
        chain = self.topology.path(service, group.root)
        via = f" via {', '.join(chain[1:-1])}" if len(chain) > 2 else ""
        return f"symptom of {group.root}: {service} depends on it{via}"

    def _recurrence_link(self, group: _Group) -> int | None:
        """The incident that last held one of these alerts, if recent enough to be related."""
        for alert in sorted(group.alerts, key=lambda a: a.fingerprint):
            prior = self.stored.prior.get(alert.fingerprint)
            earlier = self._incident(prior.incident_id if prior else None)
            if earlier is not None and self.now - earlier.detected_at <= RECURRENCE_HORIZON:
                return earlier.id
        return None

    # ------------------------------------------------------------------ writing it down

    def _add(self, target: Incident | _Opening, alerts: list[Alert], reason: str) -> None:
        for alert in alerts:
            self.plan.reasons[alert.fingerprint] = reason
        if isinstance(target, _Opening):
            target.alerts.extend(alerts)
        else:
            assert target.id is not None
            self.joining.setdefault(target.id, []).extend(alerts)

    def _join(self, incident: Incident, alert: Alert, reason: str) -> None:
        assert incident.id is not None
        self.plan.reasons[alert.fingerprint] = reason
        if alert.fingerprint in self.plan.flapping:
            self.flaps.setdefault(incident.id, []).append(alert)
        else:
            self.joining.setdefault(incident.id, []).append(alert)

    def _reopen(self, incident: Incident, note: str) -> None:
        current = self.plan.current(incident)
        if current.state is IncidentState.RESOLVED:
            contract = self.policies.contract_for(current.customer, self.catalog)
            cadence = contract.update_cadence(current.severity)
            self.plan.change(incident, current.reopen(SYSTEM, self.now, note, cadence))

    def _write_joins(self) -> None:
        for incident_id in sorted(self.joining.keys() | self.flaps.keys()):
            stored = self.stored.incidents[incident_id]
            incident = self.plan.current(stored)
            announced = self.joining.get(incident_id, [])
            flaps = self.flaps.get(incident_id, [])
            services = _merged(incident.services, announced)
            sources = tuple(dict.fromkeys([*incident.sources, self.source]))
            if incident_id in self.reroots:
                root, headline = self.reroots[incident_id]
                incident = incident.correlate(
                    root,
                    self.now,
                    title=headline.summary,
                    team=self._team(root),
                    services=(root, *(s for s in services if s != root)),
                    note=f"root-cause candidate is now {root}: {', '.join(incident.services)} "
                    "depend on it",
                )
                services = incident.services
            if announced:
                incident = incident.attach_alerts(
                    len(announced), self.now, services=services, sources=sources
                )
            if flaps:
                incident = incident.count_alerts(len(flaps), sources)
            incident = self._flag_flapping(incident, [*announced, *flaps])
            incident = self._badge(incident, [*announced, *flaps])
            incident = self._rise(incident, [*announced, *flaps])
            self.plan.change(stored, incident)
            self.plan.attachments[incident_id] = [*announced, *flaps]

    def _write_openings(self) -> None:
        for key in sorted(self.openings):
            opening = self.openings[key]
            alerts = opening.alerts
            services = _merged((opening.root_service,) if opening.root_service else (), alerts)
            assessment = self._assess(opening.customer, services, alerts)
            headline = _headline([a for a in alerts if a.service == opening.root_service] or alerts)
            note = (
                f"recurrence of INC-{opening.recurrence_of:06d}"
                if opening.recurrence_of is not None
                else ""
            )
            incident = Incident.detect(
                title=headline.summary,
                customer=opening.customer,
                services=services,
                severity=assessment.severity,
                started_at=min(a.starts_at for a in alerts),
                detected_at=self.now,
                group_key=key,
                policy=self.policies.contract_for(opening.customer, self.catalog),
                sources=(self.source,),
                alert_count=len(alerts),
                root_service=opening.root_service,
                recurrence_of=opening.recurrence_of,
                note=_joined(note, assessment.explain()),
                team=self._team(opening.root_service),
            )
            incident = self._flag_flapping(incident, alerts)
            incident = self._badge(incident, alerts)
            self.plan.new_incidents.append((incident, alerts))

    def _flag_flapping(self, incident: Incident, alerts: Iterable[Alert]) -> Incident:
        busiest = max(
            (self._changes(a) for a in alerts if a.fingerprint in self.plan.flapping), default=0
        )
        if not busiest or incident.flapping:
            return incident
        return incident.set_flapping(True, self.now, self.policies.flapping.describe(busiest))

    def _badge(self, incident: Incident, alerts: Iterable[Alert]) -> Incident:
        if incident.known_issue is not None:
            return incident
        for alert in sorted(alerts, key=lambda a: a.fingerprint):
            issue = self.policies.known_issue_for(alert.labels, self.now)
            if issue is not None:
                return incident.badge_known_issue(issue.id, self.now, issue.describe())
        return incident

    def _rise(self, incident: Incident, alerts: list[Alert]) -> Incident:
        """Severity only rises by itself: an operator's lower choice holds until worse comes."""
        if not alerts or not incident.state.active:
            return incident
        assessment = self._assess(incident.customer, incident.services, alerts)
        if assessment.severity.rank >= incident.severity.rank:
            return incident
        contract = self.policies.contract_for(incident.customer, self.catalog)
        return incident.change_severity(
            assessment.severity, contract, SYSTEM, self.now, assessment.explain()
        )

    def _raise_severity(self, incident_id: int, severity: Severity, alert: Alert) -> None:
        stored = self.stored.incidents.get(incident_id)
        if stored is None:
            return
        incident = self.plan.current(stored)
        if not incident.state.active or severity.rank >= incident.severity.rank:
            return
        contract = self.policies.contract_for(incident.customer, self.catalog)
        note = f"{alert.alertname} became {severity.value}"
        self.plan.change(
            stored, incident.change_severity(severity, contract, SYSTEM, self.now, note)
        )

    # ------------------------------------------------------------------ resolution

    def _resolve_vanished(self, reported: set[str]) -> None:
        """Only a complete snapshot may resolve what it no longer mentions."""
        lost: dict[int, list[str]] = {}
        for fingerprint, known in self.stored.known.items():
            if fingerprint in reported:
                continue
            self.plan.resolved_alert_ids.append(known.id)
            if known.incident_id is not None:
                lost.setdefault(known.incident_id, []).append(fingerprint)
        for incident_id, fingerprints in sorted(lost.items()):
            stored = self.stored.incidents.get(incident_id)
            if stored is None:
                continue
            incident = self.plan.current(stored)
            joined = len(self.plan.attachments.get(incident_id, ()))
            remaining = self.stored.firing_counts.get(incident_id, 0) - len(fingerprints) + joined
            if remaining > 0 or not incident.state.active:
                continue
            busiest = max(self.stored.state_changes.get(fp, 0) + 1 for fp in fingerprints)
            if busiest >= self.policies.flapping.changes:
                if not incident.flapping:  # held open: flaps must not resolve and re-notify
                    note = self.policies.flapping.describe(busiest)
                    self.plan.change(stored, incident.set_flapping(True, self.now, note))
                continue
            self.plan.change(stored, incident.resolve(SYSTEM, self.now, "all alerts cleared"))
            self.plan.resolved_incidents += 1

    def _calm_flapping(self) -> None:
        """A flapping incident is released once its alerts change less often than the rule."""
        rule = self.policies.flapping
        for incident_id, changes in sorted(self.stored.incident_changes.items()):
            stored = self.stored.incidents.get(incident_id)
            if stored is None:
                continue
            incident = self.plan.current(stored)
            # released at half the rule, so an alert at the threshold does not toggle the flag
            if not incident.flapping or not incident.state.active or changes * 2 >= rule.changes:
                continue
            calm = f"calm again: {changes} changes in {span_text(rule.window)}"
            incident = incident.set_flapping(False, self.now, calm)
            joined = len(self.plan.attachments.get(incident_id, ()))
            if self.stored.firing_counts.get(incident_id, 0) + joined <= 0:
                incident = incident.resolve(SYSTEM, self.now, "all alerts cleared")
                self.plan.resolved_incidents += 1
            self.plan.change(stored, incident)

    # ------------------------------------------------------------------ small helpers

    def _incident(self, incident_id: int | None) -> Incident | None:
        if incident_id is None:
            return None
        stored = self.stored.incidents.get(incident_id)
        return self.plan.current(stored) if stored is not None else None

    def _note(self, alert: Alert, severity: Severity, reasons: tuple[str, ...]) -> None:
        self.plan.alert_severity[alert.fingerprint] = severity
        self.plan.suppression[alert.fingerprint] = reasons
        if self.policies.severity.urgency_of(alert.labels) is Urgency.HIGH:
            self.plan.urgent.add(alert.fingerprint)

    def _urgent(self, alert: Alert) -> bool:
        return alert.fingerprint in self.plan.urgent

    def _changes(self, alert: Alert) -> int:
        fingerprint = alert.fingerprint
        return self.stored.state_changes.get(fingerprint, 0) + int(
            fingerprint not in self.stored.known
        )

    def _assess(
        self, customer: str | None, services: Sequence[str], alerts: Sequence[Alert]
    ) -> Assessment:
        return assess(
            customer=customer,
            services=services,
            labels=[a.labels for a in alerts],
            catalog=self.catalog,
            topology=self.topology,
            rules=self.policies.severity,
        )

    def _team(self, service_id: str | None) -> str | None:
        service = self.catalog.service(service_id)
        return service.owner or None if service is not None else None


def _merge_duplicates(alerts: Sequence[Alert]) -> dict[str, Alert]:
    """HA members report the same alert: one per fingerprint, whatever the order.

    The earliest start wins (ties: the smaller content digest), and the reasons to
    suppress it are every member's: a silence one member has not heard of yet still holds.
    """
    reported: dict[str, Alert] = {}
    reasons: dict[str, set[str]] = {}
    for alert in alerts:
        earlier = reported.get(alert.fingerprint)
        if earlier is None:
            reported[alert.fingerprint] = alert
            continue
        reasons.setdefault(alert.fingerprint, set(earlier.suppressed_by)).update(
            alert.suppressed_by
        )
        if (alert.starts_at, alert.content_digest()) < (
            earlier.starts_at,
            earlier.content_digest(),
        ):
            reported[alert.fingerprint] = alert
    for fingerprint, every in reasons.items():
        kept = reported[fingerprint]
        if tuple(sorted(every)) != kept.suppressed_by:
            reported[fingerprint] = replace(kept, suppressed_by=tuple(sorted(every)))
    return reported


def _headline(alerts: Sequence[Alert]) -> Alert:
    """The alert that names the incident: the loudest, then the earliest (order-independent)."""
    urgency = {"critical": 0, "page": 0, "error": 1, "warning": 1}
    return min(
        alerts,
        key=lambda a: (
            urgency.get((a.labels.get("severity") or "").lower(), 2),
            a.starts_at,
            a.fingerprint,
        ),
    )


def _preferred(incidents: list[Incident], service: str) -> Incident:
    """Of the incidents holding a service, the one rooted at it, else the oldest."""
    rooted = [i for i in incidents if i.root_service == service]
    return (rooted or incidents)[0]


def _merged(services: tuple[str, ...], alerts: Iterable[Alert]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*services, *sorted({a.service for a in alerts if a.service})]))


def _joined(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
