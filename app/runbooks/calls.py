"""A runbook action with its parameters put in: exactly what will be called, and what came back.

The confirmation dialog shows a `PlannedCall`, the audit row stores it, and a backend
(app/runbooks/backends/) executes it and answers with a `CallResult`. Nothing in a
planned call is expanded again: what the operator confirmed is what runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.runbook import ActionSettings, Backend
from app.domain.runbook_progress import RunStatus

__all__ = [
    "OUTPUT_LIMIT",
    "ActionSettings",
    "CallResult",
    "PlannedAws",
    "PlannedCall",
    "PlannedHttp",
]

OUTPUT_LIMIT = 4000  # characters of a call's output kept in the audit row and timeline


@dataclass(frozen=True, slots=True)
class PlannedHttp:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)  # never the secret itself
    body: Any = None
    secret: str | None = None  # the credential's name, looked up at run time


@dataclass(frozen=True, slots=True)
class PlannedAws:
    service: str
    operation: str
    arguments: Mapping[str, Any]
    region: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One resolved call.

    Attributes:
        backend: which of `http`, `aws`, `argv` is set.
        timeout: seconds the call may take.
        parameters: the raw values that went into it, by parameter name (for the audit).
    """

    backend: Backend
    timeout: float
    http: PlannedHttp | None = None
    aws: PlannedAws | None = None
    argv: tuple[str, ...] | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """One line, as the confirmation and the audit show it."""
        if self.http is not None:
            return f"{self.http.method} {self.http.url}"
        if self.aws is not None:
            region = f" in {self.aws.region}" if self.aws.region else ""
            arguments = " ".join(
                f"{k}={v}"
                for k, v in self.aws.arguments.items()
                if isinstance(v, str | int | float)
            )
            return f"aws {self.aws.service}.{self.aws.operation} {arguments}{region}".replace(
                "  ", " "
            )
        if self.argv is not None:
            return "run " + " ".join(_shown(a) for a in self.argv)
        return self.backend.value

    def as_dict(self) -> dict[str, Any]:
        """JSON for the audit row (the secret's name, never its value)."""
        found: dict[str, Any] = {"backend": self.backend.value, "timeout": self.timeout}
        if self.http is not None:
            found["http"] = {
                "method": self.http.method,
                "url": self.http.url,
                "headers": dict(self.http.headers),
                "body": self.http.body,
                "secret": self.http.secret,
            }
        if self.aws is not None:
            found["aws"] = {
                "service": self.aws.service,
                "operation": self.aws.operation,
                "arguments": dict(self.aws.arguments),
                "region": self.aws.region,
            }
        if self.argv is not None:
            found["argv"] = list(self.argv)
        found["parameters"] = dict(self.parameters)
        return found


def _shown(argument: str) -> str:
    """An argv element as the confirmation shows it: quoted when a reader could misjudge
    where it ends (it is still passed as one element, never through a shell)."""
    if argument and all(c.isalnum() or c in "-_./:=@,+" for c in argument):
        return argument
    return "'" + argument.replace("'", "'\\''") + "'"


@dataclass(frozen=True, slots=True)
class CallResult:
    """What a backend says after a call.

    Attributes:
        status: succeeded, failed, timed_out or refused (a guard said no before calling).
        summary: one line for the timeline ("HTTP 201 Created", "exit 0").
        output: captured response body or program output, cut to OUTPUT_LIMIT.
    """

    status: RunStatus
    summary: str
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCEEDED
