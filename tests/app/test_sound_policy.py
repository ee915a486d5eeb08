"""The sound policy: which events play what, quiet hours in local time, the storm limit."""

from __future__ import annotations

import wave
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from app.config.sounds import QuietHours, Sound, SoundConfig, SoundEvent
from app.domain.notifications import Notification, NotificationKind
from app.domain.severity import Severity
from app.sound_policy import (
    SoundCue,
    SoundPolicy,
    cue_for_notification,
    cues_for,
    cues_for_changes,
    opened_by,
    sound_file,
)
from tests.helpers.consoles import demo_console

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))  # local time in these tests: UTC+2, no DST
NIGHT = SoundConfig(quiet_hours=QuietHours(time(22), time(7)))


def notice(
    kind: NotificationKind, severity: Severity = Severity.P2, key: str = "INC-000017"
) -> Notification:
    return Notification(
        kind=kind,
        incident_id=int(key[-6:]),
        key=key,
        severity=severity,
        title="Orders API latency high",
        text=f"{key} {kind.value}",
        at=T0,
    )


def opened(severity: Severity, number: int = 1) -> SoundCue:
    return SoundCue(SoundEvent(severity.value), f"INC-{number:06d}", number)


def local(hour: int, minute: int = 0, day: int = 29) -> datetime:
    """An aware instant that is hour:minute in the tests' local zone."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PLUS_TWO).astimezone(UTC)


# ---------------------------------------------------------------- which event plays what


@pytest.mark.parametrize(
    ("cue", "expected"),
    [
        (opened(Severity.P1), "alarm"),
        (opened(Severity.P2), "chime"),
        (opened(Severity.P3), None),
        (opened(Severity.P4), None),
        (SoundCue(SoundEvent.BREACH, "INC-000003"), "alarm"),
        (SoundCue(SoundEvent.ESCALATION, "INC-000003"), None),
    ],
)
def test_the_default_sounds(cue: SoundCue, expected: str | None) -> None:
    decision = SoundPolicy(SoundConfig()).decide([cue], T0)
    assert (decision.sound.name if decision.sound else None) == expected
    if expected is None:
        assert decision.reason == f"no sound set for {cue.event.value}"
    else:
        assert decision.reason == f"{expected} for {cue}"
        assert decision.cue == cue


def test_notifications_become_cues_by_kind() -> None:
    assert cue_for_notification(notice(NotificationKind.BREACHED)) == SoundCue(
        SoundEvent.BREACH, "INC-000017", 17
    )
    assert cue_for_notification(notice(NotificationKind.ESCALATED)) == SoundCue(
        SoundEvent.ESCALATION, "INC-000017", 17
    )
    assert cue_for_notification(notice(NotificationKind.OPENED, Severity.P1)) == SoundCue(
        SoundEvent.P1, "INC-000017", 17
    )
    # an at-risk mark or a customer update reminder is a toast, not a sound
    assert cue_for_notification(notice(NotificationKind.AT_RISK)) is None
    assert cue_for_notification(notice(NotificationKind.UPDATE_DUE)) is None


def test_a_configured_sound_for_escalations_and_p3(tmp_path: Path) -> None:
    config = replace(
        SoundConfig(),
        sounds={
            **SoundConfig().sounds,
            SoundEvent.ESCALATION: Sound("ping"),
            SoundEvent.P3: Sound("ping"),
        },
    )
    policy = SoundPolicy(config)
    decision = policy.decide(cues_for([notice(NotificationKind.ESCALATED)]), T0)
    assert decision.sound == Sound("ping")
    assert policy.decide([opened(Severity.P3)], T0 + timedelta(minutes=1)).sound == Sound("ping")


def test_sounds_off_plays_nothing() -> None:
    policy = SoundPolicy(replace(SoundConfig(), enabled=False))
    decision = policy.decide([opened(Severity.P1)], T0)
    assert not decision.plays
    assert decision.reason == "sounds are off (sounds.enabled = false)"
    assert policy.explain(SoundEvent.P1, T0) == "silent: sounds are off"


def test_nothing_to_hear() -> None:
    decision = SoundPolicy(SoundConfig()).decide([], T0)
    assert (decision.plays, decision.cues, decision.reason) == (False, 0, "nothing to hear")


# ---------------------------------------------------------------- quiet hours


def test_quiet_hours_across_midnight_in_local_time() -> None:
    policy = SoundPolicy(NIGHT, tz=PLUS_TWO)
    # 20:30 UTC is 22:30 here: quiet, though UTC says it is not yet 22:00
    assert policy.quiet_at(datetime(2026, 11, 29, 20, 30, tzinfo=UTC))
    assert policy.quiet_at(local(23, 59))
    assert policy.quiet_at(local(0, 30, day=30))
    assert policy.quiet_at(local(6, 59, day=30))
    assert not policy.quiet_at(local(7, 0, day=30))
    assert not policy.quiet_at(local(21, 59))
    assert not SoundPolicy(SoundConfig(), tz=PLUS_TWO).quiet_at(local(3))


def test_in_quiet_hours_only_the_allowed_events_are_heard() -> None:
    policy = SoundPolicy(NIGHT, tz=PLUS_TWO)
    night = local(2, day=30)
    decision = policy.decide([opened(Severity.P2)], night)
    assert not decision.plays
    assert decision.reason == "quiet hours 22:00-07:00: P2 not heard (only P1, breach)"
    assert policy.explain(SoundEvent.P2, night) == (
        "silent now: quiet hours 22:00-07:00 (only P1, breach)"
    )
    decision = policy.decide([opened(Severity.P2), opened(Severity.P1, 2)], night)
    assert decision.sound == Sound("alarm")
    assert decision.reason == (
        "alarm for P1 INC-000002 (the most urgent of 2), allowed in quiet hours 22:00-07:00"
    )
    assert policy.explain(SoundEvent.BREACH, night) == "heard, also in quiet hours 22:00-07:00"
    # the morning shift hears everything again
    morning = local(7, 30, day=30)
    assert policy.decide([opened(Severity.P2)], morning).sound == Sound("chime")
    assert policy.explain(SoundEvent.P2, morning) == "heard"
    assert policy.explain(SoundEvent.P3, morning) == "no sound"


def test_an_empty_allow_list_silences_even_a_p1() -> None:
    policy = SoundPolicy(replace(NIGHT, quiet_hours_allow=frozenset()), tz=PLUS_TWO)
    decision = policy.decide([opened(Severity.P1)], local(23))
    assert not decision.plays
    assert decision.reason.endswith("P1 not heard (only nothing)")


# ---------------------------------------------------------------- storms


def test_a_burst_of_200_plays_one_sound_the_most_urgent() -> None:
    policy = SoundPolicy(SoundConfig())
    burst = [opened(Severity.P3, n) for n in range(150)]
    burst += [opened(Severity.P2, n) for n in range(150, 190)]
    burst += [SoundCue(SoundEvent.BREACH, f"INC-{n:06d}", n) for n in range(190, 199)]
    burst += [opened(Severity.P1, 199)]
    decision = policy.decide(burst, T0)
    assert decision.sound == Sound("alarm")
    assert decision.cue == opened(Severity.P1, 199)
    assert decision.reason == "alarm for P1 INC-000199 (the most urgent of 200)"
    # the rest of the storm, within the gap: silence, and said why
    later = policy.decide(burst[150:190], T0 + timedelta(seconds=2))
    assert not later.plays
    assert later.held_until is None
    assert later.reason == (
        "P2 INC-000150 not heard (at most one sound every 5 s; alarm played 2 s ago for"
        " P1 INC-000199)"
    )
    assert policy.decide([opened(Severity.P1, 500)], T0 + timedelta(seconds=4.9)).sound is None
    # the gap is over: the storm's next new P1 is heard
    assert policy.decide([opened(Severity.P1, 501)], T0 + timedelta(seconds=5)).plays


def test_in_a_storm_at_most_one_sound_per_gap() -> None:
    policy = SoundPolicy(SoundConfig())
    played = [
        second
        for second in range(60)
        if policy.decide([opened(Severity.P1, second)], T0 + timedelta(seconds=second)).plays
    ]
    assert played == list(range(0, 60, 5))


def test_a_more_urgent_cue_in_the_gap_is_held_until_it_ends() -> None:
    config = replace(SoundConfig(), sounds={**SoundConfig().sounds, SoundEvent.P3: Sound("ping")})
    policy = SoundPolicy(config)
    assert policy.decide([opened(Severity.P3, 1)], T0).sound == Sound("ping")
    held = policy.decide([opened(Severity.P1, 2)], T0 + timedelta(seconds=1))
    assert not held.plays
    assert held.held_until == T0 + timedelta(seconds=5)
    assert policy.held_until == T0 + timedelta(seconds=5)
    assert held.reason.startswith("P1 INC-000002 held until the gap ends")
    # more of the storm meanwhile does not lose it
    again = policy.decide([opened(Severity.P2, 3)], T0 + timedelta(seconds=3))
    assert again.held_until == T0 + timedelta(seconds=5)
    due = policy.decide([], T0 + timedelta(seconds=5))
    assert due.sound == Sound("alarm")
    assert due.cue == opened(Severity.P1, 2)
    assert policy.held_until is None
    assert policy.decide([], T0 + timedelta(seconds=11)).reason == "nothing to hear"


def test_a_clock_set_back_does_not_mute_the_console() -> None:
    policy = SoundPolicy(SoundConfig())
    assert policy.decide([opened(Severity.P1)], T0).plays
    assert policy.decide([opened(Severity.P1, 2)], T0 - timedelta(hours=1)).plays


# ---------------------------------------------------------------- from the console


def test_cues_for_counts_an_opened_notice_and_its_incident_once(tmp_path: Path) -> None:
    console = demo_console(f"sqlite:///{tmp_path / 'noc.db'}")
    try:
        changes = console.poll_once(T0)
        (p1,) = [i for i in changes.upserted if i.severity is Severity.P1]
        cues = cues_for([notice(NotificationKind.OPENED, Severity.P1, p1.key)], [p1])
        assert cues == [SoundCue(SoundEvent.P1, p1.key, p1.id)]
    finally:
        console.shutdown()


def test_the_incidents_a_poll_opened_are_heard(tmp_path: Path) -> None:
    console = demo_console(f"sqlite:///{tmp_path / 'noc.db'}")
    try:
        # a real clock has microseconds; the store keeps milliseconds
        first = T0 + timedelta(microseconds=123_456)
        changes = console.poll_once(first)
        assert changes.opened == len(opened_by(changes)) > 0
        cues = cues_for_changes(changes)
        assert {cue.event for cue in cues} >= {SoundEvent.P1}
        assert SoundPolicy(SoundConfig()).decide(cues, first).sound == Sound("alarm")
        # the next poll opens nothing new, and what was there is not heard again
        later = console.poll_once(first + timedelta(seconds=5))
        assert opened_by(later) == []
    finally:
        console.shutdown()


# ---------------------------------------------------------------- the built-in sounds


@pytest.mark.parametrize("name", ["alarm", "chime", "ping"])
def test_the_built_in_sounds_are_short_16_bit_mono(name: str) -> None:
    path = sound_file(Sound(name))
    assert path.name == f"{name}.wav"
    assert path.stat().st_size < 50_000
    with wave.open(str(path)) as sound:
        assert (sound.getnchannels(), sound.getsampwidth(), sound.getframerate()) == (1, 2, 22050)
        assert 0 < sound.getnframes() <= 22050


def test_a_site_sound_is_its_own_file(tmp_path: Path) -> None:
    assert sound_file(Sound("siren.wav", tmp_path / "siren.wav")) == tmp_path / "siren.wav"
