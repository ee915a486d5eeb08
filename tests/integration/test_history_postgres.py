"""History export and import on PostgreSQL: the same round trip and metrics as on SQLite."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.history import HistoryError
from tests.helpers import history_files as q3
from tests.helpers.consoles import demo_console, scripted_console
from tests.helpers.history_files import comparable, worked_history

pytestmark = pytest.mark.integration


def test_round_trip_through_postgresql(
    pg_db_url: str, db_url: str, tmp_path: Path, t0: datetime
) -> None:
    """SQLite -> file -> PostgreSQL -> file -> SQLite: the same incidents and timelines."""
    console = demo_console(db_url)
    original = worked_history(console, t0)
    first = tmp_path / "first.jsonl"
    console.export_history(first)
    console.shutdown()

    postgres = scripted_console(pg_db_url, [])
    assert postgres.import_history(first, t0 + timedelta(days=1)).imported == len(original)
    assert comparable(postgres.incidents(include_closed=True)) == comparable(original)
    assert postgres.import_history(first, t0 + timedelta(days=1)).imported == 0
    second = tmp_path / "second.jsonl"
    postgres.export_history(second)
    postgres.shutdown()

    back = scripted_console(f"sqlite:///{tmp_path / 'back.db'}", [])
    back.import_history(second, t0 + timedelta(days=2))
    assert comparable(back.incidents(include_closed=True)) == comparable(original)
    back.shutdown()


def test_a_hand_made_quarter_on_postgresql(pg_db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "q3.jsonl"
    path.write_text(q3.quarter_text())
    analyst = scripted_console(pg_db_url, [])
    analyst.import_history(path, q3.NOW)
    figures = analyst.metrics(q3.START, q3.END, q3.NOW)
    assert (figures.mtta.mean, figures.mtta.median, figures.mtta.p90) == q3.MTTA
    assert (figures.mttr.mean, figures.mttr.median, figures.mttr.p90) == q3.MTTR
    # a bad last line: nothing of the file, though the good lines came first
    bad = tmp_path / "bad.jsonl"
    bad.write_text(q3.quarter_text().replace("q3-a", "q3-a2") + '{"uid": "x"}\n')
    with pytest.raises(HistoryError, match=r"bad.jsonl:6: "):
        analyst.import_history(bad, q3.NOW)
    assert len(analyst.incidents(include_closed=True)) == len(q3.QUARTER)
    analyst.shutdown()
