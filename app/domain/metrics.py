"""What one incident contributes to the service metrics: its lifecycle timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.incident import IncidentState


@dataclass(frozen=True, slots=True)
class IncidentTimes:
    """The timestamps one incident contributes to the metrics."""

    state: IncidentState
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    response_due: datetime | None
    resolve_due: datetime | None
    recurred: bool
