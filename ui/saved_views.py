"""Saved views: a name for a filter and a sort, kept in QSettings with the window's state.

A view is view state (STYLE.md 14), not configuration: it belongs to the operator's
workstation. Stored as one JSON document under `<mode>/views`, so a settings file edited
by hand or written by another version loads with what it can read.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSettings

from app.domain.incident import IncidentState
from app.domain.incident_filter import IncidentFilter
from app.domain.severity import Severity
from ui.wall_model import Column

log = logging.getLogger(__name__)

ALL = "All incidents"


@dataclass(frozen=True, slots=True)
class View:
    """A filter and a sort under a name.

    Attributes:
        name: what the views menu shows.
        filter: what the wall keeps.
        sort_column: the column sorted by, None for urgency order.
        descending: the column's sort direction.
        builtin: shipped with the console (cannot be deleted or overwritten).
    """

    name: str
    filter: IncidentFilter = field(default_factory=IncidentFilter)
    sort_column: Column | None = None
    descending: bool = False
    builtin: bool = False

    def as_dict(self) -> dict[str, Any]:
        saved: dict[str, Any] = {"filter": self.filter.as_dict()}
        if self.sort_column is not None:
            saved["sort"] = {"column": self.sort_column.name.lower(), "descending": self.descending}
        return saved

    @classmethod
    def from_dict(cls, name: str, saved: Any) -> View:
        if not isinstance(saved, dict):
            return cls(name)
        wanted = saved.get("filter")
        sort = saved.get("sort")
        column: Column | None = None
        descending = False
        if isinstance(sort, dict):
            column = Column.__members__.get(str(sort.get("column", "")).upper())
            descending = bool(sort.get("descending", False)) and column is not None
        return cls(
            name,
            IncidentFilter.from_dict(wanted) if isinstance(wanted, dict) else IncidentFilter(),
            column,
            descending,
        )


BUILTIN_VIEWS = (
    View(ALL, builtin=True),
    View(
        "P1 and P2", IncidentFilter(severities=frozenset({Severity.P1, Severity.P2})), builtin=True
    ),
    View(
        "Not acknowledged yet", IncidentFilter(states=frozenset({IncidentState.NEW})), builtin=True
    ),
    View(
        "Waiting for a fix",
        IncidentFilter(states=frozenset({IncidentState.LOGGED, IncidentState.DIAGNOSING})),
        builtin=True,
    ),
)


class SavedViews:
    """The views of one window mode ("operator" or "wall"), read and written through QSettings."""

    def __init__(self, settings: QSettings, prefix: str) -> None:
        self._settings = settings
        self._key = f"{prefix}/views"
        self._current_key = f"{prefix}/view"
        self._state_key = f"{prefix}/view_state"
        self._saved: dict[str, View] = self._read()

    def _read(self) -> dict[str, View]:
        raw = self._settings.value(self._key)
        if not isinstance(raw, str) or not raw:
            return {}
        try:
            document = json.loads(raw)
        except ValueError:
            log.warning("saved views in %s are not JSON; starting without them", self._key)
            return {}
        if not isinstance(document, dict):
            return {}
        builtin = {view.name for view in BUILTIN_VIEWS}
        return {
            name: View.from_dict(name, saved)
            for name, saved in document.items()
            if isinstance(name, str) and name.strip() and name not in builtin
        }

    def _write(self) -> None:
        document = {name: view.as_dict() for name, view in self._saved.items()}
        self._settings.setValue(self._key, json.dumps(document, sort_keys=True))

    def views(self) -> list[View]:
        """Built-in views first, then the operator's in name order."""
        return [*BUILTIN_VIEWS, *(self._saved[name] for name in sorted(self._saved))]

    def get(self, name: str) -> View | None:
        return next((view for view in self.views() if view.name == name), None)

    def save(self, view: View) -> View:
        """Keep `view` under its name (replacing a saved one of that name); not a built-in's."""
        name = view.name.strip()
        if not name:
            raise ValueError("a view needs a name")
        if any(b.name.casefold() == name.casefold() for b in BUILTIN_VIEWS):
            raise ValueError(f"{name!r} is a built-in view; choose another name")
        kept = View(name, view.filter, view.sort_column, view.descending)
        self._saved[name] = kept
        self._write()
        return kept

    def delete(self, name: str) -> bool:
        if self._saved.pop(name, None) is None:
            return False
        self._write()
        return True

    # the view in use when the window closed, and its (possibly edited) filter and sort

    def remember(self, name: str | None, current: View) -> None:
        self._settings.setValue(self._current_key, name or "")
        self._settings.setValue(self._state_key, json.dumps(current.as_dict(), sort_keys=True))

    def last(self) -> tuple[str | None, View]:
        """(the name of the view last chosen, or None when it was edited since; the filter
        and sort last shown). A first start shows all incidents."""
        name = self._settings.value(self._current_key)
        if name is None:
            return ALL, View(ALL)
        raw = self._settings.value(self._state_key)
        state: Any = None
        if isinstance(raw, str) and raw:
            try:
                state = json.loads(raw)
            except ValueError:
                state = None
        chosen = name if isinstance(name, str) and self.get(name) is not None else None
        return chosen, View.from_dict(chosen or "", state)
