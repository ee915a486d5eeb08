"""The incident wall's table model: incident snapshots in urgency order, updated by change sets.

The rows are kept sorted in Python (a bisect over a parallel list of keys), never through
a QSortFilterProxyModel (PERF.md 1.3): by `Incident.urgency_key()`, or by a column the
operator clicked with urgency breaking ties. The operator's filter is applied here too:
the model holds every incident on the wall and shows those that pass. A poll's change
set becomes row removals, in-place `dataChanged`, row moves and row inserts, so selection
and scroll survive every poll; a new filter or sort is one `layoutChanged` (persistent
indexes follow their incidents); only `load()` resets the model.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from app.domain.changes import ChangeSet
from app.domain.health import SourceHealth, SourceStatus
from app.domain.incident import AUTO_REMEDIATED, Incident, IncidentState
from app.domain.incident_filter import IncidentFilter, haystack
from ui import theme
from ui.local_time import day_and_time, hm
from ui.sla_clock import ClockReader, as_stored, read_sla

Clock = Callable[[], datetime]
UrgencyKey = tuple[int, float, int, float, int]
OrderKey = tuple[Any, ...]
AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    """The wall's columns, left to right."""

    SEVERITY = 0
    KEY = 1
    CUSTOMER = 2
    SERVICES = 3
    TITLE = 4
    STATE = 5
    TIER = 6
    TEAM = 7
    OWNER = 8
    SLA = 9
    ALERTS = 10
    TICKET = 11


HEADERS: dict[Column, str] = {
    Column.SEVERITY: "Severity",
    Column.KEY: "Incident",
    Column.CUSTOMER: "Customer",
    Column.SERVICES: "Service(s)",
    Column.TITLE: "Title",
    Column.STATE: "State",
    Column.TIER: "Tier",
    Column.TEAM: "Team",
    Column.OWNER: "Owner",
    Column.SLA: "SLA",
    Column.ALERTS: "Alerts",
    Column.TICKET: "Ticket",
}

_USER = int(Qt.ItemDataRole.UserRole)
IncidentRole = _USER + 1  # the Incident snapshot of the row
IncidentIdRole = _USER + 2  # its storage id (int)
SeverityRole = _USER + 3  # its Severity (Qt hands a StrEnum back as the str 'P1')
DeadlineRole = _USER + 4  # the running SLA deadline (UTC datetime) or None
ClockRole = _USER + 5  # which clock runs: "response", "resolve" or None
StaleRole = _USER + 6  # "stale since 14:02" when a source it came from is not ok, else None
UrgencyRole = _USER + 7  # the sort key
BadgesRole = _USER + 8  # ("⟲ flapping", "KI-12"): the row's triage badges, possibly empty

ROLE_NAMES: dict[int, bytes] = {
    IncidentRole: b"incident",
    IncidentIdRole: b"incidentId",
    SeverityRole: b"severity",
    DeadlineRole: b"deadline",
    ClockRole: b"clock",
    StaleRole: b"stale",
    UrgencyRole: b"urgency",
    BadgesRole: b"badges",
}

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_STATE_WORDS = {state: state.value.replace("_", " ") for state in IncidentState}
# Sources that cannot currently be trusted; UNKNOWN (not polled yet) is not stale.
_STALE_STATUSES = frozenset({SourceStatus.DOWN, SourceStatus.RATE_LIMITED})
FLAPPING_BADGE = "\u27f2 flapping"  # ⟲
AUTO_BADGE = "\u2699 auto"  # ⚙: an auto-remediation policy ran an action on it
# How long, and at most how many, incidents that left the wall are remembered (to refuse
# their late, older snapshots): a race between a poll and an action lasts seconds. By time,
# so a wall's memory is the same at hour 24 as at hour 1 (benchmarks/test_wall_bench.py).
GONE_FOR = timedelta(minutes=5)
# A change set updating at least this many rows (or a twentieth of the wall) is applied
# as one layout change rather than row by row.
BATCH_UPDATES = 100
GONE_MEMORY = 4096


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Row:
    """One incident on the wall: the snapshot, its urgency and display order, its display
    and search texts (computed once per change), and whether the filter shows it."""

    incident: Incident
    stale: str | None = None
    key: UrgencyKey = field(init=False)
    texts: list[str] = field(init=False)
    badges: tuple[str, ...] = field(init=False)
    search: str = field(init=False)
    order: OrderKey = ()
    shown: bool = True

    def __post_init__(self) -> None:
        self.show_snapshot(self.incident, self.stale)

    def show_snapshot(self, incident: Incident, stale: str | None) -> None:
        """Everything the row derives from its snapshot and its sources' health."""
        self.incident, self.key, self.stale = incident, incident.urgency_key(), stale
        self.texts, self.badges = _texts(incident, stale), badges(incident)
        self.search = haystack(incident)


class _Descending:
    """Reverses one component of a sort key (strings cannot be negated)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)


_STATE_ORDER = {state: number for number, state in enumerate(IncidentState)}


def sort_value(column: Column, incident: Incident, texts: Sequence[str]) -> Any:
    """What a column sorts by: ranks for enums, times for the SLA, folded text otherwise."""
    if column == Column.SEVERITY:
        return incident.severity.rank
    if column == Column.KEY:
        return incident.id or 0
    if column == Column.STATE:
        return _STATE_ORDER[incident.state]
    if column == Column.TIER:
        return incident.tier.rank
    if column == Column.SLA:
        deadline = incident.next_deadline
        return deadline.timestamp() if deadline is not None else float("inf")
    if column == Column.ALERTS:
        return incident.alert_count
    return texts[column].casefold()


def services_text(incident: Incident) -> str:
    """'acme-db +5': the root-cause candidate first, then how many services depend on it."""
    services = incident.services
    root = incident.root_service or (services[0] if services else "")
    others = sum(1 for service in services if service != root)
    return f"{root} +{others}" if others else root


def badges(incident: Incident) -> tuple[str, ...]:
    """The triage badges of a row: flapping, automatic remediation, then the known issue's id."""
    found: list[str] = []
    if incident.flapping:
        found.append(FLAPPING_BADGE)
    if AUTO_REMEDIATED in incident.flags:
        found.append(AUTO_BADGE)
    if incident.known_issue:
        found.append(incident.known_issue)
    return tuple(found)


def _texts(incident: Incident, stale: str | None) -> list[str]:
    state = _STATE_WORDS[incident.state]
    return [
        incident.severity.value,
        incident.key,
        incident.customer or "",
        services_text(incident),
        incident.title,
        f"{state} \u00b7 {stale}" if stale else state,
        incident.tier.value,
        incident.team or "",
        incident.owner or "",
        "",  # SLA: read from the clock at paint time
        str(incident.alert_count),
        incident.ticket or "",
    ]


class IncidentTableModel(QAbstractTableModel):
    """The wall: one row per incident on it, most urgent first.

    Attributes:
        clock: returns the current UTC time; used for the SLA column's display text.
        sla_reader: reads an incident's SLA clock at a moment (`Console.clock` in the
            window; by default a reading of the stored deadlines, 24x7). The SLA painter
            reads through it too.
        muted_brush: the foreground of resolved and stale rows (the window's theme).

    Signals:
        (QAbstractTableModel's own: rowsInserted, rowsRemoved, rowsMoved, dataChanged...)
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clock: Clock = _utc_now,
        sla_reader: ClockReader = as_stored,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.sla_reader = sla_reader
        # faded rows (resolved, stale): the window's theme's grey, which a wall opened
        # beside a light operator window (F11) does not share with it
        self.muted_brush = theme.current().muted_brush
        self._rows: list[_Row] = []  # the shown rows, in display order
        self._keys: list[OrderKey] = []  # their `order`, for bisect
        self._by_id: dict[int, _Row] = {}  # every row on the wall, shown or not
        # id -> version of incidents that left the wall, so a late, older upsert
        # (a poll diff racing an action result) cannot bring them back
        self._gone: dict[int, tuple[int, datetime]] = {}  # id -> (version, left at)
        self._stale_sources: dict[str, str] = {}  # source name -> "stale since 14:02"
        self._filter = IncidentFilter()
        self._passes_filter = self._filter.compile()  # its words split once, not per row
        self._sort_column: Column | None = None
        self._descending = False

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def roleNames(self) -> dict[int, QByteArray]:  # noqa: N802
        names = dict(super().roleNames())
        names.update({role: QByteArray(name) for role, name in ROLE_NAMES.items()})
        return names

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == _DISPLAY:
                return HEADERS[Column(section)]
            if role == _ALIGNMENT:
                return _LEFT
        return None

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        number = index.row()
        if number >= len(self._rows):
            return None
        row = self._rows[number]
        column = index.column()
        if role == _DISPLAY:
            if column == Column.SLA:
                return read_sla(row.incident, self.clock(), self.sla_reader).text
            return row.texts[column]
        if role == _FOREGROUND:
            if row.stale is not None or not row.incident.state.active:
                return self.muted_brush
            return None
        if role == _ALIGNMENT:
            return _RIGHT if column == Column.ALERTS else _LEFT
        if role == IncidentRole:
            return row.incident
        if role == SeverityRole:
            return row.incident.severity
        if role == DeadlineRole:
            return row.incident.next_deadline
        if role == ClockRole:
            return row.incident.running_clock
        if role == StaleRole:
            return row.stale
        if role == IncidentIdRole:
            return row.incident.id
        if role == BadgesRole:
            return row.badges
        if role == UrgencyRole:
            return row.key
        if role == _TOOLTIP:
            return self._tooltip(row, column)
        return None

    def _tooltip(self, row: _Row, column: int) -> str | None:
        incident = row.incident
        if column == Column.SLA:
            now = self.clock()
            sla = read_sla(incident, now, self.sla_reader)
            lines = [sla.text]
            if sla.paused and incident.paused_since is not None:
                lines.append(
                    f"waiting on the customer since {day_and_time(incident.paused_since, now)}:"
                    " the clocks stop until the incident is resumed"
                )
            used = sla.reading.used
            if used is not None and sla.remaining is not None:
                lines.append(f"{used:.0%} of the {sla.reading.clock} target used")
            if incident.response_due is not None:
                lines.append(f"response due {day_and_time(incident.response_due, now)}")
            if incident.resolve_due is not None:
                lines.append(f"resolve due {day_and_time(incident.resolve_due, now)}")
            return "\n".join(lines)
        if row.stale is not None:
            return (
                f"{incident.title}\n{row.stale}: a source of this incident is not answering,"
                " so this row may be out of date"
            )
        if column == Column.SERVICES:
            return self._services_tooltip(incident)
        if column == Column.TITLE and row.badges:
            return "\n".join([incident.title, *self._badge_lines(incident)])
        if column in (Column.TITLE, Column.CUSTOMER, Column.TEAM):
            return row.texts[column] or None
        return None

    @staticmethod
    def _services_tooltip(incident: Incident) -> str | None:
        root = incident.root_service
        others = [service for service in incident.services if service != root]
        if root is None:
            return ", ".join(others) or None
        if not others:
            return root
        return f"root cause candidate: {root}\naffected: {', '.join(others)}"

    @staticmethod
    def _badge_lines(incident: Incident) -> list[str]:
        lines = []
        if incident.flapping:
            lines.append(f"{FLAPPING_BADGE}: its alerts fire and clear too often")
        if incident.known_issue:
            lines.append(f"known issue {incident.known_issue} (details in the side panel)")
        return lines

    # ------------------------------------------------------------------ queries

    def incident_at(self, row: int) -> Incident | None:
        return self._rows[row].incident if 0 <= row < len(self._rows) else None

    def incident(self, incident_id: int) -> Incident | None:
        """The snapshot of an incident on the wall, shown or filtered out."""
        found = self._by_id.get(incident_id)
        return found.incident if found is not None else None

    def row_of(self, incident_id: int) -> int | None:
        """Its row, or None when it is not on the wall or the filter hides it."""
        found = self._by_id.get(incident_id)
        if found is None or not found.shown:
            return None
        return bisect_left(self._keys, found.order)

    def index_of(self, incident_id: int, column: int = 0) -> QModelIndex:
        row = self.row_of(incident_id)
        return self.index(row, column) if row is not None else QModelIndex()

    def incidents(self) -> Iterator[Incident]:
        """The incidents shown, in display order (most urgent first unless sorted)."""
        return (row.incident for row in self._rows)

    def all_incidents(self) -> Iterator[Incident]:
        """Every incident on the wall, the filtered-out ones too, in no particular order:
        the header's counts and the SLA crossings never depend on what a filter hides."""
        return (row.incident for row in self._by_id.values())

    def total(self) -> int:
        """How many incidents are on the wall (`rowCount` counts only the shown ones)."""
        return len(self._by_id)

    @property
    def filter(self) -> IncidentFilter:
        return self._filter

    @property
    def sort_column(self) -> Column | None:
        """The column the rows are sorted by; None for urgency order."""
        return self._sort_column

    @property
    def sort_descending(self) -> bool:
        return self._descending

    def values(self, column: Column) -> list[str]:
        """The distinct non-empty texts of a column over the whole wall (filter choices)."""
        return sorted({row.texts[column] for row in self._by_id.values()} - {""})

    # ------------------------------------------------------------------ filter and sort

    def set_filter(self, wanted: IncidentFilter) -> None:
        """Show only what passes `wanted`: one layout change, selection kept when still shown."""
        if wanted == self._filter:
            return
        self._filter = wanted
        self._passes_filter = wanted.compile()
        self._relayout()

    def set_sort(self, column: Column | None, descending: bool = False) -> None:
        """Sort by a column (urgency breaks ties), or by urgency alone with None."""
        descending = descending and column is not None
        if column == self._sort_column and descending == self._descending:
            return
        self._sort_column, self._descending = column, descending
        self._relayout()

    def _relayout(self) -> None:
        """Recompute which rows show and their order; persistent indexes follow their
        incidents, or become invalid when the filter hides them.

        Measured (benchmarks/test_wall_bench.py): Python key functions over the snapshots
        and one layoutChanged, against tens of seconds through a QSortFilterProxyModel.
        """
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        previous = [
            (self._rows[index.row()].incident.id, index.column())
            if index.row() < len(self._rows)
            else (None, 0)
            for index in persistent
        ]
        for row in self._by_id.values():
            row.order = self._order(row)
            row.shown = self._passes(row)
        rows = sorted((row for row in self._by_id.values() if row.shown), key=_order_of)
        self._rows = rows
        self._keys = [row.order for row in rows]
        moved = [
            self.index_of(incident_id, column) if incident_id is not None else QModelIndex()
            for incident_id, column in previous
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _order(self, row: _Row) -> OrderKey:
        column = self._sort_column
        if column is None:
            return row.key
        value = sort_value(column, row.incident, row.texts)
        return (_Descending(value) if self._descending else value, row.key)

    def _passes(self, row: _Row) -> bool:
        return self._passes_filter(row.incident, row.search)

    # ------------------------------------------------------------------ changes

    def load(self, incidents: Iterable[Incident]) -> None:
        """Replace everything (startup, reconnect): the only reset this model does."""
        self.beginResetModel()
        every = [self._make_row(i) for i in incidents if i.id is not None and not i.state.terminal]
        self._by_id = {row.incident.id: row for row in every if row.incident.id is not None}
        rows = sorted((row for row in every if row.shown), key=_order_of)
        self._rows = rows
        self._keys = [row.order for row in rows]
        self._gone = {}
        self.endResetModel()

    def apply(self, changes: ChangeSet) -> None:
        """A poll's or a refresh's change set: removals, then updates and inserts in order.

        Row operations (no layout change) for the usual few updates: measured at 50k rows,
        a layout change made the header views re-scan every row and cost more than 1,000
        single moves. A storm's hundreds of updates on a wall of a few thousand rows are
        one layout change instead (`_update_many`).
        """
        for incident_id in changes.removed:
            self.remove(incident_id)
        inserts: list[Incident] = []
        updates: list[Incident] = []
        for incident in changes.upserted:
            if incident.id is not None and incident.id in self._by_id:
                updates.append(incident)
            elif self._admits(incident):
                inserts.append(incident)
        if len(updates) >= max(BATCH_UPDATES, len(self._rows) // 20):
            self._update_many(updates)
        else:
            for incident in updates:
                self.upsert(incident)
        self._insert_many([self._make_row(incident) for incident in inserts])
        if changes.sources:
            self.set_source_health(changes.sources)

    def upsert(self, incident: Incident) -> bool:
        """Show one snapshot (an action's result or a poll's); False when it was ignored.

        A snapshot older than the row's (a lower `version`) is ignored; a closed or
        false-positive incident leaves the wall.
        """
        incident_id = incident.id
        if incident_id is None:
            return False
        current = self._by_id.get(incident_id)
        if current is None:
            if not self._admits(incident):
                return False
            self._insert_many([self._make_row(incident)])
            return True
        if incident.version < current.incident.version:
            return False
        if incident.state.terminal:
            self._forget(current)
            self._remember_gone(incident_id, incident.version)
            return True
        self._update(current, incident)
        return True

    def remove(self, incident_id: int) -> bool:
        """Take an incident off the wall (closed, false positive, aged out)."""
        current = self._by_id.get(incident_id)
        if current is None:
            return False
        self._remember_gone(incident_id, current.incident.version)
        self._forget(current)
        return True

    def set_source_health(self, health: Sequence[SourceHealth]) -> None:
        """Mark rows whose sources are down or rate limited as stale ("stale since 14:02")."""
        stale = {
            item.name: f"stale since {hm(item.stale_since)}" if item.stale_since else "stale"
            for item in health
            if item.status in _STALE_STATUSES
        }
        if stale == self._stale_sources:
            return
        self._stale_sources = stale
        last = len(Column) - 1
        for row in self._by_id.values():
            text = self._stale_of(row.incident)
            if text != row.stale:
                row.show_snapshot(row.incident, text)
                if row.shown:
                    number = bisect_left(self._keys, row.order)
                    self.dataChanged.emit(self.index(number, 0), self.index(number, last))

    # ------------------------------------------------------------------ internals

    def _stale_of(self, incident: Incident) -> str | None:
        if not self._stale_sources:
            return None
        found = [self._stale_sources[s] for s in incident.sources if s in self._stale_sources]
        return min(found) if found else None

    def _make_row(self, incident: Incident) -> _Row:
        row = _Row(incident, self._stale_of(incident))
        row.order = self._order(row)
        row.shown = self._passes(row)
        return row

    def _admits(self, incident: Incident) -> bool:
        """A new row for it? Not if it already left the wall in a newer version, or is closed."""
        left = self._gone.get(incident.id) if incident.id is not None else None
        if incident.id is None or (left is not None and incident.version < left[0]):
            return False
        if incident.state.terminal:
            self._remember_gone(incident.id, incident.version)
            return False
        return True

    def _remember_gone(self, incident_id: int, version: int) -> None:
        gone, now = self._gone, self.clock()
        gone.pop(incident_id, None)  # re-inserted: the dict stays in order of departure
        gone[incident_id] = (version, now)
        while gone:
            oldest = next(iter(gone))
            if len(gone) <= GONE_MEMORY and now - gone[oldest][1] <= GONE_FOR:
                break
            del gone[oldest]

    def _insert_many(self, rows: list[_Row]) -> None:
        """Put new rows on the wall; the shown ones at their sorted places, one
        beginInsertRows per contiguous run.

        A storm's first poll brings hundreds of incidents at once; one signal per row cost
        ~40 ms of GUI time for 500, one per run (usually a handful) a fraction of that.
        """
        for row in rows:
            if row.incident.id is not None:
                self._by_id[row.incident.id] = row
        shown = [row for row in rows if row.shown]
        if len(shown) < 8:
            for row in shown:
                self._show(row)
            return
        shown.sort(key=_order_of)
        merged_keys = sorted([*self._keys, *(row.order for row in shown)])
        by_order = {row.order: row for row in shown}
        runs: list[tuple[int, int]] = []  # (first, last) positions in the merged order
        for position, key in enumerate(merged_keys):
            if key in by_order:
                if runs and runs[-1][1] == position - 1:
                    runs[-1] = (runs[-1][0], position)
                else:
                    runs.append((position, position))
        for first, last in runs:  # in increasing order: earlier runs are already in place
            self.beginInsertRows(QModelIndex(), first, last)
            block = [by_order[merged_keys[p]] for p in range(first, last + 1)]
            self._rows[first:first] = block
            self._keys[first:first] = [row.order for row in block]
            self.endInsertRows()

    def _show(self, row: _Row) -> None:
        position = bisect_left(self._keys, row.order)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, row)
        self._keys.insert(position, row.order)
        self.endInsertRows()

    def _hide(self, row: _Row) -> None:
        position = bisect_left(self._keys, row.order)
        self.beginRemoveRows(QModelIndex(), position, position)
        del self._rows[position]
        del self._keys[position]
        self.endRemoveRows()

    def _forget(self, row: _Row) -> None:
        if row.shown:
            self._hide(row)
        if row.incident.id is not None:
            self._by_id.pop(row.incident.id, None)

    def _update_many(self, incidents: list[Incident]) -> None:
        """Many new versions at once: rows updated in place, then one re-sort and filter
        (layoutChanged, persistent indexes follow) and one dataChanged over every row.

        1,000 updates on 2,000 rows (a tenth of them moving) took 40-80 ms of the GUI
        thread as single moves and dataChanged signals, against a layout change's few
        milliseconds (benchmarks/test_wall_bench.py).
        """
        for incident in incidents:
            incident_id = incident.id
            current = self._by_id.get(incident_id) if incident_id is not None else None
            if current is None or incident_id is None:
                continue
            if incident.version < current.incident.version:
                continue
            if incident.state.terminal:  # leaves the wall: a row removal, as ever
                self._forget(current)
                self._remember_gone(incident_id, incident.version)
                continue
            current.show_snapshot(incident, self._stale_of(incident))
        self._relayout()
        if self._rows:
            last = len(Column) - 1
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, last))

    def _update(self, row: _Row, incident: Incident) -> None:
        was_shown, old_order = row.shown, row.order
        row.show_snapshot(incident, self._stale_of(incident))
        order, shown = self._order(row), self._passes(row)
        if not was_shown:
            row.order, row.shown = order, shown
            if shown:  # the filter lets it in now
                self._show(row)
            return
        old = bisect_left(self._keys, old_order)
        if not shown:  # the filter keeps it out now
            row.order = old_order
            self._hide(row)
            row.order, row.shown = order, False
            return
        row.order = order
        if order != old_order:
            # where it lands once taken out of its old place (keys are unique: id is last)
            new = bisect_left(self._keys, order)
            if new > old:
                new -= 1
            if new != old:
                # a move, not remove + insert: the selection and current index follow it
                destination = new if new < old else new + 1
                self.beginMoveRows(QModelIndex(), old, old, QModelIndex(), destination)
                del self._rows[old]
                del self._keys[old]
                self._rows.insert(new, row)
                self._keys.insert(new, order)
                self.endMoveRows()
                self.dataChanged.emit(self.index(new, 0), self.index(new, len(Column) - 1))
                return
            self._keys[old] = order
        self.dataChanged.emit(self.index(old, 0), self.index(old, len(Column) - 1))


def _order_of(row: _Row) -> OrderKey:
    return row.order
