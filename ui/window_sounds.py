"""The main window's sounds: the player and its policy, the sounds dialog (F9), a lost audio device.

A feature mixin of MainWindow (why mixins, not controllers: `ui/window_feature.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from app.console import Console
from app.sound_policy import SoundPolicy
from ui.dialogs import present
from ui.notifications import Notifier
from ui.sound_alerts import SoundAlerts
from ui.sound_player import SoundPlayer
from ui.sounds_dialog import SoundsDialog
from ui.window_feature import WindowFeature

Clock = Callable[[], datetime]


class SoundsMixin(WindowFeature):
    """What the window plays, and the dialog that says what plays for what.

    Attributes:
        sound_player, sound_alerts, sounds_dialog: the sounds, their policy, their dialog
            (once opened).
        sounds_enabled: False while another window of this process plays them, or in a
            screenshot (`audible=False`).
        sounds_button: the speaker in the status bar (hidden on the wall: F9 there).
    """

    # read of the window
    console: Console
    clock: Clock
    wall_mode: bool
    notifier: Notifier
    _startup_errors: list[str]

    # held
    sound_player: SoundPlayer
    sound_alerts: SoundAlerts
    sounds_enabled: bool
    sounds_dialog: SoundsDialog | None
    sounds_button: QToolButton

    def _build_sounds(self, player: SoundPlayer | None, audible: bool) -> None:
        sounds = self.console.config.sounds
        self.sound_player = player if player is not None else SoundPlayer(sounds, parent=self)
        if player is not None:
            player.setParent(self)
        self.sound_alerts = SoundAlerts(
            SoundPolicy(sounds), self.sound_player, clock=self.clock, parent=self
        )
        # off while this process's F11 wall plays them (one room, one alarm), and in a
        # screenshot (a picture of the wall, not a running one)
        self.sounds_enabled = audible
        self.sounds_dialog = None
        self.sound_player.audio_unavailable.connect(self._on_audio_unavailable)
        if not self.sound_player.available and sounds.enabled and self.wall_mode and audible:
            # found out while the player was built, before anyone listened: the wall says so
            # (its room relies on the alarm); a desk shows it on the speaker's tooltip
            self._startup_errors.append(f"{self.sound_player.status}; alarms show on screen only")
        button = QToolButton()
        button.setText("\u266a")  # ♪ (in the fonts every desktop has; an emoji is not)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setToolTip("Sounds: what plays for what, quiet hours, test (F9)")
        button.clicked.connect(self.show_sounds)
        if not self.sound_player.available:
            button.setToolTip(f"Sounds: {self.sound_player.status} (F9 to test)")
        self.sounds_button = button

    def show_sounds(self) -> SoundsDialog:
        """The sounds dialog (F9, or the speaker in the status bar): each event's sound,
        a test button, the quiet hours and whether this machine can play at all."""
        dialog = self.sounds_dialog
        if dialog is None:
            dialog = SoundsDialog(
                self.console.config.sounds,
                self.sound_alerts.policy,
                self.sound_player,
                clock=self.clock,
                parent=self,
            )
            self.sounds_dialog = dialog
        dialog.refresh()
        present(dialog)
        return dialog

    def _on_audio_unavailable(self, status: str) -> None:
        """Told once per outage; the console goes on without sound."""
        self.sounds_button.setToolTip(f"Sounds: {status} (F9 to test)")
        self.notifier.show_message(f"{status}; alarms show on screen only", error=True)
