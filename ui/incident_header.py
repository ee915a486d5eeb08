"""Parts of the side panel's header: the severity pill, the known-issue box, and the
words the summary uses for flags, waits, customer updates and the root cause."""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QTextDocumentFragment
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.domain.incident import AUTO_REMEDIATED, FLAPPING, KNOWN_ISSUE, EventKind, Incident
from app.domain.severity import Severity
from app.domain.triage_rules import KnownIssue
from ui import theme
from ui.delegates import paint_severity_pill
from ui.local_time import day_and_time, hm, local
from ui.timeline import FLAPPING_MARK, waited


class SeverityBadge(QWidget):
    """The severity pill of the panel's header (the same drawing as the wall's column).

    Attributes:
        severity: the severity shown, or None for nothing.

    Signals:
        (none)
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.severity: Severity | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_severity(self, severity: Severity | None) -> None:
        self.severity = severity
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        return QSize(
            metrics.horizontalAdvance("P1") + metrics.height() * 2 + 16, metrics.height() + 10
        )

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self.severity is None:
            return
        painter = QPainter(self)
        paint_severity_pill(painter, QRectF(self.rect()), self.severity, self.font())
        painter.end()


def flag_words(incident: Incident) -> str:
    """'⟲ flapping, known issue KI-12, recurrence of INC-000003', or '—'."""
    words = []
    for flag in sorted(incident.flags):
        if flag == FLAPPING:
            words.append(f"{FLAPPING_MARK} flapping")
        elif flag == AUTO_REMEDIATED:
            words.append("\u2699 auto-remediated (see the timeline)")
        elif flag == KNOWN_ISSUE:
            words.append(f"known issue {incident.known_issue or ''}".strip())
        else:
            words.append(flag.replace("_", " "))
    if incident.recurrence_of is not None:
        words.append(f"recurrence of INC-{incident.recurrence_of:06d}")
    return ", ".join(words) or "\u2014"


def waiting_words(incident: Incident, now: datetime) -> str:
    """'paused since 14:02 (customer confirms the maintenance window)', or '' when not paused."""
    since = incident.paused_since
    if since is None:
        return ""
    when = hm(since) if local(since).date() == local(now).date() else day_and_time(since, now)
    reason = next(
        (e.note for e in reversed(incident.timeline) if e.kind is EventKind.PAUSED and e.note),
        "",
    )
    return f"paused since {when} ({reason})" if reason else f"paused since {when}"


def update_words(due: datetime, now: datetime) -> tuple[str, bool]:
    """('next customer update due in 12 min', False) or ('customer update overdue by 3 min', True)."""
    seconds = int((due - now).total_seconds())
    if seconds >= 0:
        return f"next customer update due in {waited(seconds)}", False
    return f"customer update overdue by {waited(-seconds)}", True


def root_words(incident: Incident) -> str:
    """'root cause candidate: acme-db · 5 dependent services affected', or '' without a root."""
    root = incident.root_service
    if not root:
        return ""
    others = sum(1 for service in incident.services if service != root)
    if not others:
        return f"root cause candidate: {root}"
    plural = "s" if others != 1 else ""
    return f"root cause candidate: {root} \u00b7 {others} dependent service{plural} affected"


class KnownIssueBox(QFrame):
    """The known-issue rule behind an incident's badge: its title, ticket and runbook.

    Attributes:
        heading: "Known issue KI-12".
        title_label: what the rule says the problem is.
        details_label: "ticket OPS-881 · runbook <link>" (hidden when the rule names neither).

    Signals:
        (none beyond QFrame's)
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("knownIssue")
        self._colour_border()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        self.heading = QLabel()
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.title_label = QLabel()
        self.details_label = QLabel()
        for label in (self.title_label, self.details_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.details_label.setOpenExternalLinks(True)  # the desktop opens it, not this process
        layout.addWidget(self.heading)
        layout.addWidget(self.title_label)
        layout.addWidget(self.details_label)

    def _colour_border(self) -> None:
        """The known-issue badge's colour, in the theme active now."""
        blue = theme.theme_for(self.palette()).known_issue.fill.name()
        self.setStyleSheet(
            f"#knownIssue {{ border: 1px solid {blue}; border-left: 4px solid {blue};"
            " border-radius: 3px; }"
        )

    def show_issue(self, issue_id: str, issue: KnownIssue | None) -> None:
        self._colour_border()
        self.heading.setText(f"Known issue {issue_id}")
        if issue is None:
            self.title_label.setText("this rule is no longer in the policies")
            self.details_label.setVisible(False)
            return
        self.title_label.setText(issue.title)
        parts = []
        if issue.ticket:
            parts.append(f"ticket {html.escape(issue.ticket)}")
        if issue.runbook:
            runbook = html.escape(issue.runbook)
            link = issue.runbook.startswith(("http://", "https://"))
            parts.append(
                f'runbook <a href="{runbook}">{runbook}</a>' if link else f"runbook {runbook}"
            )
        self.details_label.setText(" \u00b7 ".join(parts))
        self.details_label.setVisible(bool(parts))

    def details_text(self) -> str:
        """The details line without markup ("ticket OPS-881 · runbook https://...")."""
        return QTextDocumentFragment.fromHtml(self.details_label.text()).toPlainText()
