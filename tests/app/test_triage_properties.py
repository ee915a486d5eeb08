"""The triage invariants, as properties over generated snapshots, through real SQLite storage.

No alert is lost (each firing alert is in exactly one incident, or visibly suppressed);
polling the same snapshot twice changes nothing; the order of alerts within a snapshot
does not change the result; different customers never share an incident.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.console import Console
from app.domain.alert import Alert
from app.sources.demo import load_demo_estate
from tests.helpers.consoles import scripted_console
from tests.helpers.sources import ScriptedSource, make_alert

T0 = datetime.fromisoformat("2026-11-29T10:00:00+00:00")
ESTATE = load_demo_estate()
SERVICES = sorted(ESTATE.services)


@st.composite
def alerts(draw: st.DrawFn) -> Alert:
    service = draw(st.sampled_from([*SERVICES[:12], "unknown-svc", None]))
    catalog_customer = ESTATE.services[service].customer if service in ESTATE.services else None
    customer = draw(st.sampled_from([catalog_customer, "acme", "globex", None]))
    alert = make_alert(
        alertname=draw(st.sampled_from(["HighLatency", "High5xxRate", "DiskFull", "DbDown"])),
        customer=customer,
        service=service,
        severity=draw(st.sampled_from(["critical", "warning", "info", "P2"])),
        instance=draw(st.sampled_from(["a", "b"])),
        starts_at=T0 - timedelta(minutes=draw(st.integers(0, 30))),
    )
    if draw(st.integers(0, 9)) == 0:
        alert = replace(alert, suppressed_by=("silenced by 'test' (hypothesis)",))
    return alert


snapshots = st.lists(alerts(), max_size=25)
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def fresh_console() -> Iterator[tuple[Console, ScriptedSource]]:
    folder = Path(tempfile.mkdtemp(prefix="noc-prop-"))
    source = ScriptedSource()
    console = scripted_console(f"sqlite:///{folder / 'noc.db'}", [source], ESTATE)
    try:
        yield console, source
    finally:
        console.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def outcome(console: Console) -> set[tuple[object, ...]]:
    """The wall, without ids and uids: which alerts each incident holds, rooted where, how bad."""
    found: set[tuple[object, ...]] = set()
    for incident in console.incidents(include_closed=True):
        fingerprints = frozenset(a.fingerprint for a in console.alerts_of(incident.id or 0))
        found.add(
            (
                fingerprints,
                incident.customer,
                incident.root_service,
                incident.severity,
                incident.services,
                incident.title,
                incident.team,
            )
        )
    suppressed = frozenset(a.fingerprint for a in console.suppressed_alerts())
    return {*found, ("suppressed", suppressed)}


def check_nothing_lost(console: Console, reported: list[Alert]) -> None:
    firing = {a.fingerprint for a in reported}
    placed: dict[str, int] = {}
    for incident in console.incidents(include_closed=True):
        held = [a for a in console.alerts_of(incident.id or 0) if a.firing]
        for alert in held:
            assert alert.fingerprint not in placed, "an alert in two incidents"
            placed[alert.fingerprint] = incident.id or 0
            assert alert.customer == incident.customer, "customers share an incident"
    suppressed = {a.fingerprint: a for a in console.suppressed_alerts()}
    assert not placed.keys() & suppressed.keys()
    assert placed.keys() | suppressed.keys() == firing, "an alert was lost"
    assert all(a.suppressed_by for a in suppressed.values()), "hidden without a reason"


@PROPERTY
@given(snapshots)
def test_no_alert_is_lost_and_a_repeat_poll_changes_nothing(snapshot: list[Alert]) -> None:
    with fresh_console() as (console, source):
        source.set(snapshot)
        console.poll_once(T0)
        check_nothing_lost(console, snapshot)
        before = outcome(console)
        again = console.poll_once(T0 + timedelta(seconds=15))
        assert (again.opened, again.updated, again.resolved, again.upserted) == (0, 0, 0, ())
        assert outcome(console) == before


@PROPERTY
@given(snapshots, st.randoms(use_true_random=False))
def test_the_order_of_alerts_does_not_matter(snapshot: list[Alert], rng: object) -> None:
    shuffled = list(snapshot)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    results = []
    for alerts_in_order in (snapshot, shuffled):
        with fresh_console() as (console, source):
            source.set(alerts_in_order)
            console.poll_once(T0)
            results.append(outcome(console))
    assert results[0] == results[1]


@PROPERTY
@given(st.lists(snapshots, min_size=2, max_size=4))
def test_invariants_hold_over_successive_polls(polls: list[list[Alert]]) -> None:
    with fresh_console() as (console, source):
        for step, snapshot in enumerate(polls):
            source.set(snapshot)
            console.poll_once(T0 + timedelta(minutes=2 * step))
            check_nothing_lost(console, snapshot)
