"""The main window's suppressed alerts: their count after every change set, and their list.

A feature mixin of MainWindow (why mixins, not controllers: `ui/window_feature.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.console import Console
from ui.dialogs import present
from ui.status_bar import ConsoleStatusBar
from ui.suppressed import SuppressedAlerts, SuppressedAlertsDialog
from ui.wall_header import WallHeader
from ui.window_feature import WindowFeature
from ui.workers.actions import TaskRunner

Clock = Callable[[], datetime]


class SuppressedMixin(WindowFeature):
    """Both modes count the alerts that fire in no incident (silenced, inhibited, in
    maintenance) after every change set: the status bar, or the wall's header; operator
    mode lists them (click the count in the status bar).

    Attributes:
        suppressed: the suppressed-alerts query, refreshed after every change set.
        suppressed_dialog: the list of suppressed alerts, once opened (operator mode).
    """

    # read of the window
    console: Console
    clock: Clock
    runner: TaskRunner
    status: ConsoleStatusBar
    wall_header: WallHeader | None

    # held
    suppressed: SuppressedAlerts
    suppressed_dialog: SuppressedAlertsDialog | None

    def _build_suppressed(self) -> None:
        self.suppressed = SuppressedAlerts(self.console, self.runner, parent=self)
        self.suppressed_dialog = None

    def _connect_suppressed(self) -> None:
        self.suppressed.suppressed_changed.connect(self._on_suppressed_changed)
        self.suppressed.refresh_failed.connect(self._on_suppressed_failed)

    def show_suppressed_alerts(self) -> SuppressedAlertsDialog:
        """Open (or raise) the list of suppressed alerts; it follows every refresh."""
        dialog = self.suppressed_dialog
        if dialog is None:
            dialog = SuppressedAlertsDialog(self, clock=self.clock)
            dialog.refresh_requested.connect(self.suppressed.refresh)
            self.suppressed_dialog = dialog
        dialog.set_alerts(self.suppressed.alerts)
        present(dialog)
        return dialog

    def _on_suppressed_changed(self, alerts: object) -> None:
        count = len(alerts) if isinstance(alerts, list) else None
        self.status.set_suppressed(count)
        if self.wall_header is not None:
            self.wall_header.set_suppressed(count)
        if self.suppressed_dialog is not None and isinstance(alerts, list):
            self.suppressed_dialog.set_alerts(alerts)

    def _on_suppressed_failed(self, message: str) -> None:
        # the last count stays: it is older, not wrong; the tooltip says why it did not move
        known = len(self.suppressed.alerts) if self.suppressed.known else None
        self.status.set_suppressed(known, message)
