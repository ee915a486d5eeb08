"""SLA contracts: response and resolution targets per severity, counted in a calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

from app.domain.severity import Severity
from app.domain.timestamps import ensure_utc

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Calendar:
    """When an SLA clock runs: around the clock, or business hours in a time zone.

    In a business-hours calendar a target of whole days counts business days (3d is
    three business days, due at the same time of day), anything else counts business
    time (4h is four working hours), which is how MSP contracts are written.

    Attributes:
        timezone: IANA zone of the business hours; None for 24x7.
        opens, closes: local opening hours on business days.
        weekdays: business days, Monday = 0.
        holidays: local dates on which the clock does not run.
    """

    timezone: str | None = None
    opens: time = time(0, 0)
    closes: time = time(0, 0)
    weekdays: frozenset[int] = frozenset(range(7))
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.timezone is not None:
            ZoneInfo(self.timezone)  # raises for an unknown zone, at load time not at 3 a.m.
            if self.closes <= self.opens:
                raise ValueError(f"business hours must close after they open: {self.describe()}")
            if not self.weekdays:
                raise ValueError("a business-hours calendar needs at least one business day")

    @property
    def always(self) -> bool:
        return self.timezone is None

    def describe(self) -> str:
        if self.always:
            return "24x7"
        days = ",".join(
            ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in sorted(self.weekdays)
        )
        return f"{self.opens:%H:%M}-{self.closes:%H:%M} {days} {self.timezone}"

    def add(self, start: datetime, target: timedelta) -> datetime:
        """The instant `target` of calendar time after `start`."""
        start = ensure_utc(start)
        if self.always:
            return start + target
        zone = ZoneInfo(self.timezone or "UTC")
        if target and target % _DAY == timedelta(0):
            return self._add_business_days(start, target // _DAY, zone)
        return self._add_business_time(start, target, zone)

    def before(self, end: datetime, amount: timedelta) -> datetime:
        """The latest instant with `amount` of clock time left until `end` (add, backwards)."""
        end = ensure_utc(end)
        if self.always or amount <= timedelta(0):
            return end - max(amount, timedelta(0))
        zone = ZoneInfo(self.timezone or "UTC")
        left = amount
        day = end.astimezone(zone).date()
        for _ in range(3660):
            if self._is_business_day(day):
                opens, closes = self._window(day, zone)
                latest = min(closes, end)
                if latest > opens:
                    if left <= latest - opens:
                        return latest - left
                    left -= latest - opens
            day -= _DAY
        raise ValueError(f"calendar {self.describe()} has no business hours")

    @property
    def day_length(self) -> timedelta:
        """The clock time one business day holds (a whole day for 24x7)."""
        if self.always:
            return _DAY
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """How much clock time runs between two instants (zero if `end` is not after `start`)."""
        start, end = ensure_utc(start), ensure_utc(end)
        if end <= start:
            return timedelta(0)
        if self.always:
            return end - start
        zone = ZoneInfo(self.timezone or "UTC")
        total = timedelta(0)
        day = start.astimezone(zone).date()
        last = end.astimezone(zone).date()
        while day <= last:
            if self._is_business_day(day):
                opens, closes = self._window(day, zone)
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta(0):
                    total += overlap
            day += _DAY
        return total

    # -- business-hours arithmetic, in local time so that DST shifts are honoured

    def _is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def _window(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return _business_window(day, self.opens, self.closes, zone)

    def _next_open_instant(self, instant: datetime, zone: ZoneInfo) -> datetime:
        """The first instant at or after `instant` at which the clock runs."""
        day = instant.astimezone(zone).date()
        for _ in range(3660):  # ten years of holidays would be a broken calendar
            if self._is_business_day(day):
                opens, closes = self._window(day, zone)
                if instant < closes:
                    return max(instant, opens)
            day += _DAY
        raise ValueError(f"calendar {self.describe()} has no business hours")

    def _add_business_time(self, start: datetime, target: timedelta, zone: ZoneInfo) -> datetime:
        current = self._next_open_instant(start, zone)
        left = target
        while True:
            _, closes = self._window(current.astimezone(zone).date(), zone)
            available = closes - current
            if left <= available:
                return current + left
            left -= available
            current = self._next_open_instant(closes + timedelta(microseconds=1), zone)

    def _add_business_days(self, start: datetime, days: int, zone: ZoneInfo) -> datetime:
        current = self._next_open_instant(start, zone)
        local = current.astimezone(zone)
        day = local.date()
        while days:
            day += _DAY
            if self._is_business_day(day):
                days -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), zone).astimezone(UTC)


@lru_cache(maxsize=4096)
def _business_window(
    day: date, opens: time, closes: time, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """One day's business hours in UTC; cached: the wall reads the same days every second."""
    return (
        datetime.combine(day, opens, zone).astimezone(UTC),
        datetime.combine(day, closes, zone).astimezone(UTC),
    )


ALWAYS = Calendar()


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """Response (until first acknowledgement) and resolution targets for one severity, and
    how often the customer hears from us meanwhile (`update`, wall-clock; None: no cadence)."""

    response: timedelta
    resolve: timedelta
    update: timedelta | None = None
    calendar: Calendar | None = None  # this severity's own hours (P3 in business hours)


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """A customer contract: targets per severity and the calendar they are counted in.

    Attributes:
        name: contract name (the catalog's customer `tier`).
        calendar: when the clocks run.
        targets: response and resolution target per severity.
    """

    name: str
    targets: Mapping[Severity, SlaTarget]
    calendar: Calendar = field(default=ALWAYS)

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))

    def calendar_for(self, severity: Severity) -> Calendar:
        """The hours a severity's clocks run in: its own, else the contract's."""
        target = self.targets.get(severity)
        if target is not None and target.calendar is not None:
            return target.calendar
        return self.calendar

    def update_cadence(self, severity: Severity) -> timedelta | None:
        target = self.targets.get(severity)
        return target.update if target is not None else None

    def deadlines(
        self, severity: Severity, start: datetime
    ) -> tuple[datetime | None, datetime | None]:
        """Response and resolution due times for an incident detected at `start`."""
        target = self.targets.get(severity)
        if target is None:
            return None, None
        calendar = self.calendar_for(severity)
        return calendar.add(start, target.response), calendar.add(start, target.resolve)
