"""Render the README's runbook pictures: the DB storm's SOP worked part way, and its confirmation.

Runs the demo estate on a scratch database at a fixed time, ticks the first checks,
answers the decision, runs the scale-out on the demo (simulated) and renders, offscreen,
the operator window with the Runbook tab open and the confirmation dialog of the next run.
Usage: python scripts/runbook_screenshots.py docs/
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt

from app.config import Config
from app.console import Console
from ui import theme
from ui.app import application, mode_look
from ui.main_window import MainWindow
from ui.workers.actions import TaskRunner

RUNBOOK = "db-connection-saturation"


def main(folder: Path) -> None:
    t0 = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = [t0]
    scratch = tempfile.TemporaryDirectory()
    console = Console.open(
        Config.demo(),
        database_url=f"sqlite:///{Path(scratch.name) / 'shots.db'}",
        operator="alice",
        wall_clock=lambda: clock[0],
    )
    console.poll_once(t0)
    storm = next(i for i in console.wall(t0) if i.root_service == "acme-db")
    assert storm.id is not None
    console.acknowledge(storm.id, t0 + timedelta(seconds=40))
    console.tick_step(storm.id, RUNBOOK, "confirm-root", t0 + timedelta(minutes=1))
    console.tick_step(storm.id, RUNBOOK, "who-holds", t0 + timedelta(minutes=2))
    console.answer_decision(
        storm.id,
        RUNBOOK,
        "leak-or-load",
        "No: load is spread across clients",
        t0 + timedelta(minutes=3),
    )
    clock[0] = t0 + timedelta(minutes=4)
    prepared = console.prepare_action(storm.id, RUNBOOK, "scale-pooler", {"pooler_nodes": "4"})
    console.run_action(prepared, clock[0])
    clock[0] = t0 + timedelta(minutes=5)
    console.poll_once(clock[0])
    app = application()
    colours, scale, _ = mode_look(console, wall=False)
    with theme.applied(app, colours, font_scale=scale):
        settings = QSettings(str(Path(scratch.name) / "views.ini"), QSettings.Format.IniFormat)
        window = MainWindow(
            console,
            clock=lambda: clock[0],
            prompt=lambda *_: None,
            severity_prompt=lambda _: None,
            runner=TaskRunner(synchronous=True),
            settings=settings,
            audible=False,
        )
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        window.resize(1600, 900)
        window.load(console.wall(clock[0]), console.source_health())
        window.table.select_incident(storm.id)
        window.show()
        panel = window.side_panel
        assert panel is not None
        panel.tabs.setCurrentIndex(2)
        for _ in range(5):
            app.processEvents()
        runbook = panel.runbook
        card = runbook.cards["scale-pooler"]
        runbook.steps_area.ensureWidgetVisible(card, 0, 0)
        bar = runbook.steps_area.verticalScrollBar()
        bar.setValue(min(bar.maximum(), card.y() - 40))
        for _ in range(5):
            app.processEvents()
        window.grab().save(str(folder / "runbook.png"), "PNG")
        dialog = runbook.open_action("scale-pooler")
        for _ in range(5):
            app.processEvents()
        dialog.grab().save(str(folder / "runbook-confirm.png"), "PNG")
        dialog.close()
        window.table.sla_timer.stop()
        window.close()
    console.shutdown()
    scratch.cleanup()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
