"""Triage scenarios over real storage, shared by the SQLite tests and the PostgreSQL ones.

Each takes a console on a fresh database with one ScriptedSource and drives it through
polls at successive times, asserting what an operator would see.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from app.console import Console
from app.domain.incident import EventKind, IncidentState
from tests.helpers.sources import ScriptedSource, make_alert


def flapping_alert_holds_one_incident(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    """A tunnel toggling every two minutes: one incident, flagged, held open, then released."""
    tunnel = make_alert(
        alertname="VpnTunnelDown", customer="globex", service="globex-vpn", starts_at=t0
    )
    now = t0
    for flap in range(8):
        source.set([replace(tunnel, starts_at=now)])
        console.poll_once(now)
        now += timedelta(minutes=1)
        source.set([])
        console.poll_once(now)
        now += timedelta(minutes=1)
        if flap == 1:
            (early,) = console.incidents(include_closed=True)
            # two flaps are still a recurrence in the validation window, not yet flapping
            assert not early.flapping
    (incident,) = console.incidents(include_closed=True)
    assert incident.flapping
    assert incident.state.active, "a flapping incident must not resolve while it flaps"
    assert incident.alert_count == 8
    kinds = [e.kind for e in incident.timeline]
    assert kinds.count(EventKind.FLAPPING) == 1
    assert kinds.count(EventKind.REOPENED) <= 2  # before the flapping was known
    alerts = console.alerts_of(incident.id or 0)
    assert any(a.flapping for a in alerts)
    # calm: nothing for longer than the window, the incident is released and resolves
    console.poll_once(now + console.policies.flapping.window)
    (calm,) = console.incidents(include_closed=True)
    assert calm.state is IncidentState.RESOLVED
    assert not calm.flapping
    assert calm.timeline[-2].note.startswith("calm again")
    # the noise report (grouped SQL over the same rows) sees the flapping rule
    (rule,) = console.noise_report(t0 - timedelta(hours=1), now).rules
    assert (rule.alertname, rule.volume, rule.incidents) == ("VpnTunnelDown", 8, 1)
    assert rule.flapping_pct is not None
    assert rule.flapping_pct >= 50
    assert rule.median_duration == 60.0
    assert "hysteresis" in rule.suggestion


def suppressed_alerts_stay_visible(console: Console, source: ScriptedSource, t0: datetime) -> None:
    """A silenced alert is kept, listed with its reason, and placed once the silence ends."""
    reason = "silenced by 'db maintenance' (alice) until 14:00Z"
    silenced = replace(make_alert(starts_at=t0), suppressed_by=(reason,))
    source.set([silenced])
    changes = console.poll_once(t0)
    assert changes.opened == 0
    assert console.incidents() == []
    (kept,) = console.suppressed_alerts()
    assert kept.suppressed_by == (reason,)
    assert console.poll_once(t0 + timedelta(seconds=15)).upserted == ()
    source.set([replace(silenced, suppressed_by=())])
    opened = console.poll_once(t0 + timedelta(minutes=5))
    assert opened.opened == 1
    assert console.suppressed_alerts() == []
    (incident,) = console.incidents()
    (alert,) = console.alerts_of(incident.id or 0)
    assert alert.suppressed_by == ()
    assert alert.reason == "opened the incident"
