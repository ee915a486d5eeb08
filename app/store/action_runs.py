"""The action audit: rows written before a call and finished after it.

`claim` inserts the row in its own committed transaction before any call is made, and
the unique key makes a second claim of the same key fail: that is the idempotency
promise (a double click runs once, on one desk or on two sharing a database).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.domain.action_run import ActionRun
from app.domain.runbook_progress import RunStatus
from app.store.tables import ActionRunRow


class ActionRunRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_key(self, key: str) -> ActionRun | None:
        row = self._session.scalars(select(ActionRunRow).where(ActionRunRow.key == key)).first()
        return _run(row) if row is not None else None

    def used_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these idempotency keys already have a run (one query per 500 keys)."""
        wanted = sorted(set(keys))
        used: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            used.update(
                self._session.scalars(select(ActionRunRow.key).where(ActionRunRow.key.in_(chunk)))
            )
        return used

    def add(self, run: ActionRun) -> ActionRun:
        """Insert the row; the caller's transaction commits it (IntegrityError on a used key)."""
        row = ActionRunRow(
            key=run.key,
            incident_id=run.incident_id,
            runbook=run.runbook,
            step=run.step,
            kind=run.kind,
            backend=run.backend,
            service=run.service,
            target=run.target,
            call=dict(run.call),
            actor=run.actor,
            automatic=run.automatic,
            policy=run.policy,
            status=run.status.value,
            requested_at=run.requested_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            summary=run.summary,
            output=run.output,
        )
        self._session.add(row)
        self._session.flush()
        return replace(run, id=row.id)

    def finish(
        self,
        run_id: int,
        status: RunStatus,
        *,
        at: datetime,
        summary: str,
        output: str = "",
        started: bool = False,
    ) -> None:
        values: dict[str, object] = {"status": status.value, "summary": summary}
        if started:
            values["started_at"] = at
        else:
            values.update(finished_at=at, output=output)
        self._session.execute(update(ActionRunRow).where(ActionRunRow.id == run_id).values(values))

    def for_incident(self, incident_id: int) -> list[ActionRun]:
        rows = self._session.scalars(
            select(ActionRunRow)
            .where(ActionRunRow.incident_id == incident_id)
            .order_by(ActionRunRow.requested_at, ActionRunRow.id)
        )
        return [_run(row) for row in rows]

    def recent_automatic(self, since: datetime, service: str | None = None) -> list[ActionRun]:
        """Automatic runs requested since `since` (one service's, or all): rate limits and
        the circuit breaker count these, so they hold across restarts and desks."""
        query = select(ActionRunRow).where(
            ActionRunRow.automatic.is_(True), ActionRunRow.requested_at >= since
        )
        if service is not None:
            query = query.where(ActionRunRow.service == service)
        return [_run(row) for row in self._session.scalars(query.order_by(ActionRunRow.id))]

    def unfinished(self) -> list[ActionRun]:
        """Runs left pending or running (the process died mid-call): reported, never re-run."""
        rows = self._session.scalars(
            select(ActionRunRow).where(
                ActionRunRow.status.in_((RunStatus.PENDING.value, RunStatus.RUNNING.value))
            )
        )
        return [_run(row) for row in rows]

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(ActionRunRow)) or 0)

    def recent(self, limit: int = 100) -> Sequence[ActionRun]:
        rows = self._session.scalars(
            select(ActionRunRow).order_by(ActionRunRow.id.desc()).limit(limit)
        )
        return [_run(row) for row in rows]


def _run(row: ActionRunRow) -> ActionRun:
    return ActionRun(
        id=row.id,
        key=row.key,
        incident_id=row.incident_id,
        runbook=row.runbook,
        step=row.step,
        kind=row.kind,
        backend=row.backend,
        service=row.service,
        target=row.target,
        call=row.call,
        actor=row.actor,
        automatic=row.automatic,
        policy=row.policy,
        status=RunStatus(row.status),
        requested_at=row.requested_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        summary=row.summary,
        output=row.output,
    )
