"""The main window's policies: watched files reloaded when they change, the wall read again.

A feature mixin of MainWindow (why mixins, not controllers: `ui/window_feature.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from app.console import Console
from app.domain.health import SourceHealth
from app.domain.incident import Incident
from app.engine.escalation import SlaWatch
from ui.notifications import Notifier
from ui.policy_watch import PolicyWatch
from ui.sla_clock import SlaLooks
from ui.status_bar import ConsoleStatusBar
from ui.wall_header import WallHeader
from ui.wall_view import IncidentTableView
from ui.window_feature import WindowFeature
from ui.workers.actions import TaskRunner

Clock = Callable[[], datetime]


class PoliciesMixin(WindowFeature):
    """The policies and catalog files are watched and reloaded when they change: new
    at-risk marks and contracts renew the SLA watch and the header's looks, and the whole
    wall is read again; a bad file is refused and the last good policies stay.

    Attributes:
        policy_watch: reloads the policies when their files change.
    """

    # read of the window (and `_sla_watch` renewed on a reload)
    console: Console
    clock: Clock
    runner: TaskRunner
    table: IncidentTableView
    status: ConsoleStatusBar
    notifier: Notifier
    wall_header: WallHeader | None
    _sla_watch: SlaWatch
    load: Callable[[Sequence[Incident], Sequence[SourceHealth]], None]
    selected_incident: Callable[[], Incident | None]
    show_error: Callable[[str], None]

    # held
    policy_watch: PolicyWatch

    def _watch_policies(self) -> None:
        self.policy_watch = PolicyWatch(self.console, self.runner, parent=self)
        self.policy_watch.policies_reloaded.connect(self._on_policies_reloaded)
        self.policy_watch.reload_failed.connect(self._on_policies_refused)

    def _on_policies_reloaded(self) -> None:
        self._sla_watch = self.console.sla_watch()  # new marks and contracts: new moments
        header = self.wall_header
        if header is not None and header.looks is not None:  # looks read under the old ones
            header.looks = SlaLooks(self.console.clock, self.console.next_clock_change)
        self.status.show_info("policies reloaded")
        self.notifier.show_message("policies reloaded")
        self.reload_wall()

    def _on_policies_refused(self, error: str) -> None:
        message = f"policies not reloaded: {error} (keeping the last good ones)"
        self.status.show_error(message)
        self.notifier.show_message(message, error=True)

    def reload_wall(self) -> None:
        """Read the whole wall again (new policies: watch window, triage) off the GUI thread;
        the selection stays on the incident it was on."""
        now, console = self.clock(), self.console
        self.runner.submit(
            "reload the wall",
            lambda: (console.wall(now), console.source_health()),
            on_result=self._wall_reloaded,
            on_error=lambda error: self.show_error(f"could not reload the wall: {error}"),
        )

    def _wall_reloaded(self, result: object) -> None:
        if not isinstance(result, tuple):
            return
        incidents, health = result
        selected = self.selected_incident()
        self.load(incidents, health)
        if selected is not None and selected.id is not None:
            self.table.select_incident(selected.id)
