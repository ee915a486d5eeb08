"""Source health in storage, so `noc-console sources` in another process sees the GUI's polls."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.health import SourceHealth, SourceStatus
from app.store.tables import SOURCE_HEALTH, SourceHealthRow


class SourceHealthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> dict[str, SourceHealth]:
        rows = self.session.execute(select(SOURCE_HEALTH)).all()
        return {
            row.name: SourceHealth(
                name=row.name,
                kind=row.kind,
                status=SourceStatus(row.status),
                error=row.error,
                error_class=row.error_class,
                last_attempt=row.last_attempt,
                last_success=row.last_success,
                alert_count=row.alert_count,
                stale_since=row.stale_since,
            )
            for row in rows
        }

    def put(self, health: Iterable[SourceHealth]) -> None:
        for item in health:
            self.session.merge(
                SourceHealthRow(
                    name=item.name,
                    kind=item.kind,
                    status=item.status.value,
                    error=item.error,
                    error_class=item.error_class,
                    last_attempt=item.last_attempt,
                    last_success=item.last_success,
                    alert_count=item.alert_count,
                    stale_since=item.stale_since,
                )
            )

    def forget_except(self, names: Iterable[str]) -> None:
        """Drop health rows of sources no longer configured."""
        self.session.execute(
            delete(SourceHealthRow).where(SourceHealthRow.name.notin_(list(names)))
        )
