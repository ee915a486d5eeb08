"""How the console looks: the `[console]` display fields and the `[wall]` section.

Kept apart from the file reader (settings.py) so that a display option touches this one
table; errors go through `complain(message, key)`, which names the file and the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.config.source_options import Complain
from app.domain.timestamps import parse_duration
from app.resources import resource

# the themes every build has; resources/themes/*.toml may ship more, found by name
BUILT_IN_THEMES = ("light", "dark", "high-contrast")
FONT_SCALES = (0.5, 4.0)
# a wall that turns faster than this cannot be read from across the room
SHORTEST_ROTATION = timedelta(seconds=5)

# the keys of [console] besides `operator`, which settings.py reads
CONSOLE_DISPLAY_KEYS = frozenset({"theme", "font_scale", "density"})
WALL_KEYS = frozenset({"theme", "font_scale", "screen", "rotate", "rotate_every"})


class Density(StrEnum):
    """Row spacing in operator mode; the operator can switch, this is where it starts."""

    COMFORTABLE = "comfortable"
    COMPACT = "compact"


class Rotation(StrEnum):
    """What wall mode turns through: one customer at a time (then all), its pages, and the
    metrics page (charts of the last 30 days) once a round."""

    CUSTOMERS = "customers"
    PAGES = "pages"
    METRICS = "metrics"


# A theme is a built-in name ("dark") or a theme file of the site's own.
Theme = str | Path


@dataclass(frozen=True, slots=True)
class OperatorDisplay:
    """Operator mode's look.

    Attributes:
        theme: a built-in theme name, or the path of a theme .toml file.
        font_scale: multiplies the desktop's font size (0.5 .. 4.0).
        density: the row spacing it starts with.
    """

    theme: Theme = "light"
    font_scale: float = 1.0
    density: Density = Density.COMFORTABLE


@dataclass(frozen=True, slots=True)
class WallDisplay:
    """Wall mode's look and where it shows.

    Attributes:
        theme: a built-in theme name, or the path of a theme .toml file.
        font_scale: on top of the wall's own enlargement (2.0 for a 4K wall).
        screen: the display, by index (0 = primary) or by the screen's name.
        rotate: what it turns through, in order; empty: it stays put.
        rotate_every: how long each view stays up.
    """

    theme: Theme = "dark"
    font_scale: float = 1.0
    screen: int | str = 0
    rotate: tuple[Rotation, ...] = ()
    rotate_every: timedelta = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class DisplayConfig:
    """Both modes' looks: `operator` from [console], `wall` from [wall]."""

    operator: OperatorDisplay = field(default_factory=OperatorDisplay)
    wall: WallDisplay = field(default_factory=WallDisplay)


def known_themes() -> tuple[str, ...]:
    """The built-in names and any theme shipped as resources/themes/NAME.toml."""
    folder = resource("themes")
    shipped = (
        [
            node.name.removesuffix(".toml")
            for node in folder.iterdir()
            if node.name.endswith(".toml")
        ]
        if folder.is_dir()
        else []
    )
    return tuple(dict.fromkeys([*BUILT_IN_THEMES, *sorted(shipped)]))


def parse_operator_display(
    console: Mapping[str, Any], base: Path, complain: Complain
) -> OperatorDisplay:
    """The display fields of [console]; `base` is the config file's folder."""
    default = OperatorDisplay()
    density = console.get("density", default.density.value)
    if density not in {d.value for d in Density}:
        raise complain(f"unknown density {density!r} (expected comfortable or compact)", "density")
    return OperatorDisplay(
        theme=_theme(console, default.theme, base, complain),
        font_scale=_font_scale(console, complain),
        density=Density(density),
    )


def parse_wall_display(wall: Mapping[str, Any], base: Path, complain: Complain) -> WallDisplay:
    """The [wall] section; `base` is the config file's folder."""
    for key in wall:
        if key not in WALL_KEYS:
            raise complain(f"unknown field (expected one of {', '.join(sorted(WALL_KEYS))})", key)
    default = WallDisplay()
    return WallDisplay(
        theme=_theme(wall, default.theme, base, complain),
        font_scale=_font_scale(wall, complain),
        screen=_screen(wall, complain),
        rotate=_rotate(wall, complain),
        rotate_every=_rotate_every(wall, default.rotate_every, complain),
    )


def _theme(table: Mapping[str, Any], default: Theme, base: Path, complain: Complain) -> Theme:
    value = table.get("theme", default)
    known = known_themes()
    if not isinstance(value, str) or not value.strip():
        raise complain(f"expected a theme name ({', '.join(known)}) or a .toml file", "theme")
    value = value.strip()
    if value.endswith(".toml"):
        path = base / Path(value).expanduser()
        if not path.is_file():
            raise complain(f"theme file not found: {path}", "theme")
        return path
    if value not in known:
        raise complain(
            f"unknown theme {value!r} (expected one of {', '.join(known)}, or a .toml file)",
            "theme",
        )
    return value


def _font_scale(table: Mapping[str, Any], complain: Complain) -> float:
    value = table.get("font_scale", 1.0)
    low, high = FONT_SCALES
    # bool is an int to Python, and `font_scale = true` is a mistake, not 1.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise complain(f"expected a number from {low} to {high}", "font_scale")
    return float(value)


def _screen(table: Mapping[str, Any], complain: Complain) -> int | str:
    value = table.get("screen", 0)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise complain("expected a screen number (0 = primary) or the screen's name", "screen")


def _rotate(table: Mapping[str, Any], complain: Complain) -> tuple[Rotation, ...]:
    value = table.get("rotate", [])
    names = {r.value for r in Rotation}
    if not isinstance(value, list) or not all(isinstance(v, str) and v in names for v in value):
        raise complain('expected a list of "customers", "pages" and/or "metrics"', "rotate")
    if len(set(value)) != len(value):
        raise complain("each of customers, pages and metrics at most once", "rotate")
    return tuple(Rotation(v) for v in value)


def _rotate_every(table: Mapping[str, Any], default: timedelta, complain: Complain) -> timedelta:
    if "rotate_every" not in table:
        return default
    try:
        value = parse_duration(table["rotate_every"])
    except ValueError as error:
        raise complain(str(error), "rotate_every") from None
    if value < SHORTEST_ROTATION:
        raise complain(
            f"at least {SHORTEST_ROTATION.seconds}s (the room must be able to read it)",
            "rotate_every",
        )
    return value
