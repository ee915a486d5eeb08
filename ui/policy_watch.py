"""Hot reload of the policies and catalog files: watch them, wait for the editor to finish, reload."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from app.console import Console
from ui.workers.actions import TaskRunner

log = logging.getLogger(__name__)

DEBOUNCE_MS = 500  # an editor's save is several events (truncate, write, rename)


class PolicyWatch(QObject):
    """Reloads the console's policies when their files change.

    Editors save by writing a new file and renaming it over the old one, which ends the
    watch on the old inode: each change re-adds the path, and the folder is watched too so
    a file that was briefly gone is seen when it comes back. A burst of changes is one
    reload, `DEBOUNCE_MS` after the last; the reload reads files, so it runs on the runner.

    Thread: lives in the GUI thread; `Console.reload_policies` runs on the runner's pool.

    Attributes:
        console: the facade whose policies are reloaded.
        paths: the files watched (the config's policies and catalog files, when set).
        watcher: the QFileSystemWatcher.
        debounce: the single-shot timer between the last change and the reload.

    Signals:
        policies_reloaded(): the files were read and are in force.
        reload_failed(str): a file was refused (file:line: field: message); the last good
            policies stay in force.
    """

    policies_reloaded = Signal()
    reload_failed = Signal(str)

    def __init__(
        self,
        console: Console,
        runner: TaskRunner,
        *,
        paths: Iterable[Path] | None = None,
        debounce_ms: int = DEBOUNCE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.console = console
        self.runner = runner
        if paths is None:
            config = console.config
            paths = (p for p in (config.policies_path, config.catalog_path) if p is not None)
        self.paths = [Path(p).absolute() for p in paths]
        self.watcher = QFileSystemWatcher(self)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(debounce_ms)
        self.debounce.timeout.connect(self.reload)
        self._running = False
        self._again = False
        self._watch()
        self.watcher.fileChanged.connect(self._on_changed)
        self.watcher.directoryChanged.connect(self._on_changed)

    @property
    def active(self) -> bool:
        return bool(self.paths)

    def _watch(self) -> None:
        """(Re-)add every path that exists, and its folder (a replaced file reappears there)."""
        watched = set(self.watcher.files()) | set(self.watcher.directories())
        wanted = {str(p) for p in self.paths if p.exists()}
        wanted |= {str(p.parent) for p in self.paths if p.parent.is_dir()}
        missing = sorted(wanted - watched)
        if missing:
            self.watcher.addPaths(missing)

    def _on_changed(self, path: str) -> None:
        # a folder event matters only when one of our files came back (other files, such
        # as a database beside the policies, come and go there too)
        watched = set(self.watcher.files())
        back = any(str(p) not in watched and p.exists() for p in self.paths)
        if path in {str(p) for p in self.paths} or back:
            self._watch()
            self.debounce.start()  # restarts: one reload after the last event of a burst

    def reload(self) -> None:
        """Reload now, off the GUI thread; one at a time (a change meanwhile reloads again)."""
        if self._running:
            self._again = True
            return
        self._running = True
        console = self.console
        self.runner.submit(
            "reload policies",
            console.reload_policies,
            on_result=self._finished,
            on_error=lambda error: self._finished(str(error) or type(error).__name__),
        )

    def stop(self) -> None:
        self.debounce.stop()
        paths = self.watcher.files() + self.watcher.directories()
        if paths:
            self.watcher.removePaths(paths)

    def _finished(self, error: object) -> None:
        self._running = False
        if isinstance(error, str) and error:
            self.reload_failed.emit(error)
        else:
            self.policies_reloaded.emit()
        if self._again:
            self._again = False
            self.reload()
