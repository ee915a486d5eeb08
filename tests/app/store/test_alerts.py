"""AlertRepository: the partial-index upsert, resolution, and a new occurrence after it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select

from app.domain.alert import AlertStatus
from app.domain.severity import Severity
from app.store import Database
from app.store.alerts import AlertRepository, alert_row
from app.store.incidents import IncidentRepository
from app.store.tables import AlertRow
from tests.app.store.factories import alert, new_incident


def upsert(db: Database, *rows: dict[str, object]) -> None:
    with db.write() as session:
        AlertRepository(session).upsert_firing(list(rows))


def stored_rows(db: Database) -> list[Row[Any]]:
    """Every stored occurrence, oldest first, as plain rows (read straight from the table)."""
    with db.read() as session:
        return list(session.execute(select(AlertRow.__table__).order_by(AlertRow.id)))


def incident_ids(db: Database, t0: datetime, count: int) -> list[int]:
    with db.write() as session:
        incidents = IncidentRepository(session)
        return [
            incidents.add(new_incident(t0, group_key=f"g{n}"), t0).id or 0 for n in range(count)
        ]


def test_a_new_firing_alert_is_inserted(db: Database, t0: datetime) -> None:
    upsert(db, alert_row(alert(t0), None, Severity.P2, t0))
    with db.read() as session:
        alerts = AlertRepository(session)
        open_alerts = alerts.open_for_source("alertmanager")
        assert alerts.firing_total() == 1
        assert alerts.open_for_source("other") == {}
    assert list(open_alerts) == ["f00d"]
    found = open_alerts["f00d"]
    assert (found.fingerprint, found.incident_id) == ("f00d", None)
    assert found.digest
    assert found.starts_at == t0 - timedelta(minutes=5)
    [row] = stored_rows(db)
    assert row.id == found.id
    assert row.status == "firing"
    assert row.labels == {"alertname": "HostDown", "customer": "acme", "service": "db"}
    assert row.annotations == {"summary": "db01 is down"}
    assert (row.alertname, row.customer, row.service) == ("HostDown", "acme", "db")
    assert (row.first_seen, row.last_seen, row.ends_at) == (t0, t0, None)


def test_a_re_pushed_alert_refreshes_annotations_and_last_seen_and_keeps_the_earliest_start(
    db: Database, t0: datetime
) -> None:
    first_start = t0 - timedelta(minutes=5)
    upsert(db, alert_row(alert(t0, starts_at=first_start), None, Severity.P2, t0))
    later = t0 + timedelta(minutes=1)
    upsert(
        db,
        alert_row(
            alert(later, starts_at=t0 - timedelta(minutes=1), summary="db01 still down"),
            None,
            Severity.P2,
            later,
        ),
    )
    [row] = stored_rows(db)
    assert row.annotations == {"summary": "db01 still down"}
    assert row.last_seen == later
    assert row.first_seen == t0
    assert row.starts_at == first_start  # a later startsAt does not move it

    earliest = t0 - timedelta(hours=1)
    upsert(db, alert_row(alert(later, starts_at=earliest), None, Severity.P2, later))
    [row] = stored_rows(db)
    assert row.starts_at == earliest  # an earlier one does


def test_a_resolved_fingerprint_firing_again_is_a_new_occurrence(
    db: Database, t0: datetime
) -> None:
    upsert(db, alert_row(alert(t0), None, Severity.P2, t0))
    [first] = stored_rows(db)
    ended = t0 + timedelta(minutes=10)
    with db.write() as session:
        assert AlertRepository(session).resolve([first.id], ended) == 1
    with db.write() as session:
        assert AlertRepository(session).resolve([first.id], ended) == 0  # already resolved
        assert AlertRepository(session).open_for_source("alertmanager") == {}

    again = t0 + timedelta(minutes=20)
    upsert(db, alert_row(alert(again, starts_at=again), None, Severity.P2, again))

    old, new = stored_rows(db)
    assert old.id == first.id
    assert (old.status, old.ends_at, old.starts_at) == ("resolved", ended, first.starts_at)
    assert new.id != old.id
    assert (new.status, new.starts_at, new.first_seen) == ("firing", again, again)
    with db.read() as session:
        assert AlertRepository(session).open_for_source("alertmanager")["f00d"].id == new.id


def test_one_open_occurrence_per_source_and_fingerprint(db: Database, t0: datetime) -> None:
    upsert(
        db,
        alert_row(alert(t0, "aaaa"), None, Severity.P2, t0),
        alert_row(alert(t0, "bbbb"), None, Severity.P2, t0),
        alert_row(alert(t0, "aaaa", source="prometheus"), None, Severity.P2, t0),
        alert_row(alert(t0, "aaaa", summary="twice in one batch"), None, Severity.P2, t0),
    )
    rows = stored_rows(db)
    assert sorted((row.source, row.fingerprint) for row in rows) == [
        ("alertmanager", "aaaa"),
        ("alertmanager", "bbbb"),
        ("prometheus", "aaaa"),
    ]
    assert next(
        r for r in rows if r.fingerprint == "aaaa" and r.source == "alertmanager"
    ).annotations == {"summary": "twice in one batch"}


def test_an_empty_upsert_writes_nothing(db: Database) -> None:
    upsert(db)
    assert stored_rows(db) == []


def test_firing_counts_per_incident(db: Database, t0: datetime) -> None:
    busy, quiet, untouched = incident_ids(db, t0, 3)
    upsert(
        db,
        alert_row(alert(t0, "a1"), busy, Severity.P2, t0),
        alert_row(alert(t0, "a2"), busy, Severity.P2, t0),
        alert_row(alert(t0, "q1"), quiet, Severity.P2, t0),
        alert_row(alert(t0, "q2"), quiet, Severity.P2, t0),
        alert_row(alert(t0, "stray"), None, Severity.P2, t0),
    )
    q2 = next(row.id for row in stored_rows(db) if row.fingerprint == "q2")
    with db.write() as session:
        AlertRepository(session).resolve([q2], t0 + timedelta(minutes=1))
    with db.read() as session:
        counts = AlertRepository(session).firing_counts([busy, quiet, untouched, busy])
        history = AlertRepository(session).for_incident(quiet)
    assert counts == {busy: 2, quiet: 1, untouched: 0}
    assert [(a.fingerprint, a.status) for a in history] == [
        ("q1", AlertStatus.FIRING),
        ("q2", AlertStatus.RESOLVED),
    ]
    assert history[1].ends_at == t0 + timedelta(minutes=1)


def test_alerts_of_many_incidents_in_one_read_match_one_by_one(db: Database, t0: datetime) -> None:
    busy, quiet, untouched = incident_ids(db, t0, 3)
    upsert(
        db,
        alert_row(alert(t0, "b2", starts_at=t0 - timedelta(minutes=2)), busy, Severity.P2, t0),
        alert_row(alert(t0, "b1", starts_at=t0 - timedelta(minutes=9)), busy, Severity.P2, t0),
        alert_row(alert(t0, "b3", starts_at=t0 - timedelta(minutes=1)), busy, Severity.P2, t0),
        alert_row(alert(t0, "q1"), quiet, Severity.P2, t0),
        alert_row(alert(t0, "stray"), None, Severity.P2, t0),
    )
    with db.read() as session:
        alerts = AlertRepository(session)
        together = alerts.for_incidents([busy, quiet, untouched, busy])
        one_by_one = {i: alerts.for_incident(i) for i in (busy, quiet, untouched)}
        capped = alerts.for_incidents([busy], limit=2)
    assert together == one_by_one
    assert [a.fingerprint for a in together[busy]] == ["b1", "b2", "b3"]
    assert together[untouched] == []
    assert [a.fingerprint for a in capped[busy]] == ["b1", "b2"]
