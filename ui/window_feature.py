"""The base of the main window's feature mixins: a QMainWindow to the type checker, `object` at run time.

MainWindow is put together from one mixin per feature (`ui/window_views.py`,
`ui/window_tickets.py`, `ui/window_sounds.py`, `ui/window_suppressed.py`,
`ui/window_policies.py`, `ui/window_wall.py`) rather than from controller objects it
delegates to, because:

- the features' methods are the window's public API (tests, the app and the benchmarks
  call `window.save_view(...)`, `window.ticket()`, `window.show_sounds()`): as mixin
  methods they stay real methods of MainWindow, with no forwarding stub for each;
- the features share the window's state (the model, the table, the status bar, the
  settings) and react to each other (a delivered ticket is a change set for the wall):
  a controller would need a back-reference to the window and reach into it anyway;
- slots stay bound methods of the window, a QObject, so Qt drops their connections when
  the window goes, as it did before the split.

Each mixin declares, as class annotations, what it reads of the window and what it holds
(its Attributes), so mypy checks every use; it has no `__init__`: MainWindow calls its
builders (`_build_sounds`, `_build_wall`, ...) in the order the window always built them.
At run time the mixins derive from `object`, so MainWindow stays one Qt class with one Qt
base (QMainWindow, last among its bases) and no mixin becomes a QObject type of its own;
to the type checker they derive from QMainWindow, so `self` is a widget (a dialog's
parent, `restoreGeometry`, `menuBar`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    WindowFeature = QMainWindow
else:
    WindowFeature = object
