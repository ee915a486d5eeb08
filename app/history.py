"""Incident history as JSON Lines, for analysts who review offline on another workstation.

Each line is the `incidents --json` shape of one incident plus `events`, its timeline
as `{at, kind, actor, note, data}`. Imports are all-or-nothing and idempotent: an
incident is known by its `uid` (a file without one, such as a converted ticketing
export, gets a uid derived from its `key` and `detected_at`), an incident whose uid is
already stored is skipped, so a file can be loaded twice. A line whose times cannot
have happened is refused, naming the file, the line and the field (`_check_times`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

from app.domain.incident import (
    ACTIVE_STATES,
    ANNOTATIONS,
    EscalationTier,
    EventKind,
    Incident,
    IncidentState,
    TimelineEvent,
)
from app.domain.severity import Severity
from app.domain.timestamps import iso_z, parse_iso
from app.json_shapes import event_json, incident_json


class HistoryError(Exception):
    """A history file that cannot be read; names the file, the line and the field."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did.

    Attributes:
        imported: incidents stored.
        skipped: incidents of the file already stored (same uid), left as they were.
    """

    imported: int
    skipped: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of a history file, read and checked.

    Attributes:
        line: its line number in the file (1-based).
        incident: the incident, not stored yet (no id, no recurrence link).
        recurrence_of: uid of the earlier incident of the file it recurs of, if any.
    """

    line: int
    incident: Incident
    recurrence_of: str | None


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


def read_history(path: Path) -> list[HistoryEntry]:
    """Read and check a whole file: the first fault raises, so nothing of it is stored."""
    try:
        stream = path.expanduser().open(encoding="utf-8")
    except OSError as error:
        raise HistoryError(f"{path}: cannot read: {error.strerror or error}") from None
    entries: list[HistoryEntry] = []
    lines_of: dict[str, int] = {}  # uid -> line
    uid_of_key: dict[str, str] = {}  # the exporting database's key -> uid, for recurrence_of
    with stream:
        try:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    document = json.loads(line)
                except json.JSONDecodeError as error:
                    raise HistoryError(f"{path}:{number}: not JSON: {error.msg}") from None
                try:
                    incident = incident_from_json(document)
                    recurs = _recurrence_uid(document, uid_of_key)
                except (KeyError, TypeError, ValueError) as error:
                    raise HistoryError(f"{path}:{number}: {_detail(error)}") from None
                if incident.uid in lines_of:
                    raise HistoryError(
                        f"{path}:{number}: uid: {incident.uid!r} is also on line "
                        f"{lines_of[incident.uid]}"
                    )
                lines_of[incident.uid] = number
                key = document.get("key")
                if isinstance(key, str) and key:
                    uid_of_key.setdefault(key, incident.uid)
                entries.append(HistoryEntry(number, incident, recurs))
        except UnicodeDecodeError as error:
            raise HistoryError(f"{path}: not UTF-8 text: {error.reason}") from None
    return entries


def _detail(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"{error.args[0]}: missing"
    return str(error)


def _recurrence_uid(document: dict[str, Any], uid_of_key: dict[str, str]) -> str | None:
    """The uid of the earlier line `recurrence_of` names (by its key in the exporting database)."""
    reference = document.get("recurrence_of")
    if reference is None:
        return None
    if not isinstance(reference, str) or reference not in uid_of_key:
        raise ValueError(f"recurrence_of: {reference!r} is not the key of an earlier line")
    return uid_of_key[reference]


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


def _text(document: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = document.get(key)
    if value is None and required:
        raise ValueError(f"{key}: missing")
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key}: expected a string")
    return value


_Choice = TypeVar("_Choice", bound=StrEnum)


def _choice(document: dict[str, Any], key: str, kind: type[_Choice], default: str = "") -> _Choice:
    value = document.get(key) or default
    if not value:
        raise ValueError(f"{key}: missing")
    try:
        return kind(value)
    except ValueError:
        expected = ", ".join(member.value for member in kind)
        raise ValueError(f"{key}: unknown {key} {value!r} (expected {expected})") from None


def _count(document: dict[str, Any], key: str) -> int:
    value = document.get(key) or 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key}: expected a whole number, got {value!r}")
    return value


def _uid(document: dict[str, Any]) -> str:
    """The incident's identity across databases: its uid, or one derived from key + detected_at.

    A uid longer than the column (32) is hashed rather than cut, so two long ids that
    share a prefix stay two incidents.
    """
    uid = document.get("uid")
    if uid is not None and (not isinstance(uid, str) or not uid):
        raise ValueError("uid: expected a non-empty string")
    if uid is not None and len(uid) <= 32:
        return uid
    if uid is None:
        key = _text(document, "key")
        if not key:
            raise ValueError("uid: missing (and no key to derive it from)")
        uid = f"{key}|{document.get('detected_at')}"
    return hashlib.sha256(uid.encode("utf-8")).hexdigest()[:32]


def _events(document: dict[str, Any]) -> list[TimelineEvent]:
    items = document.get("events")
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValueError("events: expected a list")
    events = []
    for index, item in enumerate(items):
        field = f"events[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{field}: expected an object")
        data = item.get("data") or {}
        if not isinstance(data, dict):
            raise ValueError(f"{field}.data: expected an object")
        at = _instant(item, "at")
        if at is None:
            raise ValueError(f"{field}.at: missing")
        actor = item.get("actor")
        if not isinstance(actor, str) or not actor:
            raise ValueError(f"{field}.actor: expected a name")
        note = item.get("note") or ""
        if not isinstance(note, str):
            raise ValueError(f"{field}.note: expected a string")
        try:
            kind = _choice(item, "kind", EventKind)
        except ValueError as error:
            raise ValueError(f"{field}.{error}") from None
        events.append(
            TimelineEvent(
                at=at,
                kind=kind,
                actor=actor,
                note=note,
                data={str(k): str(v) for k, v in data.items()},
            )
        )
    return events


def _synthesized(incident: Incident) -> tuple[TimelineEvent, ...]:
    """A timeline for a line that brought none (a converted ticketing export): its steps."""
    steps = [(incident.detected_at, EventKind.DETECTED)]
    if incident.acknowledged_at:
        steps.append((incident.acknowledged_at, EventKind.ACKNOWLEDGED))
    if incident.resolved_at:
        steps.append((incident.resolved_at, EventKind.RESOLVED))
    if incident.closed_at:
        last = (
            EventKind.FALSE_POSITIVE
            if incident.state is IncidentState.FALSE_POSITIVE
            else EventKind.CLOSED
        )
        steps.append((incident.closed_at, last))
    return tuple(TimelineEvent(at, kind, IMPORT_ACTOR, "imported") for at, kind in steps)


IMPORT_ACTOR = "import"


def incident_from_json(document: Any) -> Incident:
    """One line as an incident (no id yet); ValueError names the field at fault."""
    if not isinstance(document, dict):
        raise TypeError("expected a JSON object per line")
    uid = _uid(document)
    detected_at = _instant(document, "detected_at")
    if detected_at is None:
        raise ValueError("detected_at: missing")
    started_at = _instant(document, "started_at") or detected_at
    incident = Incident(
        id=None,
        uid=uid,
        title=str(_text(document, "title", required=True)),
        customer=_text(document, "customer"),
        services=_strings(document, "services"),
        root_service=_text(document, "root_service"),
        severity=_severity(document),
        state=_choice(document, "state", IncidentState),
        tier=_choice(document, "tier", EscalationTier, "L1"),
        owner=_text(document, "owner"),
        flags=frozenset(_strings(document, "flags")),
        started_at=started_at,
        detected_at=detected_at,
        acknowledged_at=_instant(document, "acknowledged_at"),
        resolved_at=_instant(document, "resolved_at"),
        closed_at=_instant(document, "closed_at"),
        response_due=_instant(document, "response_due"),
        resolve_due=_instant(document, "resolve_due"),
        alert_count=_count(document, "alert_count"),
        sources=_strings(document, "sources"),
        ticket=_text(document, "ticket"),
        rca=_text(document, "rca"),
        group_key=f"imported|{uid}",  # never merges with live alerts
        recurrence_of=None,  # linked by the import, once the earlier incident has its id
        timeline=(),
        team=_text(document, "team"),
        known_issue=_text(document, "known_issue"),
        paused_since=_instant(document, "paused_since"),
        update_due=_instant(document, "update_due"),
    )
    _check_times(incident)
    events = _events(document)
    if not events:
        return replace(incident, timeline=_synthesized(incident))
    _check_events(incident, events)
    return replace(incident, timeline=tuple(events))


def _severity(document: dict[str, Any]) -> Severity:
    value = document.get("severity")
    if not isinstance(value, str):
        raise ValueError("severity: missing" if value is None else "severity: expected P1..P4")
    try:
        return Severity.parse(value)
    except ValueError as error:
        raise ValueError(f"severity: {error}") from None


def _check_times(incident: Incident) -> None:
    """Refuse lifecycle times that cannot have happened (the issue's impossible timestamps)."""
    detected = incident.detected_at
    if incident.started_at > detected:
        raise ValueError(f"detected_at: {iso_z(detected)} is before started_at")
    for name in ("acknowledged_at", "resolved_at", "closed_at", "paused_since"):
        value = getattr(incident, name)
        if value is not None and value < detected:
            raise ValueError(f"{name}: {iso_z(value)} is before detected_at")
    resolved, closed = incident.resolved_at, incident.closed_at
    if closed is not None and resolved is not None and closed < resolved:
        raise ValueError(f"closed_at: {iso_z(closed)} is before resolved_at")
    state = incident.state
    if state in (IncidentState.RESOLVED, IncidentState.CLOSED) and resolved is None:
        raise ValueError(f"resolved_at: missing for a {state.value} incident")
    if state.terminal and closed is None:
        raise ValueError(f"closed_at: missing for a {state.value} incident")
    if state in ACTIVE_STATES and closed is not None:
        raise ValueError(f"closed_at: set on an incident still {state.value}")


def _check_events(incident: Incident, events: list[TimelineEvent]) -> None:
    """The timeline starts with its detection, runs forward, and nothing but an annotation
    (a note, a ticket) follows the close."""
    if events[0].kind is not EventKind.DETECTED:
        raise ValueError("events[0].kind: the first event must be 'detected'")
    for index, (earlier, later) in enumerate(pairwise(events), start=1):
        if later.at < earlier.at:
            raise ValueError(f"events[{index}].at: out of order (before events[{index - 1}])")
    if events[0].at < incident.detected_at:
        raise ValueError("events[0].at: before detected_at")
    closed = incident.closed_at
    if incident.state.terminal and closed is not None:
        for index, event in enumerate(events):
            if event.at > closed and event.kind not in ANNOTATIONS:
                raise ValueError(
                    f"events[{index}].at: {event.kind.value} at {iso_z(event.at)}, after closed_at"
                )
