"""The console facade over real SQLite: polls, change sets, health, actions, conflicts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.config import load_config
from app.console import Console
from app.domain.errors import IllegalTransition
from app.domain.health import SourceStatus
from app.domain.incident import EscalationTier, EventKind, IncidentState
from app.domain.notifications import NotificationKind
from app.domain.severity import Severity
from app.engine.sla_clock import SlaState
from app.sources.base import RateLimited, SourceTimeout
from app.store import IncidentConflict
from tests.helpers import triage_scenarios
from tests.helpers.consoles import demo_console, scripted_console
from tests.helpers.sources import ScriptedSource, make_alert


@pytest.fixture
def source() -> ScriptedSource:
    return ScriptedSource()


@pytest.fixture
def console(db_url: str, source: ScriptedSource) -> Iterator[Console]:
    console = scripted_console(db_url, [source])
    yield console
    console.shutdown()


def test_demo_estate_first_poll_shows_the_storm(db_url: str, t0: datetime) -> None:
    console = demo_console(db_url)
    try:
        changes = console.poll_once(t0)
        assert changes.alerts > 20
        assert changes.opened == len(changes.upserted) >= 3
        assert changes.sources[0].status is SourceStatus.OK
        wall = console.wall(t0)
        top = wall[0]
        assert top.severity is Severity.P1
        assert top.customer == "acme"
        # gold contract: 15 minutes to respond to a P1
        assert top.response_due == t0 + timedelta(minutes=15)
        assert {i.customer for i in wall} == {"acme", "globex", "initech"}
        # the storm is one incident rooted at the database, its dependants' alerts symptoms
        storm = [i for i in wall if "acme-db" in i.services]
        assert len(storm) == 1
        assert storm[0].root_service == "acme-db"
        assert storm[0].team == "dba-team"
        assert {"acme-api", "acme-checkout", "acme-web"} <= set(storm[0].services)
        alerts = console.alerts_of(storm[0].id or 0)
        latency = [a for a in alerts if a.alertname == "HighRequestLatency"]
        assert len(latency) > 5
        assert all(a.reason.startswith("symptom of acme-db: ") for a in latency)
        assert len(alerts) == storm[0].alert_count
        again = console.poll_once(t0 + timedelta(seconds=5))
        assert again.opened == 0
        assert again.upserted == ()  # nothing changed: no rows to repaint
    finally:
        console.shutdown()


def test_disappearing_alert_resolves_then_ages_off_the_wall(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    source.set([make_alert(starts_at=t0)])
    opened = console.poll_once(t0)
    (incident,) = opened.upserted
    source.set([])
    resolved = console.poll_once(t0 + timedelta(minutes=2))
    assert resolved.resolved == 1
    assert resolved.upserted[0].state is IncidentState.RESOLVED
    assert resolved.upserted[0].timeline[-1].actor == "system"
    later = console.refresh(
        t0 + timedelta(minutes=2) + console.policies.watch_window + timedelta(seconds=1)
    )
    assert later.removed == (incident.id,)


def test_the_same_labels_after_resolution_are_a_new_occurrence(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    """Inside the validation window it reopens the incident; after it, a linked new one."""
    source.set([make_alert(starts_at=t0)])
    first = console.poll_once(t0).upserted[0]
    source.set([])
    console.poll_once(t0 + timedelta(minutes=1))
    source.set([make_alert(starts_at=t0 + timedelta(minutes=3))])
    reopened = console.poll_once(t0 + timedelta(minutes=3)).upserted[0]
    assert reopened.id == first.id
    assert reopened.state is IncidentState.DIAGNOSING
    assert [e.kind.value for e in reopened.timeline][-2:] == ["reopened", "alerts_attached"]
    assert [a.status.value for a in console.alerts_of(first.id or 0)] == ["firing", "resolved"]
    source.set([])
    cleared = t0 + timedelta(minutes=4)
    console.poll_once(cleared)
    later = cleared + console.policies.validation_window + timedelta(minutes=1)
    source.set([make_alert(starts_at=later)])
    second = console.poll_once(later).upserted[0]
    assert second.id != first.id
    assert second.recurrence_of == first.id


def test_a_failing_source_keeps_its_alerts_and_says_since_when(db_url: str, t0: datetime) -> None:
    healthy, failing = ScriptedSource("good"), ScriptedSource("flaky")
    console = scripted_console(db_url, [healthy, failing])
    try:
        failing.set([make_alert("flaky", starts_at=t0)])
        healthy.set([make_alert("good", alertname="DiskFull", starts_at=t0)])
        console.poll_once(t0)
        failing.error = SourceTimeout("no answer within 10 s")
        changes = console.poll_once(t0 + timedelta(minutes=1))
        by_name = {h.name: h for h in changes.sources}
        assert by_name["good"].status is SourceStatus.OK
        assert by_name["flaky"].status is SourceStatus.DOWN
        assert by_name["flaky"].error_class == "timeout"
        assert by_name["flaky"].stale_since == t0
        assert changes.resolved == 0
        assert all(i.state is IncidentState.NEW for i in console.wall(t0 + timedelta(minutes=1)))
        failing.error = RateLimited("429", retry_after=timedelta(seconds=120))
        changes = console.poll_once(t0 + timedelta(minutes=2))
        assert {h.name: h for h in changes.sources}["flaky"].status is SourceStatus.RATE_LIMITED
        assert {h.name: h for h in changes.sources}["flaky"].stale_since == t0
        failing.error = ZeroDivisionError("parser bug")
        changes = console.poll_once(t0 + timedelta(minutes=3))
        assert "internal error" in ({h.name: h for h in changes.sources}["flaky"].error or "")
        assert console.stored_source_health()[1].status is SourceStatus.DOWN
    finally:
        console.shutdown()


def test_a_partial_snapshot_resolves_nothing(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    source.set([make_alert(starts_at=t0), make_alert(instance="api-2", starts_at=t0)])
    console.poll_once(t0)
    source.set([])
    source.complete = False
    changes = console.poll_once(t0 + timedelta(minutes=1))
    assert changes.resolved == 0
    assert changes.sources[0].status is SourceStatus.DEGRADED


def test_operator_actions_land_in_the_timeline(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    source.set([make_alert(starts_at=t0)])
    incident = console.poll_once(t0).upserted[0]
    assert incident.id is not None
    acknowledged = console.acknowledge(incident.id, t0 + timedelta(minutes=2), "looking")
    assert acknowledged.state is IncidentState.TRIAGED
    assert acknowledged.version == incident.version + 1
    escalated = console.escalate(incident.id, t0 + timedelta(minutes=3), "needs the app team")
    resolved = console.resolve(incident.id, t0 + timedelta(minutes=30), "restarted")
    closed = console.close(incident.id, t0 + timedelta(minutes=40), "memory leak in 2.3.1")
    assert escalated.tier.value == "L2"
    assert resolved.state is IncidentState.RESOLVED
    stored = console.incident(incident.id)
    assert stored == closed
    assert [(e.kind, e.actor) for e in stored.timeline][1:] == [
        (EventKind.ACKNOWLEDGED, "alice"),
        (EventKind.ESCALATED, "alice"),
        (EventKind.RESOLVED, "alice"),
        (EventKind.CLOSED, "alice"),
    ]
    with pytest.raises(IllegalTransition):
        console.acknowledge(incident.id, t0 + timedelta(hours=1))
    changes = console.refresh(t0 + timedelta(hours=1))
    assert incident.id in changes.removed


def test_a_stale_view_gets_a_conflict_with_the_current_incident(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    source.set([make_alert(starts_at=t0)])
    seen = console.poll_once(t0).upserted[0]
    assert seen.id is not None
    console.acknowledge(seen.id, t0 + timedelta(minutes=1), expected_version=seen.version)
    with pytest.raises(IncidentConflict, match="alice: acknowledged") as caught:
        console.resolve(seen.id, t0 + timedelta(minutes=2), expected_version=seen.version)
    current = caught.value.current
    assert getattr(current, "state", None) is IncidentState.TRIAGED


def test_metrics_read_the_recorded_timestamps(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    source.set([make_alert(starts_at=t0 - timedelta(seconds=40))])
    incident = console.poll_once(t0).upserted[0]
    assert incident.id is not None
    console.acknowledge(incident.id, t0 + timedelta(minutes=5))
    console.resolve(incident.id, t0 + timedelta(hours=1))
    metrics = console.metrics(
        t0 - timedelta(days=1), t0 + timedelta(days=1), t0 + timedelta(hours=2)
    )
    assert metrics.incidents == 1
    assert metrics.mttd.median == 40.0
    assert metrics.mtta.median == 300.0
    assert metrics.mttr.median == 3600.0
    assert metrics.response.pct == 100.0
    assert metrics.resolve.pct == 100.0


def test_a_flapping_alert_holds_one_incident(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    triage_scenarios.flapping_alert_holds_one_incident(console, source, t0)


def test_suppressed_alerts_stay_visible(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    triage_scenarios.suppressed_alerts_stay_visible(console, source, t0)


def test_clocks_follow_each_customers_contract(db_url: str, t0: datetime) -> None:
    """Gold runs 24x7; bronze (initech) counts London business hours, and t0 is a Sunday."""
    console = demo_console(db_url)
    try:
        console.poll_once(t0)
        wall = console.wall(t0)
        gold = next(i for i in wall if i.customer == "acme" and i.severity is Severity.P1)
        bronze = next(i for i in wall if i.customer == "initech")
        later = t0 + timedelta(minutes=10)
        assert console.clock(gold, later).state is SlaState.AT_RISK  # 10 of 15 minutes
        quiet = console.clock(bronze, later)
        assert (quiet.state, quiet.used) == (SlaState.OK, 0.0)  # no business hours on Sunday
        assert bronze.response_due is not None
        # P3, 1 business day: the clock starts Monday 08:00 London, due Tuesday 08:00
        assert bronze.response_due == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        assert gold.id is not None
        assert gold.response_due is not None
        paused = console.pause(gold.id, t0 + timedelta(minutes=5), "waiting for ACME's DBA")
        assert console.clock(paused, t0 + timedelta(hours=1)).state is SlaState.PAUSED
        resumed = console.resume(gold.id, t0 + timedelta(minutes=20))
        assert resumed.response_due == gold.response_due + timedelta(minutes=15)
        assert console.clock(resumed, t0 + timedelta(minutes=21)).state is SlaState.OK
        kinds = [e.kind for e in console.incident(gold.id).timeline]
        assert kinds[-2:] == [EventKind.PAUSED, EventKind.RESUMED]
    finally:
        console.shutdown()


def test_the_demo_storm_escalates_by_itself_when_nobody_acknowledges(
    db_url: str, t0: datetime
) -> None:
    console = demo_console(db_url)
    try:
        first = console.poll_once(t0)
        storm = console.wall(t0)[0]
        assert (storm.severity, storm.tier) == (Severity.P1, EscalationTier.L1)
        # the new P1 is announced once, when it opens; the P3/P4 noise is not
        opened = [n for n in first.notifications if n.kind is NotificationKind.OPENED]
        assert [n.incident_id for n in opened] == [
            i.id for i in console.wall(t0) if i.severity in (Severity.P1, Severity.P2)
        ]
        assert opened[0].text.startswith(f"{storm.key} new P1: ")
        quiet = console.poll_once(t0 + timedelta(minutes=4))
        assert quiet.notifications == ()
        changes = console.poll_once(t0 + timedelta(minutes=5, seconds=5))
        (notice,) = [n for n in changes.notifications if n.incident_id == storm.id]
        assert notice.team == "noc-l2"
        assert notice.text.endswith("not acknowledged within 5 min in L1")
        escalated = console.incident(storm.id or 0)
        assert escalated.tier is EscalationTier.L2
        assert escalated.timeline[-1].actor == "system"
        assert escalated.id in {i.id for i in changes.upserted}  # the wall repaints it
        # acknowledged by L2: it stays there (no unresolved timers by default)
        console.acknowledge(escalated.id or 0, t0 + timedelta(minutes=6))
        later = console.poll_once(t0 + timedelta(minutes=40))
        assert storm.id not in {n.incident_id for n in later.notifications}
        assert console.incident(storm.id or 0).tier is EscalationTier.L2
    finally:
        console.shutdown()


def test_a_bad_policies_file_is_refused_and_the_last_good_one_stays(tmp_path: Path) -> None:
    policies = tmp_path / "policies.yaml"
    policies.write_text("sla: {at_risk: [40%, 80%]}\n", encoding="utf-8")
    config_file = tmp_path / "noc-console.toml"
    config_file.write_text(
        'policies = "policies.yaml"\n[[sources]]\nname = "demo"\nkind = "demo"\n', encoding="utf-8"
    )
    console = Console.open(
        load_config(config_file), database_url=f"sqlite:///{tmp_path / 'noc.db'}", operator="a"
    )
    try:
        assert console.policies.at_risk == (0.4, 0.8)
        policies.write_text("sla: {at_risk: [90%, 10%]}\n", encoding="utf-8")
        error = console.reload_policies()
        assert error is not None
        assert "policies.yaml:1: sla.at_risk" in error
        assert console.policies.at_risk == (0.4, 0.8)  # the last good one
        policies.write_text("sla: {at_risk: [60%, 90%]}\n", encoding="utf-8")
        assert console.reload_policies() is None
        assert console.policies.at_risk == (0.6, 0.9)
    finally:
        console.shutdown()


def test_new_incidents_are_announced_whatever_the_clock_s_microseconds(
    db_url: str, t0: datetime
) -> None:
    """The store keeps milliseconds; a real clock has microseconds."""
    console = demo_console(db_url)
    try:
        changes = console.poll_once(t0 + timedelta(microseconds=123_456))
        assert any(n.kind is NotificationKind.OPENED for n in changes.notifications)
    finally:
        console.shutdown()
