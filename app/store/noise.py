"""The rows the noise report reads: per alert rule, counts of its occurrences in a period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, case, distinct, func, select, type_coerce
from sqlalchemy.orm import Session

from app.domain.alert import AlertStatus
from app.domain.incident import IncidentState
from app.domain.noise import RuleFigures
from app.store.tables import ALERTS, INCIDENTS

# joins source and fingerprint into one value to count distinct alerts (COUNT(DISTINCT a, b)
# is not portable); neither a source name nor a fingerprint carries this control character
_SEPARATOR = "\x1f"


def rule_figures(session: Session, start: datetime, end: datetime) -> list[RuleFigures]:
    """Per `alertname`, the figures of the occurrences first seen in [start, end), by name.

    Counting happens in SQL, one row per rule; only the durations of cleared occurrences
    come back one by one, as integers, for a median (PostgreSQL's percentile_cont has no
    SQLite equivalent). A suppressed occurrence is one in no incident: the engine keeps
    silenced, inhibited and maintenance alerts out of incidents, and one that is later
    released into an incident stops counting as suppressed.
    """
    a = ALERTS.c
    i = INCIDENTS.c
    in_period = (a.first_seen >= start, a.first_seen < end)
    false_positive = i.state == IncidentState.FALSE_POSITIVE.value
    counts = (
        select(
            a.alertname,
            func.count().label("occurrences"),
            func.count(distinct(a.source + _SEPARATOR + a.fingerprint)).label("fingerprints"),
            func.count(distinct(a.customer)).label("customers"),
            func.count(distinct(a.service)).label("services"),
            func.sum(case((a.flapping.is_(True), 1), else_=0)).label("flapping"),
            func.sum(case((a.incident_id.is_(None), 1), else_=0)).label("suppressed"),
            func.sum(case((false_positive, 1), else_=0)).label("false_positive_alerts"),
            func.count(distinct(a.incident_id)).label("incidents"),
            func.count(distinct(case((false_positive, a.incident_id)))).label(
                "false_positive_incidents"
            ),
        )
        .select_from(ALERTS.outerjoin(INCIDENTS, a.incident_id == i.id))
        .where(*in_period)
        .group_by(a.alertname)
    )
    sources: dict[str, list[str]] = {}
    named = (
        select(a.alertname, a.source).where(*in_period).distinct().order_by(a.alertname, a.source)
    )
    for alertname, source in session.execute(named):
        sources.setdefault(alertname, []).append(source)
    # the columns hold epoch milliseconds: subtract them as integers, not as datetimes
    millis = type_coerce(a.ends_at, BigInteger) - type_coerce(a.first_seen, BigInteger)
    cleared = select(a.alertname, millis).where(
        *in_period, a.status == AlertStatus.RESOLVED.value, a.ends_at.is_not(None)
    )
    durations: dict[str, list[float]] = {}
    for alertname, duration in session.execute(cleared):
        durations.setdefault(alertname, []).append(int(duration) / 1000)
    return [
        RuleFigures(
            alertname=row.alertname,
            sources=tuple(sources.get(row.alertname, ())),
            occurrences=int(row.occurrences),
            fingerprints=int(row.fingerprints),
            customers=int(row.customers),
            services=int(row.services),
            flapping=int(row.flapping or 0),
            suppressed=int(row.suppressed or 0),
            false_positive_alerts=int(row.false_positive_alerts or 0),
            incidents=int(row.incidents),
            false_positive_incidents=int(row.false_positive_incidents),
            durations=tuple(durations.get(row.alertname, ())),
        )
        for row in session.execute(counts.order_by(a.alertname))
    ]
