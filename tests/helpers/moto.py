"""CloudWatch for the real-peer tests: moto in server mode, started once per test session.

moto_server is a Werkzeug development server; it listens on 127.0.0.1 only, on a free
port, and logs to a file in its own temporary folder. Each test starts from an empty
account (`POST /moto-api/reset`). moto missing skips the tests, unless
`NOC_REQUIRE_PEERS=1` makes that a failure. Tests get fake credentials from the
environment and never read the developer's ~/.aws (see `aws_env`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers.peers import Daemon, free_port, peer_unavailable

_START_TIMEOUT_S = 30.0
# seconds to readiness, printed in the session summary like the PostgreSQL timings
MOTO_TIMINGS = pytest.StashKey[dict[str, float]]()
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class MotoServer(Daemon):
    """One running moto_server (a Daemon); `url` is the CloudWatch endpoint_url."""

    @property
    def timings(self) -> dict[str, float]:
        """Seconds from spawn to the first answer of `GET /moto-api/`, for the summary."""
        return {"start": self.started_in}

    def reset(self) -> None:
        """Wipe every alarm, metric and tag (all moto state) between tests."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()


def start_moto() -> MotoServer:
    """`python -m moto.server` on a free port; returns once it answers. The caller stops it."""
    missing = [m for m in ("moto", "flask", "flask_cors") if importlib.util.find_spec(m) is None]
    if missing:
        peer_unavailable(
            "moto (CloudWatch emulator)",
            f"{', '.join(missing)} not importable (pip install -e '.[test]')",
        )
    folder = Path(tempfile.mkdtemp(prefix="noc-moto-"))
    port = free_port()
    return MotoServer(
        "moto_server",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        f"http://127.0.0.1:{port}",
        folder / "moto.log",
        "/moto-api/",
        env={**os.environ, **FAKE_CREDENTIALS},
    )


def stop_moto(server: MotoServer) -> None:
    server.stop()
    shutil.rmtree(server.log.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def moto_server(pytestconfig: pytest.Config) -> Iterator[MotoServer]:
    """The session's moto_server: skipped if moto is absent, failed under NOC_REQUIRE_PEERS=1."""
    server = start_moto()
    pytestconfig.stash[MOTO_TIMINGS] = server.timings
    try:
        yield server
    finally:
        stop_moto(server)


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fake credentials and a region, and no way to the developer's ~/.aws or to IMDS."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    values = {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",  # no 1 s probe of 169.254.169.254
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def moto_url(moto_server: MotoServer, aws_env: dict[str, str]) -> str:
    """The endpoint URL of an empty moto account, with fake credentials in the environment."""
    moto_server.reset()
    return moto_server.url
