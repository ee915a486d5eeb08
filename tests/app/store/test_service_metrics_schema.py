"""Migration 0008: the recorded clocks filled from stored timelines, the indexes as declared."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.schema import CreateIndex

from app.store import Database
from app.store.metric_columns import metric_indexes
from app.store.tables import INCIDENTS
from tests.helpers import metrics_history as h


def test_the_upgrade_fills_the_recorded_clocks_from_the_timelines(db_url: str) -> None:
    h.check_the_upgrade_fills_what_the_store_writes(db_url)


def test_the_declared_indexes_are_the_migrated_ones(db_url: str) -> None:
    Database(db_url).dispose()
    names = {index.name for index in metric_indexes()}
    path = Path(db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as raw:
        migrated = {
            name: sql
            for name, sql in raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'incidents'"
            )
            if name in names
        }
    raw.close()
    engine = create_engine("sqlite://")
    declared = {
        index.name: str(CreateIndex(index).compile(dialect=engine.dialect)).strip()
        for index in INCIDENTS.indexes
        if index.name in names
    }
    assert len(names) == 9
    assert declared == migrated
