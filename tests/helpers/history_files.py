"""History for the export/import tests: a hand-built quarter and its metrics, a worked day.

`QUARTER` is Q3 2026 as a converted ticketing export would give it. Two lines carry
full timelines, two only the minimum fields (their timelines are made up from their
lifecycle times), one is a false positive and one falls after the quarter. Worked by
hand: MTTA over 300, 600 and 900 s; MTTR over 3600 and 7200 s. `worked_history` is the
demo estate after a poll and some work (every kind of end), and `comparable` what must
survive a round trip.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from app.console import Console
from app.domain.incident import Incident

START = datetime(2026, 7, 1, tzinfo=UTC)
END = datetime(2026, 10, 1, tzinfo=UTC)
NOW = datetime(2026, 10, 10, tzinfo=UTC)

MTTA = (600.0, 600.0, 840.0)  # mean, median, p90 (percentile_cont: 600 + 0.8 x 300)
MTTR = (5400.0, 5400.0, 6840.0)  # mean, median, p90 (3600 + 0.9 x 3600)
INCIDENTS = 4  # detected in the quarter, the false positive included


def event(at: str, kind: str, actor: str = "system", note: str = "") -> dict[str, Any]:
    return {"at": at, "kind": kind, "actor": actor, "note": note}


QUARTER: list[dict[str, Any]] = [
    {
        "key": "INC-000101",
        "uid": "q3-a",
        "title": "Orders DB down",
        "customer": "acme",
        "services": ["acme-db"],
        "severity": "P1",
        "state": "closed",
        "started_at": "2026-07-10T09:59:00Z",
        "detected_at": "2026-07-10T10:00:00Z",
        "acknowledged_at": "2026-07-10T10:05:00Z",
        "resolved_at": "2026-07-10T11:00:00Z",
        "closed_at": "2026-07-10T12:00:00Z",
        "rca": "disk full",
        "events": [
            event("2026-07-10T10:00:00Z", "detected"),
            event("2026-07-10T10:05:00Z", "acknowledged", "alice"),
            event("2026-07-10T11:00:00Z", "resolved", "alice"),
            event("2026-07-10T12:00:00Z", "closed", "alice", "disk full"),
            event("2026-07-11T08:00:00Z", "note", "bob", "post-mortem booked"),
        ],
    },
    {
        "key": "INC-000102",
        "title": "Orders API latency",
        "severity": "P2",
        "state": "resolved",
        "detected_at": "2026-08-01T00:00:00Z",
        "acknowledged_at": "2026-08-01T00:10:00Z",
        "resolved_at": "2026-08-01T02:00:00Z",
    },
    {
        "key": "INC-000103",
        "uid": "q3-c",
        "title": "Orders DB down again",
        "customer": "acme",
        "severity": "P1",
        "state": "triaged",
        "detected_at": "2026-09-15T12:00:00Z",
        "acknowledged_at": "2026-09-15T12:15:00Z",
        "recurrence_of": "INC-000101",
        "events": [
            event("2026-09-15T12:00:00Z", "detected"),
            event("2026-09-15T12:15:00Z", "acknowledged", "carol"),
        ],
    },
    {
        "key": "INC-000104",
        "title": "Disk alarm on a test box",
        "severity": "P3",
        "state": "false_positive",
        "detected_at": "2026-09-20T08:00:00Z",
        "closed_at": "2026-09-20T08:01:00Z",
    },
    {
        "key": "INC-000105",
        "title": "After the quarter",
        "severity": "P2",
        "state": "triaged",
        "detected_at": "2026-10-05T08:00:00Z",
        "acknowledged_at": "2026-10-05T08:00:05Z",
    },
]


def quarter_text() -> str:
    return "".join(json.dumps(line) + "\n" for line in QUARTER)


def comparable(incidents: list[Incident]) -> dict[str, Incident]:
    """Incidents by uid, without what belongs to one database (id, key, version, links)."""
    uids = {incident.id: incident.uid for incident in incidents}
    return {
        incident.uid: replace(
            incident,
            id=None,
            version=0,
            group_key="",
            recurrence_of=uids[incident.recurrence_of] if incident.recurrence_of else None,  # type: ignore[arg-type]
        )
        for incident in incidents
    }


def worked_history(console: Console, t0: datetime) -> list[Incident]:
    """The demo estate after a poll and a morning's work: every kind of lifecycle."""
    console.poll_once(t0)
    first, second, third, *_ = sorted(console.incidents(), key=lambda i: i.id or 0)
    assert first.id
    assert second.id
    assert third.id
    console.acknowledge(first.id, t0 + timedelta(minutes=1), "on it")
    console.pause(first.id, t0 + timedelta(minutes=2), "waiting on the customer")
    console.resume(first.id, t0 + timedelta(minutes=5))
    console.escalate(first.id, t0 + timedelta(minutes=6), "needs the DBAs")
    console.resolve(first.id, t0 + timedelta(minutes=30))
    console.close(first.id, t0 + timedelta(minutes=40), "bad deploy")
    console.mark_false_positive(second.id, t0 + timedelta(minutes=3), "test box")
    console.acknowledge(third.id, t0 + timedelta(minutes=4))
    return console.incidents(include_closed=True)
