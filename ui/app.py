"""Starting the GUI: the QApplication, the window, the poll worker, and a clean shutdown."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from PySide6.QtCore import QMessageLogContext, Qt, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtWidgets import QApplication, QMessageBox

from app.console import Console
from ui import theme
from ui.gui_collector import GuiThreadCollector
from ui.main_window import APPLICATION, ORGANIZATION, MainWindow
from ui.workers.poll_worker import PollThread

log = logging.getLogger(__name__)

QUIT_AFTER_FIRST_PAINT = "NOC_QUIT_AFTER_FIRST_PAINT"

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def utc_now() -> datetime:
    return datetime.now(UTC)


def application() -> QApplication:
    """The process's QApplication, created on first use."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setOrganizationName(ORGANIZATION)
    app.setDesktopFileName("com.example.NocConsole")
    return app


# harmless noise of the offscreen platform (screenshots, CI): every shown layout triggers it
_QUIET_QT_MESSAGES = ("This plugin does not support propagateSizeHints",)
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def route_qt_messages_to_logging() -> None:
    """Qt's own warnings go to our log (file and -v), not raw to stderr of the CLI."""
    qt_log = logging.getLogger("qt")

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if not message.startswith(_QUIET_QT_MESSAGES):
            qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


def status_bar_excepthook(window: MainWindow) -> ExceptHook:
    """Log an uncaught exception (a bug in a slot) and show it in the status bar; keep running."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, error, tb))
        log.error("uncaught exception in the GUI:\n%s", text)
        try:
            window.show_error(f"internal error: {kind.__name__}: {error} (details in the log)")
        except RuntimeError:  # the window is already gone (shutting down)
            sys.__excepthook__(kind, error, tb)

    return hook


def stop_on_signals(app: QApplication) -> QTimer:
    """Quit cleanly on Ctrl-C or SIGTERM (a wall display under systemd), joining the workers.

    Python runs signal handlers only between bytecodes, and the Qt event loop is C++: a
    timer wakes the interpreter twice a second so a pending signal is seen.
    """
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: app.quit())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(500)
    return timer


def freeze_startup_heap() -> None:
    """Move everything alive after startup (Qt bindings, SQLAlchemy, the first wall) out of
    the cyclic GC's reach.

    A full collection walks every tracked object and holds the GIL while it does: with the
    startup heap in it, a collection triggered by a storm's parse on a worker thread froze
    the GUI for 60-190 ms (benchmarks/test_gui_stall_bench.py). Frozen objects are never
    collected, which is right for what lives as long as the process.
    """
    gc.collect()
    gc.freeze()


# How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms).
GIL_SWITCH_INTERVAL_S = 0.001


def share_the_gil_promptly(interval: float = GIL_SWITCH_INTERVAL_S) -> float:
    """Make a busy poll worker hand the GIL to the GUI thread within `interval`; returns
    the previous interval.

    PySide releases the GIL around Qt calls, so one timer event or paint takes the GIL
    back several times, and each time it may wait a whole switch interval while a worker
    parses or triages a storm. At CPython's 5 ms, a 10k-alert storm (benchmarks/
    test_gui_stall_bench.py) showed about 19 gaps over 40 ms per run between ticks of a
    10 ms timer with the GUI thread itself idle, and a 99th-percentile gap of about 70 ms;
    at 1 ms, about 3 such gaps and 44 ms. The price: the storm's three polls took about
    5 % longer on the worker (more hand-overs).
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    return previous


def poll_when_the_network_returns(pollers: list[PollThread]) -> QNetworkInformation | None:
    """After sleep, a VPN coming up or a cable plugged back, poll every source at once
    instead of waiting out a backoff (RELIABILITY pollers 8). Best effort: without an OS
    backend (glib, NetworkManager) there is nothing to listen to."""
    if not QNetworkInformation.loadDefaultBackend():
        return None
    information = QNetworkInformation.instance()
    if information is None:
        return None
    online = (QNetworkInformation.Reachability.Online, QNetworkInformation.Reachability.Site)

    def changed(reachability: QNetworkInformation.Reachability) -> None:
        if reachability in online:
            log.info("network reachable again: polling every source now")
            for poller in pollers:
                poller.request_poll()

    information.reachabilityChanged.connect(changed)
    return information


def mode_look(console: Console, *, wall: bool) -> tuple[theme.Theme, float, str | None]:
    """The mode's theme and font scale from the config ([console] or [wall]), and why
    the built-in theme stands in when the configured file cannot be read."""
    display = console.config.display.wall if wall else console.config.display.operator
    colours, refused = theme.load_or_fallback(display.theme, "dark" if wall else "light")
    return colours, display.font_scale, refused


def run(console: Console, *, wall: bool = False) -> int:
    """Open the console's window, poll in the background until it closes; the exit code."""
    app = application()
    app.setApplicationName(APPLICATION)
    share_the_gil_promptly()
    colours, scale, refused = mode_look(console, wall=wall)
    theme.apply(app, colours, font_scale=scale)  # before any widget takes its font
    window = MainWindow(console, wall=wall, clock=utc_now)
    collector = GuiThreadCollector(app)
    collector.start()
    if refused is not None:
        window.show_error(refused)
    window.load(console.wall(utc_now()), console.source_health())
    # one worker thread per source: a hanging or slow source delays nobody else
    pollers = [
        PollThread(p, interval=p.interval, clock=utc_now, name=p.name)
        for p in console.source_pollers()
    ]
    for poller in pollers:
        poller.polled.connect(window.apply_changes)
        poller.poll_failed.connect(window.show_poll_error)
    walls: list[MainWindow] = []
    window.wall_requested.connect(lambda: open_wall(console, pollers, walls, window))
    poll_when_the_network_returns(pollers)
    # after the first paint: a full collection before it would delay the window
    window.first_painted.connect(freeze_startup_heap, Qt.ConnectionType.QueuedConnection)
    previous_hook = sys.excepthook
    sys.excepthook = status_bar_excepthook(window)
    stop_on_signals(app)
    if os.environ.get(QUIT_AFTER_FIRST_PAINT) == "1":
        # the wall-clock moment of the first paint, for the startup benchmark's launch-to-paint
        window.first_painted.connect(lambda: print(f"first-paint {time.time():.6f}", flush=True))  # noqa: T201
        window.first_painted.connect(app.quit, Qt.ConnectionType.QueuedConnection)
    try:
        if wall:
            show_on_screen(window, console.config.display.wall.screen)
        else:
            window.show()
        for poller in pollers:
            poller.start()
        code = app.exec()
    finally:
        sys.excepthook = previous_hook
        for poller in pollers:
            poller.stop()
        for shown in (*walls, window):
            shown.save_view_state()
            shown.shutdown()
            shown.close()
            shown.deleteLater()
        console.shutdown()
        collector.stop()
    return code


def open_wall(
    console: Console, pollers: list[PollThread], walls: list[MainWindow], operator: MainWindow
) -> MainWindow:
    """The wall display beside the operator's window (F11): same console, same polls; a
    second F11 brings the open one forward. While it is open the wall plays the sounds
    (one room, one alarm), and closing it gives them back to the operator's window."""
    if walls:
        walls[0].raise_()
        walls[0].activateWindow()
        return walls[0]
    wall = MainWindow(console, wall=True, clock=utc_now)
    wall.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    # the operator window's incidents, not a database read on the GUI thread (which would
    # also reset the console's change-set baseline under the operator window's feet)
    wall.load(list(operator.model.all_incidents()), console.source_health())
    for poller in pollers:
        poller.polled.connect(wall.apply_changes)
        poller.poll_failed.connect(wall.show_poll_error)
    walls.append(wall)
    operator.sounds_enabled = False

    def closed() -> None:
        walls.remove(wall)
        operator.sounds_enabled = True

    wall.destroyed.connect(closed)
    show_on_screen(wall, console.config.display.wall.screen)
    return wall


def show_on_screen(window: MainWindow, screen: int | str) -> None:
    """Full screen on the configured display (`[wall] screen`: index or name); the primary
    display when that one is not connected (a wall PC rebooted with a screen off)."""
    screens = QGuiApplication.screens()
    chosen = None
    if isinstance(screen, int) and 0 <= screen < len(screens):
        chosen = screens[screen]
    elif isinstance(screen, str):
        chosen = next((s for s in screens if s.name() == screen), None)
    if chosen is None:
        if screens:
            log.warning("wall screen %r not found; using the primary display", screen)
        chosen = QGuiApplication.primaryScreen()
    if chosen is not None:
        window.setScreen(chosen)
        window.move(chosen.geometry().topLeft())
    window.showFullScreen()


def show_fatal_error(message: str) -> None:
    """A modal error box (config or database errors at startup) instead of a traceback."""
    application()
    box = QMessageBox(
        QMessageBox.Icon.Critical, APPLICATION, message, QMessageBox.StandardButton.Ok
    )
    box.setWindowTitle(f"{APPLICATION} cannot start")
    box.exec()
