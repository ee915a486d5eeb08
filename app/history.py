"""Incident history as JSON Lines, for analysts who review offline on another workstation.

Each line is the `incidents --json` shape of one incident plus `events`, its timeline
as `{at, kind, actor, note, data}`. Imports are all-or-nothing and idempotent: an
incident whose `uid` is already stored is skipped, so a file can be loaded twice.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from app.domain.incident import EscalationTier, EventKind, Incident, IncidentState, TimelineEvent
from app.domain.severity import Severity
from app.domain.timestamps import parse_iso
from app.json_shapes import event_json, incident_json


class HistoryError(Exception):
    """A history file that cannot be read; names the file, the line and the field."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    skipped: int


def history_line(incident: Incident) -> str:
    document = incident_json(incident)
    document["events"] = [event_json(event) for event in incident.timeline]
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def write_history(path: Path, incidents: Iterable[Incident]) -> int:
    """Write atomically: a reader never sees half a file, a full disk leaves the old one."""
    path = path.expanduser()
    count = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path())
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            for incident in incidents:
                stream.write(history_line(incident) + "\n")
                count += 1
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def read_history(path: Path) -> Iterator[Incident]:
    try:
        stream = path.expanduser().open(encoding="utf-8")
    except OSError as error:
        raise HistoryError(f"{path}: cannot read: {error.strerror or error}") from None
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
            except json.JSONDecodeError as error:
                raise HistoryError(f"{path}:{number}: not JSON: {error.msg}") from None
            try:
                yield incident_from_json(document)
            except (KeyError, TypeError, ValueError) as error:
                detail = f"missing field {error}" if isinstance(error, KeyError) else str(error)
                raise HistoryError(f"{path}:{number}: {detail}") from None


def _instant(document: dict[str, Any], key: str) -> Any:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected an ISO 8601 time, got {value!r}")
    try:
        return parse_iso(value)
    except ValueError:
        raise ValueError(f"{key}: expected an ISO 8601 time, got {value!r}") from None


def _strings(document: dict[str, Any], key: str) -> tuple[str, ...]:
    value = document.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key}: expected a list of strings")
    return tuple(value)


def incident_from_json(document: Any) -> Incident:
    if not isinstance(document, dict):
        raise TypeError("expected a JSON object per line")
    events = []
    for index, item in enumerate(document.get("events") or []):
        if not isinstance(item, dict):
            raise ValueError(f"events[{index}]: expected an object")
        data = item.get("data") or {}
        events.append(
            TimelineEvent(
                at=_instant(item, "at"),
                kind=EventKind(item["kind"]),
                actor=str(item["actor"]),
                note=str(item.get("note") or ""),
                data={str(k): str(v) for k, v in data.items()},
            )
        )
    if not events:
        raise ValueError("events: an incident needs at least its detected event")
    if any(later.at < earlier.at for earlier, later in pairwise(events)):
        raise ValueError("events: timestamps out of order")
    uid = document.get("uid") or document.get("key")
    if not isinstance(uid, str) or not uid:
        raise ValueError("uid: missing")
    detected_at = _instant(document, "detected_at")
    started_at = _instant(document, "started_at") or detected_at
    if detected_at is None:
        raise ValueError("detected_at: missing")
    return Incident(
        id=None,
        uid=uid[:32],
        title=str(document["title"]),
        customer=document.get("customer"),
        services=_strings(document, "services"),
        root_service=document.get("root_service"),
        severity=Severity.parse(str(document["severity"])),
        state=IncidentState(document["state"]),
        tier=EscalationTier(document.get("tier") or "L1"),
        owner=document.get("owner"),
        flags=frozenset(_strings(document, "flags")),
        started_at=started_at,
        detected_at=detected_at,
        acknowledged_at=_instant(document, "acknowledged_at"),
        resolved_at=_instant(document, "resolved_at"),
        closed_at=_instant(document, "closed_at"),
        response_due=_instant(document, "response_due"),
        resolve_due=_instant(document, "resolve_due"),
        alert_count=int(document.get("alert_count") or 0),
        sources=_strings(document, "sources"),
        ticket=document.get("ticket"),
        rca=document.get("rca"),
        group_key=f"imported|{uid[:32]}",  # never merges with live alerts
        recurrence_of=None,
        timeline=tuple(events),
        team=_text(document, "team"),
        known_issue=_text(document, "known_issue"),
        paused_since=_instant(document, "paused_since"),
        update_due=_instant(document, "update_due"),
    )


def _text(document: dict[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key}: expected a string")
    return value
