"""The `[sounds]` section: which sound each event plays, and the quiet hours.

Kept apart from the file reader (settings.py); errors go through `complain(message, key)`,
which names the file and the line. A sound file that is not there is refused here, at
start, rather than found missing the night a P1 opens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.config.source_options import Complain

BUILT_IN_SOUNDS = ("alarm", "chime", "ping")  # resources/sounds/NAME.wav
NO_SOUND = "none"
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class SoundEvent(StrEnum):
    """What can make a sound: a new incident of a severity, an SLA breach, an escalation.

    The value is the key in [sounds].
    """

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    BREACH = "breach"
    ESCALATION = "escalation"


SOUND_KEYS = frozenset({"enabled", "quiet_hours", "quiet_hours_allow"} | set(SoundEvent))


@dataclass(frozen=True, slots=True)
class Sound:
    """One sound to play.

    Attributes:
        name: the built-in sound's name, or the file's name (what the sounds dialog shows).
        path: the site's own .wav file; None for the built-in sound `name`.
    """

    name: str
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A span of local time, start inclusive, end exclusive; it may cross midnight.

    Attributes:
        start, end: local wall-clock times ("22:00-07:00" is 22:00 .. 06:59:59).
    """

    start: time
    end: time

    def __contains__(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # crosses midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


DEFAULT_SOUNDS: Mapping[SoundEvent, Sound | None] = MappingProxyType(
    {
        SoundEvent.P1: Sound("alarm"),
        SoundEvent.P2: Sound("chime"),
        SoundEvent.P3: None,
        SoundEvent.P4: None,
        SoundEvent.BREACH: Sound("alarm"),
        SoundEvent.ESCALATION: None,
    }
)
# a P1 or a breach at 3 a.m. is why the night shift is there
DEFAULT_QUIET_ALLOW = frozenset({SoundEvent.P1, SoundEvent.BREACH})


@dataclass(frozen=True, slots=True)
class SoundConfig:
    """The [sounds] section.

    Attributes:
        enabled: false silences everything (the test button still plays).
        sounds: each event's sound; None: that event makes no sound.
        quiet_hours: when only `quiet_hours_allow` events are heard; None: never quiet.
        quiet_hours_allow: the events still heard in quiet hours.
    """

    enabled: bool = True
    sounds: Mapping[SoundEvent, Sound | None] = field(default_factory=lambda: DEFAULT_SOUNDS)
    quiet_hours: QuietHours | None = None
    quiet_hours_allow: frozenset[SoundEvent] = DEFAULT_QUIET_ALLOW

    def sound_for(self, event: SoundEvent) -> Sound | None:
        return self.sounds.get(event)


def parse_sounds(table: Mapping[str, Any], base: Path, complain: Complain) -> SoundConfig:
    """The [sounds] section; `base` is the config file's folder (for relative .wav paths)."""
    for key in table:
        if key not in SOUND_KEYS:
            expected = ", ".join([*SoundEvent, "enabled", "quiet_hours", "quiet_hours_allow"])
            raise complain(f"unknown field (expected one of {expected})", key)
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise complain("expected true or false", "enabled")
    sounds = dict(DEFAULT_SOUNDS)
    for event in SoundEvent:
        if event.value in table:
            sounds[event] = _sound(table[event.value], event.value, base, complain)
    return SoundConfig(
        enabled=enabled,
        sounds=MappingProxyType(sounds),
        quiet_hours=_quiet_hours(table, complain),
        quiet_hours_allow=_allow(table, complain),
    )


def _sound(value: object, key: str, base: Path, complain: Complain) -> Sound | None:
    expected = f"{', '.join(BUILT_IN_SOUNDS)}, {NO_SOUND} or the path of a .wav file"
    if not isinstance(value, str) or not value.strip():
        raise complain(f"expected a sound: {expected}", key)
    value = value.strip()
    if value == NO_SOUND:
        return None
    if value in BUILT_IN_SOUNDS:
        return Sound(value)
    if value.lower().endswith(".wav"):
        path = base / Path(value).expanduser()
        if not path.is_file():
            raise complain(f"sound file not found: {path}", key)
        return Sound(path.name, path)
    raise complain(f"unknown sound {value!r} (expected {expected})", key)


def _quiet_hours(table: Mapping[str, Any], complain: Complain) -> QuietHours | None:
    value = table.get("quiet_hours")
    if value is None:
        return None
    match = _SPAN.match(value) if isinstance(value, str) else None
    if match is None:
        raise complain('expected local times "HH:MM-HH:MM", e.g. "22:00-07:00"', "quiet_hours")
    hour1, minute1, hour2, minute2 = (int(part) for part in match.groups())
    if hour1 > 23 or hour2 > 23 or minute1 > 59 or minute2 > 59:
        raise complain("hours run 00-23 and minutes 00-59", "quiet_hours")
    span = QuietHours(time(hour1, minute1), time(hour2, minute2))
    if span.start == span.end:
        raise complain(
            "the span starts where it ends (leave quiet_hours out for none)", "quiet_hours"
        )
    return span


def _allow(table: Mapping[str, Any], complain: Complain) -> frozenset[SoundEvent]:
    if "quiet_hours_allow" not in table:
        return DEFAULT_QUIET_ALLOW
    value = table["quiet_hours_allow"]
    names = {event.value for event in SoundEvent}
    if not isinstance(value, list) or not all(isinstance(v, str) and v in names for v in value):
        raise complain(
            f"expected a list of events from {', '.join(SoundEvent)}", "quiet_hours_allow"
        )
    return frozenset(SoundEvent(v) for v in value)
