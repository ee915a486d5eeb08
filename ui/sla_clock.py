"""What an incident's SLA clock shows at a given moment: the words and the look of a reading, no Qt."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.incident import Incident, IncidentState
from app.domain.sla import SlaPolicy, SlaTarget
from app.domain.timestamps import countdown
from app.engine.sla_clock import ClockReading, SlaState, read_clock

MINUS = "\u2212"  # a real minus sign: the hyphen is too thin to read across the room
# ▮▮: the usual Linux desktop fonts have no ⏸ (U+23F8) and would show a box; the wall's
# cells draw the two bars as a shape, so this mark is only for text (tooltips, the panel)
PAUSE_MARK = "\u25ae\u25ae"
DOT = " \u00b7 "

# reader(incident, now) -> the engine's reading; the window passes `Console.clock`
ClockReader = Callable[[Incident, datetime], ClockReading]
# upcoming(incident, now) -> the next instant its reading can change (an at-risk mark, the
# deadline), None if none will; the window passes `Console.next_clock_change`
Upcoming = Callable[[Incident, datetime], datetime | None]

_NO_TARGET = timedelta(0)


def as_stored(incident: Incident, now: datetime) -> ClockReading:
    """A reading without a console: 24x7, the default at-risk marks (50 %, 75 %), and as
    targets what the stored deadlines say (detection to deadline).

    For models and painters built without a console (tests, benchmarks); the window
    reads through `Console.clock`: the customer's contract and the policies' marks.
    """
    detected = incident.detected_at
    response, resolve = incident.response_due, incident.resolve_due
    target = SlaTarget(
        response - detected if response is not None else _NO_TARGET,
        resolve - detected if resolve is not None else _NO_TARGET,
    )
    return read_clock(incident, now, SlaPolicy("as stored", {incident.severity: target}))


class SlaLook(StrEnum):
    """How an SLA cell is drawn; every look has a text or shape cue besides its colour."""

    NONE = "none"  # active, but no contract deadline: grey "no SLA"
    OK = "ok"  # plain text
    WARNING = "warning"  # past the first at-risk mark: bold amber
    DANGER = "danger"  # past the second: bold orange in an outlined box
    BREACHED = "breached"  # "BREACHED -03:12" (a real minus) on a filled red pill
    PAUSED = "paused"  # waiting on the customer: pause bars, blue-grey, time left frozen
    RESOLVED = "resolved"
    CLOSED = "closed"


_LEVEL_LOOKS = {0: SlaLook.OK, 1: SlaLook.WARNING, 2: SlaLook.DANGER}


@dataclass(frozen=True, slots=True)
class SlaReading:
    """One reading of an incident's SLA clock, as the wall and the side panel show it.

    Attributes:
        look: how it is drawn (ok, warning, danger, breached, paused...).
        text: what it says ("response 12:07", "BREACHED -03:12" with a real minus,
            "▮▮ paused · response 12:04 left", "resolved · SLA met").
        reading: the engine's reading it was made from (state, clock, due, used, level).
        remaining: time left (negative when breached; while paused, what was left at
            the pause); None when no clock runs.
        paused: the clocks are stopped. A clock already breached when paused keeps
            the BREACHED look, with the pause in its text.
        compact: a shorter text for a narrow cell ("▮▮ paused · 12:04 left"), or None
            when `text` is already as short as it gets.
    """

    look: SlaLook
    text: str
    reading: ClockReading
    remaining: timedelta | None = None
    paused: bool = False
    compact: str | None = None

    @property
    def level(self) -> int:
        """0 fine, 1 past the first at-risk mark, 2 past the second, 3 breached."""
        return self.reading.level


def breached_text(overdue: timedelta) -> str:
    return f"BREACHED {MINUS}{countdown(overdue)}"


def read_sla(incident: Incident, now: datetime, reader: ClockReader = as_stored) -> SlaReading:
    """The reading at `now`, from the incident's absolute deadlines (nothing is stored per tick).

    One call to `reader` per reading: painters call this once per cell and paint.
    """
    reading = reader(incident, now)
    if not incident.state.active:
        resolved = incident.state is IncidentState.RESOLVED
        look = SlaLook.RESOLVED if resolved else SlaLook.CLOSED
        text = look.value
        if reading.due is not None:  # without a contract there is nothing to meet
            verdict = "breached" if reading.state is SlaState.BREACHED else "met"
            text = f"{text}{DOT}SLA {verdict}"
        return SlaReading(look, text, reading)
    due, clock = reading.due, reading.clock
    if due is None or clock is None:
        return SlaReading(SlaLook.NONE, "no SLA", reading)
    if reading.state is SlaState.PAUSED:
        left = due - (incident.paused_since or now)
        if reading.level >= 3:
            text = f"{PAUSE_MARK} paused{DOT}{breached_text(-left)}"
            return SlaReading(SlaLook.BREACHED, text, reading, left, paused=True)
        text = f"{PAUSE_MARK} paused{DOT}{clock} {countdown(left)} left"
        compact = f"{PAUSE_MARK} paused{DOT}{countdown(left)} left"
        return SlaReading(SlaLook.PAUSED, text, reading, left, paused=True, compact=compact)
    remaining = due - now
    if reading.state is SlaState.BREACHED or remaining.total_seconds() < 0:
        return SlaReading(SlaLook.BREACHED, breached_text(-remaining), reading, remaining)
    look = _LEVEL_LOOKS.get(reading.level, SlaLook.DANGER)
    return SlaReading(look, f"{clock} {countdown(remaining)}", reading, remaining)


class SlaLooks:
    """The looks of many incidents' SLA clocks, each read again only when it can have changed.

    A look changes when a clock passes an at-risk mark or its deadline (`upcoming` says
    when the next such moment is, through the same contract as `reader`) or when the
    incident changes (a new version); in between, the last reading holds. The wall's
    header counts every clock once a second: reading 2,000 of them took 60-70 ms of the
    GUI thread per tick, looking most of them up about 1 ms (benchmarks/test_wall_bench.py).
    Incidents not asked about in a pass are forgotten, so it holds the wall and no more.
    """

    def __init__(self, reader: ClockReader, upcoming: Upcoming) -> None:
        self.reader = reader
        self.upcoming = upcoming
        # id -> (version, look, read at, valid until: None for as long as the version lives)
        self._known: dict[int, tuple[int, SlaLook, datetime, datetime | None]] = {}

    def looks(self, incidents: Iterable[Incident], now: datetime) -> list[SlaLook]:
        """The look of each incident's clock at `now`, in order."""
        known, fresh = self._known, {}
        found: list[SlaLook] = []
        for incident in incidents:
            incident_id = incident.id
            if incident_id is None:
                found.append(read_sla(incident, now, self.reader).look)
                continue
            cached = known.get(incident_id)
            if (
                cached is None
                or cached[0] != incident.version
                or now < cached[2]  # the clock was set back
                or (cached[3] is not None and now >= cached[3])
            ):
                look = read_sla(incident, now, self.reader).look
                cached = (incident.version, look, now, self.upcoming(incident, now))
            fresh[incident_id] = cached
            found.append(cached[1])
        self._known = fresh
        return found
