"""The wall's sounds: what the console reports goes to the sound policy, and out the speaker.

The policy (app/sound_policy.py) is pure and decides; the player plays; this holds the one
timer a rate-limited storm needs (a P1 arriving just after a ping is heard when the gap
ends) and writes every decision's reason to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from app.domain.changes import ChangeSet
from app.domain.notifications import Notification
from app.sound_policy import SoundCue, SoundDecision, SoundPolicy, cues_for, cues_for_changes
from ui.sound_player import SoundPlayer

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SoundAlerts(QObject):
    """Hears change sets and notifications; plays what the policy picks.

    Thread: lives in the GUI thread, fed by the window (change sets, the SLA tick).

    Attributes:
        policy: decides what is heard.
        player: plays it.
        clock: the time decisions are made at (injected by tests).
        held: the single-shot timer that plays a cue held back by the rate limit.

    Signals:
        decided(object): each SoundDecision about at least one cue (for tests, a log view).
    """

    decided = Signal(object)

    def __init__(
        self,
        policy: SoundPolicy,
        player: SoundPlayer,
        *,
        clock: Clock = _utc_now,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.policy = policy
        self.player = player
        self.clock = clock
        self.held = QTimer(self)
        self.held.setSingleShot(True)
        self.held.timeout.connect(lambda: self.hear([]))

    def hear_changes(self, changes: ChangeSet) -> SoundDecision:
        """A poll's change set: the incidents it opened, its breaches and escalations."""
        return self.hear(cues_for_changes(changes))

    def hear_notifications(self, notifications: Sequence[Notification]) -> SoundDecision:
        """Notifications (the SLA tick's crossings, or what the Notifier showed)."""
        return self.hear(cues_for(notifications))

    def hear(self, cues: Sequence[SoundCue]) -> SoundDecision:
        """Ask the policy about `cues` now and play what it picks; returns its decision."""
        decision = self.policy.decide(cues, self.clock())
        if not decision.cues:
            return decision  # nothing happened worth a log line
        if decision.sound is not None:
            log.info("sound: %s", decision.reason)
            self.player.play(decision.sound)
        else:
            log.info("no sound: %s", decision.reason)
        if decision.held_until is not None:
            wait = (decision.held_until - self.clock()).total_seconds()
            self.held.start(max(0, round(wait * 1000)))
        self.decided.emit(decision)
        return decision
