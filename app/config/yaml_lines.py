"""YAML loading that remembers line numbers, so errors in catalogs and policies can name them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.config.errors import ConfigError


class LineDict(dict[str, Any]):
    """A mapping from YAML that knows the line of itself and of each key (1-based)."""

    line: int | None = None
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) or key is None:
            raise ConfigError(f"unsupported key {key!r}", line=key_node.start_mark.line + 1)
        text_key = str(key)
        if text_key in result:
            raise ConfigError(f"duplicate key {text_key!r}", line=key_node.start_mark.line + 1)
        result[text_key] = loader.construct_object(value_node, deep=True)
        result.key_lines[text_key] = key_node.start_mark.line + 1
    return result


class LineList(list[Any]):
    """A YAML sequence that knows the line of each item (1-based)."""

    line: int | None = None
    item_lines: list[int]

    def line_at(self, index: int) -> int | None:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(text: str, path: Path | str | None) -> Any:
    """Parse YAML safely; syntax errors become a ConfigError with the line."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except ConfigError as error:
        raise ConfigError(error.message, path=path, line=error.line, field=error.field) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError(f"YAML syntax: {problem}", path=path, line=line) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"YAML: {error}", path=path) from None


def read_yaml_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read: {error}", path=path) from None
    return load_yaml(text, path)


class Fields:
    """Typed access to one YAML mapping with errors that say file, line and dotted field."""

    def __init__(self, mapping: Any, path: Path | str | None, prefix: str, line: int | None = None):
        if not isinstance(mapping, dict):
            raise ConfigError(
                f"expected a mapping, got {type(mapping).__name__}",
                path=path,
                line=line,
                field=prefix or None,
            )
        self.mapping = mapping
        self.path = path
        self.prefix = prefix
        self.line = getattr(mapping, "line", line)

    def field(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def line_of(self, key: str) -> int | None:
        if isinstance(self.mapping, LineDict):
            return self.mapping.line_of(key)
        return self.line

    def error(self, key: str | None, message: str) -> ConfigError:
        return ConfigError(
            message,
            path=self.path,
            line=self.line_of(key) if key else self.line,
            field=self.field(key) if key else (self.prefix or None),
        )

    def check_keys(self, allowed: set[str]) -> None:
        for key in self.mapping:
            if key not in allowed:
                raise self.error(
                    key, f"unknown field (expected one of {', '.join(sorted(allowed))})"
                )

    def require(self, key: str) -> Any:
        if key not in self.mapping or self.mapping[key] is None:
            raise self.error(None, f"missing field {key!r}")
        return self.mapping[key]

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        if required:
            value = self.require(key)
        else:
            value = self.mapping.get(key)
            if value is None:
                return default
        if (
            not isinstance(value, str | int | float)
            or isinstance(value, bool)
            or str(value).strip() == ""
        ):
            raise self.error(key, f"expected text, got {value!r}")
        return str(value).strip()

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.mapping.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, f"expected a list of names, got {value!r}")
        return tuple(v.strip() for v in value)

    def child(self, key: str, default: Any = None) -> Fields | None:
        value = self.mapping.get(key, default)
        if value is None:
            return None
        return Fields(value, self.path, self.field(key), self.line_of(key))
