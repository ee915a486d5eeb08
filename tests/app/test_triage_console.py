"""Triage through the console and real SQLite storage: what an operator sees over many polls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from app.console import Console
from tests.helpers import triage_scenarios
from tests.helpers.consoles import scripted_console
from tests.helpers.sources import ScriptedSource


@pytest.fixture
def source() -> ScriptedSource:
    return ScriptedSource()


@pytest.fixture
def console(db_url: str, source: ScriptedSource) -> Iterator[Console]:
    console = scripted_console(db_url, [source])
    yield console
    console.shutdown()


def test_a_flapping_alert_holds_one_incident(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    triage_scenarios.flapping_alert_holds_one_incident(console, source, t0)


def test_suppressed_alerts_stay_visible(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    triage_scenarios.suppressed_alerts_stay_visible(console, source, t0)
