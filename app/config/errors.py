"""A configuration error that names the file, the line and the field at fault, in one line."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """Raised for anything a user wrote that the console cannot use.

    Attributes:
        path: the file (None for built-in defaults or command-line values).
        line: 1-based line number, when known.
        field: dotted field name, e.g. `sources[1].kind`.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.path) if self.path else "config"
        if self.line is not None:
            where += f":{self.line}"
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.message}".replace("\n", " ")
