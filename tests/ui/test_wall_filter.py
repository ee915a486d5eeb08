"""The wall model's Python-side filter and column sort: layout changes, not resets; change
sets keep working under both; persistent indexes (the selection) follow their incidents."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QPersistentModelIndex
from PySide6.QtTest import QSignalSpy

from app.domain.changes import ChangeSet
from app.domain.incident import Incident, IncidentState
from app.domain.incident_filter import IncidentFilter
from app.domain.severity import Severity
from tests.helpers.ui_incidents import bumped, incident
from ui.wall_model import GONE_FOR, GONE_MEMORY, Column, IncidentTableModel


def ids(model: IncidentTableModel) -> list[int | None]:
    return [i.id for i in model.incidents()]


@pytest.fixture
def wall(t0: datetime) -> list[Incident]:
    return [
        incident(
            1,
            t0,
            severity=Severity.P3,
            customer="globex",
            title="Disk full on backup",
            response_in=timedelta(hours=2),
        ),
        incident(
            2,
            t0 + timedelta(minutes=1),
            severity=Severity.P1,
            title="Orders DB down",
            response_in=timedelta(minutes=15),
        ),
        incident(3, t0 + timedelta(minutes=2), severity=Severity.P2, customer="initech"),
        incident(
            4,
            t0 + timedelta(minutes=3),
            severity=Severity.P4,
            title="Cert expiry db",
            response_in=None,
        ),
    ]


@pytest.fixture
def model(qtmodeltester, wall: list[Incident], t0: datetime) -> IncidentTableModel:
    model = IncidentTableModel(clock=lambda: t0)
    model.load(wall)
    qtmodeltester.check(model)  # keeps checking every change below
    return model


def test_a_filter_is_one_layout_change_and_keeps_the_urgency_order(
    model: IncidentTableModel,
) -> None:
    assert ids(model) == [2, 3, 1, 4]
    resets, layouts = QSignalSpy(model.modelReset), QSignalSpy(model.layoutChanged)
    model.set_filter(IncidentFilter(customers=frozenset({"acme"})))
    assert ids(model) == [2, 4]
    assert model.rowCount() == 2
    assert model.total() == 4
    assert sorted(i.id or 0 for i in model.all_incidents()) == [1, 2, 3, 4]
    model.set_filter(IncidentFilter(text="DB"))
    assert ids(model) == [2, 4]
    model.set_filter(IncidentFilter(severities=frozenset({Severity.P1, Severity.P3})))
    assert ids(model) == [2, 1]
    model.set_filter(IncidentFilter())
    assert ids(model) == [2, 3, 1, 4]
    assert resets.count() == 0
    assert layouts.count() == 4
    model.set_filter(IncidentFilter())  # no change, no signal
    assert layouts.count() == 4


def test_the_selection_follows_its_incident_through_filter_and_sort(
    model: IncidentTableModel,
) -> None:
    selected = QPersistentModelIndex(model.index(model.row_of(1) or 0, Column.TITLE))
    hidden = QPersistentModelIndex(model.index(model.row_of(3) or 0, Column.TITLE))
    model.set_filter(IncidentFilter(customers=frozenset({"globex", "acme"})))
    assert selected.isValid()
    assert selected.row() == model.row_of(1)
    assert selected.column() == Column.TITLE
    assert not hidden.isValid()  # the filter hid it
    assert model.row_of(3) is None
    assert model.incident(3) is not None
    model.set_sort(Column.CUSTOMER)
    assert selected.row() == model.row_of(1) == 2  # acme, acme, globex


def test_sorting_by_a_column_breaks_ties_by_urgency_and_reverses(
    model: IncidentTableModel,
) -> None:
    model.set_sort(Column.CUSTOMER)
    assert ids(model) == [2, 4, 1, 3]  # acme (urgency order), globex, initech
    assert model.sort_column is Column.CUSTOMER
    assert not model.sort_descending
    model.set_sort(Column.CUSTOMER, descending=True)
    assert ids(model) == [3, 1, 2, 4]  # ties stay in urgency order
    model.set_sort(Column.SEVERITY)
    assert ids(model) == [2, 3, 1, 4]
    model.set_sort(Column.TITLE)
    assert next(i.title for i in model.incidents()) == "Cert expiry db"
    model.set_sort(None, descending=True)
    assert ids(model) == [2, 3, 1, 4]
    assert not model.sort_descending


def test_change_sets_respect_the_filter_and_the_sort(
    model: IncidentTableModel, wall: list[Incident], t0: datetime
) -> None:
    model.set_filter(IncidentFilter(severities=frozenset({Severity.P1, Severity.P2})))
    model.set_sort(Column.CUSTOMER)
    assert ids(model) == [2, 3]
    inserted, removed = QSignalSpy(model.rowsInserted), QSignalSpy(model.rowsRemoved)
    newcomer_hidden = incident(5, t0 + timedelta(minutes=5), severity=Severity.P4)
    newcomer_shown = incident(6, t0 + timedelta(minutes=6), severity=Severity.P1, customer="hooli")
    model.apply(ChangeSet(upserted=(newcomer_hidden, newcomer_shown)))
    assert ids(model) == [2, 6, 3]  # acme, hooli, initech
    assert model.total() == 6
    assert inserted.count() == 1
    # a hidden incident raised to P2 appears at its sorted place; a shown one lowered leaves
    model.apply(
        ChangeSet(
            upserted=(
                bumped(wall[0], severity=Severity.P2),  # globex
                bumped(wall[2], severity=Severity.P3),  # initech
            )
        )
    )
    assert ids(model) == [2, 1, 6]
    assert removed.count() == 1
    # a customer change moves the row under the column sort
    model.apply(ChangeSet(upserted=(bumped(newcomer_shown, customer="aardvark"),)))
    assert ids(model) == [6, 2, 1]
    # closing a hidden incident takes it off the wall without touching the rows
    removed_before = removed.count()
    model.apply(ChangeSet(upserted=(bumped(wall[3], state=IncidentState.CLOSED),)))
    assert model.incident(4) is None
    assert removed.count() == removed_before
    model.set_filter(IncidentFilter())
    assert ids(model) == [6, 2, 5, 1, 3]  # aardvark, acme x2, globex, initech


def test_filter_choices_come_from_the_whole_wall(model: IncidentTableModel) -> None:
    model.set_filter(IncidentFilter(customers=frozenset({"acme"})))
    assert model.values(Column.CUSTOMER) == ["acme", "globex", "initech"]


def test_the_memory_of_departed_incidents_is_bounded(t0: datetime) -> None:
    now = [t0]
    model = IncidentTableModel(clock=lambda: now[0])
    for number in range(1, 101):  # a hundred closures a minute
        if number % 100 == 0:
            now[0] += timedelta(minutes=1)
        model.upsert(incident(number, t0))
        model.remove(number)
    assert len(model._gone) == 100
    assert not model.upsert(incident(50, t0, version=0))  # a late, older snapshot: refused
    now[0] += GONE_FOR + timedelta(seconds=1)
    model.upsert(incident(500, t0))
    model.remove(500)
    assert list(model._gone) == [500]  # the rest are past any race: forgotten
    # and never more than GONE_MEMORY, however fast they leave
    for number in range(1000, 1000 + GONE_MEMORY + 50):
        model.upsert(incident(number, t0))
        model.remove(number)
    assert len(model._gone) == GONE_MEMORY


def test_a_storm_of_updates_is_one_layout_change_with_the_same_result(
    qtmodeltester, t0: datetime
) -> None:
    wall = [
        incident(
            n,
            t0 + timedelta(seconds=n),
            severity=(Severity.P2, Severity.P3, Severity.P4)[n % 3],
            customer=("acme", "globex")[n % 2],
        )
        for n in range(1, 301)
    ]
    model = IncidentTableModel(clock=lambda: t0)
    model.load(wall)
    qtmodeltester.check(model)
    model.set_filter(IncidentFilter(customers=frozenset({"acme"})))
    chosen = QPersistentModelIndex(model.index(model.row_of(150) or 0, Column.KEY))
    resets, layouts = QSignalSpy(model.modelReset), QSignalSpy(model.layoutChanged)
    # 150 updates: every fifth raised to P1 (moves up), every seventh closed (leaves),
    # and one globex incident renamed to acme (the filter lets it in)
    changed = []
    for item in wall[:150]:
        if item.id == 151 or (item.id or 0) % 7 == 0:
            changed.append(bumped(item, state=IncidentState.CLOSED))
        elif (item.id or 0) % 5 == 0:
            changed.append(bumped(item, severity=Severity.P1, title="raised"))
        else:
            changed.append(bumped(item, title="touched"))
    changed.append(bumped(wall[160], customer="acme"))  # id 161, globex before
    model.apply(ChangeSet(upserted=tuple(changed)))
    assert resets.count() == 0
    assert layouts.count() == 1
    every = {i.id: i for i in wall} | {i.id: i for i in changed}
    expected = sorted(
        (i for i in every.values() if not i.state.terminal and i.customer == "acme"),
        key=Incident.urgency_key,
    )
    assert ids(model) == [i.id for i in expected]
    assert 161 in ids(model)
    assert model.total() == len([i for i in every.values() if not i.state.terminal])
    assert chosen.isValid()
    assert chosen.row() == model.row_of(150)
    assert model.incident(150) is not None
    assert model.index(chosen.row(), Column.TITLE).data() == "raised"
