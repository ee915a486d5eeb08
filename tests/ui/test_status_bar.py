"""Source lamps and the status bar: colour, words, the error as tooltip, the last poll."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.domain.health import SourceHealth, SourceStatus
from ui import theme
from ui.local_time import hm, hms
from ui.status_bar import ConsoleStatusBar, lamp_text, lamp_tooltip


def test_lamp_words(t0: datetime) -> None:
    since = t0 - timedelta(minutes=9)
    assert lamp_text(SourceHealth("demo", "demo", SourceStatus.OK, alert_count=14)) == (
        "demo \u00b7 ok \u00b7 14 alerts"
    )
    assert lamp_text(SourceHealth("am", "alertmanager", SourceStatus.DEGRADED, alert_count=1)) == (
        "am \u00b7 degraded \u00b7 1 alert"
    )
    down = SourceHealth(
        "prod-am", "alertmanager", SourceStatus.DOWN, stale_since=since, last_success=since
    )
    assert lamp_text(down) == f"prod-am \u00b7 down \u00b7 stale since {hm(since)}"
    blind = SourceHealth("new-am", "alertmanager", SourceStatus.DOWN, stale_since=since)
    assert lamp_text(blind) == "new-am \u00b7 down \u00b7 never answered"
    limited = SourceHealth(
        "dd", "datadog", SourceStatus.RATE_LIMITED, stale_since=since, last_success=since
    )
    assert lamp_text(limited) == f"dd \u00b7 rate limited \u00b7 stale since {hm(since)}"
    assert lamp_text(SourceHealth("new", "prometheus")) == "new \u00b7 not polled yet"


def test_the_status_bar_shows_lamps_errors_and_the_last_poll(qtbot, t0: datetime) -> None:
    bar = ConsoleStatusBar(clock=lambda: t0)
    qtbot.addWidget(bar)
    down = SourceHealth(
        "prod-am",
        "alertmanager",
        SourceStatus.DOWN,
        error="connection refused by alertmanager.prod:9093",
        error_class="unreachable",
        last_success=t0 - timedelta(minutes=3),
        stale_since=t0 - timedelta(minutes=3),
    )
    bar.set_source_health([SourceHealth("demo", "demo", SourceStatus.OK, alert_count=3), down])
    lamps = bar.sources.lamps
    assert list(lamps) == ["demo", "prod-am"]
    assert "connection refused" in lamps["prod-am"].toolTip()
    assert "[unreachable]" in lamps["prod-am"].toolTip()
    assert lamps["prod-am"]._dot.status is SourceStatus.DOWN
    assert theme.LAMP_COLOURS[SourceStatus.DOWN] != theme.LAMP_COLOURS[SourceStatus.OK]
    assert not bar.sources.all_ok()
    bar.set_last_poll(t0)
    assert bar.last_poll_label.text() == f"last poll {hms(t0)}"
    bar.show_error("poll failed: database is locked")
    assert "database is locked" in bar.message_label.text()
    bar.show_info("INC-000007 acknowledged")
    assert bar.message_label.text() == "INC-000007 acknowledged"
    # the same sources again only update the lamps in place
    before = lamps["demo"]
    bar.set_source_health([SourceHealth("demo", "demo", SourceStatus.OK, alert_count=4), down])
    assert bar.sources.lamps["demo"] is before
    assert before.label.text() == "demo \u00b7 ok \u00b7 4 alerts"


def test_lamp_ages_rate_limits_and_details(t0: datetime) -> None:
    ok = SourceHealth(
        "demo", "demo", SourceStatus.OK, alert_count=2, last_success=t0 - timedelta(seconds=12)
    )
    assert lamp_text(ok, t0) == "demo \u00b7 ok \u00b7 2 alerts \u00b7 12 s ago"
    assert lamp_text(ok, t0 + timedelta(minutes=5)).endswith("5 min ago")
    until = t0 + timedelta(minutes=2)
    limited = SourceHealth(
        "dd",
        "datadog",
        SourceStatus.RATE_LIMITED,
        stale_since=t0,
        last_success=t0,
        retry_after_until=until,
    )
    assert (
        lamp_text(limited, t0)
        == f"dd \u00b7 rate limited until {hm(until)} \u00b7 stale since {hm(t0)}"
    )
    detailed = SourceHealth(
        "am",
        "alertmanager",
        SourceStatus.DOWN,
        error="no answer",
        error_class="timeout",
        failures=4,
        circuit="open",
        next_attempt=t0 + timedelta(minutes=3),
        details={"url": "https://am.example:9093", "ca_bundle": "/etc/ssl/noc-ca.pem"},
    )
    tip = lamp_tooltip(detailed, t0)
    assert "no answer [timeout]" in tip
    assert "4 failed polls in a row: backing off" in tip
    assert "ca_bundle: /etc/ssl/noc-ca.pem" in tip
    assert "url: https://am.example:9093" in tip
