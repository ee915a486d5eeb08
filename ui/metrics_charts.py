"""The metrics view's pyqtgraph charts: figures over time (lines or stacked bars) and by group (bars).

Each chart is a `pg.PlotWidget` built once and redrawn with `setData` / `setOpts` when a
new report arrives (PERF.md 1.4); hovering shows a crosshair on the nearest bucket (or
group) and a label with its values. Time charts put each bucket at its middle on a
`DateAxisItem`; a figure with nothing to count (None) is a gap in its line, not a zero.
Import PySide6 before pyqtgraph (STYLE.md 13): this module is imported only when the
metrics view opens, so the window's startup does not pay for pyqtgraph.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QPalette, QResizeEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.domain.severity import Severity
from ui import theme

CHART_HEIGHT = 200
WALL_CHART_HEIGHT = 120
# median, p90, mean (and a second line on the noise chart): readable on both backgrounds
_DARK_LINES = ("#8ab4f8", "#f28b82", "#81c995", "#fdd663")
_LIGHT_LINES = ("#1a73e8", "#d93025", "#188038", "#b06000")
# duration units: the largest value of a chart picks one (seconds, minutes, hours, days)
_UNITS = ((2 * 86400, 86400.0, "days"), (2 * 3600, 3600.0, "h"), (120, 60.0, "min"))


def duration_unit(values: Sequence[float | None]) -> tuple[float, str]:
    """(divisor, unit name) that keeps the largest of `values` readable."""
    largest = max((v for v in values if v is not None), default=0.0)
    for threshold, divisor, name in _UNITS:
        if largest >= threshold:
            return divisor, name
    return 1.0, "s"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "\u2013"
    shown = f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"
    return f"{shown} {unit}".rstrip() if unit != "%" else f"{shown} %"


def bucket_words(start: datetime, end: datetime) -> str:
    """'Mon 2 Nov' for a day, '2 Nov \u2013 8 Nov' for a longer bucket (UTC, as the buckets)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if (end - start).total_seconds() <= 86400:
        return f"{start:%a} {start.day} {start:%b %Y}"
    last = datetime.fromtimestamp(end.timestamp() - 1, UTC)
    return f"{start.day} {start:%b} \u2013 {last.day} {last:%b %Y}"


@dataclass(frozen=True, slots=True)
class Line:
    """One named line of a time chart: a value per bucket, None where nothing counted."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Buckets:
    """The time axis: each bucket's start and end."""

    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]

    def middles(self) -> list[float]:
        return [
            (s.timestamp() + e.timestamp()) / 2 for s, e in zip(self.starts, self.ends, strict=True)
        ]

    def widths(self) -> list[float]:
        return [e.timestamp() - s.timestamp() for s, e in zip(self.starts, self.ends, strict=True)]


def _nan(values: Sequence[float | None], divisor: float = 1.0) -> list[float]:
    return [math.nan if v is None else v / divisor for v in values]


class _Chart(QWidget):
    """A titled PlotWidget with a hover crosshair and label.

    Attributes:
        plot: the pyqtgraph PlotWidget.
        hover_text: what the hover label shows now ("" when the pointer is elsewhere).

    Signals:
        (none)
    """

    def __init__(self, title: str, *, dates: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self._title_size = "10pt"
        self._text_font: QFont | None = None  # the wall's, for labels drawn later
        palette = self.palette()
        self._foreground = palette.color(QPalette.ColorRole.Text)
        self._lines = _DARK_LINES if theme.is_dark(palette) else _LIGHT_LINES
        axes = {"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)} if dates else {}
        self.plot = pg.PlotWidget(background=palette.color(QPalette.ColorRole.Base), axisItems=axes)
        self.plot.setMinimumHeight(CHART_HEIGHT)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)  # a report, not an explorer
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.plot.setTitle(title, color=self._foreground.name(), size=self._title_size)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(self._foreground))
            axis.setTextPen(pg.mkPen(self._foreground))
        muted = theme.theme_for(palette).muted
        self._cross = pg.InfiniteLine(angle=90, pen=pg.mkPen(muted, style=Qt.PenStyle.DashLine))
        self._cross.setVisible(False)
        self.plot.addItem(self._cross, ignoreBounds=True)
        self._label = pg.TextItem(
            color=self._foreground,
            anchor=(0, 0),
            fill=pg.mkBrush(palette.color(QPalette.ColorRole.Base)),
        )
        self._label.setZValue(30)
        self._label.setVisible(False)
        self.plot.addItem(self._label, ignoreBounds=True)
        self.hover_text = ""
        self.plot.scene().sigMouseMoved.connect(self._hovered)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def enlarge(self, font: QFont) -> None:
        """Read from across the room (the wall's metrics page): title, ticks and legend in
        `font`'s size."""
        points = f"{font.pointSizeF():.0f}pt"
        self._text_font = font
        self._title_size = points
        self.set_title(self.title)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setStyle(tickFont=font)
            axis.label.setFont(font)
        # the bottom axis keeps its height for the desktop's font: room for the wall's
        self.plot.getAxis("bottom").setHeight(QFontMetrics(font).height() + 12)
        # a wall never scrolls: three rows of charts fit a 1280x720 screen in the large type
        self.plot.setMinimumHeight(WALL_CHART_HEIGHT)
        legend = self.plot.plotItem.legend
        if legend is not None:
            legend.setLabelTextSize(points)
            for _sample, label in legend.items:
                label.setText(label.text)  # setLabelTextSize only records the size
        self._label.setFont(font)

    def set_title(self, title: str) -> None:
        self.title = title
        self.plot.setTitle(title, color=self._foreground.name(), size=self._title_size)

    def _legend(self, columns: int) -> pg.LegendItem:
        legend = self.plot.addLegend(
            offset=(4, 2), labelTextColor=self._foreground, colCount=columns, verSpacing=-6
        )
        legend.setBrush(pg.mkBrush(self.palette().color(QPalette.ColorRole.Base)))
        return legend

    # hover: the subclass says which x positions there are and what each one reads
    def _positions(self) -> list[float]:
        return []

    def _words(self, index: int) -> str:
        return ""

    def hover_at(self, x: float) -> str:
        """Point the crosshair at the position nearest `x`; returns the label's text."""
        positions = self._positions()
        if not positions:
            self._clear_hover()
            return ""
        index = min(range(len(positions)), key=lambda i: abs(positions[i] - x))
        self.hover_text = self._words(index)
        self._cross.setPos(positions[index])
        self._cross.setVisible(True)
        view = self.plot.plotItem.vb
        (x_low, x_high), (_y_low, y_high) = view.viewRange()
        # the label sits at the top, on the side of the crosshair with more room
        left_half = positions[index] < (x_low + x_high) / 2
        self._label.setAnchor((0, 0) if left_half else (1, 0))
        self._label.setText(self.hover_text)
        self._label.setPos(positions[index], y_high)
        self._label.setVisible(True)
        return self.hover_text

    def _clear_hover(self) -> None:
        self.hover_text = ""
        self._cross.setVisible(False)
        self._label.setVisible(False)

    def _hovered(self, position: object) -> None:
        view = self.plot.plotItem.vb
        if not view.sceneBoundingRect().contains(position):
            self._clear_hover()
            return
        self.hover_at(view.mapSceneToView(position).x())


class TimeLinesChart(_Chart):
    """Lines over the buckets (MTTD/MTTA/MTTR median, p90 and mean; shares in percent).

    Attributes:
        unit: the unit the values are drawn in ("min", "%", ...).
    """

    def __init__(
        self,
        title: str,
        names: Sequence[str],
        *,
        durations: bool,
        unit: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, dates=True, parent=parent)
        self._durations = durations
        self.unit = unit
        self._buckets = Buckets((), ())
        self._series: list[Line] = []
        self._divisor = 1.0
        self._legend(len(names))
        muted = theme.theme_for(self.palette()).muted
        self._nothing = pg.TextItem(
            "nothing to count in this period", color=muted, anchor=(0.5, 0.5)
        )
        self._nothing.setVisible(False)
        self.plot.addItem(self._nothing, ignoreBounds=True)
        self._curves = []
        for index, name in enumerate(names):
            pen = pg.mkPen(self._lines[index % len(self._lines)], width=2 if index == 0 else 1)
            curve = pg.PlotDataItem([], [], pen=pen, connect="finite", name=name)
            curve.setSymbol("o")
            curve.setSymbolSize(4)
            curve.setSymbolPen(pen)
            curve.setSymbolBrush(pg.mkBrush(self._lines[index % len(self._lines)]))
            self.plot.addItem(curve)  # named: the legend lists it
            curve.setClipToView(True)  # after adding: PERF.md 1.4
            curve.setDownsampling(auto=True, method="peak")
            self._curves.append(curve)

    def set_lines(self, buckets: Buckets, lines: Sequence[Line]) -> None:
        self._buckets, self._series = buckets, list(lines)
        if self._durations:
            self._divisor, self.unit = duration_unit([v for line in lines for v in line.values])
        self.plot.setLabel("left", self.unit, color=self._foreground.name())
        xs = buckets.middles()
        for curve, line in zip(self._curves, lines, strict=False):
            ys = _nan(line.values, self._divisor)
            if any(not math.isnan(y) for y in ys):
                curve.setData(xs, ys, connect="finite")
            else:
                curve.setData([], [])
        _fit_time(self.plot, buckets)
        values = [v / self._divisor for line in lines for v in line.values if v is not None]
        self._nothing.setVisible(not values)
        if buckets.starts:
            self._nothing.setPos(
                (buckets.starts[0].timestamp() + buckets.ends[-1].timestamp()) / 2, 0.5
            )
        self.plot.setYRange(
            0, max(values, default=1.0) * 1.35 or 1.0, padding=0
        )  # room for the legend
        self._clear_hover()

    def _positions(self) -> list[float]:
        return self._buckets.middles()

    def _words(self, index: int) -> str:
        when = bucket_words(self._buckets.starts[index], self._buckets.ends[index])
        parts = [
            f"{line.name} {format_value(_scaled(line.values[index], self._divisor), self.unit)}"
            for line in self._series
        ]
        return "\n".join([when, *parts])


def _scaled(value: float | None, divisor: float) -> float | None:
    return None if value is None else value / divisor


def _fit_time(plot: pg.PlotWidget, buckets: Buckets) -> None:
    """The buckets' span, with half a bucket of room each side (one bucket stays readable:
    the date axis then has ticks either side of it)."""
    if buckets.starts:
        low, high = buckets.starts[0].timestamp(), buckets.ends[-1].timestamp()
        room = max(buckets.widths()) / 2
        plot.setXRange(low - room, high + room, padding=0)


class SeverityBarsChart(_Chart):
    """Incidents per bucket, stacked by severity in the theme's severity colours."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, dates=True, parent=parent)
        self._buckets = Buckets((), ())
        self._counts: dict[Severity, list[int]] = {}
        legend = self._legend(len(Severity))
        colours = theme.theme_for(self.palette()).severity
        self._bars: dict[Severity, pg.BarGraphItem] = {}
        for severity in Severity:
            fill = colours[severity].fill
            bars = pg.BarGraphItem(
                x=[], height=[], width=1.0, brush=pg.mkBrush(fill), pen=pg.mkPen(fill.darker(130))
            )
            self.plot.addItem(bars)
            legend.addItem(bars, severity.value)
            self._bars[severity] = bars
        self.plot.setLabel("left", "incidents", color=self._foreground.name())

    def set_counts(self, buckets: Buckets, counts: dict[Severity, list[int]]) -> None:
        self._buckets, self._counts = buckets, counts
        xs, widths = buckets.middles(), [w * 0.8 for w in buckets.widths()]
        below = [0] * len(xs)
        for severity, bars in self._bars.items():
            heights = counts.get(severity, [0] * len(xs))
            bars.setOpts(x=xs, height=heights, y0=list(below), width=widths)
            below = [b + h for b, h in zip(below, heights, strict=True)]
        _fit_time(self.plot, buckets)
        highest = max(below, default=0)
        self.plot.setYRange(0, max(highest * 1.35, 1.0), padding=0)
        step = count_step(highest)  # whole incidents on the axis: no "0.5 incidents"
        self.plot.getAxis("left").setTickSpacing(major=step, minor=step)
        self._clear_hover()

    def _positions(self) -> list[float]:
        return self._buckets.middles()

    def _words(self, index: int) -> str:
        when = bucket_words(self._buckets.starts[index], self._buckets.ends[index])
        parts = [f"{s.value} {self._counts.get(s, [0] * (index + 1))[index]}" for s in Severity]
        return f"{when}\n" + "  ".join(parts)


def count_step(highest: int, ticks: int = 5) -> int:
    """The spacing of a count axis up to `highest`: a whole 1, 2 or 5 times a power of
    ten, the smallest that gives at most `ticks` ticks."""
    power = 1
    while True:
        for multiple in (1, 2, 5):
            if highest <= ticks * multiple * power:
                return multiple * power
        power *= 10


@dataclass(frozen=True, slots=True)
class GroupBar:
    """One group of the compliance chart: its name and response and resolution shares."""

    name: str
    response: float | None
    resolve: float | None
    note: str = ""  # e.g. "3/4 · 1/2": the counts behind the shares


class ComplianceChart(_Chart):
    """SLA compliance per group (customer or severity): response and resolution bars apart."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, dates=False, parent=parent)
        self._groups: list[GroupBar] = []
        self._values: list[pg.TextItem] = []  # each bar's share above it ("n/a": none counted)
        legend = self._legend(2)
        self._response = pg.BarGraphItem(
            x=[], height=[], width=0.38, brush=pg.mkBrush(self._lines[0]), pen=pg.mkPen(None)
        )
        self._resolve = pg.BarGraphItem(
            x=[], height=[], width=0.38, brush=pg.mkBrush(self._lines[2]), pen=pg.mkPen(None)
        )
        for bars, name in ((self._response, "response"), (self._resolve, "resolution")):
            self.plot.addItem(bars)
            legend.addItem(bars, name)
        self.plot.setLabel("left", "% met", color=self._foreground.name())

    def set_groups(self, groups: Sequence[GroupBar]) -> None:
        self._groups = list(groups)
        xs = list(range(len(groups)))
        self._response.setOpts(
            x=[x - 0.2 for x in xs], height=[g.response or 0.0 for g in groups], width=0.38
        )
        self._resolve.setOpts(
            x=[x + 0.2 for x in xs], height=[g.resolve or 0.0 for g in groups], width=0.38
        )
        for label in self._values:
            self.plot.removeItem(label)
        self._values = []
        for x, group in zip(xs, groups, strict=True):
            for offset, share in ((-0.2, group.response), (0.2, group.resolve)):
                words = "n/a" if share is None else f"{share:.0f}%"
                label = pg.TextItem(words, color=self._foreground, anchor=(0.5, 1))
                if self._text_font is not None:  # a bit smaller: two share a group's width
                    small = QFont(self._text_font)
                    small.setPointSizeF(small.pointSizeF() * 0.8)
                    label.setFont(small)
                label.setPos(x + offset, share or 0.0)
                self.plot.addItem(label, ignoreBounds=True)
                self._values.append(label)
        self._label_groups()
        self.plot.setXRange(-0.6, max(len(groups) - 0.4, 0.6), padding=0)
        self.plot.setYRange(0, 150, padding=0)  # room above 100 % for the labels and legend
        self.plot.getAxis("left").setTicks([[(v, str(v)) for v in range(0, 101, 25)], []])
        self._clear_hover()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._label_groups()

    def _label_groups(self) -> None:
        """Name each group under its bars, shortened to the room a group has at this width
        (the whole name is in the hover)."""
        axis = self.plot.getAxis("bottom")
        font = self._text_font or axis.font()
        view = self.plot.getViewBox()
        width = view.width() if view.width() > 0 else self.plot.width()
        room = width / max(len(self._groups), 1)
        letters = max(3, int(room / max(QFontMetrics(font).averageCharWidth(), 1)) - 2)
        axis.setTicks([[(x, _shorten(g.name, letters)) for x, g in enumerate(self._groups)], []])

    def _positions(self) -> list[float]:
        return [float(x) for x in range(len(self._groups))]

    def _words(self, index: int) -> str:
        group = self._groups[index]
        words = (
            f"{group.name}\nresponse {format_value(group.response, '%')}"
            f"\nresolution {format_value(group.resolve, '%')}"
        )
        return f"{words}\n{group.note}" if group.note else words


def _shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` letters, cut in the middle: names that share a start
    ("customer-eu-…") keep the ends that tell them apart."""
    if len(text) <= limit:
        return text
    tail = (limit - 1) // 2
    return text[: limit - 1 - tail] + "\u2026" + (text[-tail:] if tail else "")
