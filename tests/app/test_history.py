"""History export and import: lossless round trips, idempotent imports, clear errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.history import HistoryError, read_history
from tests.helpers.consoles import scripted_console
from tests.helpers.sources import ScriptedSource, make_alert


def test_round_trip_keeps_every_field_and_event(tmp_path: Path, t0: datetime) -> None:
    source = ScriptedSource()
    source.set([make_alert(starts_at=t0 - timedelta(seconds=30))])
    console = scripted_console(f"sqlite:///{tmp_path / 'a.db'}", [source])
    incident = console.poll_once(t0).upserted[0]
    assert incident.id is not None
    console.acknowledge(incident.id, t0 + timedelta(minutes=1), "on it")
    console.resolve(incident.id, t0 + timedelta(minutes=9))
    console.close(incident.id, t0 + timedelta(minutes=10), "bad deploy")
    original = console.incident(incident.id)
    path = tmp_path / "h.jsonl"
    assert console.export_history(path) == 1
    console.shutdown()

    analyst = scripted_console(f"sqlite:///{tmp_path / 'b.db'}", [])
    result = analyst.import_history(path, t0 + timedelta(days=1))
    assert (result.imported, result.skipped) == (1, 0)
    (copy,) = analyst.incidents(include_closed=True)
    fields = (
        "uid title severity state tier owner started_at detected_at acknowledged_at resolved_at"
    )
    more = ["closed_at", "response_due", "resolve_due", "rca", "timeline", "team", "services"]
    for field in [*fields.split(), *more]:
        assert getattr(copy, field) == getattr(original, field), field
    assert copy.team == "app-team"  # the catalog's owner of the root service
    assert analyst.import_history(path, t0).skipped == 1
    analyst.shutdown()


DETECTED = {"at": "2026-11-29T10:00:00Z", "kind": "detected", "actor": "system"}


def history_line(**changes: object) -> str:
    document = {
        "uid": "u1",
        "title": "t",
        "severity": "P1",
        "state": "new",
        "detected_at": "2026-11-29T10:00:00Z",
        "events": [DETECTED],
    }
    document.update(changes)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", r"h.jsonl:2: not JSON"),
        ('{"title": "x"}', r"h.jsonl:2: events: an incident needs"),
        (history_line(severity="P9"), r"h.jsonl:2: unknown severity 'P9'"),
        (history_line(detected_at=17), r"h.jsonl:2: detected_at: expected an ISO 8601 time"),
        (history_line(team=["a"]), r"h.jsonl:2: team: expected a string"),
        (
            history_line(
                events=[
                    DETECTED,
                    {"at": "2026-11-29T09:00:00Z", "kind": "acknowledged", "actor": "a"},
                ]
            ),
            r"h.jsonl:2: events: timestamps out of order",
        ),
    ],
)
def test_bad_lines_name_file_and_line_and_nothing_is_imported(
    tmp_path: Path, t0: datetime, line: str, expected: str
) -> None:
    good = history_line(uid="good")
    path = tmp_path / "h.jsonl"
    path.write_text(good + "\n" + line + "\n")
    with pytest.raises(HistoryError, match=expected):
        list(read_history(path))
    console = scripted_console(f"sqlite:///{tmp_path / 'c.db'}", [])
    with pytest.raises(HistoryError):
        console.import_history(path, t0)
    assert console.incidents(include_closed=True) == []
    console.shutdown()
