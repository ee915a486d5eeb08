"""The triage engine, one rule at a time, as pure decisions over a snapshot and what is stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app.config.policies import load_policies, parse_policies_text
from app.domain.alert import Alert
from app.domain.catalog import Catalog, Customer, Service
from app.domain.incident import SYSTEM, EventKind, Incident, IncidentState
from app.domain.policy import Policies
from app.domain.severity import Impact, Severity
from app.engine.triage import (
    IngestPlan,
    KnownAlert,
    PriorOccurrence,
    Stored,
    plan_ingest,
    reads_for,
)
from tests.helpers.sources import make_alert

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
CATALOG = Catalog(
    customers={
        "acme": Customer("acme", "ACME", "gold"),
        "globex": Customer("globex", "Globex", "silver"),
    },
    services={
        "acme-db": Service("acme-db", "acme", "DB", "dba-team", (), Impact.HIGH),
        "acme-cache": Service("acme-cache", "acme", "Cache", "platform-team", (), Impact.MEDIUM),
        "acme-api": Service(
            "acme-api", "acme", "API", "app-team", ("acme-db", "acme-cache"), Impact.HIGH
        ),
        "acme-web": Service("acme-web", "acme", "Web", "web-team", ("acme-api",), Impact.MEDIUM),
        "acme-batch": Service("acme-batch", "acme", "Batch", "", (), Impact.LOW),
        "globex-db": Service("globex-db", "globex", "DB", "dba-team", (), Impact.HIGH),
    },
)
POLICIES = load_policies()


def plan(
    alerts: list[Alert],
    stored: Stored | None = None,
    *,
    policies: Policies = POLICIES,
    complete: bool = True,
    now: datetime = T0,
) -> IngestPlan:
    return plan_ingest(
        source="scripted",
        alerts=alerts,
        complete=complete,
        stored=stored or Stored(),
        catalog=CATALOG,
        policies=policies,
        now=now,
    )


def stored_incident(
    incident_id: int,
    alerts: list[Alert],
    *,
    at: datetime = T0,
    root: str | None = None,
    policies: Policies = POLICIES,
) -> Incident:
    """An incident as storage would hand it back, opened by the engine from `alerts`."""
    (opened, _), *_ = plan(alerts, now=at, policies=policies).new_incidents
    if root is not None:
        opened = replace(opened, root_service=root)
    return replace(opened, id=incident_id, version=1)


def known(alert: Alert, alert_id: int, incident_id: int | None, **changes: object) -> KnownAlert:
    values: dict[str, object] = {
        "id": alert_id,
        "fingerprint": alert.fingerprint,
        "incident_id": incident_id,
        "starts_at": alert.starts_at,
        "digest": alert.content_digest(),
        "severity": POLICIES.severity.alert_severity(
            alert.labels, CATALOG.impact_of(alert.service)
        ),
    }
    values.update(changes)
    return KnownAlert(**values)  # type: ignore[arg-type]


def alert(service: str = "acme-api", **kwargs: object) -> Alert:
    customer = CATALOG.services[service].customer if service in CATALOG.services else "acme"
    values: dict[str, object] = {"service": service, "customer": customer, "starts_at": T0}
    values.update(kwargs)
    return make_alert(**values)  # type: ignore[arg-type]


def placed(result: IngestPlan) -> dict[str, str]:
    """fingerprint -> 'new:<group key>' or 'inc:<id>' for every alert the plan places."""
    where = {
        a.fingerprint: f"new:{i.group_key}" for i, group in result.new_incidents for a in group
    }
    for incident_id, group in result.attachments.items():
        where.update({a.fingerprint: f"inc:{incident_id}" for a in group})
    return where


# ---------------------------------------------------------------------- grouping


def test_alerts_of_one_customer_and_service_form_one_incident() -> None:
    alerts = [alert(instance="api-1"), alert(instance="api-2", alertname="High5xx")]
    result = plan(alerts)
    ((incident, group),) = result.new_incidents
    assert len(group) == 2
    assert incident.alert_count == 2
    assert incident.group_key == "acme|acme-api"
    assert incident.team == "app-team"
    assert result.reasons[alerts[0].fingerprint] == (
        "grouped: same customer and service within 5 min"
    )


def test_customers_never_share_an_incident_even_with_the_same_labels() -> None:
    alerts = [alert("acme-api"), alert("acme-api", customer="globex")]
    result = plan(alerts)
    assert sorted(i.customer or "" for i, _ in result.new_incidents) == ["acme", "globex"]


def test_group_by_and_window_come_from_policies() -> None:
    by_name = parse_policies_text("grouping: {by: [customer, service, alertname], window: 1m}")
    alerts = [alert(alertname="A"), alert(alertname="B")]
    assert len(plan(alerts, policies=by_name).new_incidents) == 2
    existing = stored_incident(7, [alert(alertname="A", instance="x")], policies=by_name)
    later = plan(
        [alert(alertname="A", instance="y")],
        Stored(incidents={7: existing}),
        policies=by_name,
        now=T0 + timedelta(seconds=50),
    )
    assert placed(later) == {alert(alertname="A", instance="y").fingerprint: "inc:7"}
    too_late = plan(
        [alert(alertname="A", instance="y")],
        Stored(incidents={7: existing}),
        policies=by_name,
        now=T0 + timedelta(minutes=2),
    )
    assert len(too_late.new_incidents) == 1


def test_alerts_without_a_service_group_by_alert_name() -> None:
    alerts = [alert(service=None, alertname="A"), alert(service=None, alertname="B")]
    assert len(plan(alerts).new_incidents) == 2


# ---------------------------------------------------------------------- correlation


def test_a_storm_is_one_incident_rooted_at_the_failing_database() -> None:
    root = alert("acme-db", alertname="PostgresConnectionsSaturated", severity="critical")
    api = [alert("acme-api", alertname="HighRequestLatency", instance=f"api-{n}") for n in range(3)]
    web = alert("acme-web", alertname="High5xxRate", severity="critical")
    result = plan([web, *api, root])
    ((incident, group),) = result.new_incidents
    assert incident.root_service == "acme-db"
    assert incident.team == "dba-team"
    assert incident.title == root.summary
    assert incident.services[0] == "acme-db"
    assert set(incident.services) == {"acme-db", "acme-api", "acme-web"}
    assert len(group) == 5
    assert result.reasons[api[0].fingerprint] == "symptom of acme-db: acme-api depends on it"
    assert result.reasons[web.fingerprint] == (
        "symptom of acme-db: acme-web depends on it via acme-api"
    )
    assert incident.severity is Severity.P1


def test_a_warning_upstream_explains_nothing_downstream() -> None:
    result = plan([alert("acme-db", alertname="HostHighCpuLoad"), alert("acme-api")])
    assert sorted(i.root_service or "" for i, _ in result.new_incidents) == [
        "acme-api",
        "acme-db",
    ]


def test_symptoms_join_an_open_incident_of_their_failing_dependency() -> None:
    root = alert("acme-db", severity="critical", alertname="DbDown")
    incident = stored_incident(4, [root])
    stored = Stored(
        incidents={4: incident}, firing_counts={4: 1}, urgent_services={4: frozenset({"acme-db"})}
    )
    later = T0 + timedelta(hours=2)  # no window for symptoms: the dependency still fails
    symptom = alert("acme-api", starts_at=later)
    result = plan([symptom], stored, now=later)
    assert placed(result) == {symptom.fingerprint: "inc:4"}
    _, after = result.changed[4]
    assert after.services == ("acme-db", "acme-api")
    assert after.timeline[-1].kind is EventKind.ALERTS_ATTACHED


def test_a_failing_dependency_takes_the_lead_of_its_dependants_incident() -> None:
    api = alert("acme-api", alertname="HighRequestLatency")
    incident = stored_incident(9, [api])
    assert incident.root_service == "acme-api"
    db = alert(
        "acme-db", severity="critical", alertname="DbDown", starts_at=T0 + timedelta(minutes=1)
    )
    result = plan(
        [db], Stored(incidents={9: incident}, firing_counts={9: 1}), now=T0 + timedelta(minutes=1)
    )
    assert placed(result) == {db.fingerprint: "inc:9"}
    _, after = result.changed[9]
    assert after.root_service == "acme-db"
    assert after.team == "dba-team"
    assert after.title == db.summary
    assert after.services[0] == "acme-db"
    correlated = [e for e in after.timeline if e.kind is EventKind.CORRELATED]
    assert correlated[0].data == {"from": "acme-api", "to": "acme-db"}
    assert result.reasons[db.fingerprint] == "root-cause candidate: acme-api depends on acme-db"
    assert after.severity is Severity.P1  # critical on a high-impact service


# ---------------------------------------------------------------------- dedup and recurrence


def test_duplicates_from_ha_members_merge_with_the_earliest_start() -> None:
    first = alert(starts_at=T0 - timedelta(minutes=5))
    result = plan([alert(), first])
    ((incident, group),) = result.new_incidents
    assert group == [first]
    assert incident.started_at == first.starts_at


def test_duplicates_merge_the_same_way_in_any_order() -> None:
    """One HA member has heard of a silence, the other not yet: silenced either way."""
    heard = replace(alert(), suppressed_by=("silenced by 'x' (alice)",))
    for order in ([alert(), heard], [heard, alert()]):
        result = plan(order)
        assert result.new_incidents == []
        assert result.suppression[heard.fingerprint] == heard.suppressed_by


def test_an_unchanged_snapshot_plans_and_reads_nothing() -> None:
    firing = alert()
    stored = Stored(known={firing.fingerprint: known(firing, 1, 3)})
    result = plan([firing], stored)
    assert result == IngestPlan()
    reads = reads_for(
        alerts=[firing],
        complete=True,
        known=stored.known,
        catalog=CATALOG,
        policies=POLICIES,
        now=T0,
    )
    assert not reads.customers
    assert not reads.incident_ids
    assert not reads.new_fingerprints
    assert reads.unchanged == {firing.fingerprint}


def test_a_severity_change_updates_the_incident_instead_of_reopening() -> None:
    warning = alert(alertname="QueueDepth")
    incident = stored_incident(2, [warning])
    assert incident.severity is Severity.P2
    critical = alert(alertname="QueueDepth", severity="critical")
    # Alertmanager: the severity is a label, so a new fingerprint replaces the old one
    stored = Stored(
        known={warning.fingerprint: known(warning, 1, 2)},
        incidents={2: incident},
        firing_counts={2: 1},
    )
    result = plan([critical], stored, now=T0 + timedelta(minutes=1))
    assert result.resolved_alert_ids == [1]
    assert placed(result) == {critical.fingerprint: "inc:2"}
    _, after = result.changed[2]
    assert after.state is IncidentState.NEW
    assert after.severity is Severity.P1
    # Datadog-like: same fingerprint (the monitor and group), the severity label moved
    was_info = replace(warning, labels={**warning.labels, "severity": "info"})
    same = Stored(
        known={warning.fingerprint: known(was_info, 1, 2, severity=Severity.P3)},
        incidents={2: replace(incident, severity=Severity.P3)},
    )
    moved = plan([warning], same)
    assert moved.refreshed == [warning]
    assert moved.changed[2][1].severity is Severity.P2
    assert moved.changed[2][1].timeline[-1].note == "QueueDepth became P2"


def test_an_alert_back_while_its_incident_is_open_goes_back_to_it() -> None:
    again = alert()
    incident = stored_incident(5, [alert(instance="other")])
    stored = Stored(incidents={5: incident}, prior={again.fingerprint: PriorOccurrence(5)})
    result = plan([again], stored, now=T0 + timedelta(hours=3))
    assert placed(result) == {again.fingerprint: "inc:5"}
    assert result.reasons[again.fingerprint] == "fired again: same alert as before"


def test_a_recurrence_inside_the_validation_window_reopens_the_incident() -> None:
    again = alert()
    resolved = stored_incident(5, [again]).resolve(SYSTEM, T0 + timedelta(minutes=10))
    stored = Stored(incidents={5: resolved}, prior={again.fingerprint: PriorOccurrence(5)})
    result = plan([again], stored, now=T0 + timedelta(minutes=69))
    assert placed(result) == {again.fingerprint: "inc:5"}
    _, after = result.changed[5]
    assert after.state is IncidentState.DIAGNOSING
    assert after.resolved_at is None
    # a P2 of a gold customer: the customer hears from us again within the hour
    assert after.severity is Severity.P2
    assert after.update_due == T0 + timedelta(minutes=69 + 60)
    assert [e.kind for e in after.timeline[-2:]] == [EventKind.REOPENED, EventKind.ALERTS_ATTACHED]
    assert result.reasons[again.fingerprint].startswith(
        "recurrence within the 1 h validation window: reopened INC-000005"
    )


def test_after_the_validation_window_a_recurrence_is_a_new_linked_incident() -> None:
    again = alert()
    resolved = stored_incident(5, [again]).resolve(SYSTEM, T0 + timedelta(minutes=10))
    stored = Stored(incidents={5: resolved}, prior={again.fingerprint: PriorOccurrence(5)})
    result = plan([again], stored, now=T0 + timedelta(minutes=71))
    ((incident, _),) = result.new_incidents
    assert incident.recurrence_of == 5
    assert incident.timeline[0].note.startswith("recurrence of INC-000005")
    assert result.changed == {}
    month_later = plan([again], stored, now=T0 + timedelta(days=31))
    assert month_later.new_incidents[0][0].recurrence_of is None


# ---------------------------------------------------------------------- resolution and flapping


def test_only_a_complete_snapshot_resolves() -> None:
    gone = alert()
    incident = stored_incident(3, [gone])
    stored = Stored(
        known={gone.fingerprint: known(gone, 1, 3)}, incidents={3: incident}, firing_counts={3: 1}
    )
    assert plan([], stored, complete=False) == IngestPlan()
    result = plan([], stored, now=T0 + timedelta(minutes=2))
    assert result.resolved_alert_ids == [1]
    assert result.resolved_incidents == 1
    assert result.changed[3][1].state is IncidentState.RESOLVED


def test_a_flapping_alert_marks_its_incident_and_is_not_announced() -> None:
    flappy = alert("acme-batch", alertname="VpnTunnelDown")
    incident = stored_incident(6, [flappy])
    stored = Stored(
        incidents={6: incident},
        prior={flappy.fingerprint: PriorOccurrence(6)},
        state_changes={flappy.fingerprint: 5},  # fired and cleared; this firing is the 6th
    )
    result = plan([flappy], stored, now=T0 + timedelta(minutes=20))
    assert result.flapping == {flappy.fingerprint}
    assert placed(result) == {flappy.fingerprint: "inc:6"}
    _, after = result.changed[6]
    assert after.flapping
    assert after.alert_count == incident.alert_count + 1
    kinds = [e.kind for e in after.timeline[len(incident.timeline) :]]
    assert kinds == [EventKind.FLAPPING]  # counted, flagged once, never re-announced
    assert after.timeline[-1].note == "flapping: 6 changes in 30 min"
    assert result.new_incidents == []


def test_a_flapping_incident_stays_open_when_its_alert_clears_and_resolves_when_calm() -> None:
    flappy = alert("acme-batch", alertname="VpnTunnelDown")
    incident = stored_incident(6, [flappy])
    stored = Stored(
        known={flappy.fingerprint: known(flappy, 11, 6)},
        incidents={6: incident},
        firing_counts={6: 1},
        state_changes={flappy.fingerprint: 5},
    )
    cleared = plan([], stored, now=T0 + timedelta(minutes=20))
    _, held = cleared.changed[6]
    assert held.state is IncidentState.NEW
    assert held.flapping
    assert cleared.resolved_incidents == 0
    still = Stored(incidents={6: held}, incident_changes={6: 3})
    assert plan([], still, now=T0 + timedelta(minutes=40)).changed == {}
    calm = Stored(incidents={6: held}, incident_changes={6: 2})
    result = plan([], calm, now=T0 + timedelta(minutes=55))
    _, after = result.changed[6]
    assert after.state is IncidentState.RESOLVED
    assert not after.flapping
    assert result.resolved_incidents == 1


# ---------------------------------------------------------------------- suppression


def test_silenced_alerts_are_kept_with_the_reason_in_no_incident() -> None:
    silenced = replace(
        alert(), suppressed_by=("silenced by 'db maintenance' (alice) until 14:00Z",)
    )
    result = plan([silenced])
    assert result.new_incidents == []
    assert result.suppressed == [silenced]
    assert result.suppression[silenced.fingerprint] == silenced.suppressed_by
    again = plan(
        [silenced],
        Stored(
            known={
                silenced.fingerprint: known(silenced, 1, None, suppressed_by=silenced.suppressed_by)
            }
        ),
    )
    assert again == IngestPlan()  # unchanged: nothing to write


def test_maintenance_windows_suppress_until_they_end() -> None:
    windowed = parse_policies_text(
        "maintenance:\n"
        "  - {customer: acme, service: acme-api, from: 2026-11-29T09:00:00Z,"
        " to: 2026-11-29T11:00:00Z, reason: API upgrade}\n"
    )
    inside = plan([alert()], policies=windowed)
    assert inside.new_incidents == []
    assert inside.suppression[alert().fingerprint] == (
        "maintenance: API upgrade until 2026-11-29 11:00Z",
    )
    other_service = plan([alert("acme-db")], policies=windowed)
    assert len(other_service.new_incidents) == 1
    stored = Stored(
        known={
            alert().fingerprint: known(
                alert(), 1, None, suppressed_by=inside.suppression[alert().fingerprint]
            )
        }
    )
    after = plan([alert()], stored, policies=windowed, now=T0 + timedelta(hours=1, minutes=1))
    assert len(after.new_incidents) == 1  # the window ended: the alert takes its place


# ---------------------------------------------------------------------- known issues and severity


def test_known_issues_badge_matching_incidents() -> None:
    rules = parse_policies_text(
        "known_issues:\n"
        "  - id: KI-12\n"
        "    title: Rotterdam tunnel renegotiates\n"
        "    matchers: ['alertname=\"VpnTunnelDown\"', 'service=~\"acme-.*\"']\n"
        "    ticket: OPS-881\n"
        "    runbook: vpn-renegotiation\n"
    )
    result = plan(
        [alert(alertname="VpnTunnelDown"), alert("acme-db", alertname="Other")], policies=rules
    )
    by_service = {i.root_service: i for i, _ in result.new_incidents}
    badged = by_service["acme-api"]
    assert badged.known_issue == "KI-12"
    assert "known_issue" in badged.flags
    assert (
        badged.timeline[-1].note == "known issue KI-12: Rotterdam tunnel renegotiates, see OPS-881"
    )
    assert by_service["acme-db"].known_issue is None


def test_severity_comes_from_the_policies_matrix_and_what_widens_impact() -> None:
    # medium impact (web) x medium urgency (warning) = P3 in the default matrix
    assert plan([alert("acme-web")]).new_incidents[0][0].severity is Severity.P3
    gold_raised = parse_policies_text("severity: {raise_tiers: [gold]}")
    assert (
        plan([alert("acme-web")], policies=gold_raised).new_incidents[0][0].severity is Severity.P2
    )
    strict = parse_policies_text("severity: {matrix: {medium: {medium: P2}}}")
    assert plan([alert("acme-web")], policies=strict).new_incidents[0][0].severity is Severity.P2
    explicit = alert("acme-batch", severity="P1")
    assert plan([explicit]).new_incidents[0][0].severity is Severity.P1


def test_severity_only_rises_by_itself() -> None:
    loud = alert("acme-api", severity="critical", alertname="Down")
    incident = replace(stored_incident(8, [loud]), severity=Severity.P1)
    quiet = alert(
        "acme-api", severity="info", alertname="Slow", starts_at=T0 + timedelta(minutes=1)
    )
    result = plan([quiet], Stored(incidents={8: incident}), now=T0 + timedelta(minutes=1))
    assert result.changed[8][1].severity is Severity.P1
    lowered = replace(incident, severity=Severity.P4)  # an operator lowered it, with a reason
    rising = plan([quiet], Stored(incidents={8: lowered}), now=T0 + timedelta(minutes=1))
    after = rising.changed[8][1]
    assert after.severity is Severity.P3  # high impact x low urgency
    assert after.timeline[-1].kind is EventKind.SEVERITY_CHANGED
    assert "urgency low -> P3" in after.timeline[-1].note
