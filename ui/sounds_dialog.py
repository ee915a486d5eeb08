"""The sounds dialog: each event's sound with a Test button, the player, the quiet hours.

For the operator setting up a workstation (does the P1 alarm reach the room's speakers?)
and for the one wondering at 3 a.m. why a P2 made no sound: it shows what [sounds] says,
whether each event would be heard now, and the player's state in words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.config.sounds import SoundConfig, SoundEvent
from app.sound_policy import EVENT_ORDER, SoundPolicy
from ui.sound_player import SoundPlayer

Clock = Callable[[], datetime]

EVENT_WORDS = {
    SoundEvent.P1: "New P1 incident",
    SoundEvent.P2: "New P2 incident",
    SoundEvent.P3: "New P3 incident",
    SoundEvent.P4: "New P4 incident",
    SoundEvent.BREACH: "SLA breached",
    SoundEvent.ESCALATION: "Escalated",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SoundsDialog(QDialog):
    """Each event's sound, a Test button per event, the player's status and the quiet hours.

    Standalone: it takes the [sounds] section, the policy (for "would it be heard now")
    and the player (which plays the tests and knows whether there is an audio device).

    Attributes:
        sounds: the [sounds] section shown.
        policy, player: as given.
        test_buttons: the Test button of each event (disabled for events with no sound).
        sound_labels, now_labels: each event's sound, and whether it is heard now.
        enabled_label: whether sounds are on at all.
        quiet_label: the quiet hours, and whether they are on now.
        status_label: the player's status ("playing through paplay", "no audio device: ...").
        result_label: how the last test went.
    """

    def __init__(
        self,
        sounds: SoundConfig,
        policy: SoundPolicy,
        player: SoundPlayer,
        *,
        clock: Clock = _utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.sounds = sounds
        self.policy = policy
        self.player = player
        self.clock = clock
        self.setWindowTitle("Sounds")
        self.setModal(False)
        layout = QVBoxLayout(self)
        self.enabled_label = QLabel(
            "Sounds are on."
            if sounds.enabled
            else "Sounds are off ([sounds] enabled = false); Test still plays."
        )
        layout.addWidget(self.enabled_label)
        self.quiet_label = QLabel()
        layout.addWidget(self.quiet_label)
        grid = QGridLayout()
        for column, title in enumerate(("Event", "Sound", "Now")):
            header = QLabel(f"<b>{title}</b>")
            grid.addWidget(header, 0, column)
        self.test_buttons: dict[SoundEvent, QPushButton] = {}
        self.sound_labels: dict[SoundEvent, QLabel] = {}
        self.now_labels: dict[SoundEvent, QLabel] = {}
        for row, event in enumerate(EVENT_ORDER, start=1):
            sound = sounds.sound_for(event)
            grid.addWidget(QLabel(f"{event.value}: {EVENT_WORDS[event]}"), row, 0)
            name = QLabel(sound.name if sound is not None else "none")
            if sound is not None:
                name.setToolTip(str(sound.path) if sound.path else f"built-in sound {sound.name}")
            self.sound_labels[event] = name
            grid.addWidget(name, row, 1)
            now = QLabel()
            self.now_labels[event] = now
            grid.addWidget(now, row, 2)
            button = QPushButton("Test")
            button.setEnabled(sound is not None)
            button.setToolTip(f"play the {event.value} sound now, whatever the quiet hours say")
            button.clicked.connect(lambda _=False, e=event: self.test(e))
            self.test_buttons[event] = button
            grid.addWidget(button, row, 3)
        layout.addLayout(grid)
        self.status_label = QLabel()
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status_label)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        player.status_changed.connect(self._on_status)
        player.tested.connect(self._on_tested)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the clock: quiet hours start and end while the dialog is open."""
        now = self.clock()
        span = self.sounds.quiet_hours
        if span is None:
            self.quiet_label.setText("No quiet hours.")
        elif self.policy.quiet_at(now):
            allowed = ", ".join(e.value for e in EVENT_ORDER if e in self.sounds.quiet_hours_allow)
            self.quiet_label.setText(
                f"Quiet hours {span}: on now (only {allowed or 'nothing'} heard)."
            )
        else:
            self.quiet_label.setText(f"Quiet hours {span}: not now.")
        for event, label in self.now_labels.items():
            label.setText(self.policy.explain(event, now))
        self._on_status(self.player.status)

    def test(self, event: SoundEvent) -> None:
        """Play `event`'s sound; the result line says how it went when the player knows."""
        self.refresh()
        self.result_label.setText(f"{event.value}: playing...")
        self.player.test(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        self.refresh()
        super().showEvent(event)

    def _on_status(self, status: str) -> None:
        self.status_label.setText(f"Player: {status}")

    def _on_tested(self, event: str, result: str) -> None:
        self.result_label.setText(f"{event}: {result}")
