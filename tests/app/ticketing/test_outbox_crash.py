"""RELIABILITY.md 9 for real: `ticket create` killed with SIGKILL after Jira stored the issue
and before the answer reached it; the next `ticket create` finds the issue by its key and
creates no second one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from app.config import Config
from app.config.policies import load_policies
from app.console import Console
from app.sources.demo import load_demo_estate
from app.store import Database
from tests.helpers.jira_fake import EMAIL, TOKEN, JiraFake
from tests.helpers.sources import ScriptedSource, make_alert


def run(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_a_create_killed_after_the_post_is_found_again_not_duplicated(
    tmp_path: Path, db_url: str, httpserver: HTTPServer, t0: datetime
) -> None:
    source = ScriptedSource()
    source.set([make_alert(alertname="HighLatency", service="acme-api", starts_at=t0)])
    setup = Console(
        Config(),
        Database(db_url),
        catalog=load_demo_estate(),
        policies=load_policies(),
        sources=[source],
        operator="alice",
    )
    setup.poll_once(t0)
    (incident,) = setup.incidents()
    setup.shutdown()
    fake = JiraFake(httpserver)
    config = tmp_path / "noc.toml"
    config.write_text(
        f'[[ticketing]]\nname = "jira-ops"\nkind = "jira"\n'
        f'url = "http://127.0.0.1:{httpserver.port}"\nproject = "OPS"\nuser = "{EMAIL}"\n'
        "timeout = 1\n"  # the dead process's lease on the row is 3 timeouts: 3 s
    )
    env = {**os.environ, "NOC_SECRET_JIRA_OPS": TOKEN}
    args = ["--config", str(config), "--db", db_url, "ticket", "create", incident.key]
    first = run(args, env)
    fake.after_create = lambda: os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    assert len(fake.issues) == 1  # Jira has it; the console never heard back
    fake.after_create = None
    time.sleep(3.2)  # the killed process's lease on the row runs out
    second = run(args, env)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    (issue,) = fake.issues.values()
    assert out.strip() == issue.key
    assert len(fake.calls("create")) == 1
