"""What deserves an operator's attention right now: the engine's notifications.

The engine returns them as plain values with each change set; the UI turns them into
desktop notifications, and nothing stores them (the timeline holds what happened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.domain.severity import Severity


class NotificationKind(StrEnum):
    ESCALATED = "escalated"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    UPDATE_DUE = "update_due"


@dataclass(frozen=True, slots=True)
class Notification:
    """One notice for one incident.

    Attributes:
        kind: escalated, at_risk, breached, or update_due (the customer is owed an update).
        incident_id, key, severity, title: which incident.
        text: one line an operator reads ("INC-000017 escalated to L2 (noc-l2): ...").
        team: who should act, when known.
        at: when it happened.
    """

    kind: NotificationKind
    incident_id: int
    key: str
    severity: Severity
    title: str
    text: str
    at: datetime
    team: str | None = None
