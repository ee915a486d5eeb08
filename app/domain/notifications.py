"""What deserves an operator's attention right now: the engine's notifications.

The engine returns them as plain values with each change set; the UI turns them into
desktop notifications, and nothing stores them (the timeline holds what happened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from app.domain.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from app.domain.incident import Incident

# New incidents of these severities are announced (toast, tray, the wall's sound).
ANNOUNCED_SEVERITIES = frozenset({Severity.P1, Severity.P2})
# the store keeps times to the millisecond: `detected_at` comes back as `now`, truncated
STORED_PRECISION = timedelta(milliseconds=1)


class NotificationKind(StrEnum):
    OPENED = "opened"
    ESCALATED = "escalated"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    UPDATE_DUE = "update_due"
    AUTO_REMEDIATION = "auto_remediation"  # a policy ran a runbook action without a human
    # a queued ticket write met a ticket changed meanwhile: held for an operator's decision
    TICKET_CONFLICT = "ticket_conflict"


@dataclass(frozen=True, slots=True)
class Notification:
    """One notice for one incident.

    Attributes:
        kind: opened (a new P1 or P2), escalated, at_risk, breached, update_due (the
            customer is owed an update), auto_remediation, or ticket_conflict (a queued
            ticket write was held: retry or drop it in the outbox).
        incident_id, key, severity, title: which incident.
        text: one line an operator reads ("INC-000017 escalated to L2 (noc-l2): ...").
        team: who should act, when known.
        at: when it happened.
        tier: the tier it now sits with (an escalation's new tier), when it matters.
    """

    kind: NotificationKind
    incident_id: int
    key: str
    severity: Severity
    title: str
    text: str
    at: datetime
    team: str | None = None
    tier: str | None = None

    @classmethod
    def about(
        cls,
        incident: Incident,
        kind: NotificationKind,
        now: datetime,
        text: str,
        team: str | None,
        tier: str | None = None,
    ) -> Notification:
        """A notice about `incident` (its id, key, severity and title)."""
        return cls(
            kind=kind,
            incident_id=incident.id or 0,
            key=incident.key,
            severity=incident.severity,
            title=incident.title,
            text=text,
            at=now,
            team=team,
            tier=tier,
        )


def opened_in(incidents: Iterable[Incident], now: datetime) -> list[Incident]:
    """The active incidents among `incidents` that the poll at `now` opened: detected at
    `now`, to the store's millisecond. Reopened ones (detected long before) are not new."""
    return [
        incident
        for incident in incidents
        if incident.state.active and abs(incident.detected_at - now) < STORED_PRECISION
    ]


def opened_notices(incidents: Iterable[Incident], now: datetime) -> tuple[Notification, ...]:
    """A notice for each incident the poll at `now` opened whose severity is announced; a
    storm's dozens of P3s stay quiet on the wall."""
    return tuple(
        Notification.about(
            incident,
            NotificationKind.OPENED,
            now,
            f"{incident.key} new {incident.severity.value}: {incident.title}",
            incident.team,
        )
        for incident in opened_in(incidents, now)
        if incident.severity in ANNOUNCED_SEVERITIES
    )
