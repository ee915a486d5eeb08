"""The local-program backend: an argv list, no shell, a deadline that kills the whole tree.

No shell ever sees the arguments, so `x; rm -rf ~` or `$(curl ...)` reach the program as
one literal argv element each (RELIABILITY.md 25). The program runs in its own session
(a new process group), so a timeout kills what it started too, not just the parent.

Output goes to an unnamed temporary file rather than a pipe: a program that leaves a
background child holding its stdout would keep a pipe open and make us wait for that
child; with a file, the call ends when the program itself ends, and a runaway writer
costs disk for at most the timeout, never memory.

The environment is minimal (PATH, LANG, HOME and nothing else) because the console's own
environment carries credentials a runbook program has no business inheriting
(NOC_SECRET_* tokens, AWS keys, proxy passwords) and variables that change what a
program does (LD_PRELOAD, PYTHONPATH, the console's Qt settings). HOME stays so that
tools find their own configuration (~/.aws, ~/.kube) the way the operator set it up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO

from app.domain.runbook_progress import RunStatus
from app.runbooks.calls import CallResult

READ_LIMIT = 64 * 1024  # bytes of output read back; more is never shown or stored
_REAP_TIMEOUT = 5.0  # seconds to wait for a killed group's leader to be reaped
_KEPT = ("PATH", "LANG", "HOME")


def run(
    argv: Sequence[str], *, timeout: float, environ: Mapping[str, str] | None = None
) -> CallResult:
    """Run `argv` and wait at most `timeout` seconds; every expected failure is a CallResult.

    `environ` is where PATH, LANG and HOME are taken from (the process's own by default).
    """
    if not argv or not argv[0]:
        return CallResult(RunStatus.REFUSED, "no program to run")
    with tempfile.TemporaryFile() as output:
        try:
            process = _start(argv, output, safe_environment(environ))
        except FileNotFoundError:
            return CallResult(RunStatus.FAILED, f"program not found: {argv[0]}")
        except PermissionError:
            return CallResult(RunStatus.FAILED, f"program not executable: {argv[0]}")
        except OSError as error:
            return CallResult(RunStatus.FAILED, f"cannot start {argv[0]}: {error.strerror}")
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            text = _read(output)
            return CallResult(
                RunStatus.TIMED_OUT, f"still running after {timeout:g} s; killed", text
            )
        text = _read(output)
    if code == 0:
        return CallResult(RunStatus.SUCCEEDED, "exit 0", text)
    if code < 0:
        return CallResult(RunStatus.FAILED, f"killed by signal {_signal_name(-code)}", text)
    return CallResult(RunStatus.FAILED, f"exit {code}", text)


def safe_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """PATH, LANG and HOME from `environ` (or os.environ), with a UTF-8 LANG if none."""
    source = os.environ if environ is None else environ
    kept = {name: source[name] for name in _KEPT if source.get(name)}
    kept.setdefault("PATH", os.defpath)
    kept.setdefault("LANG", "C.UTF-8")
    return kept


def _start(argv: Sequence[str], output: IO[bytes], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - an argv list, no shell: the point of this backend
        list(argv),
        shell=False,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        env=env,
        close_fds=True,
        start_new_session=True,  # its own process group, so a timeout can kill all of it
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the program's whole process group, then reap the program itself.

    A descendant that started a session of its own has left the group and survives;
    nothing short of a cgroup could find it.
    """
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the group is already gone
    except PermissionError:
        process.kill()
    try:
        process.wait(timeout=_REAP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()


def _read(output: IO[bytes]) -> str:
    output.seek(0)
    return output.read(READ_LIMIT).decode("utf-8", "replace")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
