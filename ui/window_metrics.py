"""The main window's metrics: View → Metrics… opens the Metrics view in a window of its own.

A feature mixin of MainWindow (why mixins, not controllers: `ui/window_feature.py`).
ui/metrics_view.py (and pyqtgraph with it) is imported when the view first opens, not
with the window: most sessions never open it (PERF.md 1.6).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QWidget

from app.console import Console
from ui.window_feature import WindowFeature
from ui.workers.actions import TaskRunner

if TYPE_CHECKING:
    from ui.metrics_view import MetricsView

Clock = Callable[[], datetime]
# how often the open Metrics window computes its report again (as the wall's page does)
METRICS_REFRESH = timedelta(minutes=1)


class MetricsWindow(QMainWindow):
    """The Metrics view as a window beside the operator's (a child: it closes with it).

    Attributes:
        view: the MetricsView.

    Signals:
        (none)
    """

    def __init__(self, view: MetricsView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setWindowTitle("NOC Console \u2014 Metrics")
        self.view = view
        self.setCentralWidget(view)
        self.resize(1500, 900)


class MetricsMixin(WindowFeature):
    """View → Metrics… (operator mode).

    Attributes:
        metrics_window: the Metrics window, once opened.
    """

    # read of the window
    console: Console
    runner: TaskRunner
    clock: Clock

    # held
    metrics_window: MetricsWindow | None

    def _build_metrics_menu(self) -> None:
        self.metrics_window = None
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction("&Metrics\u2026", self.show_metrics)

    def show_metrics(self) -> MetricsWindow:
        """Open (or raise) the Metrics window; it computes its report on the window's runner."""
        window = self.metrics_window
        if window is None:
            from ui.metrics_view import MetricsView  # noqa: PLC0415 - lazily: the docstring

            view = MetricsView(
                self.console, self.runner, clock=self.clock, refresh_every=METRICS_REFRESH
            )
            window = MetricsWindow(view, self)
            self.metrics_window = window
            view.refresh()
        if window.isVisible():  # raising a hidden window warns offscreen (ui/dialogs.py)
            window.raise_()
        else:
            if window.view.report is not None:  # opened again: what it showed may be old
                window.view.refresh()
            window.show()
        return window
