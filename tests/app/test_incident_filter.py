"""The operator's incident filter: what passes, free text, and saved-view round trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from app.domain.incident import EscalationTier, Incident, IncidentState
from app.domain.incident_filter import IncidentFilter, haystack
from app.domain.severity import Severity


def make(t0: datetime, **changes: object) -> Incident:
    fresh = Incident.detect(
        title="Orders API latency high",
        customer="acme",
        services=("acme-api", "acme-db"),
        severity=Severity.P2,
        started_at=t0,
        detected_at=t0,
        group_key="g",
        policy=None,
        sources=("demo",),
        alert_count=3,
    )
    return replace(fresh, id=17, version=1, root_service="acme-db", team="dba-team", **changes)  # type: ignore[arg-type]


def test_an_empty_filter_keeps_everything(t0: datetime) -> None:
    assert IncidentFilter().is_empty()
    assert IncidentFilter(text="   ").is_empty()
    assert IncidentFilter().matches(make(t0))


def test_each_field_narrows_and_fields_combine(t0: datetime) -> None:
    item = make(t0)
    assert IncidentFilter(customers=frozenset({"acme", "globex"})).matches(item)
    assert not IncidentFilter(customers=frozenset({"globex"})).matches(item)
    assert IncidentFilter(severities=frozenset({Severity.P1, Severity.P2})).matches(item)
    assert not IncidentFilter(severities=frozenset({Severity.P1})).matches(item)
    assert IncidentFilter(states=frozenset({IncidentState.NEW})).matches(item)
    assert not IncidentFilter(states=frozenset({IncidentState.RESOLVED})).matches(item)
    assert IncidentFilter(tiers=frozenset({EscalationTier.L1})).matches(item)
    assert not IncidentFilter(tiers=frozenset({EscalationTier.L2})).matches(item)
    assert IncidentFilter(teams=frozenset({"dba-team"})).matches(item)
    assert not IncidentFilter(teams=frozenset({"app-team"})).matches(item)
    both = IncidentFilter(customers=frozenset({"acme"}), severities=frozenset({Severity.P1}))
    assert not both.matches(item)


def test_free_text_needs_every_word_anywhere_and_ignores_case(t0: datetime) -> None:
    item = make(t0, ticket="OPS-42", known_issue="KI-7")
    for text in ("latency", "LATENCY acme", "acme-db", "dba", "ops-42", "ki-7", "INC-000017"):
        assert IncidentFilter(text=text).matches(item), text
    assert not IncidentFilter(text="latency globex").matches(item)
    # the wall passes the precomputed haystack; the answer is the same
    assert IncidentFilter(text="orders").matches(item, haystack(item))
    assert not IncidentFilter(text="payments").matches(item, haystack(item))


def test_saved_views_round_trip_and_forgive_what_they_cannot_read(t0: datetime) -> None:
    wanted = IncidentFilter(
        customers=frozenset({"acme"}),
        severities=frozenset({Severity.P1, Severity.P2}),
        states=frozenset({IncidentState.NEW}),
        tiers=frozenset({EscalationTier.L2}),
        teams=frozenset({"dba-team"}),
        text=" db ",
    )
    saved = wanted.as_dict()
    assert saved == {
        "customers": ["acme"],
        "severities": ["P1", "P2"],
        "states": ["new"],
        "tiers": ["L2"],
        "teams": ["dba-team"],
        "text": "db",
    }
    assert IncidentFilter.from_dict(saved) == replace(wanted, text="db")
    odd = {"severities": ["P1", "P9", 3], "states": "new", "tiers": None, "future": 1, "text": 5}
    assert IncidentFilter.from_dict(odd) == IncidentFilter(
        severities=frozenset({Severity.P1}), states=frozenset({IncidentState.NEW})
    )
    assert IncidentFilter().as_dict() == {}


def test_describe_says_what_is_kept() -> None:
    wanted = IncidentFilter(
        severities=frozenset({Severity.P2, Severity.P1}),
        tiers=frozenset({EscalationTier.ENG, EscalationTier.L2}),
        text="db",
    )
    assert wanted.describe() == 'P1, P2 \u00b7 L2, ENG \u00b7 "db"'
