"""Fake sound players for the player and dialog tests: scripts that record and exit 0 or 1."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

APLAY_ERROR = "aplay: main:831: audio open error: No such file or directory"
NO_SOUNDCARD = "ALSA lib confmisc.c:855:(parse_card) cannot find card '0'"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def fake_player(folder: Path, name: str, *, fails: bool = False) -> Path:
    """A player that records its arguments (one per line) and exits 0, or fails as aplay
    does on a machine without a sound card (two lines on stderr, exit status 1)."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    record = folder / f"{name}.args"
    failure = (
        f"print({NO_SOUNDCARD!r}, file=sys.stderr)\n"
        f"print({APLAY_ERROR!r}, file=sys.stderr)\n"
        "sys.exit(1)\n"
    )
    path.write_text(
        f"#!{sys.executable}\nimport pathlib, sys\n"
        f"pathlib.Path({str(record)!r}).write_text('\\n'.join(sys.argv[1:]))\n"
        + (failure if fails else "")
    )
    path.chmod(0o755)
    return path


def recorded(player: Path) -> list[str]:
    """The arguments the fake player was last started with."""
    return player.with_name(f"{player.name}.args").read_text().splitlines()
