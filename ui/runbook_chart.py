"""A runbook query step's chart: the series around the incident's start, its threshold, its query.

pyqtgraph is imported when the first chart is drawn, not with the window: it costs about
0.5-0.8 s of startup (PERF.md 1.6) and most incidents never open a chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontDatabase, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.console import ChartData
from ui import theme
from ui.local_time import hm

MAX_SERIES = 8  # more lines than this are unreadable in a side panel; the rest are named
CHART_HEIGHT = 190
# line colours that stay readable on both a dark and a light plot background
_DARK_LINES = (
    "#8ab4f8",
    "#81c995",
    "#fdd663",
    "#f28b82",
    "#c58af9",
    "#78d9ec",
    "#fcad70",
    "#ff8bcb",
)
_LIGHT_LINES = (
    "#1a73e8",
    "#188038",
    "#b06000",
    "#d93025",
    "#9334e6",
    "#007b83",
    "#e8710a",
    "#c5221f",
)


def _pyqtgraph() -> Any:
    import pyqtgraph  # type: ignore[import-untyped]  # noqa: PLC0415 - lazily: see the module docstring

    return pyqtgraph


def series_name(labels: Mapping[str, str]) -> str:
    """A legend entry: `service=acme-db, instance=db-1` (the metric name first, if any)."""
    name = labels.get("__name__", "")
    rest = ", ".join(f"{k}={v}" for k, v in labels.items() if k != "__name__")
    if name and rest:
        return f"{name}{{{rest}}}"
    return name or rest or "value"


class RunbookChart(QWidget):
    """One query step's chart, or the reason it could not load, with the query under it.

    Attributes:
        plot: the pyqtgraph PlotWidget (None until the first data with series arrives).
        error_label: the error text shown in the plot's place.
        query_label: the query as sent, in small monospace.
        data: the ChartData shown (None before any).

    Signals:
        (none)
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot: Any = None
        self.data: ChartData | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 2, 0, 2)
        self._layout.setSpacing(2)
        self.status_label = QLabel("loading the chart\u2026")
        self.status_label.setWordWrap(True)
        self._layout.addWidget(self.status_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setMinimumHeight(40)
        self.error_label.setVisible(False)
        self._layout.addWidget(self.error_label)
        self._plot_slot = self._layout.count()
        self.query_label = QLabel()
        self.query_label.setWordWrap(True)
        self.query_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.query_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.85))
        self.query_label.setFont(mono)
        self.query_label.setVisible(False)
        self._layout.addWidget(self.query_label)

    # ------------------------------------------------------------------ showing

    def set_loading(self) -> None:
        self.status_label.setText("loading the chart\u2026")
        self.status_label.setVisible(True)

    def set_failed(self, message: str) -> None:
        """The chart call itself raised (the console's chart normally answers with `error`)."""
        self.status_label.setVisible(False)
        self._show_error(message)

    def set_data(self, data: ChartData) -> None:
        self.data = data
        self.status_label.setVisible(False)
        self.query_label.setText(data.query)
        self.query_label.setToolTip(data.query)
        self.query_label.setVisible(bool(data.query))
        if data.error is not None:
            self._show_error(f"No chart: {data.error}")
            return
        if not data.series:
            self._show_error("No data: the query returned no series for this window.")
            return
        self.error_label.setVisible(False)
        self._draw(data)

    def _show_error(self, text: str) -> None:
        colour = theme.error_colour(self.palette()).name()
        self.error_label.setStyleSheet(f"color: {colour};")
        self.error_label.setText(text)
        self.error_label.setVisible(True)
        if self.plot is not None:
            self.plot.setVisible(False)

    # ------------------------------------------------------------------ drawing

    def _colours(self) -> tuple[QColor, QColor, tuple[str, ...]]:
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        foreground = palette.color(QPalette.ColorRole.Text)
        lines = _DARK_LINES if theme.is_dark(palette) else _LIGHT_LINES
        return background, foreground, lines

    def _make_plot(self) -> Any:
        pg = _pyqtgraph()
        background, foreground, _lines = self._colours()
        axis = pg.DateAxisItem(orientation="bottom")  # local time, as everything shown
        plot = pg.PlotWidget(background=background, axisItems={"bottom": axis})
        plot.setMinimumHeight(CHART_HEIGHT)
        plot.setMaximumHeight(CHART_HEIGHT + 60)
        plot.setMenuEnabled(False)
        plot.showGrid(x=True, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            item = plot.getAxis(name)
            item.setPen(pg.mkPen(foreground))
            item.setTextPen(pg.mkPen(foreground))
        self._hover = pg.TextItem(color=foreground, anchor=(0, 1))
        self._hover.setZValue(20)
        plot.scene().sigMouseMoved.connect(self._hovered)
        self._layout.insertWidget(self._plot_slot, plot)
        return plot

    def _draw(self, data: ChartData) -> None:
        pg = _pyqtgraph()
        if self.plot is None:
            self.plot = self._make_plot()
        plot = self.plot
        plot.setVisible(True)
        plot.clear()  # also removes the legend's items and the hover text
        _background, foreground, lines = self._colours()
        legend = plot.plotItem.legend
        if legend is not None:
            legend.clear()
            legend.setVisible(False)
        shown = data.series[:MAX_SERIES]
        if len(shown) > 1:
            if legend is None:
                legend = plot.addLegend(offset=(6, 6), labelTextColor=foreground)
            legend.setVisible(True)
        for index, series in enumerate(shown):
            xs = [at.timestamp() for at, _value in series.points]
            ys = [value for _at, value in series.points]
            pen = pg.mkPen(lines[index % len(lines)], width=1)
            curve = plot.plot(xs, ys, pen=pen, name=series_name(series.labels))
            curve.setClipToView(True)  # after adding: PERF.md 1.4
            curve.setDownsampling(auto=True, method="peak")
        muted = theme.theme_for(self.palette()).muted
        marker = pg.InfiniteLine(
            pos=data.marker.timestamp(),
            angle=90,
            pen=pg.mkPen(muted, width=1, style=Qt.PenStyle.DashLine),
            label="start",
            labelOpts={"position": 0.92, "color": muted},
        )
        plot.addItem(marker, ignoreBounds=True)
        if data.threshold is not None:
            threshold = pg.InfiniteLine(
                pos=data.threshold,
                angle=0,
                pen=pg.mkPen(
                    theme.error_colour(self.palette()), width=1, style=Qt.PenStyle.DashLine
                ),
            )
            plot.addItem(threshold)
        plot.setLabel("left", data.unit or "value", color=foreground.name())
        plot.setXRange(data.start.timestamp(), data.end.timestamp(), padding=0.02)
        plot.enableAutoRange(axis="y")
        plot.addItem(self._hover, ignoreBounds=True)
        self._hover.setText("")
        if len(data.series) > MAX_SERIES:
            more = len(data.series) - MAX_SERIES
            self.status_label.setText(f"{more} more series not drawn (first {MAX_SERIES} shown)")
            self.status_label.setVisible(True)

    def _hovered(self, position: Any) -> None:
        """The nearest point of the first series under the pointer: '10:32  97.1 %'."""
        plot, data = self.plot, self.data
        if plot is None or data is None or not data.series:
            return
        view = plot.plotItem.vb
        if not view.sceneBoundingRect().contains(position):
            return
        point = view.mapSceneToView(position)
        points = data.series[0].points
        if not points:
            return
        x = point.x()
        at, value = min(points, key=lambda p: abs(p[0].timestamp() - x))
        self._hover.setText(f"{hover_words(at, value, data.unit)}")
        self._hover.setPos(at.timestamp(), value)


def hover_words(at: datetime, value: float, unit: str) -> str:
    """'10:32  97.1 % of max_connections' (local time)."""
    shown = f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return f"{hm(at)}  {shown} {unit}".rstrip()
