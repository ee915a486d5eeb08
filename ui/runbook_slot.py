"""The runbook links an incident's alerts carry ("Linked from alerts" under the checklist).

It gathers each alert's `runbook_url` and other link-like annotations, one row per
distinct link with the alerts that name it. Only http and https links open (app/links.py); any other is listed
with the reason it stays closed, because annotations come from whoever can fire an
alert. `open_web_link` is the one door to the desktop's browser for runbook links (the
checklist's step texts and link steps go through it too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.domain.alert import Alert
from app.links import check_link

Opener = Callable[[QUrl], bool]
_URL_ROLE = int(Qt.ItemDataRole.UserRole) + 1
# an annotation that is meant as a link: a scheme, a UNC path or a scheme-relative path
_LINKISH = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:javascript|vbscript|data|file|search-ms|ms-[a-z-]+):"
    r"|\\\\|//)",
    re.IGNORECASE,
)


def runbook_links(alerts: Sequence[Alert]) -> dict[str, list[str]]:
    """Each distinct link the alerts carry, with the alerts that carry it, in order:
    `runbook_url` first, then any other annotation that looks like a link (a dashboard,
    a playbook), named by where it came from. (The monitor's `generatorURL` is not a
    runbook; the console shows it nowhere it could be clicked.)"""
    found: dict[str, list[str]] = {}

    def add(url: str | None, name: str) -> None:
        url = (url or "").strip()
        if url:
            names = found.setdefault(url, [])
            if name not in names:
                names.append(name)

    for alert in alerts:
        alertname = alert.labels.get("alertname") or alert.fingerprint
        add(alert.annotations.get("runbook_url"), alertname)
    for alert in alerts:
        alertname = alert.labels.get("alertname") or alert.fingerprint
        for key, value in alert.annotations.items():
            if key != "runbook_url" and _LINKISH.match(value.strip()):
                add(value, f"{alertname} ({key})")
    return found


def open_web_link(url: str, opener: Opener) -> str | None:
    """Hand a web link to `opener` (the desktop's browser); why not, when it was not opened."""
    check = check_link(url)
    if not check.ok:
        return check.reason
    if not opener(QUrl(url.strip(), QUrl.ParsingMode.StrictMode)):
        return "the desktop could not open it (no browser?)"
    return None


class RunbookSlot(QWidget):
    """The links from the alerts (under the runbook checklist in the side panel's Runbook tab).

    Attributes:
        links: the list of links (double click or Enter opens a web link).
        note: what the tab says above the list (none found, a link refused...).
        fit_to_rows: the list is as tall as its rows (inside a scrolling checklist) instead
            of taking the space left.

    Signals:
        opened(str): a link was handed to the desktop's browser.
        refused(str, str): a link was not opened, and why.
    """

    opened = Signal(str)
    refused = Signal(str, str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        opener: Opener | None = None,
        fit_to_rows: bool = False,
    ) -> None:
        super().__init__(parent)
        self._open = opener or QDesktopServices.openUrl
        self.fit_to_rows = fit_to_rows
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.note)
        self.links = QListWidget()
        self.links.itemActivated.connect(self._activated)
        layout.addWidget(self.links, 0 if fit_to_rows else 1)
        self.set_alerts([])

    def set_alerts(self, alerts: Sequence[Alert]) -> None:
        self.links.clear()
        found = runbook_links(alerts)
        for url, names in found.items():
            check = check_link(url)
            suffix = "" if check.ok else f"  \u2014 not opened: {check.reason}"
            item = QListWidgetItem(f"{url}{suffix}\n    from {', '.join(names)}")
            item.setData(_URL_ROLE, url)
            item.setToolTip(
                "double click or Enter opens it in the browser" if check.ok else check.reason
            )
            self.links.addItem(item)
        self.note.setText(
            "Runbooks linked by this incident's alerts (runbook_url):"
            if found
            else "No runbook linked: none of this incident's alerts carries a runbook_url."
        )
        if self.fit_to_rows:
            self._fit_rows()

    def _fit_rows(self) -> None:
        rows = sum(self.links.sizeHintForRow(i) for i in range(self.links.count()))
        self.links.setVisible(self.links.count() > 0)
        self.links.setFixedHeight(rows + 2 * self.links.frameWidth() + 4)

    def open_link(self, url: str) -> bool:
        """Open a web link in the desktop's browser; say why anything else is not."""
        check = check_link(url)
        if not check.ok:
            self.note.setText(f"Not opened: {check.reason}.")
            self.refused.emit(url, check.reason)
            return False
        if open_web_link(url, self._open) is not None:
            self.note.setText("The desktop could not open the link (no browser?).")
            self.refused.emit(url, "no browser answered")
            return False
        self.opened.emit(url)
        return True

    def _activated(self, item: QListWidgetItem) -> None:
        url = item.data(_URL_ROLE)
        if isinstance(url, str):
            self.open_link(url)
