"""The sounds dialog: each event's sound, a working Test button, the player, the quiet hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.config.sounds import QuietHours, Sound, SoundConfig, SoundEvent
from app.sound_policy import SoundPolicy
from tests.helpers.sound_players import APLAY_ERROR, fake_player
from ui.sound_player import SoundPlayer
from ui.sounds_dialog import SoundsDialog

PLUS_TWO = timezone(timedelta(hours=2))
NIGHT = datetime(2026, 11, 30, 1, 30, tzinfo=PLUS_TWO).astimezone(UTC)  # 01:30 local
DAY = datetime(2026, 11, 30, 14, 0, tzinfo=PLUS_TWO).astimezone(UTC)
SOUNDS = SoundConfig(
    sounds={**SoundConfig().sounds, SoundEvent.ESCALATION: Sound("ping")},
    quiet_hours=QuietHours(time(22), time(7)),
)


@pytest.fixture
def player_for(qtbot, tmp_path: Path) -> Iterator:
    made: list[SoundPlayer] = []

    def make(*, fails: bool = False) -> SoundPlayer:
        program = fake_player(tmp_path, "aplay" if fails else "paplay", fails=fails)
        player = SoundPlayer(SOUNDS, command=[str(program)])
        made.append(player)
        return player

    yield make
    for player in made:
        player.stop()


def dialog_at(qtbot, player: SoundPlayer, now: datetime) -> SoundsDialog:
    dialog = SoundsDialog(SOUNDS, SoundPolicy(SOUNDS, tz=PLUS_TWO), player, clock=lambda: now)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_it_lists_every_event_with_its_sound(qtbot, player_for) -> None:
    dialog = dialog_at(qtbot, player_for(), DAY)
    sounds = {event: label.text() for event, label in dialog.sound_labels.items()}
    assert sounds == {
        SoundEvent.P1: "alarm",
        SoundEvent.BREACH: "alarm",
        SoundEvent.P2: "chime",
        SoundEvent.ESCALATION: "ping",
        SoundEvent.P3: "none",
        SoundEvent.P4: "none",
    }
    enabled = {event for event, button in dialog.test_buttons.items() if button.isEnabled()}
    assert enabled == {SoundEvent.P1, SoundEvent.P2, SoundEvent.BREACH, SoundEvent.ESCALATION}
    assert dialog.quiet_label.text() == "Quiet hours 22:00-07:00: not now."
    assert dialog.now_labels[SoundEvent.P2].text() == "heard"
    assert dialog.now_labels[SoundEvent.P3].text() == "no sound"
    assert dialog.status_label.text() == "Player: playing through paplay"


def test_at_night_it_says_what_is_still_heard(qtbot, player_for) -> None:
    dialog = dialog_at(qtbot, player_for(), NIGHT)
    assert dialog.quiet_label.text() == "Quiet hours 22:00-07:00: on now (only P1, breach heard)."
    assert dialog.now_labels[SoundEvent.P1].text() == "heard, also in quiet hours 22:00-07:00"
    assert dialog.now_labels[SoundEvent.P2].text() == (
        "silent now: quiet hours 22:00-07:00 (only P1, breach)"
    )


def test_the_test_button_plays_and_tells_the_result(qtbot, player_for) -> None:
    dialog = dialog_at(qtbot, player_for(), NIGHT)
    qtbot.mouseClick(dialog.test_buttons[SoundEvent.P2], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: dialog.result_label.text() == "P2: played chime.wav through paplay",
        timeout=10_000,
    )


def test_with_no_audio_device_the_test_says_so(qtbot, player_for) -> None:
    dialog = dialog_at(qtbot, player_for(fails=True), DAY)
    qtbot.mouseClick(dialog.test_buttons[SoundEvent.P1], Qt.MouseButton.LeftButton)
    expected = f"no audio device: {APLAY_ERROR}"
    qtbot.waitUntil(lambda: dialog.result_label.text() == f"P1: {expected}", timeout=10_000)
    assert dialog.status_label.text() == f"Player: {expected}"


def test_sounds_off_is_said_and_test_still_plays(qtbot, player_for) -> None:
    sounds = SoundConfig(enabled=False)
    player = player_for()
    dialog = SoundsDialog(sounds, SoundPolicy(sounds), player, clock=lambda: DAY)
    qtbot.addWidget(dialog)
    assert "Sounds are off" in dialog.enabled_label.text()
    assert dialog.now_labels[SoundEvent.P1].text() == "silent: sounds are off"
    with qtbot.waitSignal(player.played, timeout=10_000):
        qtbot.mouseClick(dialog.test_buttons[SoundEvent.P1], Qt.MouseButton.LeftButton)
