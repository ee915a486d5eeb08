"""Render the window to a PNG without a display (the `noc-console screenshot` command)."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget

from app.console import Console
from ui import theme
from ui.app import application, mode_look
from ui.main_window import MainWindow
from ui.workers.actions import TaskRunner

View = Literal["operator", "wall", "wall-metrics", "charts"]
VIEWS: tuple[View, ...] = ("operator", "wall", "wall-metrics", "charts")


def render(
    console: Console,
    out: Path,
    *,
    view: View | str = "operator",
    size: tuple[int, int] = (1600, 900),
    now: datetime,
    tab: str | None = None,
) -> None:
    """Build the window at `size` (not full screen), show the wall at `now`, save a PNG.

    In the operator view the first row is selected so the side panel shows a timeline
    (or the side panel's tab whose title starts with `tab`, e.g. "Runbook"); its alerts
    and runbook load synchronously, since this is a one-shot render. `wall-metrics` is
    the wall with its rotation's metrics page up (the last 30 days by day).
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r} (expected {', '.join(VIEWS)})")
    app = application()
    colours, scale, _refused = mode_look(console, wall=view.startswith("wall"))
    with theme.applied(app, colours, font_scale=scale):
        if view == "charts":
            _render_metrics(app, console, out, size=size, now=now)
        else:
            _render(app, console, out, view=view, size=size, now=now, tab=tab)


def _render_metrics(
    app: QApplication, console: Console, out: Path, *, size: tuple[int, int], now: datetime
) -> None:
    """The Metrics view over all the history the database holds, by day (by week beyond
    about three months), its report computed inline (a one-shot render)."""
    from ui.metrics_view import MetricsView  # noqa: PLC0415 - pyqtgraph only for this view

    runner = TaskRunner(synchronous=True)
    view = MetricsView(console, runner, clock=lambda: now)
    try:
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        view.resize(*size)
        view.period_box.blockSignals(True)
        view.period_box.setCurrentIndex(view.period_box.findData("all"))
        view.period_box.blockSignals(False)
        view.refresh()
        report = view.report
        if report is not None and len(report.series) > 100:
            view.bucket_box.setCurrentIndex(view.bucket_box.findData("week"))  # refreshes
        _show_and_save(app, view, out, size)
    finally:
        view.hide()
        view.deleteLater()
        runner.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _render(
    app: QApplication,
    console: Console,
    out: Path,
    *,
    view: View | str,
    size: tuple[int, int],
    now: datetime,
    tab: str | None = None,
) -> None:
    # a throwaway settings file: a render must neither read nor write the user's geometry
    scratch = tempfile.TemporaryDirectory(prefix="noc-screenshot-")
    settings = QSettings(str(Path(scratch.name) / "view.ini"), QSettings.Format.IniFormat)
    runner = TaskRunner(synchronous=True)
    window = MainWindow(
        console,
        wall=view.startswith("wall"),
        clock=lambda: now,
        prompt=lambda _title, _label, _required: None,
        severity_prompt=lambda _incident: None,
        runner=runner,
        settings=settings,
        audible=False,
    )
    try:
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        window.resize(*size)
        window.load(console.wall(now), console.source_health())
        window.status.set_last_poll(now)
        if window.side_panel is not None:  # the wall shows no selection
            window.table.select_row(0)
            tabs = window.side_panel.tabs
            for index in range(tabs.count()):
                if tab and tabs.tabText(index).startswith(tab):
                    tabs.setCurrentIndex(index)
        if view == "wall-metrics":
            window.show_wall_metrics(True)  # the runner is synchronous: drawn at once
        _show_and_save(app, window, out, size)
    finally:
        window.table.sla_timer.stop()
        window.hide()
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        scratch.cleanup()


def _show_and_save(app: QApplication, widget: QWidget, out: Path, size: tuple[int, int]) -> None:
    """Show at `size` (again after showing: the offscreen platform may resize on show),
    let layouts settle, and write the PNG."""
    widget.show()
    widget.resize(*size)
    for _ in range(3):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(out), "PNG"):
        raise OSError(f"could not write {out}")
