"""One attempt at a runbook action, as the audit keeps it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain.runbook_progress import RunStatus


@dataclass(frozen=True, slots=True)
class ActionRun:
    """An audit row.

    Attributes:
        id: storage id (None before it is stored).
        key: the idempotency key; the same key never runs twice.
        incident_id, runbook, step: what it was run for.
        kind, backend: restart/scale/...; http/aws/command.
        service: the service it acted on (rate limits count per service).
        target: the one line the operator confirmed ("POST https://...").
        call: the planned call as JSON, with the raw parameter values.
        actor: who ran it (`auto-remediation` for a policy's run).
        automatic, policy: run by an auto-remediation policy, and which.
        status: pending -> running -> succeeded | failed | timed_out, or refused.
        requested_at, started_at, finished_at: when.
        summary, output: what came back.
    """

    key: str
    incident_id: int
    runbook: str
    step: str
    kind: str
    backend: str
    target: str
    actor: str
    status: RunStatus
    requested_at: datetime
    call: Mapping[str, Any] = field(default_factory=dict)
    service: str | None = None
    automatic: bool = False
    policy: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: str = ""
    output: str = ""
    id: int | None = None
