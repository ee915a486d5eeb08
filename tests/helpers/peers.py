"""Starting real peers (servers from Debian or PyPI) for integration tests, and stopping them.

A peer whose program is missing skips its tests with the reason, unless
`NOC_REQUIRE_PEERS=1` (set by CI) makes that a failure: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import pytest
import requests


def peer_unavailable(peer: str, reason: str) -> NoReturn:
    if os.environ.get("NOC_REQUIRE_PEERS") == "1":
        pytest.fail(f"{peer} peer required (NOC_REQUIRE_PEERS=1) but {reason}", pytrace=False)
    pytest.skip(f"{peer} peer not available: {reason}")


def require_program(peer: str, program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        peer_unavailable(peer, f"`{program}` is not installed (Debian: apt-get install {package})")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Daemon:
    """A server process started for tests, with its log, stopped (and reaped) on `stop`.

    Attributes:
        name: what it is, for messages.
        url: where it answers HTTP.
        log: its stdout and stderr.
        started_in: seconds from start until ready.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        url: str,
        log: Path,
        ready_path: str,
        *,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.log = log
        self.started_in = 0.0
        started = time.monotonic()
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                list(argv), stdout=output, stderr=subprocess.STDOUT, cwd=log.parent, env=env
            )
        self._wait_ready(ready_path, deadline=started + 30)
        self.started_in = time.monotonic() - started

    def _wait_ready(self, path: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"{self.name} exited at start: {self.log.read_text(errors='replace')[-2000:]}"
                )
            try:
                if requests.get(self.url + path, timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"{self.name} not ready within 30 s: {self.log.read_text(errors='replace')[-2000:]}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
