"""IncidentRepository: every field round-trips, saves append to the timeline, the wall's queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.domain.incident import EventKind, Incident, IncidentState, TimelineEvent
from app.store import Database, IncidentNotFound
from app.store.incidents import IncidentRepository
from app.store.tables import EventRow, IncidentRow
from tests.app.store.factories import MS, new_incident, worked_incident

WINDOW = timedelta(hours=2)


def add(db: Database, incident: Incident, now: datetime) -> Incident:
    with db.write() as session:
        return IncidentRepository(session).add(incident, now)


def load(db: Database, incident_id: int | None) -> Incident:
    assert incident_id is not None
    with db.read() as session:
        return IncidentRepository(session).get(incident_id)


def event_rows(db: Database, incident_id: int | None) -> int:
    with db.read() as session:
        query = select(func.count()).where(EventRow.incident_id == incident_id)
        return int(session.execute(query).scalar_one())


def instants(incident: Incident) -> list[datetime]:
    values = [getattr(incident, f.name) for f in fields(incident)]
    found = [value for value in values if isinstance(value, datetime)]
    return found + [event.at for event in incident.timeline]


def test_an_incident_round_trips_with_every_field(db: Database, t0: datetime) -> None:
    earlier = add(db, new_incident(t0 - timedelta(days=3)), t0)
    worked = worked_incident(t0, recurrence_of=earlier.id)
    unset = [f.name for f in fields(worked) if getattr(worked, f.name) in (None, (), frozenset())]
    assert unset == ["id"]  # every column is exercised

    stored = add(db, worked, t0 + timedelta(hours=2))
    loaded = load(db, stored.id)

    assert stored == replace(worked, id=stored.id, version=1)
    assert loaded == stored
    for f in fields(Incident):  # field by field, so a failure names the column
        assert getattr(loaded, f.name) == getattr(worked, f.name) or f.name in {"id", "version"}
    assert [event.kind for event in loaded.timeline] == [
        EventKind.DETECTED,
        EventKind.ACKNOWLEDGED,
        EventKind.TICKETED,
        EventKind.ESCALATED,
        EventKind.RESOLVED,
    ]
    assert loaded.timeline[2].data == {"ticket": "OPS-42"}
    assert loaded.timeline[3].data == {"from": "L1", "to": "L2"}
    for instant in instants(loaded):
        assert instant.tzinfo is UTC
        assert instant.microsecond % 1000 == 0
    assert loaded.detected_at == t0 + 7 * MS  # milliseconds survive


def test_instants_are_kept_to_the_millisecond_in_any_time_zone(db: Database, t0: datetime) -> None:
    detected = (t0 + timedelta(microseconds=123_456)).astimezone(timezone(timedelta(hours=2)))
    stored = add(db, new_incident(detected), t0)
    loaded = load(db, stored.id)
    assert loaded.detected_at == t0 + timedelta(milliseconds=123)  # floor to the millisecond
    assert loaded.detected_at.tzinfo is UTC


def test_by_ids_skips_unknown_ids_repeats_and_crosses_chunk_boundaries(
    db: Database, t0: datetime
) -> None:
    with db.write() as session:
        incidents = IncidentRepository(session)
        ids = [
            incidents.add(new_incident(t0, group_key=f"g{n}", title=f"n{n}"), t0).id or 0
            for n in range(520)
        ]
    wanted = [*ids, *ids[:10], 999_999]
    with db.read() as session:
        found = IncidentRepository(session).by_ids(wanted)
    assert sorted(incident.id or 0 for incident in found) == ids
    assert all(len(incident.timeline) == 1 for incident in found)
    assert {incident.title for incident in found} == {f"n{n}" for n in range(520)}


def test_get_and_find_of_an_unknown_id(db: Database) -> None:
    with db.read() as session:
        incidents = IncidentRepository(session)
        assert incidents.find(404) is None
        with pytest.raises(IncidentNotFound, match="INC-000404"):
            incidents.get(404)


def test_save_appends_only_the_new_events_and_bumps_the_version(db: Database, t0: datetime) -> None:
    stored = add(db, new_incident(t0), t0)
    acknowledged = stored.acknowledge("alice", t0 + timedelta(minutes=1)).add_note(
        "alice", t0 + timedelta(minutes=2), "db01 disk full"
    )
    with db.write() as session:
        saved = IncidentRepository(session).save(stored, acknowledged, t0 + timedelta(minutes=2))
    assert saved.version == 2
    assert event_rows(db, stored.id) == 3

    resolved = saved.resolve("alice", t0 + timedelta(minutes=9))
    with db.write() as session:
        IncidentRepository(session).save(saved, resolved, t0 + timedelta(minutes=9))

    loaded = load(db, stored.id)
    assert event_rows(db, stored.id) == 4
    assert loaded == replace(resolved, version=3)
    assert loaded.state is IncidentState.RESOLVED


@pytest.mark.parametrize("rewrite", ["changed-event", "dropped-event"])
def test_save_refuses_a_rewritten_timeline_and_changes_nothing(
    db: Database, t0: datetime, rewrite: str
) -> None:
    stored = add(db, new_incident(t0), t0)
    acknowledged = stored.acknowledge("alice", t0 + timedelta(minutes=1))
    if rewrite == "changed-event":
        forged = TimelineEvent(t0, EventKind.DETECTED, "mallory", "never happened")
        after = replace(acknowledged, timeline=(forged, *acknowledged.timeline[1:]))
    else:
        after = replace(acknowledged, timeline=acknowledged.timeline[1:])

    with db.write() as session:
        incidents = IncidentRepository(session)
        with pytest.raises(ValueError, match="only append"):
            incidents.save(stored, after, t0 + timedelta(minutes=1))
        # refused before the UPDATE: even a caller that goes on and commits changes nothing
        version = session.execute(select(IncidentRow.version).where(IncidentRow.id == stored.id))
        assert version.scalar_one() == 1
    assert load(db, stored.id) == stored
    assert event_rows(db, stored.id) == 1


def test_save_needs_the_stored_incident(db: Database, t0: datetime) -> None:
    stored = add(db, new_incident(t0), t0)
    with db.write() as session, pytest.raises(ValueError, match="stored incident"):
        IncidentRepository(session).save(new_incident(t0), stored, t0)


def test_save_of_an_incident_that_no_longer_exists(db: Database, t0: datetime) -> None:
    ghost = replace(new_incident(t0), id=404, version=1)
    with db.write() as session, pytest.raises(IncidentNotFound, match="INC-000404"):
        IncidentRepository(session).save(ghost, ghost.add_note("bob", t0, "still there?"), t0)


def wall_estate(db: Database, now: datetime) -> dict[str, Incident]:
    """One incident per state the wall must include or leave out."""
    at = now - timedelta(hours=5)
    shapes: dict[str, Callable[[Incident], Incident]] = {
        "new": lambda i: i,
        "triaged": lambda i: i.acknowledge("a", at),
        "logged": lambda i: i.log_ticket("OPS-1", "a", at),
        "diagnosing": lambda i: i.acknowledge("a", at).escalate("a", at, "dba"),
        "resolved-recently": lambda i: i.resolve("a", now - timedelta(minutes=30)),
        "resolved-at-the-edge": lambda i: i.resolve("a", now - WINDOW),
        "resolved-long-ago": lambda i: i.resolve("a", now - WINDOW - MS),
        "closed": lambda i: i.resolve("a", at).close("a", now - timedelta(minutes=5), "rca"),
        "false-positive": lambda i: i.mark_false_positive("a", now - timedelta(minutes=5), "test"),
    }
    with db.write() as session:
        incidents = IncidentRepository(session)
        return {
            name: incidents.add(shape(new_incident(at, group_key=name)), now)
            for name, shape in shapes.items()
        }


def test_wall_versions_shows_active_and_recently_resolved_incidents(
    db: Database, t0: datetime
) -> None:
    estate = wall_estate(db, t0)
    wanted = {"new", "triaged", "logged", "diagnosing", "resolved-recently", "resolved-at-the-edge"}
    with db.read() as session:
        versions = IncidentRepository(session).wall_versions(t0, WINDOW)
    assert versions == {estate[name].id: 1 for name in wanted}


def test_wall_versions_follow_saves(db: Database, t0: datetime) -> None:
    stored = add(db, new_incident(t0), t0)
    with db.write() as session:
        IncidentRepository(session).save(stored, stored.acknowledge("a", t0), t0)
    with db.read() as session:
        assert IncidentRepository(session).wall_versions(t0, WINDOW) == {stored.id: 2}


def test_active_incidents_by_customer_and_flapping_by_source(db: Database, t0: datetime) -> None:
    with db.write() as session:
        incidents = IncidentRepository(session)
        acme = incidents.add(new_incident(t0, group_key="acme/db"), t0)
        incidents.add(new_incident(t0, group_key="acme/old").resolve("a", t0), t0)
        anonymous = incidents.add(
            replace(new_incident(t0, group_key="-/x", customer="acme"), customer=None), t0
        )
        flapping = incidents.add(
            replace(
                new_incident(t0, group_key="globex/vpn", customer="globex"),
                sources=("prod-am",),
            ).set_flapping(True, t0, "flapping: 6 changes in 30 min"),
            t0,
        )
    with db.read() as session:
        incidents = IncidentRepository(session)
        assert [i.id for i in incidents.active_for_customers(["acme"])] == [acme.id]
        assert [i.id for i in incidents.active_for_customers([None])] == [anonymous.id]
        assert incidents.active_for_customers([]) == []
        assert [i.id for i in incidents.flapping_for_source("prod-am")] == [flapping.id]
        assert incidents.flapping_for_source("other") == []


def test_listing_and_count(db: Database, t0: datetime) -> None:
    estate = wall_estate(db, t0)
    with db.read() as session:
        incidents = IncidentRepository(session)
        everything = incidents.listing(include_closed=True)
        open_only = incidents.listing(include_closed=False)
        newest_two = incidents.listing(include_closed=True, limit=2)
        assert incidents.count() == len(estate)
    assert [i.id for i in everything] == sorted((i.id or 0 for i in estate.values()), reverse=True)
    assert {i.id for i in open_only} == {
        i.id for name, i in estate.items() if name not in {"closed", "false-positive"}
    }
    assert newest_two == everything[:2]
