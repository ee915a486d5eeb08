"""A scripted operator and clock for UI tests, and small waits on a main window."""

from __future__ import annotations

from datetime import datetime

from ui.main_window import MainWindow
from ui.side_panel import IncidentPanel


class Prompts:
    """A scripted operator: answers prompts in order and remembers what was asked."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str, bool]] = []

    def __call__(self, title: str, label: str, required: bool) -> str | None:
        self.asked.append((title, label, required))
        return self.answers.pop(0) if self.answers else None


class Clock:
    """The window's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settle(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Wait until the window's background tasks (loads, actions) are done."""
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)


def panel_of(window: MainWindow) -> IncidentPanel:
    assert window.side_panel is not None
    return window.side_panel
