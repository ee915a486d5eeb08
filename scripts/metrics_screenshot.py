"""Render the Metrics view over days of the demo estate's history (docs/metrics.png).

Usage: python scripts/metrics_screenshot.py docs/ [--days 5]

Writes metrics.png (the light operator theme), metrics-dark.png, and wall-metrics.png
(the wall's rotation page at 1920x1080, the last 30 days by day).

The demo estate is polled every 10 minutes over the last `--days` days into a scratch
database (the simulator is a pure function of its seed and the time asked, so this is
the same history every run for the same end), with an operator acknowledging each new
incident a seeded few minutes after it appears; then `noc-console screenshot --view
charts` renders the view over it (ui/screenshot.py). Five days take about a minute
here; each poll reads a wall that grows with the history, so two weeks took over 20 minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.config import Config
from app.console import Console
from ui.screenshot import render

STEP = timedelta(minutes=10)


def demo_history(console: Console, start: datetime, end: datetime) -> None:
    """Poll the demo from `start` to `end`; acknowledge each incident after a seeded delay."""
    delays: dict[int, timedelta] = {}
    now = start
    while now < end:
        console.poll_once(now)
        for incident in console.wall(now):
            if incident.id is None or incident.acknowledged_at is not None:
                continue
            if incident.state.value in ("resolved", "closed", "false_positive"):
                continue
            wait = delays.setdefault(
                incident.id,
                timedelta(minutes=random.Random(incident.id).randint(2, 45)),  # noqa: S311
            )
            if now - incident.detected_at >= wait:
                console.acknowledge(incident.id, now)
        now += STEP


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args()
    end = datetime(2026, 11, 30, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory(prefix="noc-metrics-shot-") as scratch:
        console = Console.open(Config.demo(), database_url=f"sqlite:///{scratch}/history.db")
        try:
            demo_history(console, end - timedelta(days=args.days), end)
            for theme, name in (("light", "metrics.png"), ("dark", "metrics-dark.png")):
                display = console.config.display
                operator = replace(display.operator, theme=theme)
                console.config = replace(
                    console.config, display=replace(display, operator=operator)
                )
                render(console, args.folder / name, view="charts", size=(1600, 900), now=end)
                sys.stdout.write(f"{args.folder / name}\n")
            wall = args.folder / "wall-metrics.png"
            render(console, wall, view="wall-metrics", size=(1920, 1080), now=end)
            sys.stdout.write(f"{wall}\n")
        finally:
            console.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
