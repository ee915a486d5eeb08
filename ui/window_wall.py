"""The main window's wall mode: the wall theme and large type, the header, "All clear", rotation, flash.

A feature mixin of MainWindow (why mixins, not controllers: `ui/window_feature.py`).
The metrics page (`[wall] rotate` with "metrics") is a MetricsView without controls,
built the first time the rotation comes round to it: ui/metrics_view.py (and pyqtgraph)
is imported then, not with the window (PERF.md 1.6).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QStackedWidget, QToolButton, QVBoxLayout, QWidget

from app.config.display import Rotation
from app.console import Console
from app.domain.health import SourceHealth
from ui import theme
from ui.notifications import Notifier
from ui.status_bar import ConsoleStatusBar
from ui.wall_flash import WallFlash
from ui.wall_header import AllClear, WallHeader
from ui.wall_model import Column, IncidentTableModel
from ui.wall_rotation import WallRotation
from ui.wall_view import IncidentTableView
from ui.window_feature import WindowFeature
from ui.workers.actions import TaskRunner

if TYPE_CHECKING:
    from ui.metrics_view import MetricsView

Clock = Callable[[], datetime]

WALL_HIDDEN_COLUMNS = (Column.ALERTS, Column.TICKET)
# the metrics page computes its report again when it comes round, at most this often
METRICS_REFRESH = timedelta(minutes=1)


class WallModeMixin(WindowFeature):
    """The wall display, read from across the room: the wall theme and large type, a header
    with counts and source lamps, no side panel, a big "All clear" when nothing is open and
    every source is healthy, rotation through customers and pages (`[wall] rotate`), and a
    flashing frame for a new P1 or a breach. Built in wall mode only; in operator mode its
    attributes stay None and `_refresh_wall` does nothing.

    Attributes:
        wall_header, all_clear: the header and the quiet-wall message.
        rotation, flash: the rotation (None unless `[wall] rotate`) and the alarm frame.
        wall_metrics: the metrics page (None until the rotation first reaches it).
    """

    # read of the window
    console: Console
    clock: Clock
    runner: TaskRunner
    model: IncidentTableModel
    table: IncidentTableView
    status: ConsoleStatusBar
    notifier: Notifier
    sounds_button: QToolButton
    _startup_errors: list[str]
    _health: list[SourceHealth]

    # held
    wall_header: WallHeader | None
    all_clear: AllClear | None
    _wall_stack: QStackedWidget | None
    flash: WallFlash | None
    rotation: WallRotation | None
    wall_metrics: MetricsView | None
    _wall_metrics_at: datetime | None

    def _build_wall(self) -> None:
        display = self.console.config.display.wall
        colours, refused = theme.load_or_fallback(display.theme, "dark")
        if refused is not None:
            self._startup_errors.append(refused)
        self.setPalette(theme.palette(colours))
        self.setAutoFillBackground(True)
        self.model.muted_brush = colours.muted_brush
        scale = display.font_scale
        self.table.setFont(theme.wall_font(font_scale=scale))
        self.table.horizontalHeader().setFont(theme.wall_font(bold=True, font_scale=scale))
        self.table.apply_font_metrics()
        # read from across the room: the wall keeps what decides who moves first
        for column in WALL_HIDDEN_COLUMNS:
            self.table.setColumnHidden(column, True)
        self.status.setFont(theme.wall_font(1.2, font_scale=scale))
        self.status.sources.setFont(theme.wall_font(1.2, font_scale=scale))
        header = WallHeader(
            clock=self.clock, reader=self.console.clock, upcoming=self.console.next_clock_change
        )
        header.setFont(theme.wall_font(1.5, font_scale=scale))
        self.wall_header = header
        self.all_clear = AllClear(font_scale=scale)
        stack = QStackedWidget()
        stack.addWidget(self.table)
        stack.addWidget(self.all_clear)
        self._wall_stack = stack
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(stack, 1)
        self.setCentralWidget(central)
        self.flash = WallFlash(central)
        display = self.console.config.display.wall
        if display.rotate:
            rotation = WallRotation(
                self.model,
                self.table,
                display.rotate,
                int(display.rotate_every.total_seconds() * 1000),
                self,
                show_metrics=self.show_wall_metrics if Rotation.METRICS in display.rotate else None,
            )
            rotation.turned.connect(self.status.show_info)
            self.rotation = rotation
        # the header carries the lamps and the suppressed count on the wall
        self.status.sources.setVisible(False)
        self.status.suppressed_button.setVisible(False)
        self.sounds_button.setVisible(False)  # F9 on the wall's keyboard
        self.notifier.history_button.setVisible(False)  # watched, not worked
        self.resize(1920, 1080)

    def show_wall_metrics(self, shown: bool) -> None:
        """The rotation's metrics page comes round (or goes): shown with its last report at
        once, computed again on the runner when that one is a minute old."""
        stack = self._wall_stack
        if stack is None:
            return
        if not shown:
            self._refresh_wall()
            return
        view = self.wall_metrics
        if view is None:
            from ui.metrics_view import MetricsView  # noqa: PLC0415 - lazily: the docstring

            scale = self.console.config.display.wall.font_scale
            view = MetricsView(
                self.console,
                self.runner,
                clock=self.clock,
                controls=False,
                font=theme.wall_font(font_scale=scale),
                parent=stack,
            )
            stack.addWidget(view)
            self.wall_metrics = view
        stack.setCurrentWidget(view)
        now = self.clock()
        last = self._wall_metrics_at
        if last is None or now - last >= METRICS_REFRESH or now < last:
            self._wall_metrics_at = now
            view.refresh()

    def _refresh_wall(self) -> None:
        header, stack, all_clear = self.wall_header, self._wall_stack, self.all_clear
        if header is None or stack is None or all_clear is None:
            return
        counts = header.update_counts(self.model.all_incidents())
        rotation = self.rotation
        metrics = self.wall_metrics
        up = metrics is not None and stack.currentWidget() is metrics
        if up and (rotation is None or rotation.stop.metrics):
            return  # the metrics page stays up until the rotation turns (or for a render)
        if AllClear.applies(counts, self._health):
            all_clear.show_state(counts, self._health)
            stack.setCurrentWidget(all_clear)
        else:
            stack.setCurrentWidget(self.table)
