"""The incident lifecycle: the transition table, guards, and timelines that never run backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import DomainError, IllegalTransition
from app.domain.incident import (
    ANNOTATIONS,
    TRANSITIONS,
    EscalationTier,
    EventKind,
    Incident,
    IncidentState,
)
from app.domain.severity import Severity
from app.domain.sla import SlaPolicy, SlaTarget

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
POLICY = SlaPolicy(
    "gold",
    {
        Severity.P1: SlaTarget(timedelta(minutes=15), timedelta(hours=4)),
        Severity.P2: SlaTarget(timedelta(minutes=30), timedelta(hours=8)),
    },
)


def new_incident(severity: Severity = Severity.P2) -> Incident:
    incident = Incident.detect(
        title="Orders API latency high",
        customer="acme",
        services=("acme-api",),
        severity=severity,
        started_at=T0 - timedelta(seconds=40),
        detected_at=T0,
        group_key="acme|acme-api|HighLatency",
        policy=POLICY,
    )
    from dataclasses import replace

    return replace(incident, id=17)


def test_detect_opens_new_with_deadlines_and_a_detected_event() -> None:
    incident = new_incident()
    assert incident.key == "INC-000017"
    assert incident.state is IncidentState.NEW
    assert incident.tier is EscalationTier.L1
    assert incident.response_due == T0 + timedelta(minutes=30)
    assert incident.resolve_due == T0 + timedelta(hours=8)
    assert [e.kind for e in incident.timeline] == [EventKind.DETECTED]
    assert incident.next_deadline == incident.response_due
    assert incident.running_clock == "response"


def test_happy_path_through_every_stage() -> None:
    incident = new_incident()
    incident = incident.acknowledge("alice", T0 + timedelta(minutes=3))
    assert incident.state is IncidentState.TRIAGED
    assert incident.owner == "alice"
    assert incident.running_clock == "resolve"
    incident = incident.log_ticket("OPS-881", "alice", T0 + timedelta(minutes=4))
    assert incident.state is IncidentState.LOGGED
    incident = incident.escalate("alice", T0 + timedelta(minutes=5), "needs DBA")
    assert (incident.state, incident.tier) == (IncidentState.DIAGNOSING, EscalationTier.L2)
    incident = incident.resolve("bob", T0 + timedelta(minutes=50), "pool raised")
    assert incident.state is IncidentState.RESOLVED
    assert incident.next_deadline is None
    incident = incident.close("bob", T0 + timedelta(hours=1), "pool too small for peak traffic")
    assert incident.state is IncidentState.CLOSED
    assert incident.rca == "pool too small for peak traffic"
    kinds = [e.kind for e in incident.timeline]
    assert kinds == [
        EventKind.DETECTED,
        EventKind.ACKNOWLEDGED,
        EventKind.TICKETED,
        EventKind.ESCALATED,
        EventKind.RESOLVED,
        EventKind.CLOSED,
    ]
    assert incident.timeline[3].data == {"from": "L1", "to": "L2"}


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda i: i.close("bob", T0, "rca"), "cannot close INC-000017: it is new"),
        (lambda i: i.reopen("bob", T0), "cannot reopen INC-000017: it is new"),
    ],
)
def test_illegal_transitions_say_what_and_why(action, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IllegalTransition, match=message):
        action(new_incident())


def test_guards() -> None:
    incident = new_incident().acknowledge("alice", T0)
    with pytest.raises(IllegalTransition, match="already acknowledged"):
        incident.acknowledge("alice", T0)
    with pytest.raises(DomainError, match="root cause"):
        incident.resolve("a", T0).close("a", T0, "  ")
    with pytest.raises(DomainError, match="reason"):
        incident.mark_false_positive("a", T0, "")
    with pytest.raises(DomainError, match="reason to escalate"):
        incident.escalate("a", T0, "")
    top = incident.escalate("a", T0, "x", EscalationTier.ENG)
    with pytest.raises(IllegalTransition, match="any further"):
        top.escalate("a", T0, "again")
    with pytest.raises(IllegalTransition, match="to L2"):
        top.escalate("a", T0, "down?", EscalationTier.L2)
    with pytest.raises(DomainError, match="actor"):
        incident.add_note("", T0, "hello")


def test_escalation_before_acknowledgement_keeps_the_response_clock_running() -> None:
    incident = new_incident().escalate(
        "system", T0 + timedelta(minutes=5), "not acknowledged in 5m"
    )
    assert incident.state is IncidentState.NEW
    assert incident.running_clock == "response"
    incident = incident.acknowledge("carol", T0 + timedelta(minutes=6))
    assert incident.state is IncidentState.TRIAGED


def test_ticket_before_acknowledgement_then_acknowledge_stays_logged() -> None:
    incident = (
        new_incident()
        .log_ticket("OPS-1", "system", T0)
        .acknowledge("dave", T0 + timedelta(minutes=1))
    )
    assert incident.state is IncidentState.LOGGED
    assert incident.acknowledged_at == T0 + timedelta(minutes=1)


def test_reopen_clears_resolution_and_false_positive_is_terminal() -> None:
    incident = new_incident().resolve("system", T0 + timedelta(minutes=9), "all alerts cleared")
    incident = incident.reopen("system", T0 + timedelta(minutes=12), "recurred")
    assert incident.state is IncidentState.DIAGNOSING
    assert incident.resolved_at is None
    fp = incident.mark_false_positive("erin", T0 + timedelta(minutes=13), "test probe")
    assert fp.state is IncidentState.FALSE_POSITIVE
    assert fp.closed_at is not None
    with pytest.raises(IllegalTransition):
        fp.reopen("erin", T0 + timedelta(minutes=14))
    assert fp.add_note("erin", T0, "noted after closure").state is IncidentState.FALSE_POSITIVE


def test_severity_change_retargets_from_detection() -> None:
    incident = new_incident(Severity.P2).change_severity(
        Severity.P1, POLICY, "system", T0 + timedelta(minutes=2)
    )
    assert incident.response_due == T0 + timedelta(minutes=15)
    assert incident.resolve_due == T0 + timedelta(hours=4)
    assert incident.timeline[-1].data == {"from": "P2", "to": "P1"}
    with pytest.raises(DomainError, match="already P1"):
        incident.change_severity(Severity.P1, POLICY, "x", T0)


def test_a_clock_behind_the_last_event_is_clamped() -> None:
    incident = new_incident().acknowledge("alice", T0 + timedelta(minutes=5))
    incident = incident.resolve("bob", T0 + timedelta(minutes=1))  # bob's clock is 4 minutes slow
    assert incident.resolved_at == T0 + timedelta(minutes=5)
    assert incident.timeline[-1].at >= incident.timeline[-2].at


def test_urgency_order_is_independent_of_now() -> None:
    p1 = new_incident(Severity.P1)
    p2 = new_incident(Severity.P2)
    resolved = new_incident(Severity.P1).resolve("x", T0 + timedelta(minutes=1))
    ordered = sorted([resolved, p2, p1], key=Incident.urgency_key)
    assert ordered == [p1, p2, resolved]


# ---------------------------------------------------------------------- properties

ACTIONS = {
    "acknowledge": lambda i, at, text: i.acknowledge("op", at, text),
    "assign": lambda i, at, text: i.assign(text or "team", "op", at),
    "escalate": lambda i, at, text: i.escalate("op", at, text),
    "ticket": lambda i, at, text: i.log_ticket(text or "OPS-1", "op", at),
    "severity": lambda i, at, text: i.change_severity(Severity.P1, POLICY, "op", at, text),
    "attach": lambda i, at, text: i.attach_alerts(2, at),
    "resolve": lambda i, at, text: i.resolve("op", at, text),
    "reopen": lambda i, at, text: i.reopen("op", at, text),
    "close": lambda i, at, text: i.close("op", at, text),
    "false_positive": lambda i, at, text: i.mark_false_positive("op", at, text),
    "note": lambda i, at, text: i.add_note("op", at, text),
}

steps = st.lists(
    st.tuples(
        st.sampled_from(sorted(ACTIONS)),
        st.integers(min_value=-3600, max_value=7200),  # operators' clocks disagree
        st.sampled_from(["", "reason", "  "]),
    ),
    max_size=40,
)


def replay_state(incident: Incident) -> IncidentState:
    state = IncidentState.NEW
    for event in incident.timeline[1:]:
        state = TRANSITIONS[event.kind][state]
    return state


@given(steps)
def test_no_sequence_of_actions_breaks_the_lifecycle(sequence: list[tuple[str, int, str]]) -> None:
    incident = new_incident()
    now = T0
    for name, offset, text in sequence:
        now = now + timedelta(seconds=offset)
        try:
            after = ACTIONS[name](incident, now, text)
        except DomainError:
            continue  # refused: nothing changed, the snapshot is immutable
        assert len(after.timeline) == len(incident.timeline) + 1
        incident = after
        times = [event.at for event in incident.timeline]
        assert times == sorted(times), "timeline out of order"
        assert replay_state(incident) is incident.state, "state not reachable through the table"
        assert incident.timeline[0].kind is EventKind.DETECTED
        if incident.acknowledged_at and incident.resolved_at:
            assert incident.acknowledged_at <= incident.resolved_at or any(
                e.kind is EventKind.REOPENED for e in incident.timeline
            )
        if incident.state.terminal:
            assert incident.closed_at is not None
            assert incident.closed_at >= incident.detected_at
        if incident.state is IncidentState.RESOLVED:
            assert incident.resolved_at is not None
        tiers = [
            EscalationTier(e.data["to"]).rank
            for e in incident.timeline
            if e.kind is EventKind.ESCALATED
        ]
        assert tiers == sorted(tiers)


@given(st.sampled_from(list(IncidentState)), st.sampled_from(list(EventKind)))
def test_table_never_leaves_a_terminal_state_except_for_annotations(
    state: IncidentState, kind: EventKind
) -> None:
    """Only notes and records of dropped ticket writes reach a closed incident, and they
    leave its state as it is."""
    target = TRANSITIONS[kind].get(state)
    if state.terminal and target is not None:
        assert kind in ANNOTATIONS
        assert target is state
