"""The per-day metric totals the store keeps (app/store/metric_totals.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.store import Database
from app.store.incidents import IncidentRepository
from tests.helpers import metrics_history as h


def test_the_kept_totals_are_what_a_recount_gives(db_url: str) -> None:
    h.check_the_kept_totals_are_a_recount(db_url)


def test_the_upgrade_counts_what_the_store_keeps(db_url: str) -> None:
    h.check_the_upgrade_counts_what_the_store_kept(db_url)


def test_reports_through_the_totals_equal_reports_from_every_incident(db_url: str) -> None:
    h.check_the_totals_give_what_the_incidents_give(db_url)


def test_a_session_used_again_after_a_rollback_forgets_what_it_rolled_back(
    db: Database,
) -> None:
    ids = h.build(db)
    with Session(db.engine) as session:
        repository = IncidentRepository(session)
        before = repository.get(ids["F"])
        repository.save(before, before.acknowledge("alice", h.NOW), h.NOW)
        session.rollback()
        before = repository.get(ids["G"])
        repository.save(before, before.resolve("alice", h.NOW, "fixed"), h.NOW)
        session.commit()
    assert h.totals(db) == h.recount(db)
