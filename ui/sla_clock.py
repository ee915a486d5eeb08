"""What an incident's running SLA clock reads at a given moment: text and urgency, no Qt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.incident import Incident, IncidentState
from app.domain.timestamps import countdown

# Share of the target used after which the clock turns amber.
AT_RISK_SHARE = 0.75
MINUS = "\u2212"  # a real minus sign: the hyphen is too thin to read across the room


class SlaState(StrEnum):
    """How a clock looks: normal, amber, red, or greyed out."""

    NONE = "none"  # active, but no contract deadline
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    RESOLVED = "resolved"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SlaReading:
    """One reading of an incident's SLA clock.

    Attributes:
        state: ok, at risk, breached, resolved...
        text: what the cell shows ("response 12:07", "BREACHED -03:12" with a real minus, "resolved").
        clock: "response" or "resolve" while a clock runs, else None.
        remaining: time left (negative when breached), None when no clock runs.
        used: share of the target used (0.0 at detection, 1.0 at the deadline).
    """

    state: SlaState
    text: str
    clock: str | None = None
    remaining: timedelta | None = None
    used: float | None = None


_NO_SLA = SlaReading(SlaState.NONE, "no SLA")
_RESOLVED = SlaReading(SlaState.RESOLVED, "resolved")
_CLOSED = SlaReading(SlaState.CLOSED, "closed")


def read_sla(incident: Incident, now: datetime) -> SlaReading:
    """The reading at `now`, from the incident's absolute deadline (nothing is stored per tick)."""
    if not incident.state.active:
        return _RESOLVED if incident.state is IncidentState.RESOLVED else _CLOSED
    deadline = incident.next_deadline
    clock = incident.running_clock
    if deadline is None or clock is None:
        return _NO_SLA
    remaining = deadline - now
    target = (deadline - incident.detected_at).total_seconds()
    used = (now - incident.detected_at).total_seconds() / target if target > 0 else 1.0
    if remaining.total_seconds() < 0:
        text = f"BREACHED {MINUS}{countdown(-remaining)}"
        return SlaReading(SlaState.BREACHED, text, clock, remaining, used)
    state = SlaState.AT_RISK if used >= AT_RISK_SHARE else SlaState.OK
    return SlaReading(state, f"{clock} {countdown(remaining)}", clock, remaining, used)
