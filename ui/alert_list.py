"""The side panel's alert list: each alert of an incident, and under it why it is there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from app.domain.alert import Alert
from ui import theme
from ui.local_time import day_and_time

COLUMNS = ("Status", "Alert", "Instance", "Since", "Summary")
FLAPPING_MARK = "\u27f2"  # ⟲, as on the wall's badge
_WHY_PREFIX = "\u21b3 "  # ↳


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert as the list shows it.

    Attributes:
        status: "firing", "resolved" or "suppressed", with ⟲ when it flaps.
        alertname, instance, since, summary: the row's other columns.
        why: the line under it (the engine's reason, flapping, suppression), or "".
    """

    status: str
    alertname: str
    instance: str
    since: str
    summary: str
    why: str


def suppressed(alert: Alert) -> bool:
    """Firing, but held out of every incident (silence, inhibition, maintenance)."""
    return alert.firing and bool(alert.suppressed_by)


def why_text(alert: Alert) -> str:
    """'⟲ flapping · symptom of acme-db: acme-api depends on it · suppressed: silenced by ...'."""
    parts = []
    if alert.flapping:
        parts.append(f"{FLAPPING_MARK} flapping: fires and clears too often")
    if alert.reason:
        parts.append(alert.reason)
    if suppressed(alert):
        parts.append("suppressed: " + "; ".join(alert.suppressed_by))
    return " \u00b7 ".join(parts)


def alert_row(alert: Alert, now: datetime) -> AlertRow:
    status = "suppressed" if suppressed(alert) else alert.status.value
    if alert.flapping:
        status = f"{status} {FLAPPING_MARK}"
    return AlertRow(
        status=status,
        alertname=alert.alertname,
        instance=alert.labels.get("instance", ""),
        since=day_and_time(alert.starts_at, now),
        summary=alert.summary,
        why=why_text(alert),
    )


class AlertList(QTreeWidget):
    """The alerts of one incident, one row each; the reason line sits under its alert, muted,
    across the whole width, so the long texts are read rather than cut.

    Attributes:
        (none beyond QTreeWidget's)

    Signals:
        (none beyond QTreeWidget's)
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(list(COLUMNS))
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.header().setStretchLastSection(True)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def set_alerts(self, alerts: Sequence[Alert], now: datetime) -> None:
        self.clear()
        rows = [alert_row(alert, now) for alert in alerts]
        muted = theme.theme_for(self.palette()).muted_brush
        items: list[QTreeWidgetItem] = []
        for alert, row in zip(alerts, rows, strict=True):
            item: QTreeWidgetItem = QTreeWidgetItem(
                [row.status, row.alertname, row.instance, row.since, row.summary]
            )
            labels = "\n".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
            why = f"\n{row.why}" if row.why else ""
            item.setToolTip(4, f"{row.summary}{why}\n\n{labels}")
            if alert.flapping:
                item.setToolTip(0, "flapping: this alert fires and clears too often")
            if not alert.firing or suppressed(alert):
                for column in range(len(COLUMNS)):
                    item.setForeground(column, muted)
            if row.why:
                line = QTreeWidgetItem(item, [_WHY_PREFIX + row.why])
                line.setForeground(0, muted)
                line.setToolTip(0, row.why)
            items.append(item)
        self.addTopLevelItems(items)
        for item in items:
            spanned = item.child(0) if item.childCount() else None
            if spanned is not None:
                spanned.setFirstColumnSpanned(True)  # only once the item is in the tree
        self.expandAll()
        for column in range(len(COLUMNS) - 1):
            self.resizeColumnToContents(column)

    def rows(self) -> list[AlertRow]:
        """What the list shows, read back from its items: one AlertRow per alert, in order."""
        found = []
        for number in range(self.topLevelItemCount()):
            item = self.topLevelItem(number)
            if item is None:
                continue
            line = item.child(0) if item.childCount() else None
            why = line.text(0).removeprefix(_WHY_PREFIX) if line is not None else ""
            status, alertname, instance, since, summary = (
                item.text(column) for column in range(len(COLUMNS))
            )
            found.append(AlertRow(status, alertname, instance, since, summary, why))
        return found
