"""What one alert rule contributes to the noise report: its raw counts over a period."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleFigures:
    """Raw figures of one alert rule (one `alertname`) over the occurrences of a period.

    Read by app/store/noise.py, turned into a ranked report by app/engine/noise.py.

    Attributes:
        alertname: the rule.
        sources: the sources that raised it, sorted.
        occurrences: alert occurrences (a fingerprint firing again is a new occurrence).
        fingerprints: distinct alerts (source and fingerprint) among them.
        customers, services: distinct customers and services they named.
        flapping: occurrences the triage engine found flapping.
        suppressed: occurrences held out of every incident (silenced, inhibited, maintenance).
        false_positive_alerts: occurrences in incidents later marked false positive.
        incidents: distinct incidents the occurrences went into.
        false_positive_incidents: those of them marked false positive.
        durations: seconds from first seen to cleared, of the occurrences that cleared.
    """

    alertname: str
    sources: tuple[str, ...] = ()
    occurrences: int = 0
    fingerprints: int = 0
    customers: int = 0
    services: int = 0
    flapping: int = 0
    suppressed: int = 0
    false_positive_alerts: int = 0
    incidents: int = 0
    false_positive_incidents: int = 0
    durations: tuple[float, ...] = ()
