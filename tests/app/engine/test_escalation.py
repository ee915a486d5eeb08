"""Escalation by tier timers, and the SLA crossings that deserve a notification."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.config.policies import load_policies, parse_policies_text
from app.domain.errors import DomainError, IllegalTransition
from app.domain.incident import EscalationTier, EventKind, Incident, IncidentState
from app.domain.notifications import NotificationKind
from app.domain.severity import Severity
from app.domain.sla import Calendar, SlaPolicy, SlaTarget
from app.engine.escalation import SlaWatch, due_escalations, sla_crossings
from app.engine.sla_clock import next_change, read_clock

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
GOLD = SlaPolicy("gold", {Severity.P1: SlaTarget(timedelta(minutes=15), timedelta(hours=4))})
BUSINESS = SlaPolicy(
    "bronze",
    {Severity.P1: SlaTarget(timedelta(hours=1), timedelta(days=1))},
    Calendar("Europe/London", time(8, 0), time(18, 0), frozenset(range(5))),
)
POLICIES = load_policies()  # P1: L1 5m, L2 15m, L3 30m unacknowledged; L2 team noc-l2


def p1(incident_id: int = 7) -> Incident:
    opened = Incident.detect(
        title="Orders database saturated",
        customer="acme",
        services=("acme-db",),
        severity=Severity.P1,
        started_at=T0,
        detected_at=T0,
        group_key="acme|acme-db",
        policy=GOLD,
        team="dba-team",
    )
    return replace(opened, id=incident_id, version=1)


def test_an_unacknowledged_p1_climbs_one_tier_per_timer() -> None:
    assert due_escalations([p1()], POLICIES, T0 + timedelta(minutes=4)) == []
    ((_, after, notice),) = due_escalations([p1()], POLICIES, T0 + timedelta(minutes=5))
    assert after.tier is EscalationTier.L2
    assert after.state is IncidentState.NEW  # escalation is not a response: the clock runs
    event = after.timeline[-1]
    assert (event.kind, event.actor) == (EventKind.ESCALATED, "system")
    assert event.note == "not acknowledged within 5 min in L1"
    assert notice.kind is NotificationKind.ESCALATED
    assert notice.team == "noc-l2"
    assert notice.text == "INC-000007 escalated to L2 (noc-l2): not acknowledged within 5 min in L1"
    # the L2 timer counts from entering L2
    assert due_escalations([after], POLICIES, T0 + timedelta(minutes=19)) == []
    ((_, at_l3, l3_notice),) = due_escalations([after], POLICIES, T0 + timedelta(minutes=20))
    assert at_l3.tier is EscalationTier.L3
    assert l3_notice.team == "dba-team"  # L3 is the owning team ("owner")


def test_taken_waiting_finished_and_top_tier_incidents_stay() -> None:
    later = T0 + timedelta(hours=5)
    acknowledged = p1().acknowledge("alice", T0 + timedelta(minutes=1))
    waiting = p1().pause("alice", T0 + timedelta(minutes=1), "customer restarts the DB")
    resolved = p1().resolve("alice", T0 + timedelta(minutes=2))
    top = replace(p1(), tier=EscalationTier.ENG)
    p3 = replace(p1(), severity=Severity.P3)  # no timers for P3 by default
    assert due_escalations([acknowledged, waiting, resolved, top, p3], POLICIES, later) == []


def test_unresolved_timers_move_acknowledged_incidents() -> None:
    policies = parse_policies_text(
        "escalation:\n  P1: {unacknowledged: {L1: 5m}, unresolved: {L1: 1h, L2: 2h}}\n"
        "tier_teams: {L2: dba-oncall}\n"
    )
    acknowledged = p1().acknowledge("alice", T0 + timedelta(minutes=1))
    assert due_escalations([acknowledged], policies, T0 + timedelta(minutes=59)) == []
    ((_, after, notice),) = due_escalations([acknowledged], policies, T0 + timedelta(hours=1))
    assert after.tier is EscalationTier.L2
    assert after.state is IncidentState.DIAGNOSING
    assert after.timeline[-1].note == "not resolved within 1 h in L1"
    assert notice.team == "dba-oncall"


def test_sla_crossings_notify_once_per_mark() -> None:
    incidents = [p1()]

    def read(incident: Incident, at: datetime):  # type: ignore[no-untyped-def]
        return read_clock(incident, at, GOLD)

    def between(a: float, b: float) -> list[str]:
        notes = sla_crossings(incidents, T0 + timedelta(minutes=a), T0 + timedelta(minutes=b), read)
        return [n.kind.value for n in notes]

    assert between(0, 7) == []
    assert between(7, 8) == ["at_risk"]  # 50% of 15 minutes
    assert between(8, 11) == []
    assert between(11, 12) == ["at_risk"]  # 75%
    assert between(14, 15) == ["breached"]
    assert between(16, 30) == []
    (notice,) = sla_crossings(incidents, T0, T0 + timedelta(minutes=8), read)
    assert notice.text == "INC-000007 response SLA 53% used: Orders database saturated"


def test_a_customer_update_falling_due_is_a_notice() -> None:
    owed = replace(p1(), update_due=T0 + timedelta(minutes=30))

    def read(incident: Incident, at: datetime):  # type: ignore[no-untyped-def]
        return read_clock(incident, at, GOLD)

    kinds = [
        n.kind
        for n in sla_crossings([owed], T0 + timedelta(minutes=29), T0 + timedelta(minutes=31), read)
    ]
    assert NotificationKind.UPDATE_DUE in kinds
    assert sla_crossings([owed], T0 + timedelta(minutes=31), T0 + timedelta(minutes=32), read) == []


def test_deescalation_needs_a_reason_and_restarts_the_tier_timer() -> None:
    at_l2 = due_escalations([p1()], POLICIES, T0 + timedelta(minutes=5))[0][1]
    with pytest.raises(DomainError, match="reason"):
        at_l2.deescalate("bob", T0 + timedelta(minutes=6), "")
    with pytest.raises(IllegalTransition, match="cannot de-escalate"):
        p1().deescalate("bob", T0, "already at the bottom")
    back = at_l2.deescalate("bob", T0 + timedelta(minutes=6), "DBA fixed it; L1 watches")
    assert back.tier is EscalationTier.L1
    assert back.timeline[-1].data == {"from": "L2", "to": "L1"}
    # five minutes in L1 again, unacknowledged: it climbs again from the de-escalation
    assert due_escalations([back], POLICIES, T0 + timedelta(minutes=10)) == []
    assert (
        due_escalations([back], POLICIES, T0 + timedelta(minutes=11))[0][1].tier
        is EscalationTier.L2
    )


@given(
    steps=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=12),
    business=st.booleans(),
)
def test_the_watch_reports_what_reading_every_clock_would(steps: list[int], business: bool) -> None:
    """SlaWatch skips clocks with nothing coming up, and misses nothing they would say."""
    contract = BUSINESS if business else GOLD
    incidents = [
        replace(
            p1(n), detected_at=T0 - timedelta(minutes=7 * n), update_due=T0 + timedelta(minutes=n)
        )
        for n in range(1, 6)
    ]
    incidents = [
        replace(i, response_due=contract.deadlines(Severity.P1, i.detected_at)[0])
        for i in incidents
    ]

    def read(incident: Incident, at: datetime):  # type: ignore[no-untyped-def]
        return read_clock(incident, at, contract)

    watch = SlaWatch(read, lambda i, at: next_change(i, at, contract))
    since = T0
    for step in steps:
        now = since + timedelta(minutes=step)
        expected = sla_crossings(incidents, since, now, read)
        assert watch.crossings(incidents, since, now) == expected
        since = now
