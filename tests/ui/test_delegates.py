"""Severity pills and SLA countdowns (at risk, breached, paused), painted into images at chosen
moments."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from app.domain.incident import FLAPPING, KNOWN_ISSUE, IncidentState
from app.domain.severity import Severity
from tests.helpers.ui_incidents import incident
from ui import theme
from ui.delegates import SeverityDelegate, SlaDelegate, TitleDelegate, fitted_text
from ui.sla_clock import PAUSE_MARK, SlaLook, read_sla
from ui.wall_model import Column, IncidentTableModel

CELL = QRect(0, 0, 220, 28)


def paint(delegate, model: IncidentTableModel, column: int) -> QImage:
    image = QImage(CELL.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    option = QStyleOptionViewItem()
    option.rect = CELL
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(0, column))
    painter.end()
    return image


def colours(image: QImage) -> set[str]:
    return {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    }


def near(found: set[str], wanted: QColor, tolerance: int = 24) -> bool:
    def close(name: str) -> bool:
        colour = QColor(name)
        return (
            abs(colour.red() - wanted.red())
            + abs(colour.green() - wanted.green())
            + abs(colour.blue() - wanted.blue())
            <= tolerance
        )

    return any(close(name) for name in found)


# the cells are painted on the default (light) palette, in the default (light) theme
LIGHT = theme.load_theme("light")
# the at-risk marks (50 %, 75 %) with their colour; breached and paused are told apart below
LOOK_COLOURS = {
    SlaLook.WARNING: LIGHT.at_risk,
    SlaLook.DANGER: LIGHT.danger,
    SlaLook.BREACHED: LIGHT.breached.fill,
    SlaLook.PAUSED: LIGHT.paused,
}


def assert_only_colour_of(found: set[str], look: SlaLook) -> None:
    """The cell carries its look's colour and none of the other looks' colours."""
    for other, colour in LOOK_COLOURS.items():
        tolerance = 24 if other is SlaLook.BREACHED else 40
        assert near(found, colour, tolerance) is (other is look), other


@pytest.mark.parametrize(
    ("offset", "expected_text", "look"),
    [
        (timedelta(minutes=10), "response 20:00", SlaLook.OK),  # 33 % used
        (timedelta(minutes=17, seconds=53), "response 12:07", SlaLook.WARNING),  # 60 % used
        (timedelta(minutes=23), "response 07:00", SlaLook.DANGER),  # 77 % used
        (timedelta(minutes=33, seconds=12), "BREACHED \u221203:12", SlaLook.BREACHED),
    ],
    ids=["ok", "past-50", "past-75", "breached"],
)
def test_the_response_clock_counts_down_and_changes_colour(
    qtbot, t0: datetime, offset: timedelta, expected_text: str, look: SlaLook
) -> None:
    now = t0 + offset
    model = IncidentTableModel(clock=lambda: now)
    model.load([incident(1, t0, response_in=timedelta(minutes=30))])
    delegate = SlaDelegate(clock=lambda: now)
    reading = delegate.reading(model.index(0, Column.SLA))
    assert reading is not None
    assert (reading.text, reading.look, reading.paused) == (expected_text, look, False)
    assert reading.level == {SlaLook.OK: 0, SlaLook.WARNING: 1, SlaLook.DANGER: 2}.get(look, 3)
    assert model.index(0, Column.SLA).data() == expected_text
    assert_only_colour_of(colours(paint(delegate, model, Column.SLA)), look)


def test_a_paused_clock_stops_counting_and_is_painted_calm(qtbot, t0: datetime) -> None:
    paused = replace(
        incident(1, t0, response_in=timedelta(minutes=30)), paused_since=t0 + timedelta(minutes=20)
    )
    clock = {"now": t0 + timedelta(minutes=21)}
    model = IncidentTableModel(clock=lambda: clock["now"])
    model.load([paused])
    delegate = SlaDelegate(clock=lambda: clock["now"])
    index = model.index(0, Column.SLA)
    texts = []
    for minutes in (21, 29, 45):  # the last is past the deadline it had before the pause
        clock["now"] = t0 + timedelta(minutes=minutes)
        reading = delegate.reading(index)
        assert reading is not None
        assert (reading.look, reading.paused) == (SlaLook.PAUSED, True)
        texts.append(index.data())
        assert_only_colour_of(colours(paint(delegate, model, Column.SLA)), SlaLook.PAUSED)
    assert texts == [f"{PAUSE_MARK} paused \u00b7 response 10:00 left"] * 3
    assert "waiting on the customer since" in index.data(Qt.ItemDataRole.ToolTipRole)


def test_a_narrow_cell_drops_the_paused_clock_name(qtbot, t0: datetime) -> None:
    paused = replace(incident(1, t0), paused_since=t0 + timedelta(minutes=20))
    reading = read_sla(paused, t0 + timedelta(hours=1))
    metrics = QFontMetricsF(QFont())
    assert fitted_text(reading, metrics, 1000) == "paused \u00b7 response 10:00 left"
    assert fitted_text(reading, metrics, 20) == "paused \u00b7 10:00 left"  # then elided


def test_a_clock_paused_after_its_deadline_stays_breached(qtbot, t0: datetime) -> None:
    late = replace(
        incident(1, t0, response_in=timedelta(minutes=30)), paused_since=t0 + timedelta(minutes=35)
    )
    now = t0 + timedelta(hours=2)
    model = IncidentTableModel(clock=lambda: now)
    model.load([late])
    delegate = SlaDelegate(clock=lambda: now)
    reading = delegate.reading(model.index(0, Column.SLA))
    assert reading is not None
    assert (reading.look, reading.paused) == (SlaLook.BREACHED, True)
    assert reading.text == f"{PAUSE_MARK} paused \u00b7 BREACHED \u221205:00"
    assert near(colours(paint(delegate, model, Column.SLA)), theme.BREACHED_PILL.fill)


def test_the_resolve_clock_runs_after_acknowledgement(t0: datetime) -> None:
    acked = replace(
        incident(1, t0, resolve_in=timedelta(hours=4)),
        acknowledged_at=t0 + timedelta(minutes=2),
        state=IncidentState.TRIAGED,
    )
    reading = read_sla(acked, t0 + timedelta(minutes=55, seconds=1))
    assert (reading.text, reading.look, reading.reading.clock) == (
        "resolve 3:04:59",
        SlaLook.OK,
        "resolve",
    )


def test_a_resolved_incident_shows_grey_resolved(qtbot, t0: datetime) -> None:
    done = replace(incident(1, t0), state=IncidentState.RESOLVED, resolved_at=t0)
    model = IncidentTableModel(clock=lambda: t0)
    model.load([done])
    delegate = SlaDelegate(clock=lambda: t0 + timedelta(days=3))
    reading = delegate.reading(model.index(0, Column.SLA))
    assert reading is not None
    assert (reading.text, reading.look) == ("resolved \u00b7 SLA met", SlaLook.RESOLVED)
    found = colours(paint(delegate, model, Column.SLA))
    assert near(found, theme.MUTED, 40)
    assert not near(found, theme.BREACHED_PILL.fill)


def test_the_at_risk_colours_stay_readable_on_a_selected_row(qtbot, t0: datetime) -> None:
    """Amber, orange and blue-grey sit on a chip of the base colour, not on the selection."""
    now = t0 + timedelta(minutes=17, seconds=53)  # past the first mark
    model = IncidentTableModel(clock=lambda: now)
    model.load([incident(1, t0, response_in=timedelta(minutes=30))])
    image = QImage(CELL.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    option = QStyleOptionViewItem()
    option.rect = CELL
    option.state |= QStyle.StateFlag.State_Selected
    option.palette.setColor(QPalette.ColorRole.Highlight, QColor("#308cc6"))
    option.palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    painter = QPainter(image)
    SlaDelegate(clock=lambda: now).paint(painter, option, model.index(0, Column.SLA))
    painter.end()
    found = colours(image)
    assert near(found, LIGHT.at_risk, 40)
    # the chip: white right behind the text, while the rest of the cell is the selection
    assert image.pixelColor(CELL.width() - 3, CELL.height() // 2).name() == "#308cc6"
    assert image.pixelColor(8, 5).name() == "#ffffff"


@pytest.mark.parametrize("severity", list(Severity))
def test_the_severity_pill_has_its_colour(qtbot, t0: datetime, severity: Severity) -> None:
    model = IncidentTableModel(clock=lambda: t0)
    model.load([incident(1, t0, severity=severity)])
    found = colours(paint(SeverityDelegate(), model, Column.SEVERITY))
    assert near(found, theme.SEVERITY_PILLS[severity].fill)
    others = [s for s in Severity if s is not severity]
    assert not any(near(found, theme.SEVERITY_PILLS[s].fill, 8) for s in others)


def test_the_severity_shapes_differ(qtbot, t0: datetime) -> None:
    """Colour-blind operators tell P1 from P4 by shape: the pill images differ once greyed."""
    shapes = set()
    for severity in Severity:
        model = IncidentTableModel(clock=lambda: t0)
        model.load([incident(1, t0, severity=severity)])
        image = paint(SeverityDelegate(), model, Column.SEVERITY)
        grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
        # the shape sits left of the text: compare that strip, binarised
        strip = tuple(
            grey.pixelColor(x, y).value() > 128 for x in range(88, 106) for y in range(4, 24)
        )
        shapes.add(strip)
    assert len(shapes) == 4


@pytest.mark.parametrize(
    ("flags", "known_issue", "flapping_tag", "known_issue_tag"),
    [
        (frozenset(), None, False, False),
        (frozenset({FLAPPING}), None, True, False),
        (frozenset({KNOWN_ISSUE}), "KI-12", False, True),
        (frozenset({FLAPPING, KNOWN_ISSUE}), "KI-12", True, True),
    ],
    ids=["plain", "flapping", "known-issue", "both"],
)
def test_the_title_cell_carries_the_triage_badges(
    qtbot,
    t0: datetime,
    flags: frozenset[str],
    known_issue: str | None,
    flapping_tag: bool,
    known_issue_tag: bool,
) -> None:
    model = IncidentTableModel(clock=lambda: t0)
    model.load([replace(incident(1, t0), flags=flags, known_issue=known_issue)])
    found = colours(paint(TitleDelegate(), model, Column.TITLE))
    assert near(found, theme.FLAPPING_PILL.fill) is flapping_tag
    assert near(found, theme.KNOWN_ISSUE_PILL.fill) is known_issue_tag


def test_the_badges_of_a_resolved_row_step_back(qtbot, t0: datetime) -> None:
    done = replace(
        incident(1, t0),
        flags=frozenset({KNOWN_ISSUE}),
        known_issue="KI-12",
        state=IncidentState.RESOLVED,
        resolved_at=t0,
    )
    model = IncidentTableModel(clock=lambda: t0)
    model.load([done])
    found = colours(paint(TitleDelegate(), model, Column.TITLE))
    assert not near(found, theme.KNOWN_ISSUE_PILL.fill)  # faded towards the background
    assert near(found, theme.MUTED, 40)  # and the title is grey
