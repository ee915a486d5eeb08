"""Change sets: what one poll or action changed, so views update rows instead of resetting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.domain.health import SourceHealth
from app.domain.incident import Incident
from app.domain.notifications import Notification


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The difference between the wall before and after a poll or an action.

    Attributes:
        upserted: incidents that appeared on the wall or changed (full snapshots).
        removed: ids of incidents that left the wall (closed, false positive, aged out).
        sources: health of every source after the poll (empty for actions).
        alerts: firing alerts seen in this poll.
        opened, updated, resolved: incidents opened, changed and resolved by this poll.
        at: the poll's or action's `now`.
        notifications: what deserves an operator's attention (escalations by timer).
    """

    upserted: tuple[Incident, ...] = ()
    removed: tuple[int, ...] = ()
    sources: tuple[SourceHealth, ...] = field(default=())
    alerts: int = 0
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    at: datetime | None = None
    notifications: tuple[Notification, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.upserted and not self.removed
