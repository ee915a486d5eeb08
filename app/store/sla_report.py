"""The monthly SLA report's reads: the core's figures, plus the month's breached incidents.

One read transaction (the caller's session) holds them all: the month's figures and
compliance per severity (`metrics_report` by month), the trend of the six months up to it
(`figures_series` by month), and the breached incidents of the customer and month, found
in SQL (SQLAlchemy Core, SQLite and PostgreSQL alike) on the stored metric columns and
bounded, then read with their timelines.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ColumnElement, and_, bindparam, false, func, or_, select
from sqlalchemy.orm import Session

from app.domain.incident import ACTIVE_STATES
from app.domain.service_metrics import Bucket, MetricsScope
from app.domain.sla_report import (
    BREACH_LIMIT,
    TREND_MONTHS,
    SlaReport,
    add_months,
    breach,
)
from app.store.incidents import IncidentRepository
from app.store.metric_sql import NOT_FALSE_POSITIVE, I, ms
from app.store.service_metrics import figures_series, metrics_report
from app.store.tables import INCIDENTS
from app.store.types import to_millis


def sla_report(
    session: Session,
    customer: str,
    customer_name: str,
    month: datetime,
    now: datetime,
    *,
    limit: int = BREACH_LIMIT,
) -> SlaReport:
    """The report of `customer` for the month starting at `month` (its first instant)."""
    end = add_months(month, 1)
    scope = MetricsScope(month, end, customer)
    report = metrics_report(session, scope, Bucket.MONTH, now, top=0)
    trend_scope = MetricsScope(add_months(month, 1 - TREND_MONTHS), end, customer)
    trend = figures_series(session, trend_scope, Bucket.MONTH, now)
    ids = breached_ids(session, scope, now, limit=limit + 1)
    found = [breach(incident, now) for incident in IncidentRepository(session).by_ids(ids[:limit])]
    breaches = sorted((b for b in found if b is not None), key=lambda b: b.incident.detected_at)
    left_out = 0
    if len(ids) > limit:
        left_out = breached_count(session, scope, now) - limit
    return SlaReport(
        customer=customer,
        customer_name=customer_name,
        month=month,
        end=end,
        generated_at=now,
        period=report.period,
        by_severity=report.sla_by_severity,
        breaches=tuple(breaches),
        breaches_left_out=left_out,
        trend=tuple(trend),
    )


def _breached() -> ColumnElement[bool]:
    """Missed a clock, as the compliance figures count it (app/domain/sla_report.py)."""
    now = bindparam("now", type_=BigInteger)
    waiting = and_(I.paused_since.is_not(None), ms(I.paused_since) < now)
    # a running clock is judged at now, or when the current wait on the customer began
    response_judged = or_(
        and_(waiting, ms(I.response_due) <= ms(I.paused_since)),
        and_(~waiting, ms(I.response_due) <= now),
    )
    resolve_judged = or_(
        and_(waiting, ms(I.resolve_due) <= ms(I.paused_since)),
        and_(~waiting, ms(I.resolve_due) <= now),
    )
    active = I.state.in_(sorted(state.value for state in ACTIVE_STATES))
    return or_(
        I.response_met == false(),
        I.resolve_met == false(),
        and_(
            I.acknowledged_at.is_(None),
            I.response_due.is_not(None),
            or_(
                and_(I.resolved_at.is_not(None), ms(I.resolved_at) > ms(I.response_due)),
                and_(I.resolved_at.is_(None), active, response_judged),
            ),
        ),
        and_(I.resolved_at.is_(None), I.resolve_due.is_not(None), active, resolve_judged),
    )


def _terms(scope: MetricsScope) -> list[ColumnElement[bool]]:
    assert scope.start is not None
    assert scope.end is not None
    assert scope.customer is not None
    return [
        I.customer == scope.customer,
        ms(I.detected_at) >= to_millis(scope.start),
        ms(I.detected_at) < to_millis(scope.end),
        NOT_FALSE_POSITIVE,
        _breached(),
    ]


def breached_ids(session: Session, scope: MetricsScope, now: datetime, *, limit: int) -> list[int]:
    """Ids of the scope's breached incidents by detection, at most `limit` of them."""
    query = select(I.id).where(*_terms(scope)).order_by(I.detected_at, I.id).limit(limit)
    return [int(row) for row in session.scalars(query, {"now": to_millis(now)})]


def breached_count(session: Session, scope: MetricsScope, now: datetime) -> int:
    query = select(func.count()).select_from(INCIDENTS).where(*_terms(scope))
    return int(session.scalar(query, {"now": to_millis(now)}) or 0)
