"""Scenario 19: two sessions edit one incident; the second flush is a visible conflict, not a loss."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.domain.incident import EventKind, Incident
from app.store import Database, IncidentConflict, StoreError
from app.store.incidents import IncidentRepository
from tests.app.store.factories import new_incident


def stored_incident(db: Database, t0: datetime) -> Incident:
    with db.write() as session:
        return IncidentRepository(session).add(new_incident(t0), t0)


def test_the_second_save_from_the_same_snapshot_is_a_conflict_with_the_stored_incident(
    db: Database, t0: datetime
) -> None:
    stored_incident(db, t0)
    # both consoles show the same snapshot
    with db.read() as session:
        seen_by_alice = IncidentRepository(session).get(1)
    with db.read() as session:
        seen_by_bob = IncidentRepository(session).get(1)
    alice_at, bob_at = t0 + timedelta(minutes=1), t0 + timedelta(minutes=2)

    with db.write() as session:
        saved = IncidentRepository(session).save(
            seen_by_alice, seen_by_alice.acknowledge("alice", alice_at), alice_at
        )
    with pytest.raises(IncidentConflict) as raised, db.write() as session:
        IncidentRepository(session).save(
            seen_by_bob, seen_by_bob.assign("bob", "bob", bob_at, "mine"), bob_at
        )

    conflict = raised.value
    assert isinstance(conflict, StoreError)
    with db.read() as session:
        now_stored = IncidentRepository(session).get(1)
    assert conflict.current == now_stored == saved
    assert "INC-000001" in str(conflict)
    assert "alice acknowledged it" in str(conflict)  # who changed it, and how
    assert "reloaded" in str(conflict)
    # exactly the first writer's event was appended; bob's assignment is not half-written
    assert [(e.kind, e.actor) for e in now_stored.timeline] == [
        (EventKind.DETECTED, "system"),
        (EventKind.ACKNOWLEDGED, "alice"),
    ]
    assert now_stored.owner == "alice"
    assert now_stored.version == 2


def test_after_the_conflict_the_reloaded_incident_saves(db: Database, t0: datetime) -> None:
    stale = stored_incident(db, t0)
    with db.write() as session:
        IncidentRepository(session).save(stale, stale.acknowledge("alice", t0), t0)
    with pytest.raises(IncidentConflict) as raised, db.write() as session:
        IncidentRepository(session).save(stale, stale.add_note("bob", t0, "rebooting"), t0)

    current = raised.value.current
    assert isinstance(current, Incident)
    with db.write() as session:
        saved = IncidentRepository(session).save(
            current, current.add_note("bob", t0, "rebooting"), t0
        )
    assert saved.version == 3
    assert [e.actor for e in saved.timeline] == ["system", "alice", "bob"]
