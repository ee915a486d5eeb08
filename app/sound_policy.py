"""Which sound, if any, the console plays for what just happened, and why (pure, no Qt).

A sound is for what the room must turn to now: a new P1 (or P2, as configured), an SLA
breach, an escalation. The policy takes *cues* (made from the engine's notifications and
from the incidents a poll opened), applies [sounds] and the quiet hours in local time,
and limits a storm to one sound every few seconds, the most urgent cue winning: two
hundred alerts opening forty incidents are one alarm, not forty. Every decision carries
its reason in words, for the log and for the sounds dialog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from app.config.sounds import Sound, SoundConfig, SoundEvent
from app.domain.changes import ChangeSet
from app.domain.incident import Incident
from app.domain.notifications import Notification, NotificationKind, opened_in
from app.resources import resource_path

# most urgent first; in a storm the first of these present is the one heard
EVENT_ORDER = (
    SoundEvent.P1,
    SoundEvent.BREACH,
    SoundEvent.P2,
    SoundEvent.ESCALATION,
    SoundEvent.P3,
    SoundEvent.P4,
)
MIN_GAP = timedelta(seconds=5)  # at most one sound this often
_BY_NOTIFICATION = {
    NotificationKind.BREACHED: SoundEvent.BREACH,
    NotificationKind.ESCALATED: SoundEvent.ESCALATION,
}


@dataclass(frozen=True, slots=True)
class SoundCue:
    """Something that may be heard.

    Attributes:
        event: what kind of thing it is (the key in [sounds]).
        key: the incident it is about (INC-000017).
        incident_id: the incident's id, when known.
    """

    event: SoundEvent
    key: str
    incident_id: int | None = None

    @property
    def urgency(self) -> int:
        """0 is the most urgent (a new P1)."""
        return EVENT_ORDER.index(self.event)

    def __str__(self) -> str:
        return f"{self.event.value} {self.key}"


def cue_for_notification(notification: Notification) -> SoundCue | None:
    """New incidents (by severity), breaches and escalations may be heard; at-risk marks
    and update reminders are not."""
    if notification.kind is NotificationKind.OPENED:
        return SoundCue(
            SoundEvent(notification.severity.value), notification.key, notification.incident_id
        )
    event = _BY_NOTIFICATION.get(notification.kind)
    if event is None:
        return None
    return SoundCue(event, notification.key, notification.incident_id)


def cue_for_opened(incident: Incident) -> SoundCue:
    """A new incident is heard by its severity (P1 .. P4 in [sounds])."""
    return SoundCue(SoundEvent(incident.severity.value), incident.key, incident.id)


def cues_for(
    notifications: Iterable[Notification] = (), opened: Iterable[Incident] = ()
) -> list[SoundCue]:
    """The cues in notifications and newly opened incidents, each once (an `opened`
    notification and the incident it is about are one cue)."""
    cues = dict.fromkeys(cue_for_opened(incident) for incident in opened)
    for notification in notifications:
        cue = cue_for_notification(notification)
        if cue is not None:
            cues.setdefault(cue)
    return list(cues)


def opened_by(changes: ChangeSet) -> list[Incident]:
    """The incidents a poll's change set opened (any severity, so a P3 or P4 given a sound
    in [sounds] is heard too; the console's `opened` notices announce P1 and P2 only)."""
    return opened_in(changes.upserted, changes.at) if changes.at is not None else []


def cues_for_changes(changes: ChangeSet) -> list[SoundCue]:
    """Everything in a poll's change set that may be heard: opened incidents (of any
    severity), breaches and escalations among its notifications."""
    return cues_for(changes.notifications, opened_by(changes))


def sound_file(sound: Sound) -> Path:
    """The .wav to play: the site's own file, or resources/sounds/NAME.wav."""
    return sound.path if sound.path is not None else resource_path("sounds", f"{sound.name}.wav")


@dataclass(frozen=True, slots=True)
class SoundDecision:
    """What the policy decided for a batch of cues.

    Attributes:
        sound: what to play now; None: silence.
        cue: the cue it plays for (the most urgent heard), or None.
        reason: why, in words ("alarm for P1 INC-000017 (the most urgent of 40)").
        held_until: a more urgent cue waits for the rate limit to pass until then; ask
            `decide([], held_until)` at that time to hear it.
        cues: how many cues it weighed (0: there was nothing to hear).
    """

    sound: Sound | None
    cue: SoundCue | None
    reason: str
    held_until: datetime | None = None
    cues: int = 0

    @property
    def plays(self) -> bool:
        return self.sound is not None


class SoundPolicy:
    """Decides which cue is heard, from [sounds], the local time and the last sound played.

    Attributes:
        config: the [sounds] section.
        min_gap: at most one sound this often.
        tz: the local time zone for quiet hours; None: the computer's own.
    """

    def __init__(
        self, config: SoundConfig, *, min_gap: timedelta = MIN_GAP, tz: tzinfo | None = None
    ) -> None:
        self.config = config
        self.min_gap = min_gap
        self.tz = tz
        self._last: tuple[datetime, SoundCue, Sound] | None = None
        self._held: dict[SoundEvent, SoundCue] = {}
        self._held_until: datetime | None = None

    @property
    def held_until(self) -> datetime | None:
        """When a cue held back by the rate limit is due to be heard."""
        return self._held_until

    def quiet_at(self, now: datetime) -> bool:
        """Whether `now` (an aware time) falls in the quiet hours, in local time."""
        span = self.config.quiet_hours
        return span is not None and now.astimezone(self.tz).time() in span

    def explain(self, event: SoundEvent, now: datetime) -> str:
        """Whether `event` would be heard at `now`, and why, the rate limit aside (for the
        sounds dialog): "heard", "silent now: quiet hours 22:00-07:00 (only P1, breach)"."""
        config = self.config
        if config.sound_for(event) is None:
            return "no sound"
        if not config.enabled:
            return "silent: sounds are off"
        if not self.quiet_at(now):
            return "heard"
        if event in config.quiet_hours_allow:
            return f"heard, also in quiet hours {config.quiet_hours}"
        allowed = _events_text(config.quiet_hours_allow) or "nothing"
        return f"silent now: quiet hours {config.quiet_hours} (only {allowed})"

    def decide(self, cues: Sequence[SoundCue], now: datetime) -> SoundDecision:
        """The sound (or silence) for `cues` at `now`; a sound it returns counts as played.

        Cues held back by the rate limit join the next call's, so `decide([], now)` at
        `held_until` hears them.
        """
        config = self.config
        pending = dict(self._held)
        count = len(cues) + len(pending)
        for cue in cues:
            pending.setdefault(cue.event, cue)  # the first of each event speaks for the rest
        self._held, self._held_until = {}, None

        def silence(reason: str) -> SoundDecision:
            return SoundDecision(None, None, reason, cues=count)

        if not pending:
            return silence("nothing to hear")
        if not config.enabled:
            return silence("sounds are off (sounds.enabled = false)")
        audible = {
            cue: sound
            for cue in pending.values()
            if (sound := config.sound_for(cue.event)) is not None
        }
        if not audible:
            return silence(f"no sound set for {_events(pending.values())}")
        quiet = self.quiet_at(now)
        if quiet:
            heard = {c: s for c, s in audible.items() if c.event in config.quiet_hours_allow}
            if not heard:
                allowed = _events_text(config.quiet_hours_allow) or "nothing"
                return silence(
                    f"quiet hours {config.quiet_hours}: {_events(audible)} not heard"
                    f" (only {allowed})"
                )
            audible = heard
        best = min(audible, key=lambda cue: cue.urgency)
        sound = audible[best]
        if self._last is not None:
            at, last_cue, last_sound = self._last
            since = now - at
            if timedelta(0) <= since < self.min_gap:  # a clock set back does not mute
                why = (
                    f"at most one sound every {_seconds(self.min_gap)};"
                    f" {last_sound.name} played {_seconds(since)} ago for {last_cue}"
                )
                if best.urgency >= last_cue.urgency:
                    return silence(f"{best} not heard ({why})")
                # more urgent than what played: heard when the gap ends, not lost
                self._held, self._held_until = {best.event: best}, at + self.min_gap
                return SoundDecision(
                    None, None, f"{best} held until the gap ends ({why})", self._held_until, count
                )
        self._last = (now, best, sound)
        reason = f"{sound.name} for {best}"
        if count > 1:
            reason += f" (the most urgent of {count})"
        if quiet:
            reason += f", allowed in quiet hours {config.quiet_hours}"
        return SoundDecision(sound, best, reason, cues=count)


def _events(cues: Iterable[SoundCue]) -> str:
    return _events_text({cue.event for cue in cues})


def _events_text(events: Iterable[SoundEvent]) -> str:
    present = set(events)
    return ", ".join(event.value for event in EVENT_ORDER if event in present)


def _seconds(delta: timedelta) -> str:
    return f"{round(delta.total_seconds(), 1):g} s"
