"""The window's sounds: a poll that opens a P1 is heard, a machine without audio says so
once and goes on, and F9 opens the sounds dialog."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.console import Console
from tests.helpers.sound_players import fake_player, recorded
from ui.main_window import MainWindow
from ui.sound_player import SoundPlayer


@pytest.fixture
def open_window(qtbot, t0: datetime) -> Iterator:
    windows: list[MainWindow] = []

    def make(console: Console, program: Path, *, wall: bool = True) -> MainWindow:
        player = SoundPlayer(console.config.sounds, command=[str(program)])
        window = MainWindow(console, wall=wall, clock=lambda: t0, sound_player=player)
        qtbot.addWidget(window)
        window.load(console.wall(t0), console.source_health())
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()


def test_a_poll_that_opens_a_p1_sounds_the_alarm(
    qtbot, open_window, demo_console: Console, tmp_path: Path, t0: datetime
) -> None:
    program = fake_player(tmp_path / "bin", "paplay")
    window = open_window(demo_console, program)
    with qtbot.waitSignal(window.sound_player.played, timeout=10_000) as played:
        window.apply_changes(demo_console.poll_once(t0))
    assert played.args == ["alarm.wav"]
    assert Path(recorded(program)[-1]).name == "alarm.wav"
    assert window.flash is not None
    assert window.flash.lit  # and the frame flashes


def test_no_sound_while_another_window_plays_them(
    qtbot, open_window, demo_console: Console, tmp_path: Path, t0: datetime
) -> None:
    program = fake_player(tmp_path / "bin", "paplay")
    window = open_window(demo_console, program, wall=False)
    window.sounds_enabled = False  # the F11 wall of this process is open
    window.apply_changes(demo_console.poll_once(t0))
    qtbot.wait(200)
    assert not program.with_name("paplay.args").exists()


def test_without_an_audio_device_it_says_so_and_goes_on(
    qtbot, open_window, demo_console: Console, tmp_path: Path, t0: datetime
) -> None:
    program = fake_player(tmp_path / "bin", "aplay", fails=True)
    window = open_window(demo_console, program, wall=False)
    with qtbot.waitSignal(window.sound_player.audio_unavailable, timeout=10_000):
        window.apply_changes(demo_console.poll_once(t0))
    assert "no audio device" in window.sounds_button.toolTip()
    assert window.model.rowCount() > 0  # the wall is there all the same


def test_f9_opens_the_sounds_dialog(
    qtbot, open_window, demo_console: Console, tmp_path: Path
) -> None:
    window = open_window(demo_console, fake_player(tmp_path / "bin", "paplay"), wall=False)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.table, Qt.Key.Key_F9)
    assert window.sounds_dialog is not None
    assert window.sounds_dialog.isVisible()
