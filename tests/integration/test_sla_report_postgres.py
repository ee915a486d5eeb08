"""The monthly SLA report on PostgreSQL: the same breaches, figures and trend as SQLite's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.sla_report import SlaReport
from app.store import Database
from app.store.sla_report import sla_report
from tests.helpers import metrics_history as h

pytestmark = pytest.mark.integration

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)


def report(database: Database, customer: str, now: datetime, limit: int = 500) -> SlaReport:
    with database.read() as session:
        return sla_report(session, customer, customer, NOVEMBER, now, limit=limit)


@pytest.mark.parametrize("hours", [0, 80, 24 * 40])
def test_postgresql_and_sqlite_give_the_same_report(
    both: tuple[Database, Database], hours: int
) -> None:
    sqlite, postgres = both
    now = h.NOW + timedelta(hours=hours)
    for customer in ("acme", "globex", "initech"):
        ours, theirs = report(postgres, customer, now), report(sqlite, customer, now)
        assert [b.incident.title for b in ours.breaches] == [
            b.incident.title for b in theirs.breaches
        ]
        assert [b.missed for b in ours.breaches] == [b.missed for b in theirs.breaches]
        assert [b.reasons for b in ours.breaches] == [b.reasons for b in theirs.breaches]
        assert (ours.period, ours.by_severity, ours.trend) == (
            theirs.period,
            theirs.by_severity,
            theirs.trend,
        )
    bounded = report(postgres, "initech", h.NOW, limit=1)
    assert (len(bounded.breaches), bounded.breaches_left_out) == (1, 1)
