"""Write the built-in sounds, resources/sounds/{alarm,chime,ping}.wav, from a few tones.

Run once from the checkout (`.venv/bin/python scripts/make_sounds.py`); the files are
committed. Synthesised with the standard library only, deterministically, so running it
again writes the same bytes and the sounds carry no third-party licence.
16-bit mono 22050 Hz, each under a second and a few tens of KB.
"""

from __future__ import annotations

import math
import struct
import sys
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

RATE = 22050
PEAK = 0.8 * 32767  # some headroom: players and mixers add their own gain
FOLDER = Path(__file__).resolve().parent.parent / "resources" / "sounds"

Signal = Callable[[float], float]  # time in seconds -> amplitude in -1 .. 1


def tone(frequency: float, start: float, length: float, decay: float = 0.0) -> Signal:
    """A sine from `start` for `length` seconds with 5 ms fades (no clicks), optionally
    decaying exponentially (`decay` per second) like a struck bell."""
    fade = 0.005

    def signal(t: float) -> float:
        local = t - start
        if not 0.0 <= local < length:
            return 0.0
        envelope = min(1.0, local / fade, (length - local) / fade)
        if decay:
            envelope *= math.exp(-decay * local)
        return envelope * math.sin(2 * math.pi * frequency * local)

    return signal


def mix(parts: Sequence[tuple[Signal, float]]) -> Signal:
    return lambda t: sum(weight * part(t) for part, weight in parts)


def alarm() -> tuple[Signal, float]:
    """Two tones alternating fast (880/660 Hz): urgent, and unlike any desktop chime."""
    beep = 0.12
    parts = [(tone(880.0 if n % 2 == 0 else 660.0, n * (beep + 0.03), beep), 1.0) for n in range(6)]
    return mix(parts), 6 * (beep + 0.03)


def chime() -> tuple[Signal, float]:
    """Two struck notes falling a third (E6, C6) with a soft overtone: noticeable, calm."""
    parts = [
        (tone(1318.5, 0.0, 0.4, decay=7.0), 0.6),
        (tone(2637.0, 0.0, 0.4, decay=12.0), 0.15),
        (tone(1046.5, 0.25, 0.55, decay=5.0), 0.6),
        (tone(2093.0, 0.25, 0.55, decay=10.0), 0.15),
    ]
    return mix(parts), 0.8


def ping() -> tuple[Signal, float]:
    """One short high note: something changed, no hurry."""
    return mix([(tone(1568.0, 0.0, 0.25, decay=14.0), 1.0)]), 0.25


def write(path: Path, signal: Signal, length: float) -> None:
    frames = bytearray()
    for n in range(round(length * RATE)):
        sample = max(-1.0, min(1.0, signal(n / RATE)))
        frames += struct.pack("<h", round(sample * PEAK))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


def main() -> int:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, make in (("alarm", alarm), ("chime", chime), ("ping", ping)):
        signal, length = make()
        path = FOLDER / f"{name}.wav"
        write(path, signal, length)
        sys.stdout.write(f"{path}: {path.stat().st_size} bytes\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
