"""The whole console on a shared PostgreSQL database: poll, act, measure, as on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from app.console import Console
from app.domain.incident import IncidentState
from app.domain.severity import Severity
from app.store import IncidentConflict
from tests.helpers import triage_scenarios
from tests.helpers.consoles import demo_console, scripted_console
from tests.helpers.sources import ScriptedSource

pytestmark = pytest.mark.integration


def test_demo_estate_on_postgresql(pg_db_url: str, t0: datetime) -> None:
    console = demo_console(pg_db_url)
    other_workstation = demo_console(pg_db_url)
    try:
        changes = console.poll_once(t0)
        assert changes.opened >= 3
        top = console.wall(t0)[0]
        assert top.root_service == "acme-db"  # the storm, correlated by the same SQL
        assert len(top.services) > 3
        other_workstation.wall(t0)  # its baseline: what its wall shows now
        assert top.severity is Severity.P1
        assert top.id is not None
        acknowledged = console.acknowledge(
            top.id, t0 + timedelta(minutes=2), expected_version=top.version
        )
        assert acknowledged.state is IncidentState.TRIAGED
        # the other workstation still shows the old version: a conflict, not an overwrite
        with pytest.raises(IncidentConflict) as caught:
            other_workstation.resolve(
                top.id, t0 + timedelta(minutes=3), expected_version=top.version
            )
        assert getattr(caught.value.current, "version", None) == acknowledged.version
        seen = other_workstation.refresh(t0 + timedelta(minutes=3))
        assert [i.id for i in seen.upserted] == [acknowledged.id]  # exactly what changed
        again = console.poll_once(t0 + timedelta(seconds=30))
        assert again.opened == 0
        metrics = console.metrics(
            t0 - timedelta(hours=1), t0 + timedelta(hours=1), t0 + timedelta(minutes=5)
        )
        assert metrics.mtta.count == 1
        assert metrics.mtta.median == 120.0
    finally:
        console.shutdown()
        other_workstation.shutdown()


@pytest.mark.parametrize(
    "scenario",
    [
        triage_scenarios.flapping_alert_holds_one_incident,
        triage_scenarios.suppressed_alerts_stay_visible,
    ],
)
def test_triage_scenarios_on_postgresql(
    pg_db_url: str, t0: datetime, scenario: Callable[[Console, ScriptedSource, datetime], None]
) -> None:
    """The flapping and suppression queries (JSON flags, partial index upserts) on PostgreSQL."""
    source = ScriptedSource()
    console = scripted_console(pg_db_url, [source])
    try:
        scenario(console, source, t0)
    finally:
        console.shutdown()


def test_two_desks_on_postgresql_run_one_confirmation_once(pg_db_url: str, t0: datetime) -> None:
    """The demo's DB storm SOP worked from two workstations: ticks are shared, and the
    audit's unique key lets a confirmation run once, whichever desk submits it."""
    from app.console import ActionRefused
    from app.domain.runbook_progress import RunStatus, StepStatus

    console = demo_console(pg_db_url)
    other = demo_console(pg_db_url)
    try:
        console.poll_once(t0)
        storm = console.wall(t0)[0]
        assert storm.id is not None
        console.tick_step(storm.id, "db-connection-saturation", "confirm-root", t0)
        view = other.runbook(storm.id, t0)
        assert view is not None
        assert view.runbook.id == "db-connection-saturation"
        assert view.progress.state("confirm-root").status is StepStatus.DONE
        prepared = console.prepare_action(storm.id, "db-connection-saturation", "scale-pooler")
        assert prepared.call is not None
        now = prepared.prepared_at or t0
        run = console.run_action(prepared, now)
        assert run.status is RunStatus.SUCCEEDED, run.summary
        with pytest.raises(ActionRefused, match="already ran"):
            other.run_action(prepared, now)
        assert len(other.action_runs(storm.id)) == 1
    finally:
        console.shutdown()
        other.shutdown()
