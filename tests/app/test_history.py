"""History export and import: lossless round trips, idempotent imports, clear errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.domain.incident import IncidentState
from app.history import HistoryError, read_history
from tests.helpers import history_files as q3
from tests.helpers.consoles import demo_console, scripted_console
from tests.helpers.history_files import comparable, worked_history
from tests.helpers.sources import ScriptedSource, make_alert


def test_round_trip_gives_the_same_incidents_and_timelines(tmp_path: Path, t0: datetime) -> None:
    console = demo_console(f"sqlite:///{tmp_path / 'a.db'}")
    original = worked_history(console, t0)
    path = tmp_path / "h.jsonl"
    assert console.export_history(path) == len(original)
    console.shutdown()

    analyst = scripted_console(f"sqlite:///{tmp_path / 'b.db'}", [])
    result = analyst.import_history(path, t0 + timedelta(days=1))
    assert (result.imported, result.skipped) == (len(original), 0)
    copies = analyst.incidents(include_closed=True)
    assert comparable(copies) == comparable(original)
    states = {incident.state for incident in copies}
    assert {IncidentState.CLOSED, IncidentState.FALSE_POSITIVE, IncidentState.TRIAGED} <= states
    # exported again from the analyst's database: the same lines but for keys and ids
    again = tmp_path / "again.jsonl"
    analyst.export_history(again)
    assert _without_keys(again) == _without_keys(path)
    analyst.shutdown()


def _without_keys(path: Path) -> dict[str, dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return {line["uid"]: line | {"key": None, "recurrence_of": None} for line in lines}


def test_round_trip_of_a_single_scripted_incident(tmp_path: Path, t0: datetime) -> None:
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
    analyst.import_history(path, t0 + timedelta(days=1))
    (copy,) = analyst.incidents(include_closed=True)
    assert comparable([copy]) == comparable([original])
    assert copy.team == "app-team"  # the catalog's owner of the root service
    assert analyst.import_history(path, t0).skipped == 1
    analyst.shutdown()


def test_export_is_atomic_and_carries_no_secret(
    tmp_path: Path, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOC_SECRET_DEMO", "canary-never-export-me")
    console = demo_console(f"sqlite:///{tmp_path / 'a.db'}")
    worked_history(console, t0)
    path = tmp_path / "h.jsonl"
    path.write_text("the previous export\n")
    console.export_history(path)
    text = path.read_text()
    assert "canary-never-export-me" not in text
    assert "the previous export" not in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".h.jsonl")] == []
    console.shutdown()


def test_a_hand_made_quarter_counts_in_the_metrics(tmp_path: Path) -> None:
    path = tmp_path / "q3.jsonl"
    path.write_text(q3.quarter_text())
    analyst = scripted_console(f"sqlite:///{tmp_path / 'b.db'}", [])
    assert analyst.import_history(path, q3.NOW).imported == len(q3.QUARTER)
    figures = analyst.metrics(q3.START, q3.END, q3.NOW)
    assert (figures.incidents, figures.false_positives) == (q3.INCIDENTS, 1)
    assert (figures.mtta.mean, figures.mtta.median, figures.mtta.p90) == q3.MTTA
    assert (figures.mttr.mean, figures.mttr.median, figures.mttr.p90) == q3.MTTR
    assert (figures.mtta.count, figures.mttr.count) == (3, 2)
    by_title = {i.title: i for i in analyst.incidents(include_closed=True)}
    # the earlier incident it recurs of is linked by its new id; minimal lines got a timeline
    assert by_title["Orders DB down again"].recurrence_of == by_title["Orders DB down"].id
    kinds = [e.kind.value for e in by_title["Orders API latency"].timeline]
    assert kinds == ["detected", "acknowledged", "resolved"]
    assert [e.kind.value for e in by_title["Disk alarm on a test box"].timeline] == [
        "detected",
        "false_positive",
    ]
    analyst.shutdown()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stored(capsys: pytest.CaptureFixture[str], db_url: str) -> list[dict[str, Any]]:
    code, out, _ = run(capsys, "incidents", "--json", "--all", "--db", db_url)
    assert code == 0
    incidents: list[dict[str, Any]] = json.loads(out)
    return incidents


def test_importing_the_same_file_twice_adds_nothing(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "q3.jsonl"
    path.write_text(q3.quarter_text())
    code, out, _ = run(capsys, "import", str(path), "--db", db_url)
    assert code == 0
    assert f"imported {len(q3.QUARTER)} incidents" in out
    first = stored(capsys, db_url)
    code, out, _ = run(capsys, "import", str(path), "--db", db_url)
    assert code == 0
    assert f"imported 0 incidents from {path} ({len(q3.QUARTER)} already present)" in out
    assert stored(capsys, db_url) == first
    # a line without a uid is known by key + detected_at: the same uid both times
    uids = {i["title"]: i["uid"] for i in first}
    assert len(uids["Orders API latency"]) == 32
    assert uids["Orders DB down"] == "q3-a"


DETECTED = {"at": "2026-11-29T10:00:00Z", "kind": "detected", "actor": "system"}
ACKED = {"at": "2026-11-29T10:05:00Z", "kind": "acknowledged", "actor": "alice"}


def line(**changes: object) -> str:
    document: dict[str, object] = {
        "key": "INC-000002",
        "uid": "u2",
        "title": "t",
        "severity": "P1",
        "state": "new",
        "detected_at": "2026-11-29T10:00:00Z",
        "events": [DETECTED],
    }
    document.update(changes)
    return json.dumps({k: v for k, v in document.items() if v != "DROP"})


CLOSED = {
    "state": "closed",
    "acknowledged_at": "2026-11-29T10:05:00Z",
    "resolved_at": "2026-11-29T11:00:00Z",
    "closed_at": "2026-11-29T12:00:00Z",
    "events": [
        DETECTED,
        ACKED,
        {"at": "2026-11-29T11:00:00Z", "kind": "resolved", "actor": "alice"},
        {"at": "2026-11-29T12:00:00Z", "kind": "closed", "actor": "alice"},
    ],
}

BAD_LINES = {
    "not JSON": ("{not json", "not JSON"),
    "not an object": ("[1, 2]", "expected a JSON object per line"),
    "no title": (line(title="DROP"), "title: missing"),
    "no detected_at": (line(detected_at="DROP"), "detected_at: missing"),
    "no uid nor key": (line(uid="DROP", key="DROP"), "uid: missing"),
    "time not a string": (line(detected_at=17), "detected_at: expected an ISO 8601 time"),
    "time without zone": (line(detected_at="2026-11-29T10:00:00"), "detected_at: expected"),
    "unknown severity": (line(severity="P9"), "severity: unknown severity 'P9'"),
    "unknown state": (line(state="open"), "state: unknown state 'open'"),
    "unknown tier": (line(tier="L9"), "tier: unknown tier 'L9'"),
    "unknown event kind": (
        line(events=[DETECTED, {**ACKED, "kind": "teleported"}]),
        r"events\[1\].kind: unknown kind 'teleported'",
    ),
    "event without actor": (
        line(events=[DETECTED, {**ACKED, "actor": None}]),
        r"events\[1\].actor: expected a name",
    ),
    "event data not an object": (
        line(events=[DETECTED, {**ACKED, "data": [1]}]),
        r"events\[1\].data: expected an object",
    ),
    "team not a string": (line(team=["a"]), "team: expected a string"),
    "negative alert count": (line(alert_count=-1), "alert_count: expected a whole number"),
    "detected before started": (
        line(started_at="2026-11-29T10:30:00Z"),
        "detected_at: 2026-11-29T10:00:00Z is before started_at",
    ),
    "acknowledged before detected": (
        line(state="triaged", acknowledged_at="2026-11-29T09:00:00Z"),
        "acknowledged_at: 2026-11-29T09:00:00Z is before detected_at",
    ),
    "resolved before detected": (
        line(state="resolved", resolved_at="2026-11-29T09:59:59Z"),
        "resolved_at: 2026-11-29T09:59:59Z is before detected_at",
    ),
    "closed before resolved": (
        line(**{**CLOSED, "closed_at": "2026-11-29T10:30:00Z"}),
        "closed_at: 2026-11-29T10:30:00Z is before resolved_at",
    ),
    "closed without closed_at": (line(**{**CLOSED, "closed_at": None}), "closed_at: missing"),
    "resolved without resolved_at": (line(state="resolved"), "resolved_at: missing"),
    "open with closed_at": (line(closed_at="2026-11-29T12:00:00Z"), "closed_at: set on"),
    "events out of order": (
        line(events=[DETECTED, {**ACKED, "at": "2026-11-29T09:00:00Z"}]),
        r"events\[1\].at: out of order",
    ),
    "first event not detected": (line(events=[ACKED]), r"events\[0\].kind: the first event"),
    "event before detection": (
        line(events=[{**DETECTED, "at": "2026-11-29T09:00:00Z"}]),
        r"events\[0\].at: before detected_at",
    ),
    "event after the close": (
        line(**{**CLOSED, "events": [*CLOSED["events"], {**ACKED, "at": "2026-11-29T13:00:00Z"}]}),
        r"events\[4\].at: acknowledged at 2026-11-29T13:00:00Z, after closed_at",
    ),
    "uid twice": (line(uid="good"), "uid: 'good' is also on line 1"),
    "recurrence of an unknown key": (
        line(recurrence_of="INC-000099"),
        "recurrence_of: 'INC-000099' is not the key of an earlier line",
    ),
}


@pytest.mark.parametrize(("bad", "expected"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_lines_exit_2_naming_file_line_and_field_and_import_nothing(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path, bad: str, expected: str
) -> None:
    good = line(uid="good", key="INC-000001")
    path = tmp_path / "h.jsonl"
    path.write_text(good + "\n" + bad + "\n" + line(uid="after", key="INC-000003") + "\n")
    with pytest.raises(HistoryError, match=f"h.jsonl:2: {expected}"):
        read_history(path)
    code, out, err = run(capsys, "import", str(path), "--db", db_url)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"noc-console: {path}:2: ")
    assert stored(capsys, db_url) == []


def test_a_missing_file_exits_2_and_imports_nothing(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "nowhere.jsonl"
    code, _, err = run(capsys, "import", str(path), "--db", db_url)
    assert code == 2
    assert err == f"noc-console: {path}: cannot read: No such file or directory\n"
    assert stored(capsys, db_url) == []


def test_a_good_line_with_annotations_after_the_close_imports(tmp_path: Path) -> None:
    note = {"at": "2026-11-30T09:00:00Z", "kind": "note", "actor": "bob", "note": "post-mortem"}
    path = tmp_path / "h.jsonl"
    path.write_text(line(**{**CLOSED, "events": [*CLOSED["events"], note]}) + "\n")
    (entry,) = read_history(path)
    assert entry.incident.timeline[-1].note == "post-mortem"
