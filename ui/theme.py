"""The console's colours and fonts: severity, SLA and lamp colours, operator and wall fonts.

Colours are picked to read on both light and dark window palettes: filled pills carry
their own text colour, and the few text-only colours have a light and a dark variant.
QColor and QBrush objects are built once and shared, because `data()` and the
delegates ask for them on every paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QPalette

from app.domain.health import SourceStatus
from app.domain.severity import Severity

# How much bigger the wall's text is than the operator's (read from across the room).
WALL_SCALE = 1.7


@dataclass(frozen=True, slots=True)
class PillColours:
    """A filled badge's colours.

    Attributes:
        fill: the badge's background.
        text: the text and shape colour that stays readable on `fill`.
    """

    fill: QColor
    text: QColor


SEVERITY_PILLS: dict[Severity, PillColours] = {
    Severity.P1: PillColours(QColor("#c62828"), QColor("#ffffff")),  # red
    Severity.P2: PillColours(QColor("#f57c00"), QColor("#1a1a1a")),  # orange
    Severity.P3: PillColours(QColor("#fbc02d"), QColor("#1a1a1a")),  # yellow
    Severity.P4: PillColours(QColor("#546e7a"), QColor("#ffffff")),  # blue-grey
}

# A shape per severity so colour-blind operators lose nothing (drawn, not a font glyph).
SEVERITY_SHAPES: dict[Severity, str] = {
    Severity.P1: "diamond",
    Severity.P2: "triangle",
    Severity.P3: "circle",
    Severity.P4: "ring",
}
SEVERITY_GLYPHS: dict[Severity, str] = {
    Severity.P1: "\u25c6",  # ◆
    Severity.P2: "\u25b2",  # ▲
    Severity.P3: "\u25cf",  # ●
    Severity.P4: "\u25cb",  # ○
}

BREACHED_PILL = PillColours(QColor("#c62828"), QColor("#ffffff"))
# Triage badges on the wall's title cells: hues no severity or SLA state uses.
FLAPPING_PILL = PillColours(QColor("#7b1fa2"), QColor("#ffffff"))  # purple
KNOWN_ISSUE_PILL = PillColours(QColor("#1565c0"), QColor("#ffffff"))  # blue
# SLA clocks: amber past the first at-risk mark, orange past the second, then the red pill.
AT_RISK_LIGHT = QColor("#a65c00")  # dark amber: readable on white
AT_RISK_DARK = QColor("#ffb300")  # bright amber: readable on near-black
DANGER_LIGHT = QColor("#d9480f")  # deep orange: between the amber and the breached red
DANGER_DARK = QColor("#ff7a1a")
# A clock paused while waiting on the customer: calm blue-grey, neither alarm nor "done" grey.
PAUSED_LIGHT = QColor("#47698c")
PAUSED_DARK = QColor("#9fbad6")
MUTED = QColor("#8a8a8a")  # resolved rows, stale rows, "no SLA"
ERROR_LIGHT = QColor("#b71c1c")
ERROR_DARK = QColor("#ff6e6e")

LAMP_COLOURS: dict[SourceStatus, QColor] = {
    SourceStatus.OK: QColor("#2e9d3a"),
    SourceStatus.DEGRADED: QColor("#f9a825"),
    SourceStatus.RATE_LIMITED: QColor("#f9a825"),
    SourceStatus.DOWN: QColor("#d32f2f"),
    SourceStatus.UNKNOWN: QColor("#9e9e9e"),
}

MUTED_BRUSH = QBrush(MUTED)


def badge_colours(badge: str) -> PillColours:
    """A badge's colours: flapping ("\u27f2 flapping") or a known issue's id ("KI-12")."""
    return FLAPPING_PILL if badge.startswith("\u27f2") else KNOWN_ISSUE_PILL


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the window background is dark (a dark desktop theme or the wall theme)."""
    if palette is None:
        palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def at_risk_colour(palette: QPalette) -> QColor:
    return AT_RISK_DARK if is_dark(palette) else AT_RISK_LIGHT


def danger_colour(palette: QPalette) -> QColor:
    """The second at-risk mark's orange (the first is `at_risk_colour`'s amber)."""
    return DANGER_DARK if is_dark(palette) else DANGER_LIGHT


def paused_colour(palette: QPalette) -> QColor:
    return PAUSED_DARK if is_dark(palette) else PAUSED_LIGHT


def error_colour(palette: QPalette) -> QColor:
    return ERROR_DARK if is_dark(palette) else ERROR_LIGHT


def operator_font() -> QFont:
    """The application's own font: operators sit at arm's length."""
    return QFont(QGuiApplication.font())


@cache
def _base_point_size() -> float:
    size = QGuiApplication.font().pointSizeF()
    return size if size > 0 else 10.0


def wall_font(scale: float = WALL_SCALE, *, bold: bool = False) -> QFont:
    """The wall's font: the same family, `scale` times larger."""
    font = QFont(QGuiApplication.font())
    font.setPointSizeF(_base_point_size() * scale)
    font.setBold(bold)
    return font


def wall_palette() -> QPalette:
    """A dark palette for wall displays: dark rooms, bright severity colours."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#15181c",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#1c2026",
        QPalette.ColorRole.AlternateBase: "#232830",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2a2f37",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#35506e",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2a2f37",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#8a8a8a",
        QPalette.ColorRole.Mid: "#3a404a",
        QPalette.ColorRole.Dark: "#0e1013",
        QPalette.ColorRole.Light: "#3f4650",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    return palette
