"""SLA clocks: pausing while waiting on the customer, reading the running clock at `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import DomainError, IllegalTransition
from app.domain.incident import EventKind, Incident
from app.domain.severity import Severity
from app.domain.sla import ALWAYS, Calendar, SlaPolicy, SlaTarget
from app.engine.sla_clock import SlaState, read_clock

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday
LONDON = Calendar(
    timezone="Europe/London",
    opens=time(8, 0),
    closes=time(18, 0),
    weekdays=frozenset(range(5)),
    holidays=frozenset({date(2026, 12, 25)}),
)
TARGETS = {Severity.P2: SlaTarget(timedelta(minutes=30), timedelta(hours=8))}
GOLD = SlaPolicy("gold", TARGETS)
BRONZE = SlaPolicy("bronze", TARGETS, LONDON)


def incident(calendar: Calendar = ALWAYS, at: datetime = T0) -> Incident:
    opened = Incident.detect(
        title="Orders API latency high",
        customer="acme",
        services=("acme-api",),
        severity=Severity.P2,
        started_at=at,
        detected_at=at,
        group_key="acme|acme-api",
        policy=BRONZE if calendar is LONDON else GOLD,
    )
    return replace(opened, id=17)


def test_pausing_stops_the_clock_and_resuming_pushes_the_deadlines() -> None:
    running = incident()
    paused = running.pause("alice", T0 + timedelta(minutes=10), "waiting for the customer's DBA")
    assert paused.paused_since == T0 + timedelta(minutes=10)
    assert paused.timeline[-1].kind is EventKind.PAUSED
    assert paused.timeline[-1].note == "waiting for the customer's DBA"
    resumed = paused.resume("alice", T0 + timedelta(minutes=55), ALWAYS)
    # 45 minutes waiting: both running clocks move by 45 minutes
    assert resumed.response_due == T0 + timedelta(minutes=75)
    assert resumed.resolve_due == T0 + timedelta(hours=8, minutes=45)
    assert resumed.paused_since is None
    assert resumed.timeline[-1].data == {"paused_for": "2700"}


def test_only_running_clocks_move_and_a_breached_one_stays_breached() -> None:
    acknowledged = incident().acknowledge("bob", T0 + timedelta(minutes=5))
    assert acknowledged.timeline[-1].data == {"response": "met"}
    resumed = acknowledged.pause("bob", T0 + timedelta(hours=1), "customer testing").resume(
        "bob", T0 + timedelta(hours=2), ALWAYS
    )
    assert resumed.response_due == T0 + timedelta(minutes=30)  # stopped: acknowledged
    assert resumed.resolve_due == T0 + timedelta(hours=9)
    late = (
        incident()
        .pause("bob", T0 + timedelta(hours=9), "waiting")
        .resume("bob", T0 + timedelta(hours=10), ALWAYS)
    )
    assert late.resolve_due == T0 + timedelta(hours=8)  # breached before the pause


def test_business_hours_keep_the_working_time_left() -> None:
    # detected Monday 10:00 UTC (= London), P2 resolve 8 working hours: due Monday 18:00
    running = incident(LONDON)
    assert running.resolve_due == T0 + timedelta(hours=8)
    # paused Monday 16:00 (2 working hours left), resumed Wednesday 09:00
    resumed = running.pause("a", T0 + timedelta(hours=6), "customer").resume(
        "a", T0 + timedelta(days=2, hours=-1), LONDON
    )
    assert resumed.resolve_due == datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


def test_pause_needs_a_reason_and_cannot_be_doubled() -> None:
    with pytest.raises(DomainError, match="reason"):
        incident().pause("a", T0, " ")
    paused = incident().pause("a", T0, "customer")
    with pytest.raises(IllegalTransition, match="already waiting"):
        paused.pause("a", T0, "again")
    with pytest.raises(IllegalTransition, match="not waiting"):
        incident().resume("a", T0, ALWAYS)
    resolved = paused.resolve("a", T0 + timedelta(hours=1))
    assert resolved.paused_since is None  # the pause ends with the clock
    assert resolved.timeline[-1].data == {"resolve": "met"}


@given(
    pause_after=st.integers(min_value=0, max_value=60 * 24 * 10),
    wait=st.integers(min_value=0, max_value=60 * 24 * 10),
    business=st.booleans(),
)
def test_a_deadline_never_moves_earlier_while_paused(
    pause_after: int, wait: int, business: bool
) -> None:
    calendar = LONDON if business else ALWAYS
    running = incident(calendar)
    paused_at = T0 + timedelta(minutes=pause_after)
    resumed = running.pause("a", paused_at, "customer").resume(
        "a", paused_at + timedelta(minutes=wait), calendar
    )
    assert resumed.response_due is not None
    assert running.response_due is not None
    assert resumed.resolve_due is not None
    assert running.resolve_due is not None
    assert resumed.response_due >= running.response_due
    assert resumed.resolve_due >= running.resolve_due
    # and the clock has exactly the working time left it had when paused
    if running.resolve_due > paused_at:
        left = calendar.working_time(paused_at, running.resolve_due)
        resumed_at = paused_at + timedelta(minutes=wait)
        assert calendar.working_time(resumed_at, resumed.resolve_due) == left


# ---------------------------------------------------------------------- reading the clock


@pytest.mark.parametrize(
    ("minutes", "state", "level"),
    [
        (10, SlaState.OK, 0),
        (15, SlaState.AT_RISK, 1),  # half of the 30-minute response target
        (23, SlaState.AT_RISK, 2),  # past three quarters
        (30, SlaState.BREACHED, 3),
    ],
)
def test_the_running_clock_is_ok_at_risk_or_breached(
    minutes: int, state: SlaState, level: int
) -> None:
    reading = read_clock(incident(), T0 + timedelta(minutes=minutes), GOLD)
    assert (reading.state, reading.level, reading.clock) == (state, level, "response")
    assert reading.due == T0 + timedelta(minutes=30)


def test_at_risk_marks_come_from_the_policy_and_count_working_time() -> None:
    assert read_clock(incident(), T0 + timedelta(minutes=10), GOLD, (0.3, 0.9)).level == 1
    # business hours: detected Friday 17:50 London, 30-minute response due Monday 08:20;
    # at Saturday noon only 10 of the 30 working minutes are used
    friday = datetime(2026, 11, 27, 17, 50, tzinfo=UTC)
    late = incident(LONDON, friday)
    assert late.response_due == datetime(2026, 11, 30, 8, 20, tzinfo=UTC)
    reading = read_clock(late, datetime(2026, 11, 28, 12, 0, tzinfo=UTC), BRONZE)
    assert reading.state is SlaState.OK
    assert reading.used == pytest.approx(1 / 3)


def test_waiting_time_does_not_count_as_used() -> None:
    resumed = (
        incident()
        .pause("a", T0 + timedelta(minutes=5), "customer")
        .resume("a", T0 + timedelta(minutes=20), ALWAYS)
    )
    # 6 of 30 minutes used (5 before the pause, 1 after): fine, not at risk
    reading = read_clock(resumed, T0 + timedelta(minutes=21), GOLD)
    assert reading.state is SlaState.OK
    assert reading.used == pytest.approx(6 / 30)


def test_business_day_targets_count_business_days() -> None:
    days = SlaPolicy(
        "bronze", {Severity.P2: SlaTarget(timedelta(days=1), timedelta(days=3))}, LONDON
    )
    opened = replace(incident(LONDON), response_due=LONDON.add(T0, timedelta(days=1)))
    # Monday 10:00 + 1 business day = Tuesday 10:00; at Monday 15:00, 5 of 10 hours used
    reading = read_clock(opened, T0 + timedelta(hours=5), days)
    assert reading.used == pytest.approx(0.5)
    assert reading.state is SlaState.AT_RISK


def test_paused_and_finished_clocks() -> None:
    paused = incident().pause("a", T0 + timedelta(minutes=20), "customer")
    reading = read_clock(paused, T0 + timedelta(hours=3), GOLD)
    assert reading.state is SlaState.PAUSED
    assert reading.used == pytest.approx(20 / 30)  # frozen where it stopped
    met = incident().acknowledge("a", T0).resolve("a", T0 + timedelta(hours=1))
    assert read_clock(met, T0 + timedelta(days=3), GOLD).state is SlaState.MET
    late = incident().acknowledge("a", T0).resolve("a", T0 + timedelta(hours=9))
    assert read_clock(late, T0 + timedelta(days=3), GOLD).state is SlaState.BREACHED
    acknowledged = incident().acknowledge("a", T0 + timedelta(minutes=1))
    reading = read_clock(acknowledged, T0 + timedelta(hours=5), GOLD)
    assert (reading.clock, reading.state, reading.level) == ("resolve", SlaState.AT_RISK, 1)


def test_customer_updates_count_down_and_restart() -> None:
    cadenced = SlaPolicy(
        "gold",
        {
            Severity.P1: SlaTarget(
                timedelta(minutes=15), timedelta(hours=4), timedelta(minutes=30)
            ),
            Severity.P3: SlaTarget(timedelta(hours=4), timedelta(days=3)),
        },
    )
    opened = replace(
        Incident.detect(
            title="t", customer="acme", services=(), severity=Severity.P1, started_at=T0,
            detected_at=T0, group_key="g", policy=cadenced,
        ),
        id=3,
    )  # fmt: skip
    assert opened.update_due == T0 + timedelta(minutes=30)
    told = opened.record_update(
        "alice", T0 + timedelta(minutes=20), "failover started", timedelta(minutes=30)
    )
    assert told.update_due == T0 + timedelta(minutes=50)
    assert told.timeline[-1].kind is EventKind.CUSTOMER_UPDATE
    with pytest.raises(DomainError, match="what the customer was told"):
        opened.record_update("alice", T0, "", timedelta(minutes=30))
    lowered = told.change_severity(
        Severity.P3, cadenced, "alice", T0 + timedelta(minutes=25), "contained"
    )
    assert lowered.update_due is None  # P3 has no cadence
    raised = lowered.change_severity(
        Severity.P1, cadenced, "alice", T0 + timedelta(minutes=26), "worse"
    )
    assert raised.update_due == T0 + timedelta(minutes=56)
    assert told.resolve("alice", T0 + timedelta(hours=1)).update_due is None


def test_a_clock_stopped_while_waiting_is_judged_when_the_wait_began() -> None:
    paused = incident().pause("a", T0 + timedelta(hours=1), "customer reboots")
    resolved = paused.resolve("a", T0 + timedelta(hours=20))  # long after the 8 h target
    assert resolved.timeline[-1].data == {"resolve": "met"}
    assert read_clock(resolved, T0 + timedelta(days=2), GOLD).state is SlaState.MET
    late = (
        incident()
        .pause("a", T0 + timedelta(hours=9), "customer")
        .resolve("a", T0 + timedelta(hours=10))
    )
    assert late.timeline[-1].data == {"resolve": "breached"}
    assert read_clock(late, T0 + timedelta(days=2), GOLD).state is SlaState.BREACHED
