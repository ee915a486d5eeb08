"""SlaLooks: the wall header's SLA looks, read again only when a clock can have changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from app.domain.incident import Incident
from app.domain.severity import Severity
from app.domain.sla import SlaPolicy, SlaTarget
from app.engine.sla_clock import ClockReading, next_change, read_clock
from tests.helpers.ui_incidents import incident
from ui.sla_clock import SlaLook, SlaLooks, read_sla
from ui.wall_header import wall_counts

CONTRACT = SlaPolicy(
    "gold",
    {severity: SlaTarget(timedelta(minutes=30), timedelta(hours=4)) for severity in Severity},
)


class CountingReader:
    """Reads through the contract, and counts the readings."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, incident: Incident, now: datetime) -> ClockReading:
        self.reads += 1
        return read_clock(incident, now, CONTRACT)


def upcoming(incident: Incident, now: datetime) -> datetime | None:
    return next_change(incident, now, CONTRACT)


def test_looks_match_a_fresh_reading_at_every_second_across_the_marks(t0: datetime) -> None:
    reader = CountingReader()
    looks = SlaLooks(reader, upcoming)
    wall = [incident(n, t0 - timedelta(minutes=n), severity=Severity.P2) for n in range(1, 40)]
    seen: set[SlaLook] = set()
    for second in range(0, 40 * 60, 7):
        now = t0 + timedelta(seconds=second)
        expected = [read_sla(i, now, reader).look for i in wall]
        assert looks.looks(wall, now) == expected
        seen.update(expected)
    assert {SlaLook.OK, SlaLook.WARNING, SlaLook.DANGER, SlaLook.BREACHED} <= seen


def test_a_tick_reads_only_the_clocks_that_can_have_changed(t0: datetime) -> None:
    reader = CountingReader()
    looks = SlaLooks(reader, upcoming)
    wall = [incident(n, t0, severity=Severity.P3) for n in range(1, 101)]
    looks.looks(wall, t0)
    assert reader.reads == 100
    looks.looks(wall, t0 + timedelta(seconds=1))
    assert reader.reads == 100  # nothing crosses a mark within the second
    changed = [replace(wall[0], version=2), *wall[1:]]
    looks.looks(changed, t0 + timedelta(seconds=2))
    assert reader.reads == 101  # a new version is read again


def test_a_clock_set_back_is_read_again(t0: datetime) -> None:
    reader = CountingReader()
    looks = SlaLooks(reader, upcoming)
    wall = [incident(1, t0 - timedelta(minutes=40))]
    assert looks.looks(wall, t0) == [SlaLook.BREACHED]  # response due after 30 min
    assert looks.looks(wall, t0 - timedelta(minutes=30)) == [SlaLook.OK]


def test_incidents_that_left_are_forgotten(t0: datetime) -> None:
    reader = CountingReader()
    looks = SlaLooks(reader, upcoming)
    looks.looks([incident(1, t0), incident(2, t0)], t0)
    looks.looks([incident(2, t0)], t0)
    looks.looks([incident(1, t0), incident(2, t0)], t0)
    assert reader.reads == 3  # 1 was forgotten, and read again when it came back


def test_header_counts_are_the_same_with_and_without_the_looks(t0: datetime) -> None:
    reader = CountingReader()
    looks = SlaLooks(reader, upcoming)
    wall = [incident(n, t0 - timedelta(minutes=3 * n)) for n in range(1, 60)]
    for minute in range(0, 120, 5):
        now = t0 + timedelta(minutes=minute)
        assert wall_counts(wall, now, reader, looks) == wall_counts(wall, now, reader)
