"""The NOC's vocabulary as plain, immutable Python: no I/O, no Qt, no SQL; `now` is an argument."""

from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.catalog import Catalog, Customer, Service
from app.domain.errors import DomainError, IllegalTransition
from app.domain.incident import (
    ACTIVE_STATES,
    OPEN_STATES,
    SYSTEM,
    TRANSITIONS,
    EscalationTier,
    EventKind,
    Incident,
    IncidentState,
    TimelineEvent,
)
from app.domain.severity import Impact, Severity, Urgency, priority, severity_from_labels
from app.domain.sla import ALWAYS, Calendar, SlaPolicy, SlaTarget

__all__ = [
    "ACTIVE_STATES",
    "ALWAYS",
    "OPEN_STATES",
    "SYSTEM",
    "TRANSITIONS",
    "Alert",
    "AlertStatus",
    "Calendar",
    "Catalog",
    "Customer",
    "DomainError",
    "EscalationTier",
    "EventKind",
    "IllegalTransition",
    "Impact",
    "Incident",
    "IncidentState",
    "Service",
    "Severity",
    "SlaPolicy",
    "SlaTarget",
    "TimelineEvent",
    "Urgency",
    "fingerprint",
    "priority",
    "severity_from_labels",
]
