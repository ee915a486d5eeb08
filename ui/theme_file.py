"""Theme files (TOML) read into `Theme` values: the palette and the colours the console paints.

A theme file names the QPalette roles and the console's own colours (severity pills, badge
pills, SLA text colours, source lamps; resources/themes/dark.toml lists them all). A site's
own file may give only some keys: the rest come from a base theme (the built-in one of the
same darkness). Every mistake is a `ThemeError` naming the file and the key, because the
person fixing it is editing that file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from PySide6.QtGui import QBrush, QColor, QPalette

from app.domain.health import SourceStatus
from app.domain.severity import Severity

# The roles every built-in theme sets; a file may set any other QPalette role as well.
PALETTE_ROLES = (
    "Window",
    "WindowText",
    "Base",
    "AlternateBase",
    "Text",
    "Button",
    "ButtonText",
    "BrightText",
    "Highlight",
    "HighlightedText",
    "ToolTipBase",
    "ToolTipText",
    "PlaceholderText",
    "Light",
    "Midlight",
    "Mid",
    "Dark",
    "Shadow",
    "Link",
    "LinkVisited",
)
_ROLES = {
    role.name: role
    for role in QPalette.ColorRole
    if role not in (QPalette.ColorRole.NoRole, QPalette.ColorRole.NColorRoles)
}
PILLS = ("breached", "flapping", "known_issue")
TEXT_COLOURS = ("at_risk", "danger", "paused", "muted", "error")
_TOP_LEVEL = frozenset({"name", "dark", "palette", "severity", "pills", "toast", "text", "lamps"})


class ThemeError(ValueError):
    """A theme file that cannot be used; the message names the file and the key.

    Attributes:
        source: the file (or built-in theme) read.
        key: the dotted key at fault ("severity.P1.fill"), or "" for the file as a whole.
    """

    def __init__(self, source: str, key: str, problem: str) -> None:
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.key = key


@dataclass(frozen=True, slots=True)
class PillColours:
    """A filled badge's colours.

    Attributes:
        fill: the badge's background.
        text: the text and shape colour that stays readable on `fill`.
    """

    fill: QColor
    text: QColor


@dataclass(frozen=True, slots=True)
class Theme:
    """A colour theme, its QColors and QBrushes built once: painters ask on every paint.

    Attributes:
        name: what the theme calls itself.
        dark: whether its window background is dark (picks the base of a partial file).
        roles: QPalette role -> colour, for every colour group.
        disabled: QPalette role -> colour in the disabled group, over `roles`.
        severity: the severity pills P1..P4.
        breached: the pill of a breached SLA clock (and the wall header's breached count).
        flapping, known_issue: the triage badges on the wall's title cells.
        toast: a notice's card background and text.
        at_risk, danger, paused: SLA clock text past the first and second at-risk marks,
            and while waiting on the customer.
        muted: resolved rows, stale rows, "no SLA".
        error: error messages.
        lamps: source status -> its lamp's colour.
        muted_brush: `muted` as the brush the wall model hands out for faded rows.
        source: the file it was read from, for messages.
    """

    name: str
    dark: bool
    roles: Mapping[QPalette.ColorRole, QColor]
    disabled: Mapping[QPalette.ColorRole, QColor]
    severity: Mapping[Severity, PillColours]
    breached: PillColours
    flapping: PillColours
    known_issue: PillColours
    toast: PillColours
    at_risk: QColor
    danger: QColor
    paused: QColor
    muted: QColor
    error: QColor
    lamps: Mapping[SourceStatus, QColor]
    source: str = ""
    muted_brush: QBrush = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "muted_brush", QBrush(self.muted))

    def colour(self, role: QPalette.ColorRole) -> QColor:
        """A palette role's colour in the active group (the window's background, ...)."""
        return self.roles[role]


def read_table(text: str, source: str) -> dict[str, Any]:
    """A theme file's TOML as a table."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeError(source, "", f"not valid TOML: {error}") from None


def merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, table by table: a file may change only a pill's fill."""
    result = dict(base)
    for key, value in over.items():
        below = result.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            result[key] = merged(below, value)
        else:
            result[key] = value
    return result


def build_theme(table: Mapping[str, Any], source: str) -> Theme:
    """A theme from a complete table (a built-in file, or a site's file merged onto one)."""
    return _Reader(table, source).theme()


class _Reader:
    """Checks one table key by key, so an error can say which key is wrong."""

    def __init__(self, table: Mapping[str, Any], source: str) -> None:
        self.table = table
        self.source = source

    def error(self, key: str, problem: str) -> ThemeError:
        return ThemeError(self.source, key, problem)

    def theme(self) -> Theme:
        for key in self.table:
            if key not in _TOP_LEVEL:
                raise self.error(key, f"unknown key (expected {', '.join(sorted(_TOP_LEVEL))})")
        name = self.table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.error("name", "expected the theme's name as a string")
        dark = self.table.get("dark")
        if not isinstance(dark, bool):
            raise self.error("dark", "expected true or false")
        roles, disabled = self.palette()
        severity = self.section("severity", tuple(s.value for s in Severity))
        pills = self.section("pills", PILLS)
        text = self.section("text", TEXT_COLOURS)
        lamps = self.section("lamps", tuple(status.value for status in SourceStatus))
        return Theme(
            name=name.strip(),
            dark=dark,
            roles=MappingProxyType(roles),
            disabled=MappingProxyType(disabled),
            severity=MappingProxyType(
                {s: self.pill(severity, f"severity.{s.value}") for s in Severity}
            ),
            breached=self.pill(pills, "pills.breached"),
            flapping=self.pill(pills, "pills.flapping"),
            known_issue=self.pill(pills, "pills.known_issue"),
            toast=self.pill(self.table, "toast"),
            at_risk=self.colour(text, "text.at_risk"),
            danger=self.colour(text, "text.danger"),
            paused=self.colour(text, "text.paused"),
            muted=self.colour(text, "text.muted"),
            error=self.colour(text, "text.error"),
            lamps=MappingProxyType(
                {status: self.colour(lamps, f"lamps.{status.value}") for status in SourceStatus}
            ),
            source=self.source,
        )

    def section(self, name: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
        """A table of the file, its keys checked: a typo must not pass unnoticed."""
        table = self.table.get(name)
        if table is None:
            raise self.error(name, "missing")
        if not isinstance(table, dict):
            raise self.error(name, "expected a table")
        for key in table:
            if key not in keys:
                raise self.error(f"{name}.{key}", f"unknown key (expected {', '.join(keys)})")
        return table

    def palette(self) -> tuple[dict[QPalette.ColorRole, QColor], dict[QPalette.ColorRole, QColor]]:
        table = self.table.get("palette")
        if not isinstance(table, dict):
            raise self.error("palette", "expected a table of QPalette roles")
        roles = {
            self.role(f"palette.{key}"): self.colour(table, f"palette.{key}")
            for key in table
            if key != "disabled"
        }
        for name in PALETTE_ROLES:
            if _ROLES[name] not in roles:
                raise self.error(f"palette.{name}", "missing")
        below = table.get("disabled", {})
        if not isinstance(below, dict):
            raise self.error("palette.disabled", "expected a table of QPalette roles")
        disabled = {
            self.role(f"palette.disabled.{key}"): self.colour(below, f"palette.disabled.{key}")
            for key in below
        }
        return roles, disabled

    def role(self, key: str) -> QPalette.ColorRole:
        role = _ROLES.get(key.rpartition(".")[2])
        if role is None:
            raise self.error(key, "not a QPalette colour role (Window, Text, Highlight, ...)")
        return role

    def pill(self, table: Mapping[str, Any], key: str) -> PillColours:
        value = table.get(key.rpartition(".")[2])
        if value is None:
            raise self.error(key, "missing")
        if not isinstance(value, dict):
            raise self.error(key, "expected { fill = ..., text = ... }")
        for part in value:
            if part not in ("fill", "text"):
                raise self.error(f"{key}.{part}", "unknown key (expected fill or text)")
        return PillColours(self.colour(value, f"{key}.fill"), self.colour(value, f"{key}.text"))

    def colour(self, table: Mapping[str, Any], key: str) -> QColor:
        value = table.get(key.rpartition(".")[2])
        if value is None:
            raise self.error(key, "missing")
        if not isinstance(value, str) or not QColor.isValidColorName(value):
            raise self.error(key, f'not a colour: {value!r} (expected "#rrggbb" or a colour name)')
        return QColor(value)
