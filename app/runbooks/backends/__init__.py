"""Executing a confirmed `PlannedCall`: dispatch to the http, aws or command backend.

`execute` never raises for what can be expected of a remediation call (a refused URL, a
missing secret, a timeout, a peer that is down, an AWS error, a missing program): each
is a `CallResult` the runner writes to the audit row and the timeline. Whatever the
backend, the result leaves here with a one-line summary and output cut to OUTPUT_LIMIT,
so no backend can flood the audit table or break the timeline's layout.
"""

from __future__ import annotations

from collections.abc import Callable

from app.domain.runbook import Backend
from app.domain.runbook_progress import RunStatus
from app.runbooks.backends import aws, command, http
from app.runbooks.calls import OUTPUT_LIMIT, ActionSettings, CallResult, PlannedCall

SUMMARY_LIMIT = 300  # characters of the one-line summary
_CUT = "\n[... {count} characters cut ...]\n"


def execute(
    call: PlannedCall,
    settings: ActionSettings,
    *,
    secret_lookup: Callable[[str], str | None],
) -> CallResult:
    """Run `call` with its backend, within min(call.timeout, settings.timeout_cap) seconds.

    `secret_lookup(name)` gives an http call's bearer token (None when there is none; it
    may raise `app.secrets.SecretUnavailable`). Call this off the GUI thread: it blocks
    for as long as the call takes.
    """
    timeout = min(call.timeout, settings.timeout_cap)
    if timeout <= 0:
        return CallResult(RunStatus.REFUSED, f"timeout {call.timeout:g} s is not positive")
    return tidy(_dispatch(call, settings, timeout, secret_lookup))


def _dispatch(
    call: PlannedCall,
    settings: ActionSettings,
    timeout: float,
    secret_lookup: Callable[[str], str | None],
) -> CallResult:
    if call.backend is Backend.HTTP and call.http is not None:
        return http.send(
            call.http,
            timeout=timeout,
            allow_networks=settings.allow_networks,
            secret_lookup=secret_lookup,
            ca_bundle=settings.ca_bundle,
        )
    if call.backend is Backend.AWS and call.aws is not None:
        return aws.call(call.aws, timeout=timeout, settings=settings)
    if call.backend is Backend.COMMAND and call.argv is not None:
        return command.run(call.argv, timeout=timeout)
    return CallResult(RunStatus.REFUSED, f"a {call.backend.value} action without its call")


def tidy(result: CallResult) -> CallResult:
    """The summary on one line of at most SUMMARY_LIMIT characters; output clipped."""
    summary = " ".join(result.summary.split())
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 1] + "\u2026"
    return CallResult(result.status, summary, clip(result.output))


def clip(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """`text` if it fits; else its start and its end (where errors usually are) around a marker."""
    if len(text) <= limit:
        return text
    room = limit - len(_CUT.format(count=len(text)))
    head = room // 2
    tail = room - head
    return text[:head] + _CUT.format(count=len(text) - head - tail) + text[len(text) - tail :]
