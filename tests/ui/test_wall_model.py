"""The wall's table model: urgency order, change sets without resets, stale sources, versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QSignalSpy

from app.domain.changes import ChangeSet
from app.domain.health import SourceHealth, SourceStatus
from app.domain.incident import (
    AUTO_REMEDIATED,
    FLAPPING,
    KNOWN_ISSUE,
    EscalationTier,
    Incident,
    IncidentState,
)
from app.domain.severity import Severity
from tests.helpers.ui_incidents import bumped, incident
from ui.local_time import hm
from ui.wall_model import (
    AUTO_BADGE,
    FLAPPING_BADGE,
    BadgesRole,
    Column,
    DeadlineRole,
    IncidentIdRole,
    IncidentRole,
    IncidentTableModel,
    SeverityRole,
    StaleRole,
)


def ids(model: IncidentTableModel) -> list[int | None]:
    return [i.id for i in model.incidents()]


@pytest.fixture
def wall(t0: datetime) -> list[Incident]:
    # detected a minute apart; P1s answer within 15 min, the rest within 30
    return [
        incident(1, t0, severity=Severity.P3, response_in=timedelta(hours=2)),
        incident(
            2, t0 + timedelta(minutes=1), severity=Severity.P1, response_in=timedelta(minutes=15)
        ),
        incident(3, t0 + timedelta(minutes=2), severity=Severity.P2),
        incident(
            4, t0 + timedelta(minutes=3), severity=Severity.P4, response_in=None, resolve_in=None
        ),
    ]


@pytest.fixture
def model(qtmodeltester, wall: list[Incident], t0: datetime) -> IncidentTableModel:
    model = IncidentTableModel(clock=lambda: t0)
    model.load(wall)
    qtmodeltester.check(model)
    return model


def test_rows_are_in_urgency_order(model: IncidentTableModel, wall: list[Incident]) -> None:
    assert ids(model) == [i.id for i in sorted(wall, key=Incident.urgency_key)] == [2, 3, 1, 4]
    first = model.index(0, Column.KEY)
    assert first.data() == "INC-000002"
    assert first.data(IncidentIdRole) == 2
    assert isinstance(first.data(IncidentRole), Incident)
    assert model.index(0, Column.SEVERITY).data(SeverityRole) == "P1"
    assert model.index(0, Column.SLA).data() == "response 16:00"
    assert model.index(3, Column.SLA).data() == "no SLA"
    assert model.index(0, 0).data(DeadlineRole) == wall[1].response_due
    assert model.headerData(Column.SLA, Qt.Orientation.Horizontal) == "SLA"


def test_a_change_set_inserts_updates_moves_and_removes_without_a_reset(
    qtmodeltester, model: IncidentTableModel, wall: list[Incident], t0: datetime
) -> None:
    resets = QSignalSpy(model.modelReset)
    changed = QSignalSpy(model.dataChanged)
    # a new P1, due before everything else
    newcomer = incident(
        5, t0 + timedelta(minutes=4), severity=Severity.P1, response_in=timedelta(minutes=5)
    )
    # an in-place change: a ticket does not move the row
    ticketed = bumped(wall[2], ticket="OPS-1")
    model.apply(ChangeSet(upserted=(newcomer, ticketed), removed=(4,)))
    assert ids(model) == [5, 2, 3, 1]
    assert model.index(model.row_of(3) or 0, Column.TICKET).data() == "OPS-1"
    assert changed.count() >= 1
    # a severity change re-targets the clock and moves the row
    raised = bumped(wall[0], severity=Severity.P1, response_due=t0 + timedelta(minutes=1))
    model.apply(ChangeSet(upserted=(raised,)))
    assert ids(model) == [1, 5, 2, 3]
    # an acknowledgement switches to the resolve clock and moves the row down
    acked = bumped(newcomer, acknowledged_at=t0 + timedelta(minutes=5), owner="dana")
    model.apply(ChangeSet(upserted=(acked,)))
    assert ids(model) == [1, 2, 3, 5]
    assert model.index(3, Column.OWNER).data() == "dana"
    assert resets.count() == 0
    qtmodeltester.check(model)


def test_an_older_snapshot_never_overwrites_a_newer_one(
    model: IncidentTableModel, wall: list[Incident]
) -> None:
    newer = bumped(wall[1], owner="dana", tier=EscalationTier.L2)
    assert model.upsert(newer) is True
    assert model.upsert(wall[1]) is False  # the poll diff that raced the action result
    assert model.incident(2) == newer
    assert model.index(model.row_of(2) or 0, Column.TIER).data() == "L2"


def test_a_closed_incident_leaves_and_a_late_older_snapshot_cannot_bring_it_back(
    model: IncidentTableModel, wall: list[Incident], t0: datetime
) -> None:
    resolved = bumped(wall[2], resolved_at=t0, state=IncidentState.RESOLVED)
    model.upsert(resolved)
    assert model.row_of(3) == 3  # resolved incidents stay, below the active ones
    # resolved at detection: well inside its resolution target
    assert model.index(3, Column.SLA).data() == "resolved \u00b7 SLA met"
    closed = bumped(resolved, state=IncidentState.CLOSED, closed_at=t0)
    model.upsert(closed)
    assert 3 not in ids(model)
    assert model.upsert(resolved) is False
    assert 3 not in ids(model)
    model.apply(ChangeSet(removed=(3, 99)))  # the poll's removal of what is already gone
    assert ids(model) == [2, 1, 4]


def test_selection_survives_a_poll(
    qtbot, model: IncidentTableModel, wall: list[Incident], t0: datetime
) -> None:
    selection = QItemSelectionModel(model)
    row = model.row_of(3)
    assert row is not None
    flags = (
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    selection.setCurrentIndex(model.index(row, 0), flags)
    newcomer = incident(6, t0, severity=Severity.P1, response_in=timedelta(minutes=1))
    moved = bumped(wall[2], acknowledged_at=t0)  # the selected one moves to its resolve clock
    model.apply(ChangeSet(upserted=(newcomer, moved), removed=(2,)))
    current = selection.currentIndex()
    assert current.isValid()
    assert current.data(IncidentIdRole) == 3
    assert selection.isRowSelected(current.row())
    assert len(selection.selectedRows()) == 1


def test_rows_of_a_source_that_is_down_are_marked_stale(
    model: IncidentTableModel, t0: datetime
) -> None:
    since = t0 - timedelta(minutes=7)
    down = SourceHealth("demo", "demo", SourceStatus.DOWN, error="timed out", stale_since=since)
    changed = QSignalSpy(model.dataChanged)
    model.set_source_health([down])
    assert changed.count() == model.rowCount()
    first = model.index(0, Column.STATE)
    assert first.data(StaleRole) == f"stale since {hm(since)}"
    assert first.data() == f"new \u00b7 stale since {hm(since)}"
    assert first.data(Qt.ItemDataRole.ForegroundRole) is not None
    model.set_source_health([SourceHealth("demo", "demo", SourceStatus.OK)])
    assert model.index(0, Column.STATE).data() == "new"
    assert model.index(0, Column.STATE).data(StaleRole) is None


def test_many_inserts_land_in_order(qtmodeltester, t0: datetime) -> None:
    model = IncidentTableModel(clock=lambda: t0)
    batch = tuple(
        incident(n, t0 + timedelta(seconds=n * 37 % 101), severity=Severity(f"P{n % 4 + 1}"))
        for n in range(1, 120)
    )
    model.apply(ChangeSet(upserted=batch))
    assert ids(model) == [i.id for i in sorted(batch, key=Incident.urgency_key)]
    qtmodeltester.check(model)


def test_team_services_and_badges_come_from_the_triage_engine(qtmodeltester, t0: datetime) -> None:
    model = IncidentTableModel(clock=lambda: t0)
    rooted = replace(
        incident(1, t0, severity=Severity.P1, services=("acme-db", "acme-api", "acme-web")),
        root_service="acme-db",
        team="dba-team",
    )
    single = replace(incident(2, t0), team=None)
    model.load([rooted, single])
    qtmodeltester.check(model)
    assert model.headerData(Column.TEAM, Qt.Orientation.Horizontal) == "Team"
    assert model.index(model.row_of(1) or 0, Column.TEAM).data() == "dba-team"
    assert model.index(model.row_of(2) or 0, Column.TEAM).data() == ""
    services = model.index(model.row_of(1) or 0, Column.SERVICES)
    assert services.data() == "acme-db +2"  # the root first, then how many depend on it
    assert services.data(Qt.ItemDataRole.ToolTipRole) == (
        "root cause candidate: acme-db\naffected: acme-api, acme-web"
    )
    assert model.index(model.row_of(2) or 0, Column.SERVICES).data() == "acme-api"
    title = model.index(model.row_of(1) or 0, Column.TITLE)
    assert title.data(BadgesRole) == ()
    # the engine marks it flapping, then a known-issue rule matches: both badges, in that order
    flagged = bumped(
        rooted, flags=frozenset({FLAPPING, KNOWN_ISSUE}), known_issue="KI-12", team="dba-oncall"
    )
    changed = QSignalSpy(model.dataChanged)
    model.apply(ChangeSet(upserted=(flagged,)))
    assert changed.count() == 1
    row = model.row_of(1) or 0
    title = model.index(row, Column.TITLE)
    assert title.data(BadgesRole) == (FLAPPING_BADGE, "KI-12")
    assert title.data() == flagged.title  # the badges are painted, not part of the text
    tooltip = title.data(Qt.ItemDataRole.ToolTipRole)
    assert "\u27f2 flapping" in tooltip
    assert "known issue KI-12" in tooltip
    assert model.index(row, Column.TEAM).data() == "dba-oncall"
    # calm again: the flapping badge goes, the known issue stays
    calm = bumped(flagged, flags=frozenset({KNOWN_ISSUE}))
    model.upsert(calm)
    assert model.index(row, Column.TITLE).data(BadgesRole) == ("KI-12",)
    qtmodeltester.check(model)


def test_an_automatic_remediation_shows_as_a_badge(t0: datetime) -> None:
    model = IncidentTableModel(clock=lambda: t0)
    model.load([incident(1, t0)])
    model.apply(
        ChangeSet(upserted=(bumped(incident(1, t0), flags=frozenset({AUTO_REMEDIATED, FLAPPING})),))
    )
    title = model.index(model.row_of(1) or 0, Column.TITLE)
    assert title.data(BadgesRole) == (FLAPPING_BADGE, AUTO_BADGE)
