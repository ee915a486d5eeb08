"""Starting and stopping the GUI: run() until first paint, the excepthook, fatal errors, renders."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from app.console import Console
from ui import app as ui_app
from ui.main_window import MainWindow
from ui.screenshot import render

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("wall", [False, True], ids=["operator", "wall"])
def test_run_quits_after_the_first_paint_and_shuts_down(tmp_path: Path, wall: bool) -> None:
    """In a process of its own: after `exec()` the shared test QApplication is spoilt."""
    env = dict(os.environ, NOC_QUIT_AFTER_FIRST_PAINT="1", QT_QPA_PLATFORM="offscreen")
    command = [
        sys.executable,
        "-m",
        "tests.helpers.ui_run_probe",
        f"sqlite:///{tmp_path / 'noc.db'}",
    ]
    done = subprocess.run(
        [*command, *(["--wall"] if wall else [])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "exit=0 shutdowns=1 hook_restored=True" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_excepthook_shows_the_error_in_the_status_bar(
    qtbot, polled_console: Console, t0: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    window = MainWindow(polled_console, clock=lambda: t0)
    qtbot.addWidget(window)
    hook = ui_app.status_bar_excepthook(window)
    try:
        raise ValueError("boom")
    except ValueError as error:
        hook(ValueError, error, error.__traceback__)
    assert "internal error: ValueError: boom" in window.status.message_label.text()
    assert "uncaught exception" in caplog.text


def test_show_fatal_error_is_a_modal_critical_box(monkeypatch: pytest.MonkeyPatch, qapp) -> None:
    shown: list[tuple[QMessageBox.Icon, str]] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append((box.icon(), box.text()))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    ui_app.show_fatal_error("the database at /x/noc.db is newer than this NOC Console")
    assert shown == [
        (QMessageBox.Icon.Critical, "the database at /x/noc.db is newer than this NOC Console")
    ]


@pytest.mark.parametrize("view", ["operator", "wall", "wall-metrics", "charts"])
def test_render_writes_a_png_of_the_requested_size(
    qapp, polled_console: Console, t0: datetime, tmp_path: Path, view: str
) -> None:
    out = tmp_path / "shots" / f"{view}.png"
    render(polled_console, out, view=view, size=(1200, 700), now=t0)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 700)
    assert not QApplication.topLevelWidgets() or all(
        not w.isVisible() for w in QApplication.topLevelWidgets()
    )


def test_render_refuses_an_unknown_view(
    qapp, polled_console: Console, t0: datetime, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unknown view"):
        render(polled_console, tmp_path / "x.png", view="kiosk", now=t0)


def test_gui_start_errors_are_a_dialog_with_the_cli_s_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken config when opening the window: the same line in a dialog, exit 2, no traceback."""
    import ui.app
    from ui.launch import main

    shown: list[str] = []
    monkeypatch.setattr(ui.app, "show_fatal_error", shown.append)
    config = tmp_path / "noc.toml"
    config.write_text('[[sources]]\nname = "x"\n')
    assert main(["--config", str(config)]) == 2
    expected = f"{config}:1: sources[0]: missing field 'kind'"
    assert shown == [expected]
    assert capsys.readouterr().err == f"noc-console: {expected}\n"


def test_sigterm_stops_the_console_cleanly(tmp_path: Path) -> None:
    """A wall display under systemd is stopped with SIGTERM: workers joined, exit 0."""
    import signal
    import sqlite3
    import time
    from contextlib import closing

    database = tmp_path / "term.db"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    env.pop("NOC_QUIT_AFTER_FIRST_PAINT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "ui", "--db", f"sqlite:///{database}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        polled = False
        while not polled and time.monotonic() < deadline and process.poll() is None:
            if database.exists():
                with closing(sqlite3.connect(database)) as connection:
                    try:
                        polled = bool(
                            connection.execute("SELECT count(*) FROM source_health").fetchone()[0]
                        )
                    except sqlite3.OperationalError:  # not migrated yet
                        polled = False
            if not polled:
                time.sleep(0.1)
        assert polled, "the console never polled"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
