"""Wall mode's header (counts per severity, SLA at risk, breached, suppressed, source lamps)
and "All clear"."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpacerItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.health import SourceHealth, SourceStatus
from app.domain.incident import Incident, IncidentState
from app.domain.severity import Severity
from ui import theme
from ui.delegates import paint_severity_pill, severity_cell_size
from ui.sla_clock import ClockReader, SlaLook, SlaLooks, Upcoming, as_stored, read_sla
from ui.status_bar import STATUS_WORDS, SourceLamps
from ui.suppressed import count_text

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class WallCounts:
    """What the wall's header counts, at one moment.

    Attributes:
        by_severity: active incidents per severity.
        at_risk: active incidents past the first at-risk mark of their running SLA clock
            (50 % of the target by default), not breached and not paused.
        danger: those of `at_risk` past the second mark (75 % by default).
        breached: active incidents past their SLA deadline, paused ones included (a
            clock paused after its deadline stays breached).
        active: incidents someone still has to work on.
        resolved: resolved incidents still in their watch window.
    """

    by_severity: dict[Severity, int] = field(default_factory=lambda: dict.fromkeys(Severity, 0))
    at_risk: int = 0
    danger: int = 0
    breached: int = 0
    active: int = 0
    resolved: int = 0


def wall_counts(
    incidents: Iterable[Incident],
    now: datetime,
    reader: ClockReader = as_stored,
    looks: SlaLooks | None = None,
) -> WallCounts:
    """The header's counts at `now`, from the same readings the SLA cells paint (through
    `looks`, when given: only the clocks that can have changed are read)."""
    counts = WallCounts()
    active: list[Incident] = []
    for incident in incidents:
        if incident.state is IncidentState.RESOLVED:
            counts.resolved += 1
        elif incident.state.active:
            active.append(incident)
    if looks is not None:
        seen = looks.looks(active, now)
    else:
        seen = [read_sla(incident, now, reader).look for incident in active]
    for incident, look in zip(active, seen, strict=True):
        counts.active += 1
        counts.by_severity[incident.severity] += 1
        if look is SlaLook.BREACHED:
            counts.breached += 1
        elif look in (SlaLook.WARNING, SlaLook.DANGER):
            counts.at_risk += 1
            counts.danger += look is SlaLook.DANGER
    return counts


class _SeverityCount(QWidget):
    """A severity pill followed by a count."""

    def __init__(self, severity: Severity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.severity = severity
        self.count = 0
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_count(self, count: int) -> None:
        if count != self.count:
            self.count = count
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = QFontMetricsF(self.font())
        pill = severity_cell_size(self.font())
        count = metrics.horizontalAdvance("0000") + metrics.height() * 0.57
        return QSize(pill.width() + round(count), pill.height() + round(metrics.height() * 0.43))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        pill_width = severity_cell_size(self.font()).width()
        rect = QRectF(0, 0, pill_width, self.height())
        colours = theme.theme_for(self.palette())
        paint_severity_pill(painter, rect, self.severity, self.font(), colours)
        font = self.font()
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(self.palette().color(self.foregroundRole()))
        gap = QFontMetricsF(font).height() * 0.28
        rect = QRectF(pill_width + gap, 0, self.width() - pill_width - gap, self.height())
        align = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(rect, align, str(self.count))
        painter.end()


class WallHeader(QWidget):
    """Counts per severity, SLA at risk and breached, and the source lamps, in large type.

    Attributes:
        clock: returns the current UTC time.
        reader: reads an incident's SLA clock (`Console.clock` in the window).
        looks: the SLA looks remembered between ticks (given `upcoming`, the console's
            `next_clock_change`), or None: every clock is read on every tick.
        counts: the latest WallCounts.
        severity_counts: severity -> its pill-and-count widget.
        at_risk_label, breached_label: the SLA counts.
        suppressed_label: "3 suppressed": firing alerts held out of every incident.
        sources: the SourceLamps row.

    Signals:
        (none)
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Clock = _utc_now,
        reader: ClockReader = as_stored,
        upcoming: Upcoming | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.reader = reader
        # with `upcoming` (the console's next_clock_change), a tick reads only the clocks
        # that can have changed; without, every clock, every second
        self.looks = SlaLooks(reader, upcoming) if upcoming is not None else None
        self.counts = WallCounts()
        self._shown: WallCounts | None = None  # the counts the labels say
        layout = QHBoxLayout(self)
        self._layout = layout
        self.severity_counts = {severity: _SeverityCount(severity) for severity in Severity}
        for widget in self.severity_counts.values():
            layout.addWidget(widget)
        self._gap = QSpacerItem(0, 0)  # between the severities and the SLA counts
        layout.addSpacerItem(self._gap)
        self.at_risk_label = QLabel()
        self.breached_label = QLabel()
        layout.addWidget(self.at_risk_label)
        layout.addWidget(self.breached_label)
        self.suppressed_label = QLabel()
        # the first to give way in a narrow window: counts of what needs work come first
        self.suppressed_label.setMinimumWidth(1)
        layout.addWidget(self.suppressed_label)
        self._suppressed: int | None = None
        self.set_suppressed(None)
        layout.addStretch(1)
        self.sources = SourceLamps(self, clock=clock, show_age=False)
        layout.addWidget(self.sources)
        self._fit_spacing()

    def _fit_spacing(self) -> None:
        """Margins and gaps in ems of the header's font: they grow with a scaled wall font."""
        em = QFontMetricsF(self.font()).height()
        side, top = round(em * 0.34), round(em * 0.22)
        self._layout.setContentsMargins(side, top, side, top)
        self._layout.setSpacing(round(em * 0.5))
        self._gap.changeSize(round(em * 0.67), 0)
        self._layout.invalidate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_spacing()
        elif event.type() == QEvent.Type.PaletteChange:  # a new theme: re-colour the counts
            self.update_counts_look()
            self.set_suppressed(self._suppressed)

    def update_counts(self, incidents: Iterable[Incident]) -> WallCounts:
        counts = wall_counts(incidents, self.clock(), self.reader, self.looks)
        self.counts = counts
        if counts == self._shown:
            return counts  # most ticks: no text, style sheet or repaint to redo
        self._shown = counts
        for severity, widget in self.severity_counts.items():
            widget.set_count(counts.by_severity[severity])
        self.at_risk_label.setText(f"SLA at risk {counts.at_risk}")
        self.breached_label.setText(f"breached {counts.breached}")
        self.update_counts_look()
        return counts

    def update_counts_look(self) -> None:
        """Colour the SLA counts for `counts` in the active theme."""
        counts = self.counts
        palette = self.palette()
        # orange once one of them is past the second mark, as its cell is
        colour = theme.danger_colour if counts.danger else theme.at_risk_colour
        risk = colour(palette).name() if counts.at_risk else ""
        self.at_risk_label.setStyleSheet(f"color: {risk}; font-weight: bold;" if risk else "")
        pill = theme.theme_for(palette).breached
        em = QFontMetricsF(self.font()).height()
        self.breached_label.setStyleSheet(
            f"color: {pill.text.name()}; background: {pill.fill.name()};"
            f" border-radius: {round(em * 0.12)}px; padding: 0 {round(em * 0.17)}px;"
            " font-weight: bold;"
            if counts.breached
            else ""
        )

    def set_suppressed(self, count: int | None) -> None:
        self._suppressed = count
        label = self.suppressed_label
        label.setText(count_text(count))
        # a palette, not a style sheet: a style sheet on the label would drop the wall's font
        palette = QPalette()
        if not count:
            palette.setColor(QPalette.ColorRole.WindowText, theme.theme_for(self.palette()).muted)
        label.setPalette(palette)

    def set_source_health(self, health: Sequence[SourceHealth]) -> None:
        self.sources.set_source_health(health)


class AllClear(QWidget):
    """The big message of a quiet wall: "All clear", or why the wall cannot say so.

    Attributes:
        headline, detail: the two lines shown.

    Signals:
        (none)
    """

    def __init__(self, parent: QWidget | None = None, *, font_scale: float | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.headline = QLabel("All clear")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.headline.setFont(theme.wall_font(4.0, bold=True, font_scale=font_scale))
        self.detail = QLabel()
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.detail.setFont(theme.wall_font(1.6, font_scale=font_scale))
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addStretch(1)

    def show_state(self, counts: WallCounts, health: Sequence[SourceHealth]) -> None:
        """All clear only when nothing is active and every source answered completely."""
        blind = [h for h in health if h.status is not SourceStatus.OK]
        ok_colour = theme.theme_for(self.palette()).lamps[SourceStatus.OK].name()
        if not blind:
            self.headline.setText("All clear")
            self.headline.setStyleSheet(f"color: {ok_colour};")
            resolved = counts.resolved
            self.detail.setText(
                f"no open incidents \u00b7 {resolved} resolved in the watch window"
                if resolved
                else "no open incidents"
            )
            return
        self.headline.setText("No incidents seen")
        self.headline.setStyleSheet(f"color: {theme.at_risk_colour(self.palette()).name()};")
        names = ", ".join(f"{h.name} ({STATUS_WORDS[h.status]})" for h in blind)
        self.detail.setText(f"but not every source is answering: {names}")

    @staticmethod
    def applies(counts: WallCounts, health: Sequence[SourceHealth]) -> bool:
        """Whether the wall should show this instead of an (empty) table."""
        return counts.active == 0 and bool(health)
