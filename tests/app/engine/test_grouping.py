"""The first engine: grouping, dedup, resolution from complete snapshots, severity upgrades."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app.config.policies import load_policies
from app.domain.alert import Alert
from app.domain.catalog import Catalog, Customer, Service
from app.domain.incident import EventKind, Incident, IncidentState
from app.domain.severity import Impact, Severity
from app.engine.grouping import KnownAlert, PreviousIncident, group_key, plan_ingest
from tests.helpers.sources import make_alert

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
CATALOG = Catalog(
    customers={
        "acme": Customer("acme", "ACME", "gold"),
        "initech": Customer("initech", "Initech", "bronze"),
    },
    services={
        "acme-db": Service("acme-db", "acme", "DB", "dba", (), Impact.HIGH),
        "acme-api": Service("acme-api", "acme", "API", "app", ("acme-db",)),
    },
)
POLICIES = load_policies()


def plan(alerts, **kwargs):  # type: ignore[no-untyped-def]
    arguments = {
        "source": "scripted",
        "alerts": alerts,
        "complete": True,
        "known": {},
        "active_by_group": {},
        "incidents_by_id": {},
        "firing_counts": {},
        "previous_by_group": {},
        "catalog": CATALOG,
        "policies": POLICIES,
        "now": T0,
    }
    arguments.update(kwargs)
    return plan_ingest(**arguments)


def known(alert: Alert, alert_id: int, incident_id: int) -> KnownAlert:
    return KnownAlert(
        alert_id, alert.fingerprint, incident_id, alert.starts_at, alert.content_digest()
    )


def stored(incident: Incident, incident_id: int) -> Incident:
    return replace(incident, id=incident_id, version=1)


def test_alerts_of_one_customer_service_and_name_open_one_incident() -> None:
    alerts = [
        make_alert(instance="api-1", starts_at=T0 - timedelta(seconds=30)),
        make_alert(instance="api-2", starts_at=T0 - timedelta(seconds=50), severity="critical"),
        make_alert(alertname="DiskFull", instance="api-1", starts_at=T0),
    ]
    result = plan(alerts)
    assert len(result.new_incidents) == 2
    latency, group = next(
        (i, g) for i, g in result.new_incidents if i.group_key.endswith("HighLatency")
    )
    assert len(group) == 2
    assert latency.alert_count == 2
    assert latency.severity is Severity.P2  # critical x medium impact
    assert latency.started_at == T0 - timedelta(seconds=50)
    assert latency.detected_at == T0
    assert latency.response_due == T0 + timedelta(minutes=30)  # gold P2
    assert latency.customer == "acme"
    assert latency.services == ("acme-api",)


def test_high_impact_service_and_critical_is_p1_and_bronze_counts_business_hours() -> None:
    result = plan([make_alert(service="acme-db", severity="critical", starts_at=T0)])
    assert result.new_incidents[0][0].severity is Severity.P1
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # a Sunday
    bronze = plan(
        [
            make_alert(
                customer="initech", service="initech-x", severity="critical", starts_at=sunday
            )
        ],
        now=sunday,
    )
    incident = bronze.new_incidents[0][0]
    # P2 bronze: response within 2 business hours, from Monday 08:00 London (UTC in winter)
    assert incident.response_due == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_known_alerts_are_neither_reopened_nor_rewritten_unless_their_texts_change() -> None:
    alert = make_alert(starts_at=T0)
    result = plan([alert], known={alert.fingerprint: known(alert, 1, 7)})
    assert result.new_incidents == []
    assert result.refreshed == []
    assert result.resolved_alert_ids == []
    reworded = make_alert(starts_at=T0, summary="p99 now 4 s")
    assert reworded.fingerprint == alert.fingerprint  # annotations are not identity
    result = plan([reworded], known={alert.fingerprint: known(alert, 1, 7)})
    assert result.refreshed == [reworded]
    assert result.new_incidents == []


def test_complete_snapshot_resolves_missing_alerts_and_empty_incidents() -> None:
    gone = make_alert(instance="api-9", starts_at=T0)
    incident = stored(plan([gone]).new_incidents[0][0], 7)
    result = plan(
        [],
        known={gone.fingerprint: known(gone, 3, 7)},
        incidents_by_id={7: incident},
        firing_counts={7: 1},
        now=T0 + timedelta(minutes=5),
    )
    assert result.resolved_alert_ids == [3]
    before, after = result.changed[7]
    assert before is incident
    assert after.state is IncidentState.RESOLVED
    assert after.timeline[-1].note == "all alerts cleared"
    assert result.resolved_incidents == 1


def test_an_incident_with_other_firing_alerts_stays_open() -> None:
    gone = make_alert(instance="api-9", starts_at=T0)
    incident = stored(plan([gone]).new_incidents[0][0], 7)
    result = plan(
        [],
        known={gone.fingerprint: known(gone, 3, 7)},
        incidents_by_id={7: incident},
        firing_counts={7: 2},
    )
    assert result.resolved_alert_ids == [3]
    assert result.changed == {}


def test_partial_snapshot_resolves_nothing() -> None:
    gone = make_alert(starts_at=T0)
    result = plan([], complete=False, known={gone.fingerprint: known(gone, 3, 7)})
    assert result.resolved_alert_ids == []


def test_new_alert_joins_the_active_incident_and_upgrades_severity() -> None:
    first = make_alert(instance="api-1", starts_at=T0)
    incident = stored(plan([first]).new_incidents[0][0], 7)
    assert incident.severity is Severity.P3
    second = make_alert(instance="api-2", severity="critical", starts_at=T0 + timedelta(minutes=1))
    result = plan(
        [first, second],
        known={first.fingerprint: known(first, 1, 7)},
        active_by_group={group_key(second): incident},
        now=T0 + timedelta(minutes=1),
    )
    assert result.new_incidents == []
    assert result.attachments == {7: [second]}
    after = result.changed[7][1]
    assert after.alert_count == 2
    assert after.severity is Severity.P2
    assert [e.kind for e in after.timeline][-2:] == [
        EventKind.ALERTS_ATTACHED,
        EventKind.SEVERITY_CHANGED,
    ]
    assert after.response_due == incident.detected_at + timedelta(minutes=30)


def test_duplicates_from_ha_members_merge_with_the_earliest_start() -> None:
    early = make_alert(starts_at=T0 - timedelta(minutes=2))
    late = replace(early, starts_at=T0)
    result = plan([late, early])
    incident, group = result.new_incidents[0]
    assert group == [early]
    assert incident.started_at == early.starts_at


def test_recurrence_links_within_thirty_days_only() -> None:
    alert = make_alert(starts_at=T0)
    key = group_key(alert)
    recent = plan([alert], previous_by_group={key: PreviousIncident(5, T0 - timedelta(days=3))})
    assert recent.new_incidents[0][0].recurrence_of == 5
    old = plan([alert], previous_by_group={key: PreviousIncident(5, T0 - timedelta(days=31))})
    assert old.new_incidents[0][0].recurrence_of is None
