"""Regression guard for the PySide6 6.12 binding bug on CPython 3.11 (None/True refcounts).

PySide6/shiboken6 6.12.0 on CPython 3.11 drops a reference to None on every void call
(processEvents, update) and to True on every Signal.emit, and the interpreter aborts
with "none_dealloc" after a few thousand calls (PERF.md, shared/peers/refcount_check.py).
On 3.12+ the singletons are immortal and the counts never move.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget


class _Emitter(QObject):
    changed = Signal(int)


def test_qt_calls_do_not_leak_references_to_none_or_true(qtbot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    emitter = _Emitter()
    received: list[int] = []
    emitter.changed.connect(received.append)
    calls = (
        (None, QApplication.processEvents),
        (None, widget.update),
        (True, lambda: emitter.changed.emit(1)),
    )
    for singleton, call in calls:
        before = sys.getrefcount(singleton)
        for _ in range(300):
            call()
        assert sys.getrefcount(singleton) - before == 0, f"{call} leaks references to {singleton}"
    assert len(received) == 300
