"""Themes (resources/themes/*.toml and a site's own files), their contrast, switching the active
theme, and the font scale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyleOptionViewItem

from app.domain.health import SourceStatus
from app.domain.severity import Severity
from app.resources import resource
from tests.helpers.ui_incidents import incident
from ui import theme
from ui.delegates import SeverityDelegate, severity_pill_size
from ui.theme_file import PALETTE_ROLES, ThemeError
from ui.wall_header import WallCounts, WallHeader
from ui.wall_model import Column, IncidentTableModel

Role = QPalette.ColorRole
CELL = QRect(0, 0, 120, 28)
THEME_FILES = sorted(
    node.name.removesuffix(".toml")
    for node in resource("themes").iterdir()
    if node.name.endswith(".toml")
)
# WCAG 2: 4.5:1 for text, 3:1 for graphics; the high-contrast theme promises 7:1 for text
TEXT_CONTRAST = {"high-contrast": 7.0}
GRAPHICS_CONTRAST = 3.0


@pytest.fixture(autouse=True)
def _restore_theme() -> Iterator[None]:
    """The active theme and font scale are the process's: put them back after each test."""
    previous, scale = theme.current(), theme.font_scale()
    yield
    theme.activate(previous)
    theme.set_font_scale(scale)


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(c) for c in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: QColor, other: QColor) -> float:
    """The WCAG 2 contrast ratio, 1 (same) to 21 (black on white)."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_pairs(colours: theme.Theme) -> list[tuple[str, QColor, QColor]]:
    """Every (what, text, background) the console draws text with in this theme."""
    roles = colours.roles
    pairs = [
        (f"palette {fg.name} on {bg.name}", roles[fg], roles[bg])
        for fg, bg in [
            (Role.Text, Role.Base),
            (Role.Text, Role.AlternateBase),
            (Role.WindowText, Role.Window),
            (Role.ButtonText, Role.Button),
            (Role.HighlightedText, Role.Highlight),
            (Role.ToolTipText, Role.ToolTipBase),
            (Role.PlaceholderText, Role.Base),
            (Role.Link, Role.Base),
        ]
    ]
    pills = {f"severity {s.value}": colours.severity[s] for s in Severity} | {
        "breached": colours.breached,
        "flapping": colours.flapping,
        "known issue": colours.known_issue,
        "toast": colours.toast,
    }
    pairs += [(f"{name} pill", pill.text, pill.fill) for name, pill in pills.items()]
    # SLA clocks on table rows (plain and alternate), labels on the window, the toast's ⚠
    for name in ("at_risk", "danger", "paused", "muted", "error"):
        colour = getattr(colours, name)
        for role in (Role.Base, Role.AlternateBase, Role.Window):
            pairs.append((f"{name} on {role.name}", colour, roles[role]))
    pairs.append(("error on the toast", colours.error, colours.toast.fill))
    return pairs


def test_every_built_in_theme_is_shipped_and_complete() -> None:
    assert set(theme.BUILT_IN) <= set(THEME_FILES)
    dark = theme.load_theme("dark")
    for name in THEME_FILES:
        # built-ins are read strictly: a key missing from the file fails here
        colours = theme.load_theme(name)
        assert colours.name == name
        assert {role.name for role in colours.roles} >= set(PALETTE_ROLES)
        assert set(colours.severity) == set(Severity)
        assert set(colours.lamps) == set(SourceStatus)
        assert colours.muted_brush.color() == colours.muted
        assert set(colours.disabled) >= {Role.Text, Role.WindowText, Role.ButtonText}
    assert dark.dark
    assert not theme.load_theme("light").dark
    assert theme.load_theme("high-contrast").dark


def test_the_dark_theme_is_the_wall_palette_of_before() -> None:
    roles = theme.load_theme("dark").roles
    assert roles[Role.Window].name() == "#15181c"
    assert roles[Role.Base].name() == "#1c2026"
    assert roles[Role.Highlight].name() == "#35506e"


@pytest.mark.parametrize("name", THEME_FILES)
def test_text_reads_on_what_it_is_drawn_on(name: str) -> None:
    colours = theme.load_theme(name)
    wanted = TEXT_CONTRAST.get(name, 4.5)
    poor = [
        f"{what}: {contrast(fg, bg):.2f} ({fg.name()} on {bg.name()})"
        for what, fg, bg in text_pairs(colours)
        if contrast(fg, bg) < wanted
    ]
    assert not poor, f"{name} under {wanted}:1: " + "; ".join(poor)


@pytest.mark.parametrize("name", THEME_FILES)
def test_lamps_stand_out_from_the_window(name: str) -> None:
    colours = theme.load_theme(name)
    window = colours.roles[Role.Window]
    poor = {
        status.value: round(contrast(lamp, window), 2)
        for status, lamp in colours.lamps.items()
        if contrast(lamp, window) < GRAPHICS_CONTRAST
    }
    assert not poor


def test_high_contrast_is_black_white_and_yellow() -> None:
    colours = theme.load_theme("high-contrast")
    assert colours.roles[Role.Window] == QColor("#000000")
    assert colours.roles[Role.Text] == QColor("#ffffff")
    assert colours.roles[Role.Highlight] == QColor("#ffff00")
    fills = {colours.severity[s].fill.name() for s in Severity}
    assert len(fills) == 4  # and the shapes still tell them apart (test_delegates)


def test_a_site_theme_may_change_one_colour(tmp_path: Path) -> None:
    path = tmp_path / "noc-red.toml"
    path.write_text('dark = true\n[severity]\nP1 = { fill = "#ff00ff" }\n')
    dark = theme.load_theme("dark")
    colours = theme.load_theme(path)
    assert colours.name == "noc-red"
    assert colours.severity[Severity.P1].fill == QColor("#ff00ff")
    assert colours.severity[Severity.P1].text == dark.severity[Severity.P1].text
    assert colours.severity[Severity.P2] == dark.severity[Severity.P2]
    assert colours.roles == dark.roles
    assert theme.load_theme(str(path)) == colours  # a path given as text, as config has it


def test_a_site_theme_without_dark_takes_the_base_its_window_is_closer_to(tmp_path: Path) -> None:
    path = tmp_path / "paper.toml"
    path.write_text('[palette]\nWindow = "#fafafa"\n')
    colours = theme.load_theme(path)
    assert not colours.dark
    assert colours.roles[Role.Window] == QColor("#fafafa")
    assert colours.at_risk == theme.load_theme("light").at_risk


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ('dark = true\n[severity]\nP1 = { fill = "reddish" }\n', "severity.P1.fill"),
        ('dark = true\n[palette]\nWindw = "#000000"\n', "palette.Windw"),
        ("dark = true\n[text]\nat_risk = 12\n", "text.at_risk"),
        ('dark = true\n[lamps]\nbroken = "#ff0000"\n', "lamps.broken"),
        ('dark = "yes"\n', "dark"),
        ("[severity]\n", "dark"),
        ('dark = true\ncolour = "#ffffff"\n', "colour"),
    ],
    ids=["colour", "role", "not-text", "lamp", "dark-not-bool", "dark-missing", "top-level"],
)
def test_a_broken_theme_names_its_file_and_key(tmp_path: Path, content: str, key: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(content)
    with pytest.raises(ThemeError) as caught:
        theme.load_theme(path)
    assert caught.value.key == key
    assert str(path) in str(caught.value)
    assert key in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_theme_that_is_not_toml_or_not_known_says_so(tmp_path: Path) -> None:
    path = tmp_path / "half.toml"
    path.write_text("[severity\n")
    with pytest.raises(ThemeError, match=f"{path}: not valid TOML"):
        theme.load_theme(path)
    with pytest.raises(ThemeError, match="no such theme"):
        theme.load_theme("sepia")
    with pytest.raises(ThemeError, match="cannot read it"):
        theme.load_theme(tmp_path / "missing.toml")


def test_the_palette_carries_every_role_and_the_disabled_colours() -> None:
    colours = theme.load_theme("high-contrast")
    palette = theme.palette(colours)
    for role, colour in colours.roles.items():
        assert palette.color(QPalette.ColorGroup.Active, role) == colour
        assert palette.color(QPalette.ColorGroup.Inactive, role) == colour
    disabled = palette.color(QPalette.ColorGroup.Disabled, Role.Text)
    assert disabled == colours.disabled[Role.Text]
    assert theme.is_dark(palette)


def paint_severity(severity: Severity, t0: datetime, palette: QPalette | None = None) -> QImage:
    """A severity cell on `palette` (None: the application's, which no theme made)."""
    model = IncidentTableModel(clock=lambda: t0)
    model.load([incident(1, t0, severity=severity)])
    image = QImage(CELL.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    option = QStyleOptionViewItem()
    option.rect = CELL
    if palette is not None:
        option.palette = palette
    painter = QPainter(image)
    SeverityDelegate().paint(painter, option, model.index(0, Column.SEVERITY))
    painter.end()
    return image


def pill_pixel(image: QImage) -> QColor:
    """A point on the pill's fill: above the shape and the text, right of the round end."""
    height = severity_pill_size(QFont()).height()  # a default option's font
    top = (CELL.height() - min(height, CELL.height() - 4)) / 2
    return image.pixelColor(CELL.center().x(), round(top + 2))


def test_activating_a_theme_changes_what_the_delegates_paint(qtbot, t0: datetime) -> None:
    """The switch: activate the theme, give the window its palette, repaint."""
    light, high = theme.load_theme("light"), theme.load_theme("high-contrast")
    theme.activate(light)
    image = paint_severity(Severity.P1, t0, theme.palette(light))
    assert pill_pixel(image) == light.severity[Severity.P1].fill
    previous = theme.activate(high)
    assert previous is light
    assert theme.current() is high
    image = paint_severity(Severity.P1, t0, theme.palette(high))
    assert pill_pixel(image) == high.severity[Severity.P1].fill
    assert theme.SEVERITY_PILLS[Severity.P1] == high.severity[Severity.P1]  # the old name
    assert theme.MUTED_BRUSH.color() == high.muted


def test_a_palette_no_theme_made_paints_in_the_active_theme(
    qtbot, t0: datetime, tmp_path: Path
) -> None:
    """The desktop's own light palette (before any theme is applied) takes the active theme's
    pills when it is light too."""
    path = tmp_path / "magenta.toml"
    path.write_text('dark = false\n[severity]\nP1 = { fill = "#ff00ff" }\n')
    assert pill_pixel(paint_severity(Severity.P1, t0)) == QColor("#c62828")
    theme.activate(theme.load_theme(path))
    assert pill_pixel(paint_severity(Severity.P1, t0)) == QColor("#ff00ff")


def test_two_windows_paint_in_their_own_themes(qtbot, t0: datetime) -> None:
    """A wall opened beside the operator's window (F11) keeps its theme: painters go by the
    palette they paint on, and a theme's palette is known once `palette()` made it."""
    light, high = theme.load_theme("light"), theme.load_theme("high-contrast")
    theme.activate(light)
    operator, wall = theme.palette(light), theme.palette(high)
    assert pill_pixel(paint_severity(Severity.P1, t0, wall)) == high.severity[Severity.P1].fill
    assert pill_pixel(paint_severity(Severity.P1, t0, operator)) == light.severity[Severity.P1].fill
    assert theme.theme_for(wall) is high
    assert theme.at_risk_colour(wall) == high.at_risk


def test_text_colours_follow_the_palette_they_are_drawn_on() -> None:
    """A dark wall window in a process whose active theme is light keeps dark-theme text."""
    light, dark = theme.load_theme("light"), theme.load_theme("dark")
    theme.activate(light)
    assert theme.at_risk_colour(theme.palette(dark)) == dark.at_risk
    assert theme.at_risk_colour(theme.palette(light)) == light.at_risk
    high = theme.load_theme("high-contrast")
    theme.activate(high)
    assert theme.error_colour(theme.palette(dark)) == dark.error  # still dark's palette
    unknown = QPalette()
    unknown.setColor(Role.Window, QColor("#202020"))  # dark, but no theme's
    assert theme.error_colour(unknown) == high.error  # the active dark theme


def test_font_scale_doubles_the_fonts_and_the_pills(qtbot) -> None:
    theme.set_font_scale(1.0)
    wall, operator = theme.wall_font(), theme.operator_font()
    option = QStyleOptionViewItem()
    option.font = wall
    hint = SeverityDelegate().sizeHint(option, IncidentTableModel().index(0, 0))
    theme.set_font_scale(2.0)
    assert theme.wall_font().pointSizeF() == pytest.approx(2 * wall.pointSizeF())
    assert theme.wall_font(4.0).pointSizeF() == pytest.approx(4.0 / 1.7 * 2 * wall.pointSizeF())
    assert theme.operator_font().pointSizeF() == pytest.approx(2 * operator.pointSizeF())
    option.font = theme.wall_font()
    bigger = SeverityDelegate().sizeHint(option, IncidentTableModel().index(0, 0))
    assert bigger.width() > 1.8 * hint.width()
    assert bigger.height() > 1.8 * hint.height()
    theme.set_font_scale(2.0)  # again: the desktop's size is kept, scales never compound
    assert theme.wall_font().pointSizeF() == pytest.approx(2 * wall.pointSizeF())
    # a wall beside an operator window: its own scale, whatever the process's
    assert theme.wall_font(font_scale=1.0).pointSizeF() == pytest.approx(wall.pointSizeF())
    with pytest.raises(ValueError, match="outside"):
        theme.set_font_scale(5.0)


def test_apply_sets_the_application_palette_font_and_theme(qtbot, qapp) -> None:
    old_palette, old_font = qapp.palette(), qapp.font()
    high = theme.load_theme("high-contrast")
    try:
        theme.apply(qapp, high, font_scale=1.5)
        assert theme.current() is high
        assert qapp.palette().color(Role.Window) == QColor("#000000")
        assert qapp.style().name().lower() == "fusion"
        assert qapp.font().pointSizeF() == pytest.approx(theme.operator_font().pointSizeF())
        theme.set_font_scale(1.0)
        assert qapp.font().pointSizeF() == pytest.approx(1.5 * theme.operator_font().pointSizeF())
    finally:
        qapp.setPalette(old_palette)
        qapp.setFont(old_font)


def test_the_wall_header_recolours_when_its_palette_changes(qtbot) -> None:
    header = WallHeader()
    qtbot.addWidget(header)
    header.counts = WallCounts(at_risk=1, breached=1)
    header.update_counts_look()
    light, high = theme.current(), theme.load_theme("high-contrast")
    assert light.at_risk.name() in header.at_risk_label.styleSheet()
    theme.activate(high)
    header.setPalette(theme.palette(high))
    assert high.at_risk.name() in header.at_risk_label.styleSheet()
    assert high.breached.fill.name() in header.breached_label.styleSheet()
