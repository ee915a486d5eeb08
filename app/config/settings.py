"""The TOML config file as typed dataclasses; errors name the file, the line and the field."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.config.actions import parse_actions
from app.config.display import (
    CONSOLE_DISPLAY_KEYS,
    DisplayConfig,
    parse_operator_display,
    parse_wall_display,
)
from app.config.errors import ConfigError
from app.config.sounds import SoundConfig, parse_sounds
from app.config.source_options import (
    SOURCE_KINDS,
    Complain,
    check_labels,
    check_source_options,
)
from app.config.ticketing import TicketingOptions, parse_ticketing_options
from app.domain.incident import EscalationTier
from app.domain.runbook import ActionSettings
from app.domain.timestamps import parse_duration

SCHEMA_VERSION = 1
CONFIG_FILE_NAME = "noc-console.toml"

_SOURCE_COMMON = frozenset({"name", "kind", "interval", "customer", "enabled", "timeout", "labels"})
TICKETING_KINDS = frozenset({"jira", "servicenow"})
_TOP_LEVEL = frozenset(
    {
        "schema_version",
        "database",
        "catalog",
        "policies",
        "runbooks",
        "sources",
        "ticketing",
        "console",
        "wall",
        "sounds",
        "actions",
    }
)
_CONSOLE = frozenset({"operator", "tier"}) | CONSOLE_DISPLAY_KEYS
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One `[[sources]]` entry.

    Attributes:
        name: unique; also the keyring entry for its secret.
        kind: alertmanager, prometheus, cloudwatch, datadog or demo.
        interval: time between polls.
        timeout: total deadline of one poll.
        customer: customer for alerts that carry no customer label.
        labels: which source label gives customer, service and severity (default: the same names).
        options: the kind's own fields (url, region, site, seed, ...).
    """

    name: str
    kind: str
    interval: timedelta = timedelta(seconds=15)
    timeout: timedelta = timedelta(seconds=10)
    customer: str | None = None
    enabled: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str | None:
        value = self.options.get("url")
        return str(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class TicketingConfig:
    """One `[[ticketing]]` entry; its fields beyond name, kind and url belong to the kind."""

    name: str
    kind: str
    url: str
    options: Mapping[str, Any] = field(default_factory=dict)
    settings: TicketingOptions = field(default_factory=TicketingOptions)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration.

    Attributes:
        path: the TOML file, None for the built-in demo estate.
        database_url: SQLAlchemy URL; None means the default file in the user's data folder.
        catalog_path, policies_path: YAML files (None: built-in or demo).
        runbook_dirs: folders of runbooks added to the built-in library.
        sources, ticketing: the configured systems.
        operator: the name written into timelines for this workstation's actions.
        operator_tier: the tier this desk works ([console] tier): its desktop notifications
            of escalations are those to this tier (None: every escalation).
        display: operator mode's and wall mode's looks ([console] and [wall]).
        sounds: which events make which sound, and the quiet hours ([sounds]).
        actions: where runbook actions may reach, and their endpoints ([actions]).
    """

    path: Path | None = None
    schema_version: int = SCHEMA_VERSION
    database_url: str | None = None
    catalog_path: Path | None = None
    policies_path: Path | None = None
    runbook_dirs: tuple[Path, ...] = ()
    sources: tuple[SourceConfig, ...] = ()
    ticketing: tuple[TicketingConfig, ...] = ()
    operator: str | None = None
    operator_tier: EscalationTier | None = None
    display: DisplayConfig = field(default_factory=DisplayConfig)
    sounds: SoundConfig = field(default_factory=SoundConfig)
    actions: ActionSettings = field(default_factory=ActionSettings)

    @property
    def is_demo(self) -> bool:
        return self.path is None

    @classmethod
    def demo(cls) -> Config:
        """No config at all: the built-in demo estate, so a first run shows a live wall."""
        return cls(sources=(SourceConfig(name="demo", kind="demo", interval=timedelta(seconds=5)),))


def load_config(path: Path | None) -> Config:
    """Read and check a config file; `None` (no file) means the demo estate."""
    if path is None:
        return Config.demo()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config: {error}", path=path) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        if line is None and "end of document" in message:
            line = max(1, len(text.splitlines()))
        reason = re.sub(r" ?\(at line.*\)", "", message)
        raise ConfigError(f"TOML syntax: {reason}", path=path, line=line) from None
    where = _Locator(text, path)
    for key in document:
        if key not in _TOP_LEVEL:
            raise where.error(
                f"unknown field (expected one of {', '.join(sorted(_TOP_LEVEL))})", key
            )
    version = document.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version < 1:
        raise where.error("expected a positive integer", "schema_version")
    if version > SCHEMA_VERSION:
        raise where.error(
            f"written for a newer NOC Console (schema {version}; this one reads up to {SCHEMA_VERSION})",
            "schema_version",
        )
    base = path.parent
    database = _table(document, "database", where)
    for key in database:
        if key != "url":
            raise where.error("unknown field (expected url)", key, "database")
    console = _table(document, "console", where)
    for key in console:
        if key not in _CONSOLE:
            expected = ", ".join(sorted(_CONSOLE))
            raise where.error(f"unknown field (expected one of {expected})", key, "console")
    display = DisplayConfig(
        operator=parse_operator_display(console, base, _complainer(where, "console")),
        wall=parse_wall_display(_table(document, "wall", where), base, _complainer(where, "wall")),
    )
    sounds = parse_sounds(_table(document, "sounds", where), base, _complainer(where, "sounds"))
    sources = tuple(
        _source(item, index, where) for index, item in enumerate(_array(document, "sources", where))
    )
    names = [s.name for s in sources]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise where.error(f"duplicate source name {name!r}", "name", "sources", index)
    ticketing = tuple(
        _ticketing(item, index, where, base)
        for index, item in enumerate(_array(document, "ticketing", where))
    )
    runbooks = document.get("runbooks", [])
    if isinstance(runbooks, str):
        runbooks = [runbooks]
    if not isinstance(runbooks, list) or not all(isinstance(r, str) for r in runbooks):
        raise where.error("expected a list of folders", "runbooks")
    return Config(
        path=path,
        schema_version=version,
        database_url=_optional_text(database, "url", where, "database"),
        catalog_path=_relative(base, _optional_text(document, "catalog", where)),
        policies_path=_relative(base, _optional_text(document, "policies", where)),
        runbook_dirs=tuple(base / Path(r).expanduser() for r in runbooks),
        sources=sources,
        ticketing=ticketing,
        operator=_optional_text(console, "operator", where, "console"),
        operator_tier=_tier(console, where),
        display=display,
        sounds=sounds,
        actions=parse_actions(
            _table(document, "actions", where), _complainer(where, "actions"), base
        ),
    )


class _Locator:
    """Finds the line of a key in the TOML text, since tomllib does not report positions."""

    def __init__(self, text: str, path: Path) -> None:
        self.lines = text.splitlines()
        self.path = path

    def _section_start(self, table: str | None, index: int | None) -> tuple[int, int]:
        if table is None:
            end = next(
                (n for n, line in enumerate(self.lines) if line.lstrip().startswith("[")),
                len(self.lines),
            )
            return 0, end
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
        starts = [n for n, line in enumerate(self.lines) if header.match(line)]
        if not starts:
            return 0, len(self.lines)
        start = starts[min(index or 0, len(starts) - 1)]
        end = next(
            (
                n
                for n in range(start + 1, len(self.lines))
                if self.lines[n].lstrip().startswith("[")
            ),
            len(self.lines),
        )
        return start, end

    def line_of(
        self, key: str | None, table: str | None = None, index: int | None = None
    ) -> int | None:
        start, end = self._section_start(table, index)
        if key is None:
            return start + 1 if table else None
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                return number + 1
        return start + 1 if table else None

    def error(
        self, message: str, key: str | None, table: str | None = None, index: int | None = None
    ) -> ConfigError:
        if table is None:
            name = key
        elif index is None:
            name = f"{table}.{key}" if key else table
        else:
            name = f"{table}[{index}].{key}" if key else f"{table}[{index}]"
        return ConfigError(
            message, path=self.path, line=self.line_of(key, table, index), field=name
        )


def _tier(console: Mapping[str, Any], where: _Locator) -> EscalationTier | None:
    value = console.get("tier")
    if value is None:
        return None
    try:
        return EscalationTier(value)
    except ValueError:
        tiers = ", ".join(t.value for t in EscalationTier)
        raise where.error(
            f"unknown tier {value!r} (expected one of {tiers})", "tier", "console"
        ) from None


def _complainer(where: _Locator, section: str) -> Complain:
    """`complain(message, key)` for a section's own checks, naming the key's line."""

    def complain(message: str, key: str | None) -> ConfigError:
        return where.error(message, key, section)

    return complain


def _table(document: Mapping[str, Any], key: str, where: _Locator) -> Mapping[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise where.error("expected a table", key)
    return value


def _array(document: Mapping[str, Any], key: str, where: _Locator) -> list[Mapping[str, Any]]:
    value = document.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise where.error(f"expected [[{key}]] tables", key)
    return value


def _optional_text(
    table: Mapping[str, Any],
    key: str,
    where: _Locator,
    section: str | None = None,
    index: int | None = None,
) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise where.error("expected non-empty text", key, section, index)
    return value.strip()


def _relative(base: Path, value: str | None) -> Path | None:
    return base / Path(value).expanduser() if value else None


def _duration(
    table: Mapping[str, Any],
    key: str,
    default: timedelta,
    where: _Locator,
    section: str,
    index: int,
) -> timedelta:
    if key not in table:
        return default
    try:
        value = parse_duration(table[key])
    except ValueError as error:
        raise where.error(str(error), key, section, index) from None
    if value <= timedelta(0):
        raise where.error("must be more than zero", key, section, index)
    return value


def _source(item: Mapping[str, Any], index: int, where: _Locator) -> SourceConfig:
    for required in ("name", "kind"):
        if required not in item:
            raise where.error(f"missing field {required!r}", None, "sources", index)
    name = _optional_text(item, "name", where, "sources", index) or ""
    if not _NAME.match(name):
        raise where.error(
            "use letters, digits, '.', '_' or '-' (it is also the keyring entry)",
            "name",
            "sources",
            index,
        )
    kind = item["kind"]
    if kind not in SOURCE_KINDS:
        raise where.error(
            f"unknown source kind {kind!r} (expected one of {', '.join(sorted(SOURCE_KINDS))})",
            "kind",
            "sources",
            index,
        )
    allowed = _SOURCE_COMMON | SOURCE_KINDS[kind]
    for key in item:
        if key not in allowed:
            raise where.error(
                f"unknown field for {kind} sources (expected one of {', '.join(sorted(allowed))})",
                key,
                "sources",
                index,
            )

    def complain(message: str, key: str | None) -> ConfigError:
        return where.error(message, key, "sources", index)

    check_source_options(kind, item, complain)
    labels = check_labels(item["labels"], complain) if "labels" in item else {}
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        raise where.error("expected true or false", "enabled", "sources", index)
    options = {k: v for k, v in item.items() if k in SOURCE_KINDS[kind]}
    return SourceConfig(
        name=name,
        kind=kind,
        interval=_duration(item, "interval", timedelta(seconds=15), where, "sources", index),
        timeout=_duration(item, "timeout", timedelta(seconds=10), where, "sources", index),
        customer=_optional_text(item, "customer", where, "sources", index),
        enabled=enabled,
        options=MappingProxyType(options),
        labels=MappingProxyType(labels),
    )


def _ticketing(item: Mapping[str, Any], index: int, where: _Locator, base: Path) -> TicketingConfig:
    for required in ("name", "kind", "url"):
        if required not in item:
            raise where.error(f"missing field {required!r}", None, "ticketing", index)
    kind = item["kind"]
    if kind not in TICKETING_KINDS:
        raise where.error(
            f"unknown ticketing kind {kind!r} (expected jira or servicenow)",
            "kind",
            "ticketing",
            index,
        )
    url = _optional_text(item, "url", where, "ticketing", index) or ""
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        raise where.error("ticketing systems are reached over https://", "url", "ticketing", index)
    options = MappingProxyType({k: v for k, v in item.items() if k not in ("name", "kind", "url")})

    def complain(message: str, key: str | None) -> ConfigError:
        return where.error(message, key, "ticketing", index)

    name = _optional_text(item, "name", where, "ticketing", index) or ""
    return TicketingConfig(
        name=name,
        kind=kind,
        url=url,
        options=options,
        settings=parse_ticketing_options(kind, options, complain, base, name),
    )
