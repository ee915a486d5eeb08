"""The metrics view's periods (last 7/30/90 days, this/last month, all time) and its one-line summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.domain.service_metrics import Figures


def _day(instant: datetime) -> datetime:
    instant = instant.astimezone(UTC)
    return datetime(instant.year, instant.month, instant.day, tzinfo=UTC)


def _month_before(first: datetime) -> datetime:
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


@dataclass(frozen=True, slots=True)
class Period:
    """A choice of the period picker: its words and how it turns `now` into [start, end)."""

    key: str
    words: str

    def bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        tomorrow = _day(now) + timedelta(days=1)  # whole UTC days, today included
        first = _day(now).replace(day=1)
        if self.key.startswith("last-") and self.key.endswith("d"):
            return tomorrow - timedelta(days=int(self.key[5:-1])), tomorrow
        if self.key == "this-month":
            return first, tomorrow
        if self.key == "last-month":
            return _month_before(first), first
        return None, None  # all time


PERIODS = (
    Period("last-7d", "last 7 days"),
    Period("last-30d", "last 30 days"),
    Period("last-90d", "last 90 days"),
    Period("this-month", "this month"),
    Period("last-month", "last month"),
    Period("all", "all time"),
)


def _minutes(value: float | None) -> str:
    if value is None:
        return "\u2013"
    if value >= 2 * 3600:
        return f"{value / 3600:.1f} h"
    return f"{value / 60:.1f} min"


def _pct(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.1f} %"


def summary_words(period: Figures) -> str:
    """The period in one line: counts and each figure's median. Inside a figure the
    spaces do not break, so a line too long for its screen wraps between figures
    ("alerts per incident 3.55" never ends one line and starts the next)."""
    per = period.alerts_per_incident
    per_words = "\u2013" if per is None else f"{per:.2f}"
    parts = (
        f"{period.incidents} incidents ({period.false_positives} false positives)",
        f"MTTD {_minutes(period.mttd.median)}",
        f"MTTA {_minutes(period.mtta.median)}",
        f"MTTR {_minutes(period.mttr.median)} (medians)",
        f"response SLA {_pct(period.response.pct)}",
        f"resolution SLA {_pct(period.resolve.pct)}",
        f"recurrence {_pct(period.recurrence_pct)}",
        f"false positives {_pct(period.false_positive_pct)}",
        f"alerts per incident {per_words}",
    )
    return " \u00b7 ".join(part.replace(" ", "\u00a0") for part in parts)
