"""Plays the console's sounds without blocking the GUI thread, and says so when it cannot.

PySide6-Essentials has no QtMultimedia, so a sound goes through what the system has:
the Windows sound API (`winsound`, asynchronous), `afplay` on macOS, and on Linux the
first of `pw-play`, `paplay` and `aplay` on the PATH, started by QProcess with an argv
list (no shell; the only argument is the sound file's absolute path, never alert text).
A missing player, or a player that fails (no sound card, no audio server), is told once
as "no audio device: ..."; later sounds are skipped quietly and the device is looked for
again after RETRY_AFTER. The console goes on either way: a sound is never worth an error.
"""

from __future__ import annotations

import importlib
import logging
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QProcess, QTimer, Signal

from app.config.sounds import Sound, SoundConfig, SoundEvent
from app.sound_policy import sound_file

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Which = Callable[[str], str | None]

LINUX_PLAYERS = ("pw-play", "paplay", "aplay")  # PipeWire, PulseAudio, bare ALSA
RETRY_AFTER = timedelta(minutes=10)  # a headset plugged in, an audio server restarted
# a built-in sound lasts under a second; a player still running after this is stuck
PLAY_LIMIT_MS = 30_000
_QUIET_ARGS = {"aplay": ("-q",)}  # aplay announces every file on stderr otherwise
_REASON_CHARS = 200


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PlayerCommand:
    """How sounds are played here.

    Attributes:
        name: what the status names ("paplay", "winsound").
        argv: the program and its fixed arguments, the file going last; empty for the
            Windows sound API, which needs no process.
    """

    name: str
    argv: tuple[str, ...]

    @property
    def in_process(self) -> bool:
        return not self.argv


WINSOUND = PlayerCommand("winsound", ())


def find_player(platform: str = sys.platform, which: Which = shutil.which) -> PlayerCommand | str:
    """The player for this system, or why there is none (in words, for the status)."""
    if platform == "win32":
        return WINSOUND
    names = ("afplay",) if platform == "darwin" else LINUX_PLAYERS
    for name in names:
        program = which(name)
        if program:
            return PlayerCommand(name, (program, *_QUIET_ARGS.get(name, ())))
    return f"no sound player found (looked for {', '.join(names)} on the PATH)"


def _winsound_play(path: Path) -> None:
    """Start `path` playing through the Windows sound API and return at once."""
    winsound = importlib.import_module("winsound")  # Windows only; mypy runs elsewhere
    flags = winsound.SND_FILENAME | winsound.SND_ASYNC | winsound.SND_NODEFAULT
    winsound.PlaySound(str(path), flags)


class SoundPlayer(QObject):
    """Plays sound files through the system's player, one at a time, never waiting for it.

    Thread: lives in the GUI thread; the player runs as a child process (or, on Windows,
    inside the sound API's own thread), so nothing here blocks.

    Attributes:
        sounds: the [sounds] section (which file `test` plays for an event).
        command: the player in use; None while there is none.
        status: "playing through paplay", or "no audio device: <reason>".
        available: False from a failure until a later try succeeds.

    Signals:
        status_changed(str): the status text changed.
        audio_unavailable(str): the status, when sound stopped working (told once per outage).
        played(str): the file name of a sound that played to its end.
        tested(str, str): the event and the result in words, after `test`.
    """

    status_changed = Signal(str)
    audio_unavailable = Signal(str)
    played = Signal(str)
    tested = Signal(str, str)

    def __init__(
        self,
        sounds: SoundConfig,
        *,
        command: Sequence[str] | None = None,
        platform: str = sys.platform,
        which: Which = shutil.which,
        winsound_play: Callable[[Path], None] = _winsound_play,
        clock: Clock = _utc_now,
        retry_after: timedelta = RETRY_AFTER,
        play_limit_ms: int = PLAY_LIMIT_MS,
        parent: QObject | None = None,
    ) -> None:
        """`command` (program and fixed arguments) replaces finding the player: for tests,
        and for sites that play through something of their own."""
        super().__init__(parent)
        self.sounds = sounds
        self.clock = clock
        self.retry_after = retry_after
        self.play_limit_ms = play_limit_ms
        self._platform = platform
        self._which = which
        self._winsound_play = winsound_play
        self._fixed = (
            PlayerCommand(Path(command[0]).name, tuple(command)) if command is not None else None
        )
        self.command: PlayerCommand | None = None
        self._reason: str | None = None
        self._retry_at: datetime | None = None
        self._process: QProcess | None = None
        self._limit = QTimer(self)
        self._limit.setSingleShot(True)
        self._limit.timeout.connect(self._on_too_long)
        application = QCoreApplication.instance()
        if application is not None:  # a player left running at exit would outlive its QProcess
            application.aboutToQuit.connect(self.stop)
        self._detect(at_start=True)

    # ------------------------------------------------------------------ state

    @property
    def available(self) -> bool:
        return self._reason is None

    @property
    def status(self) -> str:
        if self._reason is not None:
            return f"no audio device: {self._reason}"
        name = self.command.name if self.command is not None else "?"
        return f"playing through {name}"

    @property
    def playing(self) -> bool:
        return self._process is not None

    # ------------------------------------------------------------------ playing

    def play(self, sound: Sound) -> bool:
        """Start `sound`; False when it cannot (no audio device: skipped until the retry)."""
        return self.play_file(sound_file(sound))

    def play_file(self, path: Path, *, test: SoundEvent | None = None) -> bool:
        """Start the file playing, replacing a sound still playing; never waits.

        A test (`test` set) tries at once even in an outage: the operator is asking.
        """
        if self._reason is not None:
            due = self._retry_at is None or self.clock() >= self._retry_at
            if not due and test is None:
                log.debug("sound skipped (%s)", self.status)
                return False
            self._detect()
        if self.command is None:
            return False
        path = path.absolute()  # never a relative name a player could read as an option
        if not path.is_file():  # checked at start-up; a broken install is not a device fault
            log.warning("sound file missing: %s", path)
            return False
        if self.command.in_process:
            return self._play_in_process(path, test)
        self.stop()
        process = QProcess(self)
        process.setProperty("sound_file", str(path))
        process.setProperty("test_event", test.value if test is not None else "")
        process.setStandardInputFile(QProcess.nullDevice())
        process.setStandardOutputFile(QProcess.nullDevice())
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        program, *arguments = self.command.argv
        process.start(program, [*arguments, str(path)])
        self._limit.start(self.play_limit_ms)
        return True

    def test(self, event: SoundEvent) -> bool:
        """Play `event`'s sound now, whatever the quiet hours, the rate limit or an outage
        say; `tested(event, result)` tells how it went. False if it could not start."""
        sound = self.sounds.sound_for(event)
        if sound is None:
            self.tested.emit(event.value, f"{event.value} has no sound")
            return False
        path = sound_file(sound)
        if not path.is_file():
            self.tested.emit(event.value, f"sound file missing: {path}")
            return False
        started = self.play_file(path, test=event)
        if not started and self.command is None:  # no player; other failures told already
            self.tested.emit(event.value, self.status)
        return started

    def stop(self) -> None:
        """Stop the sound playing, if any, and wait for its player to go (shutdown, tests)."""
        process, self._process = self._process, None
        self._limit.stop()
        if process is None:
            return
        process.finished.disconnect(self._on_finished)
        process.errorOccurred.disconnect(self._on_error)
        if process.state() != QProcess.ProcessState.NotRunning:
            process.kill()
            process.waitForFinished(1000)
        process.deleteLater()

    # ------------------------------------------------------------------ outcomes

    def _play_in_process(self, path: Path, test: SoundEvent | None) -> bool:
        try:
            self._winsound_play(path)
        except (RuntimeError, OSError) as error:  # no device, or the file was refused
            self._failed(f"{self.command.name if self.command else 'winsound'}: {error}", test)
            return False
        self._succeeded(path, test)
        return True

    def _on_finished(self, code: int, exit_status: QProcess.ExitStatus) -> None:
        process = self.sender()
        if not isinstance(process, QProcess) or process is not self._process:
            return
        self._process = None
        self._limit.stop()
        path = Path(str(process.property("sound_file")))
        test = _event(process.property("test_event"))
        error = bytes(process.readAllStandardError().data()).decode("utf-8", "replace")
        process.deleteLater()
        if exit_status == QProcess.ExitStatus.NormalExit and code == 0:
            self._succeeded(path, test)
            return
        name = self.command.name if self.command else "player"
        how = "crashed" if exit_status == QProcess.ExitStatus.CrashExit else f"exit status {code}"
        self._failed(_last_line(error) or f"{name}: {how}", test)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        process = self.sender()
        if not isinstance(process, QProcess) or process is not self._process:
            return
        if error != QProcess.ProcessError.FailedToStart:
            return  # a crash also ends in finished(), which tells it
        self._process = None
        self._limit.stop()
        test = _event(process.property("test_event"))
        reason = f"{process.program()} did not start ({process.errorString()})"
        process.deleteLater()
        self._failed(reason, test)

    def _on_too_long(self) -> None:
        """A player still running after PLAY_LIMIT_MS is stuck (a hung audio server):
        stop it so it cannot pile up; the next sound tries again."""
        if self._process is not None:
            log.warning("sound player still running after %d ms; stopped", self.play_limit_ms)
            self.stop()

    def _succeeded(self, path: Path, test: SoundEvent | None) -> None:
        was_down = self._reason is not None
        self._reason, self._retry_at = None, None
        if was_down:
            log.info("sound works again: %s", self.status)
            self.status_changed.emit(self.status)
        self.played.emit(path.name)
        if test is not None:
            name = self.command.name if self.command else "?"
            self.tested.emit(test.value, f"played {path.name} through {name}")

    def _failed(self, reason: str, test: SoundEvent | None, *, at_start: bool = False) -> None:
        before, first = self.status, self._reason is None
        self._reason = reason
        self._retry_at = self.clock() + self.retry_after
        if first:
            # at start it is a fact about the machine (the window says so); a sound that
            # could not be played is worth a warning
            log.log(
                logging.INFO if at_start else logging.WARNING,
                "%s; sounds are skipped, tried again after %s",
                self.status,
                self.retry_after,
            )
            self.audio_unavailable.emit(self.status)
        if self.status != before:
            self.status_changed.emit(self.status)
        if test is not None:
            self.tested.emit(test.value, self.status)

    def _detect(self, *, at_start: bool = False) -> None:
        """Find the player (again: one may have been installed since)."""
        found = self._fixed or find_player(self._platform, self._which)
        if isinstance(found, str):
            self.command = None
            self._failed(found, None, at_start=at_start)
        else:
            self.command = found


def _event(value: object) -> SoundEvent | None:
    return SoundEvent(value) if isinstance(value, str) and value else None


def _last_line(text: str) -> str:
    """The player's own last words on stderr ("aplay: main:831: audio open error: ...")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:_REASON_CHARS] if lines else ""
