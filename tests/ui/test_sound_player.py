"""The sound player: finds a player, plays without blocking, says "no audio device" once."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.config.sounds import Sound, SoundConfig, SoundEvent
from app.sound_policy import SoundCue, SoundPolicy, sound_file
from tests.helpers.sound_players import APLAY_ERROR, Clock, fake_player, recorded
from ui.sound_alerts import SoundAlerts
from ui.sound_player import WINSOUND, PlayerCommand, SoundPlayer, find_player


@pytest.fixture
def clock(t0: datetime) -> Clock:
    return Clock(t0)


@pytest.fixture
def players(qtbot) -> Iterator[list[SoundPlayer]]:
    """Players made by a test, stopped after it (a QProcess must not outlive its test)."""
    made: list[SoundPlayer] = []
    yield made
    for player in made:
        player.stop()


def make_player(players: list[SoundPlayer], *args: object, **kwargs: object) -> SoundPlayer:
    player = SoundPlayer(*args, **kwargs)  # type: ignore[arg-type]
    players.append(player)
    return player


# ---------------------------------------------------------------- finding the player


def test_linux_takes_the_first_player_on_the_path() -> None:
    found = {"paplay": "/usr/bin/paplay", "aplay": "/usr/bin/aplay"}
    assert find_player("linux", found.get) == PlayerCommand("paplay", ("/usr/bin/paplay",))
    assert find_player("linux", {"aplay": "/bin/aplay"}.get) == PlayerCommand(
        "aplay", ("/bin/aplay", "-q")
    )
    pipewire = {"pw-play": "/usr/bin/pw-play", **found}
    assert find_player("linux", pipewire.get).name == "pw-play"


def test_macos_uses_afplay_and_windows_its_sound_api() -> None:
    assert find_player("darwin", {"afplay": "/usr/bin/afplay"}.get) == PlayerCommand(
        "afplay", ("/usr/bin/afplay",)
    )
    assert find_player("win32", lambda _: None) is WINSOUND


def test_no_player_on_the_path_is_no_audio_device(qtbot, players, tmp_path: Path) -> None:
    player = make_player(players, SoundConfig(), platform="linux", which=lambda _: None)
    expected = (
        "no audio device: no sound player found (looked for pw-play, paplay, aplay on the PATH)"
    )
    assert player.status == expected
    assert not player.available
    assert not player.play(Sound("alarm"))
    with qtbot.waitSignal(player.tested) as tested:
        assert not player.test(SoundEvent.P1)
    assert tested.args == ["P1", expected]


def test_the_real_path_lookup_finds_a_player_installed_there(
    qtbot, players, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = fake_player(tmp_path / "bin", "aplay")
    monkeypatch.setenv("PATH", str(program.parent))
    player = make_player(players, SoundConfig(), platform="linux")
    assert player.command == PlayerCommand("aplay", (str(program), "-q"))
    assert player.status == "playing through aplay"


# ---------------------------------------------------------------- playing


def test_a_sound_plays_through_the_player_with_only_its_path(
    qtbot, players, tmp_path: Path
) -> None:
    program = fake_player(tmp_path, "paplay")
    player = make_player(players, SoundConfig(), command=[str(program)])
    with qtbot.waitSignal(player.played, timeout=10_000) as played:
        assert player.play(Sound("alarm"))
        assert player.playing  # started, not waited for
    assert played.args == ["alarm.wav"]
    assert recorded(program) == [str(sound_file(Sound("alarm")).absolute())]
    assert player.status == "playing through paplay"
    assert not player.playing


def test_a_failing_player_is_no_audio_device_once_then_skipped(
    qtbot, players, tmp_path: Path, clock: Clock
) -> None:
    program = fake_player(tmp_path, "aplay", fails=True)
    player = make_player(
        players,
        SoundConfig(),
        command=[str(program), "-q"],
        clock=clock,
        retry_after=timedelta(minutes=10),
    )
    told: list[str] = []
    player.audio_unavailable.connect(told.append)
    with qtbot.waitSignal(player.status_changed, timeout=10_000):
        assert player.play(Sound("alarm"))
    assert player.status == f"no audio device: {APLAY_ERROR}"
    assert told == [player.status]
    # skipped quietly until the retry: no process, no second report
    program.with_name("aplay.args").unlink()
    assert not player.play(Sound("chime"))
    assert not player.playing
    assert not program.with_name("aplay.args").exists()
    # ten minutes on it tries again; still failing, still told only once
    clock.advance(timedelta(minutes=10))
    assert player.play(Sound("chime"))
    qtbot.waitUntil(lambda: not player.playing, timeout=10_000)
    assert recorded(program)[-1].endswith("chime.wav")
    assert told == [player.status]
    assert not player.play(Sound("chime"))  # the retry moved on with it


def test_sound_comes_back_after_the_retry(qtbot, players, tmp_path: Path, clock: Clock) -> None:
    program = fake_player(tmp_path, "paplay", fails=True)
    player = make_player(players, SoundConfig(), command=[str(program)], clock=clock)
    with qtbot.waitSignal(player.audio_unavailable, timeout=10_000):
        player.play(Sound("ping"))
    fake_player(tmp_path, "paplay")  # the headset is plugged in
    clock.advance(timedelta(minutes=11))
    with qtbot.waitSignal(player.status_changed, timeout=10_000) as changed:
        assert player.play(Sound("ping"))
    assert changed.args == ["playing through paplay"]
    assert player.available


def test_a_player_that_cannot_start_is_no_audio_device(qtbot, players, tmp_path: Path) -> None:
    player = make_player(players, SoundConfig(), command=[str(tmp_path / "missing" / "pw-play")])
    with qtbot.waitSignal(player.audio_unavailable, timeout=10_000) as told:
        player.play(Sound("alarm"))
    assert told.args[0].startswith("no audio device: ")
    assert "did not start" in told.args[0]


def test_a_stuck_player_is_stopped(qtbot, players, tmp_path: Path) -> None:
    program = tmp_path / "pw-play"
    program.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(60)\n")
    program.chmod(0o755)
    player = make_player(players, SoundConfig(), command=[str(program)], play_limit_ms=200)
    assert player.play(Sound("alarm"))
    qtbot.waitUntil(lambda: not player.playing, timeout=10_000)
    assert player.available  # stuck is not "no device": the next sound tries again


def test_windows_plays_through_its_sound_api(qtbot, players) -> None:
    calls: list[Path] = []
    player = make_player(players, SoundConfig(), platform="win32", winsound_play=calls.append)
    assert player.status == "playing through winsound"
    with qtbot.waitSignal(player.played):
        assert player.play(Sound("chime"))
    assert calls == [sound_file(Sound("chime")).absolute()]

    def no_device(path: Path) -> None:
        raise RuntimeError("Failed to play sound")

    broken = make_player(players, SoundConfig(), platform="win32", winsound_play=no_device)
    with qtbot.waitSignal(broken.tested) as tested:
        assert not broken.test(SoundEvent.BREACH)
    assert tested.args == ["breach", "no audio device: winsound: Failed to play sound"]


# ---------------------------------------------------------------- the test method


def test_test_plays_the_events_sound_and_tells_the_result(qtbot, players, tmp_path: Path) -> None:
    program = fake_player(tmp_path, "paplay")
    player = make_player(players, SoundConfig(), command=[str(program)])
    with qtbot.waitSignal(player.tested, timeout=10_000) as tested:
        assert player.test(SoundEvent.P2)
    assert tested.args == ["P2", "played chime.wav through paplay"]
    with qtbot.waitSignal(player.tested) as tested:
        assert not player.test(SoundEvent.P3)
    assert tested.args == ["P3", "P3 has no sound"]


def test_test_tries_at_once_even_in_an_outage(qtbot, players, tmp_path: Path, clock: Clock) -> None:
    program = fake_player(tmp_path, "aplay", fails=True)
    player = make_player(players, SoundConfig(), command=[str(program)], clock=clock)
    with qtbot.waitSignal(player.audio_unavailable, timeout=10_000):
        player.play(Sound("alarm"))
    fake_player(tmp_path, "aplay")
    with qtbot.waitSignal(player.tested, timeout=10_000) as tested:
        assert player.test(SoundEvent.P1)
    assert tested.args == ["P1", "played alarm.wav through aplay"]
    assert player.available


# ---------------------------------------------------------------- the policy and the player


def test_alerts_play_what_the_policy_picks_and_hold_a_more_urgent_one(
    qtbot, players, tmp_path: Path, clock: Clock
) -> None:
    program = fake_player(tmp_path, "paplay")
    sounds = SoundConfig(sounds={**SoundConfig().sounds, SoundEvent.P3: Sound("ping")})
    player = make_player(players, sounds, command=[str(program)])
    alerts = SoundAlerts(SoundPolicy(sounds), player, clock=clock)
    with qtbot.waitSignal(player.played, timeout=10_000) as played:
        decision = alerts.hear([SoundCue(SoundEvent.P3, "INC-000001", 1)])
    assert decision.sound == Sound("ping")
    assert played.args == ["ping.wav"]
    clock.advance(timedelta(seconds=1))
    held = alerts.hear([SoundCue(SoundEvent.P1, "INC-000002", 2)])
    assert held.held_until == clock() + timedelta(seconds=4)
    assert alerts.held.isActive()
    # a coarse timer (Qt's default) may fire up to 5 % late
    assert 3000 <= alerts.held.remainingTime() <= 4200
    clock.advance(timedelta(seconds=4))
    with qtbot.waitSignal(alerts.decided, timeout=10_000) as decided:
        alerts.held.setInterval(0)
        alerts.held.start()
    assert decided.args[0].sound == Sound("alarm")
    qtbot.waitUntil(lambda: not player.playing, timeout=10_000)
    assert recorded(program) == [str(sound_file(Sound("alarm")).absolute())]


def test_nothing_to_hear_is_not_logged_or_signalled(qtbot, players, clock: Clock) -> None:
    player = make_player(players, SoundConfig(), platform="linux", which=lambda _: None)
    alerts = SoundAlerts(SoundPolicy(SoundConfig()), player, clock=clock)
    with qtbot.assertNotEmitted(alerts.decided):
        assert alerts.hear([]).reason == "nothing to hear"
