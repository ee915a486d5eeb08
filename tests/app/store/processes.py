"""Child Python processes driven line by line, for the crash and contention scenarios.

Reading happens on a thread that feeds a queue, so the test waits on `queue.get(timeout=...)`
with a deadline instead of sleeping.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


class ChildFailed(AssertionError):
    """The child printed something unexpected, died, or stayed silent past the deadline."""


class Child:
    """A `python -c code args...` process with line-buffered stdout read on a thread.

    Attributes:
        process: the Popen object.
        lines: every complete line read so far (a torn last line, cut by a kill, is dropped).
    """

    def __init__(self, code: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-c", code, *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._peeked: list[str | None] = []  # at most one line taken by silent_for, or EOF
        self._reader = threading.Thread(target=self._read, name="child-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.endswith("\n"):
                self._queue.put(line.rstrip("\n"))
        self._queue.put(None)  # end of output

    def expect(self, prefix: str, timeout: float = 30.0) -> str:
        """The next line, which must start with `prefix`; fails after `timeout` seconds."""
        line = self._next(timeout)
        if line is None:
            raise ChildFailed(f"child exited before {prefix!r}: {self.stderr_text()}")
        if not line.startswith(prefix):
            raise ChildFailed(f"expected {prefix!r}, child said {line!r}: {self.stderr_text()}")
        return line

    def silent_for(self, seconds: float) -> bool:
        """True if the child printed nothing for `seconds` (a bounded check of a negative)."""
        if self._peeked:
            return False
        try:
            self._peeked.append(self._queue.get(timeout=seconds))
        except queue.Empty:
            return True
        return False

    def _next(self, timeout: float) -> str | None:
        try:
            line = self._peeked.pop() if self._peeked else self._queue.get(timeout=timeout)
        except queue.Empty:
            raise ChildFailed(f"child silent for {timeout} s: {self.stderr_text()}") from None
        if line is None:
            self._peeked.append(None)  # stay at EOF for later calls
            return None
        self.lines.append(line)
        return line

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        """SIGKILL: no atexit, no finally, no flush; the process is gone mid-instruction."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def drain(self, timeout: float = 30.0) -> list[str]:
        """Every remaining complete line up to EOF (after the child exited or was killed)."""
        deadline = time.monotonic() + timeout
        while self._next(max(0.0, deadline - time.monotonic())) is not None:
            pass
        return self.lines

    def wait(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout=timeout)

    def stderr_text(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return "(still running)"
        return self.process.stderr.read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
