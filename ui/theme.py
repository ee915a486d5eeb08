"""The console's colours and fonts: the active theme, its palette, and the font scale.

Themes are TOML files (resources/themes/: dark, light, high-contrast, or a site's own
file). One theme is active per process, as one palette is per QApplication: the item
delegates paint thousands of cells a second and have no cheap way to ask their window,
so they ask `current()`. Switching is `activate(theme)`, then setting `palette(theme)` on
the window; painters read the new colours on their next paint.

Text colours that must match the widget they are drawn on (`at_risk_colour(palette)`, ...)
come from the active theme when its darkness matches the palette's, else from the built-in
theme of the palette's darkness, so a dark wall window stays readable in a process whose
active theme is light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from os import PathLike, fspath
from pathlib import Path

from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.config.display import BUILT_IN_THEMES
from app.domain.health import SourceStatus
from app.domain.severity import Severity
from app.resources import resource
from ui.theme_file import PillColours, Theme, ThemeError, build_theme, merged, read_table

__all__ = [
    "BUILT_IN",
    "FONT_SCALES",
    "SEVERITY_GLYPHS",
    "SEVERITY_SHAPES",
    "WALL_SCALE",
    "PillColours",
    "Theme",
    "ThemeError",
    "activate",
    "apply",
    "at_risk_colour",
    "badge_colours",
    "current",
    "danger_colour",
    "error_colour",
    "font_scale",
    "is_dark",
    "load_theme",
    "operator_font",
    "palette",
    "paused_colour",
    "set_font_scale",
    "theme_for",
    "wall_font",
]

BUILT_IN = BUILT_IN_THEMES  # the config checks names against the same list
# How much bigger the wall's text is than the operator's (read from across the room).
WALL_SCALE = 1.7
FONT_SCALES = (0.5, 4.0)

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


class _State:
    """The process's active theme and font scale (see the module docstring for why global)."""

    theme: Theme | None = None
    font_scale: float = 1.0
    base_point_size: float | None = None
    # themes whose palettes were handed out, newest last, and what each palette matched
    known: list[Theme] = []  # noqa: RUF012 - the one process-wide list, on purpose
    by_palette: dict[int, Theme] = {}  # noqa: RUF012 - QPalette.cacheKey() -> theme


# the roles that tell one theme's palette from another's
_SIGNATURE = (
    QPalette.ColorRole.Window,
    QPalette.ColorRole.WindowText,
    QPalette.ColorRole.Base,
    QPalette.ColorRole.Text,
    QPalette.ColorRole.Highlight,
)
_MATCHES_KEPT = 256


# ------------------------------------------------------------------ loading


@cache
def _built_in_table(name: str) -> dict[str, object]:
    """A shipped theme's table (BUILT_IN, or any other resources/themes/NAME.toml)."""
    node = resource("themes", f"{name}.toml")
    if not node.is_file():
        known = ", ".join(BUILT_IN)
        raise ThemeError(name, "", f"no such theme (expected one of {known}, or a .toml file)")
    return read_table(node.read_text("utf-8"), f"{name}.toml")


@cache
def _built_in(name: str) -> Theme:
    return build_theme(_built_in_table(name), f"{name}.toml")


def load_theme(name_or_path: str | PathLike[str]) -> Theme:
    """A built-in theme by name ("dark"), or a theme file of the site's own.

    A file may give only the keys it changes; the rest come from the built-in "dark" or
    "light" theme, whichever its `dark = true/false` names (or, without that key, whichever
    its palette's Window colour is closer to). Raises ThemeError naming the file and key.
    """
    text = fspath(name_or_path)
    if not isinstance(name_or_path, PathLike) and not text.endswith(".toml"):
        return _built_in(text)
    path = Path(text).expanduser()
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ThemeError(str(path), "", f"cannot read it: {error}") from None
    table = read_table(content, str(path))
    base = _built_in_table("dark" if _says_dark(table, str(path)) else "light")
    table.setdefault("name", path.stem)  # not the base's: messages would blame "dark"
    return build_theme(merged(base, table), str(path))


def _says_dark(table: dict[str, object], source: str) -> bool:
    dark = table.get("dark")
    if isinstance(dark, bool):
        return dark
    if dark is not None:
        raise ThemeError(source, "dark", "expected true or false")
    roles = table.get("palette")
    window = roles.get("Window") if isinstance(roles, dict) else None
    if isinstance(window, str) and QColor.isValidColorName(window):
        return QColor(window).lightnessF() < 0.5
    raise ThemeError(source, "dark", "missing (say dark = true or dark = false)")


# ------------------------------------------------------------------ the active theme


def load_or_fallback(name_or_path: str | PathLike[str], fallback: str) -> tuple[Theme, str | None]:
    """The configured theme, or the built-in `fallback` with the reason: a theme file
    broken after the config was checked must not keep a wall dark... or blank."""
    try:
        return load_theme(name_or_path), None
    except ThemeError as error:
        return _built_in(fallback), f"theme not loaded: {error} (using the built-in {fallback})"


def current() -> Theme:
    """The active theme; the built-in light one until `activate` is called."""
    return _State.theme or _built_in("light")


def activate(theme: Theme) -> Theme:
    """Make `theme` the one painters use from their next paint; returns the previous one.

    Widgets that colour themselves from `palette()` follow once the window is given
    `palette(theme)`, which is the caller's job (only it knows which windows to repaint).
    """
    previous = current()
    _State.theme = theme
    _State.by_palette.clear()  # the active theme wins ties: earlier matches may change
    _publish(theme)
    return previous


def apply(app: QApplication, theme: Theme, *, font_scale: float = 1.0) -> None:
    """Make `theme` and `font_scale` the application's, before its windows are built.

    Fusion, because it is the style that paints with the palette everywhere (the native
    Windows and macOS styles ignore much of it, and a dark wall would come out half light);
    the application font, because operator mode's widgets take their size from it.
    """
    set_font_scale(font_scale)
    activate(theme)
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(palette(theme))
    app.setFont(operator_font())


@contextmanager
def applied(app: QApplication, theme: Theme, *, font_scale: float = 1.0) -> Iterator[None]:
    """`apply` for a while (a screenshot in a process that goes on), then put back the
    style, palette, font, font scale and active theme it found."""
    style, old_palette, font = app.style().name(), app.palette(), app.font()
    scale, previous = _State.font_scale, current()
    apply(app, theme, font_scale=font_scale)
    try:
        yield
    finally:
        set_font_scale(scale)
        activate(previous)
        if app.style().name() != style:
            app.setStyle(style)
        app.setPalette(old_palette)
        app.setFont(font)


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the window background is dark (a dark desktop theme or the wall theme)."""
    if palette is None:
        palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def theme_for(palette: QPalette) -> Theme:
    """The theme a widget with `palette` paints in.

    A wall opened beside the operator's window (F11) shares the process but not the
    theme, so painters ask by their widget's palette: the theme whose `palette()` it is
    (the active one first, then the newest other, then the built-ins), else the active
    theme if it is as dark, else the built-in one as dark. Remembered per palette, as the
    delegates ask once per cell.
    """
    key = palette.cacheKey()
    found = _State.by_palette.get(key)
    if found is None:
        found = _match(palette)
        if len(_State.by_palette) >= _MATCHES_KEPT:
            _State.by_palette.clear()
        _State.by_palette[key] = found
    return found


def _signature(colour: Callable[[QPalette.ColorRole], QColor]) -> tuple[int, ...]:
    return tuple(colour(role).rgba() for role in _SIGNATURE)


def _match(palette: QPalette) -> Theme:
    wanted = _signature(lambda role: palette.color(QPalette.ColorGroup.Active, role))
    active = current()
    candidates = [active, *reversed(_State.known), *(_built_in(name) for name in BUILT_IN)]
    for candidate in candidates:
        if _signature(candidate.roles.__getitem__) == wanted:
            return candidate
    dark = is_dark(palette)
    if active.dark == dark:
        return active
    return _built_in("dark" if dark else "light")


def palette(theme: Theme) -> QPalette:
    """`theme`'s QPalette: its roles in every colour group, then its disabled colours.

    The theme is remembered, so widgets given this palette paint in it (`theme_for`).
    """
    if theme not in _State.known:
        _State.known.append(theme)
        _State.by_palette.clear()
    result = QPalette()
    for role, colour in theme.roles.items():
        result.setColor(role, colour)
    if QPalette.ColorRole.Accent not in theme.roles:  # Qt 6.6+ paints some focus marks with it
        result.setColor(QPalette.ColorRole.Accent, theme.roles[QPalette.ColorRole.Highlight])
    for role, colour in theme.disabled.items():
        result.setColor(QPalette.ColorGroup.Disabled, role, colour)
    return result


# ------------------------------------------------------------------ colours by use


def badge_colours(badge: str, colours: Theme | None = None) -> PillColours:
    """A badge's colours: flapping ("\u27f2 flapping") or a known issue's id ("KI-12")."""
    colours = colours or current()
    return colours.flapping if badge.startswith("\u27f2") else colours.known_issue


def at_risk_colour(palette: QPalette) -> QColor:
    """An SLA clock past its first at-risk mark (amber)."""
    return theme_for(palette).at_risk


def danger_colour(palette: QPalette) -> QColor:
    """The second at-risk mark's orange (the first is `at_risk_colour`'s amber)."""
    return theme_for(palette).danger


def paused_colour(palette: QPalette) -> QColor:
    return theme_for(palette).paused


def error_colour(palette: QPalette) -> QColor:
    return theme_for(palette).error


# The names callers used when these colours were constants, kept as the active theme's
# (`activate` re-binds them): the wall model hands out `theme.MUTED_BRUSH` for every faded
# cell, and a plain module attribute costs it nothing.
_LIGHT = _built_in("light")
SEVERITY_PILLS: Mapping[Severity, PillColours] = _LIGHT.severity
BREACHED_PILL: PillColours = _LIGHT.breached
FLAPPING_PILL: PillColours = _LIGHT.flapping
KNOWN_ISSUE_PILL: PillColours = _LIGHT.known_issue
LAMP_COLOURS: Mapping[SourceStatus, QColor] = _LIGHT.lamps
MUTED: QColor = _LIGHT.muted
MUTED_BRUSH: QBrush = _LIGHT.muted_brush


def _publish(theme: Theme) -> None:
    global SEVERITY_PILLS, BREACHED_PILL, FLAPPING_PILL, KNOWN_ISSUE_PILL
    global LAMP_COLOURS, MUTED, MUTED_BRUSH
    SEVERITY_PILLS, LAMP_COLOURS = theme.severity, theme.lamps
    BREACHED_PILL, FLAPPING_PILL, KNOWN_ISSUE_PILL = (
        theme.breached,
        theme.flapping,
        theme.known_issue,
    )
    MUTED, MUTED_BRUSH = theme.muted, theme.muted_brush


# ------------------------------------------------------------------ fonts


def set_font_scale(factor: float) -> None:
    """Scale every font the console asks for (`operator_font`, `wall_font`): 2.0 on a 4K wall.

    Call it before the window is built: fonts are set on widgets as they are made. The
    desktop's own size is remembered first, so scaling twice never compounds.
    """
    low, high = FONT_SCALES
    if not low <= factor <= high:
        raise ValueError(f"font scale {factor} is outside {low} .. {high}")
    _base_point_size()
    _State.font_scale = float(factor)


def font_scale() -> float:
    return _State.font_scale


def _base_point_size() -> float:
    """The desktop's font size, read once: the application font may be set to a scaled one."""
    if _State.base_point_size is None:
        size = QGuiApplication.font().pointSizeF()
        _State.base_point_size = size if size > 0 else 10.0
    return _State.base_point_size


def operator_font() -> QFont:
    """The application's own font, times the font scale: operators sit at arm's length."""
    font = QFont(QGuiApplication.font())
    font.setPointSizeF(_base_point_size() * _State.font_scale)
    return font


def wall_font(
    scale: float = WALL_SCALE, *, bold: bool = False, font_scale: float | None = None
) -> QFont:
    """The wall's font: the same family, `scale` times the desktop's size, times the font
    scale (`font_scale`, for a wall opened beside an operator window with a scale of its
    own; None: the process's, `set_font_scale`)."""
    factor = _State.font_scale if font_scale is None else font_scale
    font = QFont(QGuiApplication.font())
    font.setPointSizeF(_base_point_size() * scale * factor)
    font.setBold(bold)
    return font
