"""The `noc-console` entry point: the core's commands, plus the ones that open a window.

Qt is imported only when a window is wanted, so the command-line commands start as fast
as the core's own (`python -m app`) and work where PySide6 is not installed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from app import cli


class QtWindows:
    """app.cli.Windows, by the Qt console."""

    def show_error(self, message: str) -> None:
        try:
            from ui.app import show_fatal_error  # noqa: PLC0415 - Qt only for a window

            show_fatal_error(message)
        except Exception as error:  # noqa: BLE001 - no display: the stderr line is enough
            sys.stderr.write(f"noc-console: (no dialog: {error})\n")

    def run(self, console: Any, *, wall: bool) -> int:
        from ui.app import route_qt_messages_to_logging, run  # noqa: PLC0415

        route_qt_messages_to_logging()
        return run(console, wall=wall)

    def screenshot(
        self, console: Any, out: Path, *, view: str, size: tuple[int, int], now: datetime
    ) -> None:
        from ui.app import route_qt_messages_to_logging  # noqa: PLC0415
        from ui.screenshot import render  # noqa: PLC0415

        route_qt_messages_to_logging()
        render(console, out, view=view, size=size, now=now)

    def report_pdf(self, html: str, out: Path, *, title: str) -> int:
        from ui.app import route_qt_messages_to_logging  # noqa: PLC0415
        from ui.report_pdf import write_pdf  # noqa: PLC0415

        route_qt_messages_to_logging()
        return write_pdf(html, out, title=title)


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(argv, windows=QtWindows())
