"""Polling off the GUI thread: a PollWorker on its own QThread, driven by a timer of that thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from app.domain.changes import ChangeSet

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Pollable(Protocol):
    """What the worker needs: a poll (the console's, or one source's `SourcePoller`).

    A pollable that also has `next_poll_at() -> datetime | None` decides when it is due
    (its schedule honours Retry-After and backs off a dead peer); otherwise the worker
    polls every `interval`.
    """

    def poll_once(self, now: datetime) -> ChangeSet: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PollWorker(QObject):
    """Polls the console every `interval` and emits what changed.

    Thread: created in the GUI thread, then moved to the PollThread's QThread; `start`,
    `poll_now` and `stop` run there, and so does its QTimer (created in `start`).
    May touch: the console's `poll_once` and its own signals. Never widgets, models or
    QApplication.

    Attributes:
        interval: time between polls.
        polls: how many polls finished (tests and the status bar read it).

    Signals:
        polled(object): the ChangeSet of a finished poll.
        poll_failed(str): a poll raised; the message in words.
        stopped(): the timer is stopped and the thread is about to quit.
    """

    polled = Signal(object)
    poll_failed = Signal(str)
    stopped = Signal()

    def __init__(self, console: Pollable, *, interval: timedelta, clock: Clock = _utc_now) -> None:
        super().__init__()
        self.interval = interval
        self.polls = 0
        self._console = console
        self._clock = clock
        self._timer: QTimer | None = None
        self._running = False
        # set from the GUI thread by request_poll, cleared here: bursts collapse into one poll
        self._requested = threading.Event()

    @Slot()
    def start(self) -> None:
        """Create the timer in this thread and poll once right away."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.poll_now)
        self.poll_now()

    def _schedule_next(self) -> None:
        """Arm the timer for the next due poll (never sooner than 200 ms: no busy loop)."""
        if self._timer is None:
            return
        delay = self.interval
        next_poll_at = getattr(self._console, "next_poll_at", None)
        if callable(next_poll_at):
            due = next_poll_at()
            if isinstance(due, datetime):
                delay = due - self._clock()
        self._timer.start(max(200, int(delay.total_seconds() * 1000)))

    def claim_request(self) -> bool:
        """Note a poll request (any thread); False when one is already waiting to run."""
        if self._requested.is_set():
            return False
        self._requested.set()
        return True

    @Slot()
    def poll_requested(self) -> None:
        """A requested poll (queued here by PollThread.request_poll)."""
        self._requested.clear()
        self.poll_now()

    @Slot()
    def poll_now(self) -> None:
        """Poll once, unless a poll is still running (coalesce: skip, do not queue)."""
        if self._running:
            return
        self._running = True
        try:
            changes = self._console.poll_once(self._clock())
        except Exception as error:  # a failed poll must not stop the next one
            log.exception("poll failed")
            self.poll_failed.emit(str(error) or type(error).__name__)
        else:
            self.polls += 1
            self.polled.emit(changes)
        finally:
            self._running = False
            self._schedule_next()

    @Slot()
    def stop(self) -> None:
        """Stop the timer (in its own thread, as Qt requires) and end the thread's loop."""
        if self._timer is not None:
            self._timer.stop()
            self._timer.deleteLater()
            self._timer = None
        self.stopped.emit()
        thread = self.thread()
        if thread is not None:
            thread.quit()


class PollThread(QObject):
    """Starts and stops the PollWorker on its own QThread; forwards its signals.

    Thread: lives in the GUI thread; it owns the QThread and the worker.

    Attributes:
        worker: the PollWorker (lives in `qthread` once started).
        qthread: the QThread it runs on.

    Signals:
        polled(object): a ChangeSet, delivered in the GUI thread.
        poll_failed(str): a poll's error in words, delivered in the GUI thread.
    """

    polled = Signal(object)
    poll_failed = Signal(str)
    _stop_requested = Signal()
    _poll_requested = Signal()

    def __init__(
        self,
        console: Pollable,
        *,
        interval: timedelta,
        clock: Clock = _utc_now,
        name: str = "",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = PollWorker(console, interval=interval, clock=clock)
        self.qthread = QThread()
        self.qthread.setObjectName(f"poll-{name}" if name else "poll")
        self.worker.moveToThread(self.qthread)
        self.qthread.started.connect(self.worker.start)
        self._stop_requested.connect(self.worker.stop, Qt.ConnectionType.QueuedConnection)
        self._poll_requested.connect(self.worker.poll_requested, Qt.ConnectionType.QueuedConnection)
        self.worker.polled.connect(self.polled, Qt.ConnectionType.QueuedConnection)
        self.worker.poll_failed.connect(self.poll_failed, Qt.ConnectionType.QueuedConnection)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.qthread.start()

    def request_poll(self) -> None:
        """Poll now, out of turn (a refresh key); bursts of requests collapse into one poll."""
        if self.qthread.isRunning() and self.worker.claim_request():
            self._poll_requested.emit()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Stop the timer, quit the thread and join it (waits for a running poll to end)."""
        if not self._started or not self.qthread.isRunning():
            return True
        self._stop_requested.emit()
        finished = self.qthread.wait(timeout_ms)
        if not finished:
            log.error("poll thread did not stop within %d ms", timeout_ms)
        return finished

    @property
    def running(self) -> bool:
        return self.qthread.isRunning()
