"""One-shot console calls (operator actions, side-panel loads) on a QThreadPool.

A `ConsoleTask` runs one callable on a pool thread and reports through `TaskRunner`, a
QObject living in the GUI thread: the pool thread only emits a queued signal, and the
runner calls the submitter's callbacks in the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

OnResult = Callable[[Any], None]
OnError = Callable[[BaseException], None]


class _TaskRelay(QObject):
    """Carries results from pool threads to the runner; lives in the GUI thread.

    Attributes:
        (none)

    Signals:
        task_succeeded(int, object): task number and the callable's return value.
        task_raised(int, object): task number and the exception it raised.
    """

    task_succeeded = Signal(int, object)
    task_raised = Signal(int, object)


class ConsoleTask:
    """Runs one console call on a pool thread.

    A plain callable handed to `QThreadPool.start`, not a QRunnable subclass: PySide6
    6.12 keeps the Python wrappers of some started QRunnable subclasses referenced from
    the pool after the pool has auto-deleted them (the wrapper is invalid but alive, and
    holds its call's closure) for as long as the pool lives: in 600 polls of the wall's
    soak (benchmarks/test_wall_bench.py) 64 of 213 tasks stayed alive that way. PySide
    wraps a callable in a runnable of its own that lets it go after `run`.

    Thread: created in the GUI thread, `run` executes on a QThreadPool thread.
    May touch: the callable it was given (a console call) and the relay's signals
    (emit only). Never widgets, models or QApplication.

    Attributes:
        number: the runner's id of this task.

    Signals:
        (none: not a QObject; it reports through the relay's signals)
    """

    def __init__(self, number: int, call: Callable[[], Any], relay: _TaskRelay) -> None:
        self.number = number
        self._call = call
        self._relay = relay

    def __call__(self) -> None:
        self.run()

    def run(self) -> None:
        try:
            result = self._call()
        # every failure goes back to the GUI thread as a value; nothing dies on a pool thread
        except Exception as error:  # noqa: BLE001
            self._relay.task_raised.emit(self.number, error)
        else:
            self._relay.task_succeeded.emit(self.number, result)


@dataclass(frozen=True, slots=True)
class _Pending:
    label: str
    on_result: OnResult | None
    on_error: OnError | None


class TaskRunner(QObject):
    """Submits console calls to its own thread pool and delivers results in the GUI thread.

    Thread: lives in the GUI thread; only `ConsoleTask.run` runs elsewhere.

    Attributes:
        pool: the QThreadPool the tasks run on (a private one, so shutdown waits for ours).
        synchronous: run calls inline (one-shot CLI renders); results still go through
            the same callbacks and signals.

    Signals:
        action_finished(str, object): the task's label and its result.
        action_failed(str, object): the task's label and the exception it raised.
    """

    action_finished = Signal(str, object)
    action_failed = Signal(str, object)

    def __init__(
        self, parent: QObject | None = None, *, max_threads: int = 2, synchronous: bool = False
    ) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._numbers = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._relay = _TaskRelay()
        # queued: the slot runs in this object's (the GUI) thread, whoever emits
        self._relay.task_succeeded.connect(self._on_succeeded, Qt.ConnectionType.QueuedConnection)
        self._relay.task_raised.connect(self._on_raised, Qt.ConnectionType.QueuedConnection)

    def submit(
        self,
        label: str,
        call: Callable[[], Any],
        *,
        on_result: OnResult | None = None,
        on_error: OnError | None = None,
    ) -> int:
        """Run `call()` off the GUI thread; returns the task number."""
        number = next(self._numbers)
        self._pending[number] = _Pending(label, on_result, on_error)
        if self.synchronous:
            try:
                result = call()
            except Exception as error:  # noqa: BLE001 - the same contract as the pool path
                self._on_raised(number, error)
            else:
                self._on_succeeded(number, result)
            return number
        self.pool.start(ConsoleTask(number, call, self._relay))
        return number

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every running task is done (shutdown, tests); True when they are."""
        return self.pool.waitForDone(msecs)

    @Slot(int, object)
    def _on_succeeded(self, number: int, result: object) -> None:
        pending = self._pending.pop(number, None)
        if pending is None:
            return
        if pending.on_result is not None:
            pending.on_result(result)
        self.action_finished.emit(pending.label, result)

    @Slot(int, object)
    def _on_raised(self, number: int, error: object) -> None:
        pending = self._pending.pop(number, None)
        if pending is None:
            return
        log.info("%s failed: %s", pending.label, error)
        if pending.on_error is not None and isinstance(error, BaseException):
            pending.on_error(error)
        self.action_failed.emit(pending.label, error)
