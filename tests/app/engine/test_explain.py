"""Explain: the rules behind an incident, read from its timeline and alerts and recomputed now."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.config.policies import parse_policies_text
from app.domain.alert import Alert, AlertStatus
from app.domain.incident import SYSTEM, Incident
from app.domain.policy import Policies
from app.domain.severity import Severity
from app.engine.explain import explain_incident, explanation_json, explanation_lines
from app.sources.demo import load_demo_estate
from tests.helpers.sources import make_alert

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=10)

POLICIES = """\
known_issues:
  - id: KI-7
    title: Orders DB connection pool too small
    matchers: ['service="acme-db"', 'alertname="DbConnections"']
    ticket: OPS-881
    runbook: db-connections
  - id: KI-8
    title: Expired rule
    matchers: ['alertname="HighLatency"']
    until: 2026-11-29T10:05:00Z
"""


@pytest.fixture
def policies() -> Policies:
    return parse_policies_text(POLICIES)


def storm(policies: Policies) -> tuple[Incident, list[Alert]]:
    """An acme-api incident that the acme-db failure took over, lowered by an operator."""
    catalog = load_demo_estate()
    gold = policies.contract_for("acme", catalog)
    incident = Incident.detect(
        title="HighLatency on api-1",
        customer="acme",
        services=("acme-api",),
        severity=Severity.P2,
        started_at=T0,
        detected_at=T0,
        group_key="acme|acme-api",
        policy=gold,
        root_service="acme-api",
        note="impact high (acme-api high); urgency medium -> P2",
        team="app-team",
    )
    incident = replace(incident, id=17, recurrence_of=3)
    later = T0 + timedelta(minutes=1)
    incident = incident.correlate(
        "acme-db",
        later,
        title="DbConnections on db-1",
        team="dba-team",
        services=("acme-db", "acme-api"),
        note="root-cause candidate is now acme-db: acme-api depend on it",
    )
    incident = incident.change_severity(Severity.P1, gold, SYSTEM, later, "urgency high -> P1")
    incident = incident.badge_known_issue("KI-7", later, "known issue KI-7: ..., see OPS-881")
    incident = incident.set_flapping(True, later, "flapping: 6 changes in 30 min")
    incident = incident.change_severity(
        Severity.P3, gold, "alice", T0 + timedelta(minutes=5), "customer says batch job, expected"
    )
    api = replace(
        make_alert(alertname="HighLatency", service="acme-api", starts_at=T0),
        reason="opened the incident",
        flapping=True,
    )
    db = replace(
        make_alert(
            alertname="DbConnections", service="acme-db", severity="critical", starts_at=later
        ),
        reason="root-cause candidate: acme-api depends on acme-db",
        suppressed_by=("silenced by 'db work' (bob) until 11:00Z",),
    )
    gone = replace(
        make_alert(alertname="PageMe", service="acme-web", severity="P1", starts_at=T0),
        status=AlertStatus.RESOLVED,
        reason="symptom of acme-db: acme-web depends on it via acme-api",
    )
    return incident, [api, db, gone]


def test_the_incident_says_why_it_is_rooted_owned_and_flagged(policies: Policies) -> None:
    incident, alerts = storm(policies)
    explanation = explain_incident(incident, alerts, load_demo_estate(), policies, NOW)
    assert explanation.key == "INC-000017"
    assert explanation.customer == "acme"
    assert explanation.contract == "gold"
    assert explanation.group_key == "acme|acme-api"
    assert explanation.grouping.startswith("alerts with the same customer and service within 5 min")
    assert explanation.root_service == "acme-db"
    assert explanation.root_reason == "root-cause candidate is now acme-db: acme-api depend on it"
    assert [(c.previous, c.service) for c in explanation.root_changes] == [("acme-api", "acme-db")]
    assert (explanation.team, explanation.team_reason) == (
        "dba-team",
        "owner of acme-db in the catalog",
    )
    assert explanation.flags == ("flapping", "known_issue")
    assert explanation.flapping_reason == "flapping: 6 changes in 30 min"
    badge = explanation.known_issue
    assert badge is not None
    assert badge.rule is not None
    assert (badge.rule.title, badge.rule.ticket, badge.rule.runbook) == (
        "Orders DB connection pool too small",
        "OPS-881",
        "db-connections",
    )
    assert explanation.recurrence_of == "INC-000003"


def test_severity_history_and_the_assessment_recomputed_over_firing_alerts(
    policies: Policies,
) -> None:
    incident, alerts = storm(policies)
    explanation = explain_incident(incident, alerts, load_demo_estate(), policies, NOW)
    assert [(s.actor, s.previous, s.severity, s.reason) for s in explanation.severity_history] == [
        ("system", None, "P2", "impact high (acme-api high); urgency medium -> P2"),
        ("system", "P2", "P1", "urgency high -> P1"),
        ("alice", "P1", "P3", "customer says batch job, expected"),
    ]
    assert explanation.severity is Severity.P3
    # the resolved P1-labelled alert no longer counts; the critical acme-db one does
    assert explanation.assessment.severity is Severity.P1
    assert explanation.assessment.steps == (
        "impact high (acme-db high, acme-api high)",
        "urgency high -> P1",
    )
    assert "never falls by itself" not in explanation.assessment_note
    assert explanation.assessment_note.startswith("more severe than the current P3")


def test_each_alert_keeps_its_stored_reason_and_matches_rules_now(policies: Policies) -> None:
    incident, alerts = storm(policies)
    explanation = explain_incident(incident, alerts, load_demo_estate(), policies, NOW)
    api, db, gone = explanation.alerts
    assert (api.alertname, api.service, api.status, api.reason) == (
        "HighLatency",
        "acme-api",
        "firing",
        "opened the incident",
    )
    assert api.flapping
    assert api.known_issue is None  # KI-8 matches its labels but expired at 10:05
    assert api.severity is Severity.P2  # warning on a high-impact service
    assert db.known_issue == "KI-7"
    assert db.suppressed_by == ("silenced by 'db work' (bob) until 11:00Z",)
    assert db.severity is Severity.P1
    assert (gone.status, gone.severity) == ("resolved", Severity.P1)
    earlier = explain_incident(incident, alerts, load_demo_estate(), policies, T0)
    assert earlier.alerts[0].known_issue == "KI-8"


@pytest.mark.parametrize(
    ("severity", "note"),
    [
        (Severity.P4, "more severe than the current P4: the engine raises severity when alerts"),
        (Severity.P3, "matches the current severity"),
        (Severity.P1, "less severe than the current P1: severity never falls by itself"),
    ],
)
def test_a_plain_incident_and_a_removed_rule(
    policies: Policies, severity: Severity, note: str
) -> None:
    catalog = load_demo_estate()
    incident = Incident.detect(
        title="Backups failing",
        customer="globex",
        services=(),
        severity=severity,
        started_at=T0,
        detected_at=T0,
        group_key="globex|alertname=BackupFailed",
        policy=None,
    )
    incident = replace(incident, id=5).badge_known_issue("KI-99", T0, "known issue KI-99: gone")
    alert = make_alert(alertname="BackupFailed", customer="globex", service=None, starts_at=T0)
    cleared = replace(
        make_alert(alertname="Paged", customer="globex", service=None, severity="P1", starts_at=T0),
        status=AlertStatus.RESOLVED,
    )
    explanation = explain_incident(incident, [alert, cleared], catalog, policies, NOW)
    assert explanation.root_service is None
    assert explanation.root_reason == "no alert names a service"
    assert (explanation.team, explanation.team_reason) == (
        None,
        "no root service, so no owning team",
    )
    assert explanation.contract == "silver"
    # no service: medium impact; a warning: medium urgency; the cleared P1 no longer counts
    assert explanation.assessment.steps == (
        "impact medium (no service named)",
        "urgency medium -> P3",
    )
    assert explanation.assessment_note.startswith(note)
    assert explanation.known_issue is not None
    assert explanation.known_issue.rule is None
    document = explanation_json(explanation)
    assert document["known_issue"] == {
        "id": "KI-99",
        "in_policies": False,
        "title": None,
        "ticket": None,
        "runbook": None,
        "until": None,
        "note": "known issue KI-99: gone",
    }
    assert "(no longer in policies.yaml)" in "\n".join(explanation_lines(explanation))


def test_json_and_text_say_the_same_things(policies: Policies) -> None:
    incident, alerts = storm(policies)
    explanation = explain_incident(incident, alerts, load_demo_estate(), policies, NOW)
    document = json.loads(json.dumps(explanation_json(explanation)))
    assert document["key"] == "INC-000017"
    assert document["root_changes"] == [
        {
            "at": "2026-11-29T10:01:00Z",
            "from": "acme-api",
            "to": "acme-db",
            "note": "root-cause candidate is now acme-db: acme-api depend on it",
        }
    ]
    assert document["severity_history"][-1] == {
        "at": "2026-11-29T10:05:00Z",
        "actor": "alice",
        "from": "P1",
        "to": "P3",
        "reason": "customer says batch job, expected",
    }
    assert document["assessment"]["severity"] == "P1"
    assert document["known_issue"]["ticket"] == "OPS-881"
    assert [a["known_issue"] for a in document["alerts"]] == [None, "KI-7", None]
    assert document["alerts"][1]["suppressed_by"] == ["silenced by 'db work' (bob) until 11:00Z"]
    text = "\n".join(explanation_lines(explanation))
    for expected in (
        "INC-000017  P3",
        "root:       acme-db: root-cause candidate is now acme-db",
        "team:       dba-team (owner of acme-db in the catalog)",
        "P1 -> P3 by alice: customer says batch job, expected",
        "known issue: KI-7: Orders DB connection pool too small",
        "ticket OPS-881",
        "recurrence: of INC-000003",
        "placed:     root-cause candidate: acme-api depends on acme-db",
        "suppressed: silenced by 'db work' (bob) until 11:00Z",
        "known issue now: KI-7",
    ):
        assert expected in text
