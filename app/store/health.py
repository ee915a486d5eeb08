"""Source health in storage, so `noc-console sources` in another process sees the GUI's polls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.health import SourceHealth, SourceStatus
from app.store.tables import SOURCE_HEALTH, SourceHealthRow

# the table's columns are the dataclass's fields, one to one
_FIELDS = tuple(f.name for f in fields(SourceHealth))


class SourceHealthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> dict[str, SourceHealth]:
        health = {}
        for row in self.session.execute(select(SOURCE_HEALTH)):
            values: dict[str, Any] = {name: getattr(row, name) for name in _FIELDS}
            values["status"] = SourceStatus(values["status"])
            values["details"] = values["details"] or {}
            health[row.name] = SourceHealth(**values)
        return health

    def put(self, health: Iterable[SourceHealth]) -> None:
        for item in health:
            values: dict[str, Any] = {name: getattr(item, name) for name in _FIELDS}
            values["status"] = item.status.value
            values["details"] = dict(item.details)
            self.session.merge(SourceHealthRow(**values))
