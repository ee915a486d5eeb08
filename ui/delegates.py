"""Painters for the wall's severity pills, triage badges and SLA countdowns (item delegates)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    QSizeF,
    Qt,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.domain.incident import Incident
from app.domain.severity import Severity
from ui import theme
from ui.sla_clock import PAUSE_MARK, ClockReader, SlaLook, SlaReading, as_stored, read_sla
from ui.wall_model import BadgesRole, IncidentRole, SeverityRole, StaleRole

Clock = Callable[[], datetime]
AnyIndex = QModelIndex | QPersistentModelIndex

RESOLVED_OPACITY = 0.45
BADGE_SCALE = 0.85  # badges are read after the title, so they are a little smaller
# Spacing is in ems (the font's line height), not pixels, so a font scaled for a 4K wall
# scales the pills, chips and gaps with it. The fractions are the pixels they replaced at
# the desktop's 9 pt (a 14 px line), so an unscaled window looks as it did.
BADGE_GAP = 0.28
_TEXT_MARGIN = 4  # the style's own left margin of an item's text (a style metric: unscaled)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BARS_GAP = 0.36  # between the pause bars and the text after them
_CELL_MARGIN = 0.14  # above and below a pill or chip, inside the row
_PILL_PAD = 0.43  # a pill's height over the line height
_CHIP_PAD = 0.43  # inside an SLA chip, left of the text
_CHIPPED_WHEN_SELECTED = (SlaLook.WARNING, SlaLook.PAUSED)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _draw_cell_background(painter: QPainter, option: QStyleOptionViewItem) -> None:
    """Let the style paint the cell's selection and focus panel.

    No `initStyleOption`: it would ask the model for eight roles per cell, and the
    countdown column is repainted every second; the view already passes the state
    (selected, alternate row) in `option`, and these cells have no background role.
    """
    widget = option.widget
    style = widget.style() if widget is not None else QApplication.style()
    style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)


def severity_shape(shape: str, centre: QPointF, radius: float) -> QPainterPath:
    """The colour-blind cue of a severity: ◆ P1, ▲ P2, ● P3, ○ P4 (P4 is stroked, not filled)."""
    path = QPainterPath()
    x, y, r = centre.x(), centre.y(), radius
    if shape == "diamond":
        path.moveTo(x, y - r)
        path.lineTo(x + r, y)
        path.lineTo(x, y + r)
        path.lineTo(x - r, y)
        path.closeSubpath()
    elif shape == "triangle":
        path.moveTo(x, y - r)
        path.lineTo(x + r, y + r * 0.8)
        path.lineTo(x - r, y + r * 0.8)
        path.closeSubpath()
    else:
        path.addEllipse(centre, r * 0.85, r * 0.85)
    return path


def severity_pill_size(font: QFont, severity: Severity = Severity.P1) -> QSizeF:
    """The size of the pill `paint_severity_pill` draws in `font`, given the room."""
    metrics = QFontMetricsF(font)
    em = metrics.height()
    height = em * (1 + _PILL_PAD)
    radius = metrics.ascent() * 0.38
    bold = QFont(font)
    bold.setBold(True)  # the name is drawn bold
    text = QFontMetricsF(bold).horizontalAdvance(severity.value)
    width = radius * 2 + text + height * 0.9 + em * 0.28
    return QSizeF(width, height)


def paint_severity_pill(
    painter: QPainter,
    rect: QRectF,
    severity: Severity,
    font: QFont,
    colours: theme.Theme | None = None,
) -> None:
    """A filled pill with the severity's shape and its name (P1..P4), centred in `rect`, in
    `colours` (the widget's theme, `theme.theme_for(palette)`; None: the active theme)."""
    pill_colours = (colours or theme.current()).severity[severity]
    metrics = QFontMetricsF(font)
    margin = 2 * max(2.0, metrics.height() * _CELL_MARGIN)
    natural = severity_pill_size(font, severity)
    height = min(rect.height() - margin, natural.height())
    radius = metrics.ascent() * 0.38
    width = min(rect.width() - margin, natural.width() - natural.height() * 0.9 + height * 0.9)
    pill = QRectF(0, 0, width, height)
    pill.moveCenter(rect.center())
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(pill_colours.fill)
    painter.drawRoundedRect(pill, height / 2, height / 2)
    left = pill.left() + height * 0.45
    centre = QPointF(left + radius, pill.center().y())
    shape = theme.SEVERITY_SHAPES[severity]
    path = severity_shape(shape, centre, radius)
    if shape == "ring":
        painter.setPen(QPen(pill_colours.text, max(1.5, radius * 0.35)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
    else:
        painter.setBrush(pill_colours.text)
    painter.drawPath(path)
    painter.setPen(pill_colours.text)
    bold = QFont(font)
    bold.setBold(True)
    painter.setFont(bold)
    gap = metrics.height() * 0.2
    text_rect = QRectF(centre.x() + radius + gap, pill.top(), pill.right() - centre.x(), height)
    painter.drawText(
        text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), severity.value
    )
    painter.restore()


def badge_font(font: QFont) -> QFont:
    small = QFont(font)
    if font.pointSizeF() > 0:
        small.setPointSizeF(font.pointSizeF() * BADGE_SCALE)
    else:
        small.setPixelSize(max(8, round(font.pixelSize() * BADGE_SCALE)))
    small.setBold(True)
    return small


def paint_badges(
    painter: QPainter,
    rect: QRectF,
    badges: Sequence[str],
    font: QFont,
    colours: theme.Theme | None = None,
) -> float:
    """Filled tags ("\u27f2 flapping", "KI-12") left to right from `rect.left()`, as many as fit,
    in `colours` (None: the active theme).

    Returns where the text after them may start. Tags are square-cornered, unlike the
    round severity pills, so the two never read as the same thing.
    """
    small = badge_font(font)
    metrics = QFontMetricsF(small)
    em = metrics.height()
    height = min(rect.height() - 2 * max(2.0, em * _CELL_MARGIN), em * 1.33)
    corner, gap = em * 0.25, em * BADGE_GAP
    x = rect.left()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(small)
    centre = Qt.AlignmentFlag.AlignCenter
    for badge in badges:
        tag_colours = theme.badge_colours(badge, colours)
        width = metrics.horizontalAdvance(badge) + height * 0.8
        if x + width > rect.right():
            break
        tag = QRectF(x, rect.center().y() - height / 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tag_colours.fill)
        painter.drawRoundedRect(tag, corner, corner)
        painter.setPen(tag_colours.text)
        painter.drawText(tag, int(centre), badge)
        x += width + gap
    painter.restore()
    return x


class TitleDelegate(QStyledItemDelegate):
    """Paints the Title column: the triage badges (flapping, known issue) before the title.

    Rows without badges are painted by the base class as any other cell; the badge rows
    cost two more `data()` calls (badges and foreground), not the eight of `initStyleOption`.

    Attributes:
        (none beyond QStyledItemDelegate's)

    Signals:
        (none beyond QStyledItemDelegate's)
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        badges = index.data(BadgesRole)
        if not badges:
            super().paint(painter, option, index)
            return
        _draw_cell_background(painter, option)
        opt = option
        rect = QRectF(opt.rect).adjusted(_TEXT_MARGIN, 0, -_TEXT_MARGIN, 0)
        foreground = index.data(_FOREGROUND)
        painter.save()
        if isinstance(foreground, QBrush):  # stale or resolved: the badges step back too
            painter.setOpacity(RESOLVED_OPACITY)
        left = paint_badges(painter, rect, badges, opt.font, theme.theme_for(opt.palette))
        painter.setOpacity(1.0)
        palette: QPalette = opt.palette
        if isinstance(foreground, QBrush):
            painter.setPen(foreground.color())
        elif opt.state & QStyle.StateFlag.State_Selected:
            painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
        else:
            painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.setFont(opt.font)
        gap = QFontMetricsF(opt.font).height() * 0.14
        text_rect = QRectF(
            left + gap, rect.top(), max(0.0, rect.right() - left - gap), rect.height()
        )
        title = str(index.data() or "")
        elided = QFontMetrics(opt.font).elidedText(
            title, Qt.TextElideMode.ElideRight, int(text_rect.width())
        )
        painter.drawText(
            text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), elided
        )
        painter.restore()


class SeverityDelegate(QStyledItemDelegate):
    """Paints the Severity column as a coloured pill with a shape cue and the text P1..P4.

    Attributes:
        (none beyond QStyledItemDelegate's)

    Signals:
        (none beyond QStyledItemDelegate's)
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        # Qt hands a StrEnum back as a plain str: turn it into a Severity again
        severity = Severity.__members__.get(str(index.data(SeverityRole)))
        if severity is None:
            super().paint(painter, option, index)
            return
        _draw_cell_background(painter, option)
        opt = option
        incident = index.data(IncidentRole)
        # resolved rows step back so the eye goes to what still needs work
        faded = isinstance(incident, Incident) and not incident.state.active
        painter.save()
        if faded:
            painter.setOpacity(RESOLVED_OPACITY)
        colours = theme.theme_for(opt.palette)
        paint_severity_pill(painter, QRectF(opt.rect), severity, opt.font, colours)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:  # noqa: N802
        return severity_cell_size(option.font)


def severity_cell_size(font: QFont) -> QSize:
    """Room for a severity pill and the margins around it (a cell, the wall header's count)."""
    pill = severity_pill_size(font)
    em = QFontMetricsF(font).height()
    return QSize(round(pill.width() + em * 1.57), round(pill.height() + em * 0.43))


def sla_text_colour(look: SlaLook, palette: QPalette) -> QColor | None:
    """The text colour of an SLA look on `palette`; None for the palette's own text colour.

    Breached clocks are a filled pill (the theme's `breached` colours), not a colour here.
    """
    colours = theme.theme_for(palette)
    if look is SlaLook.WARNING:
        return colours.at_risk
    if look is SlaLook.DANGER:
        return colours.danger
    if look is SlaLook.PAUSED:
        return colours.paused
    if look in (SlaLook.RESOLVED, SlaLook.CLOSED, SlaLook.NONE):
        return colours.muted
    return None


def _pause_bar_sizes(height: float) -> tuple[float, float]:
    bar = max(2.0, height * 0.28)
    return bar, max(1.5, bar * 0.75)


def pause_bars_width(height: float) -> float:
    bar, gap = _pause_bar_sizes(height)
    return bar * 2 + gap


def paint_pause_bars(painter: QPainter, left: float, centre_y: float, height: float) -> float:
    """The pause sign (two upright bars) from `left`, in the pen's colour; returns its width.

    Drawn, not typed: the usual Linux desktop fonts have no ⏸ glyph.
    """
    bar, gap = _pause_bar_sizes(height)
    top = centre_y - height / 2
    colour = painter.pen().color()
    painter.fillRect(QRectF(left, top, bar, height), colour)
    painter.fillRect(QRectF(left + bar + gap, top, bar, height), colour)
    return bar * 2 + gap


def fitted_text(sla: SlaReading, metrics: QFontMetricsF, room: float) -> str:
    """What an SLA cell `room` pixels wide says, without the pause mark (drawn as bars).

    A narrow column (the wall's) gets the compact text: a paused clock keeps its time
    left and drops the clock's name, which the tooltip and the side panel still give.
    """
    text = sla.text
    if sla.compact is not None and metrics.horizontalAdvance(text) > room:
        text = sla.compact
    return text.removeprefix(f"{PAUSE_MARK} ") if sla.paused else text


class SlaDelegate(QStyledItemDelegate):
    """Paints the SLA column from the incident's absolute deadlines and `clock()`.

    Nothing in the model changes per second: the wall view repaints the visible cells of
    this column once a second and this delegate reads the clock again, once per cell.
    Colour is never the only cue: amber is bold, orange is bold in an outlined box,
    breached is a filled pill that says BREACHED, paused has the pause bars and says so.

    Attributes:
        clock: returns the current UTC time.
        reader: reads an incident's SLA clock (`Console.clock` in the window).

    Signals:
        (none beyond QStyledItemDelegate's)
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clock: Clock = _utc_now,
        reader: ClockReader = as_stored,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.reader = reader

    def reading(self, index: AnyIndex) -> SlaReading | None:
        incident = index.data(IncidentRole)
        if not isinstance(incident, Incident):
            return None
        return read_sla(incident, self.clock(), self.reader)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        sla = self.reading(index)
        if sla is None:
            super().paint(painter, option, index)
            return
        _draw_cell_background(painter, option)
        opt = option
        font = QFont(opt.font)
        look = sla.look
        if look in (SlaLook.WARNING, SlaLook.DANGER, SlaLook.BREACHED):
            font.setBold(True)
        metrics = QFontMetricsF(font)
        em = metrics.height()
        rect = QRectF(opt.rect).adjusted(em * 0.28, em * 0.14, -em * 0.28, -em * 0.14)
        bars = metrics.ascent() * 0.7
        bars_width = pause_bars_width(bars) + em * _BARS_GAP if sla.paused else 0.0
        pad = em * _CHIP_PAD
        text = fitted_text(sla, metrics, rect.width() - bars_width - 2 * pad)  # room on a pill
        content = bars_width + metrics.horizontalAdvance(text)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        x = rect.left()
        # amber, orange and blue-grey do not read on the selection's blue: on a selected
        # row they sit on a chip of the view's base colour
        chip = look is SlaLook.DANGER or (selected and look in _CHIPPED_WHEN_SELECTED)
        if look is SlaLook.BREACHED or chip:
            box = QRectF(
                rect.left(), rect.top(), min(rect.width(), content + 2 * pad), rect.height()
            )
            line = max(1.5, em * 0.1)
            if look is SlaLook.BREACHED:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(theme.theme_for(opt.palette).breached.fill)
            else:
                outline = look is SlaLook.DANGER
                pen = QPen(theme.danger_colour(opt.palette), line) if outline else Qt.PenStyle.NoPen
                painter.setPen(pen)
                painter.setBrush(opt.palette.color(QPalette.ColorRole.Base))
            inset, corner = line / 2, em * 0.28
            painter.drawRoundedRect(box.adjusted(inset, inset, -inset, -inset), corner, corner)
            x += pad
        painter.setPen(self._text_colour(sla, opt, index))
        if sla.paused:
            x += paint_pause_bars(painter, x, rect.center().y(), bars) + em * _BARS_GAP
        painter.setFont(font)
        text_rect = QRectF(x, rect.top(), max(0.0, rect.right() - x), rect.height())
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, text_rect.width())
        align = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(text_rect, align, elided)
        painter.restore()

    @staticmethod
    def _text_colour(sla: SlaReading, option: QStyleOptionViewItem, index: AnyIndex) -> QColor:
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if sla.look is SlaLook.BREACHED:
            return theme.theme_for(palette).breached.text
        colour = sla_text_colour(sla.look, palette)
        if colour is not None:
            return colour
        if sla.look is SlaLook.OK and index.data(StaleRole):
            return theme.theme_for(palette).muted
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        return palette.color(role)

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:  # noqa: N802
        metrics = QFontMetricsF(option.font)
        em = metrics.height()
        # wide enough for a breach and for a paused clock's compact text; the full paused
        # text ("... response 12:04 left") shows where the column is wider
        widest = max(
            metrics.horizontalAdvance("BREACHED \u22120:00:00") + em * 1.7,
            metrics.horizontalAdvance(f"{PAUSE_MARK} paused \u00b7 0:00:00 left") + em * 1.43,
        )
        return QSize(round(widest), round(em * 1.57))
