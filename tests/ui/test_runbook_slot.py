"""The Runbook tab's "Linked from alerts": links from the alerts, web links open, others do not."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QUrl

from app.console import Console
from app.domain.alert import Alert
from tests.helpers.sources import make_alert
from tests.helpers.ui_operator import panel_of, settle
from ui.runbook_slot import RunbookSlot, runbook_links


def with_runbook(alert: Alert, url: str) -> Alert:
    return replace(alert, annotations={**alert.annotations, "runbook_url": url})


def test_links_are_gathered_once_each_with_their_alerts(t0: datetime) -> None:
    alerts = [
        with_runbook(make_alert(alertname="DbConnections", starts_at=t0), "https://rb/db"),
        with_runbook(
            make_alert(alertname="HighLatency", instance="api-2", starts_at=t0), "https://rb/db"
        ),
        with_runbook(make_alert(alertname="HighLatency", starts_at=t0), "file:///etc/passwd"),
        make_alert(alertname="NoRunbook", starts_at=t0),
    ]
    assert runbook_links(alerts) == {
        "https://rb/db": ["DbConnections", "HighLatency"],
        "file:///etc/passwd": ["HighLatency"],
    }


def test_other_link_annotations_are_listed_too(t0: datetime) -> None:
    """RELIABILITY.md 27: runbook_url and any annotation that is a link (listed, and only
    web links open); generatorURL is shown nowhere clickable."""
    alert = replace(
        make_alert(alertname="DiskFull", starts_at=t0),
        annotations={
            "summary": "Disk full: see the dashboard",
            "dashboard": "https://grafana.example/d/disk",
            "playbook": "\\\\fileserver\\share\\disk.docx",
            "help": "ms-msdt:/id%20PCWDiagnostic",
        },
        generator_url=" //evil",
    )
    assert runbook_links([alert]) == {
        "https://grafana.example/d/disk": ["DiskFull (dashboard)"],
        "\\\\fileserver\\share\\disk.docx": ["DiskFull (playbook)"],
        "ms-msdt:/id%20PCWDiagnostic": ["DiskFull (help)"],
    }


def test_only_web_links_reach_the_browser(qtbot, t0: datetime) -> None:
    opened: list[QUrl] = []
    slot = RunbookSlot(opener=lambda url: opened.append(url) or True)
    qtbot.addWidget(slot)
    slot.set_alerts(
        [
            with_runbook(make_alert(alertname="A", starts_at=t0), "https://rb.example/a"),
            with_runbook(make_alert(alertname="B", starts_at=t0), "javascript:alert(1)"),
        ]
    )
    assert slot.links.count() == 2
    assert "not opened: only http and https links open (javascript:)" in slot.links.item(1).text()
    with qtbot.waitSignal(slot.refused) as refused:
        slot.links.itemActivated.emit(slot.links.item(1))
    assert refused.args[1].startswith("only http and https")
    assert opened == []
    assert slot.note.text().startswith("Not opened: only http and https links open")
    with qtbot.waitSignal(slot.opened):
        slot.links.itemActivated.emit(slot.links.item(0))
    assert [url.toString() for url in opened] == ["https://rb.example/a"]
    slot.set_alerts([])
    assert slot.note.text().startswith("No runbook linked")


def test_the_demo_storm_links_its_runbooks_in_the_panel(
    qtbot, make_window, polled_console: Console
) -> None:
    window = make_window(polled_console)
    window.table.select_row(0)
    settle(qtbot, window)
    slot = panel_of(window).runbook.alert_links  # under the checklist: "Linked from alerts"
    assert slot.links.count() >= 1
    assert slot.links.item(0).text().startswith("https://")
