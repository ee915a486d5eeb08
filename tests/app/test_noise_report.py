"""The noise report over real SQLite: scripted polls in, figures and `noise-report` out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

import app.cli
from app.cli import main
from app.console import Console
from app.domain.alert import Alert
from app.domain.timestamps import iso_z
from app.engine.noise import NO_CHANGE
from app.store.noise import rule_figures
from tests.helpers.consoles import scripted_console
from tests.helpers.sources import ScriptedSource, make_alert

MINUTES = 46  # polls once a minute, t0 .. t0+45m
JSON_RULE_FIELDS = {
    "alertname", "sources", "volume", "share_pct", "false_positive_pct", "flapping_pct",
    "suppressed_pct", "median_duration", "services", "customers", "score", "suggestion",
}  # fmt: skip


def vpn_firing(minute: int) -> bool:
    """Fires for two minutes out of four until 28m: 7 occurrences, the later ones flapping."""
    return minute < 28 and minute % 4 < 2


def alerts_at(source: str, minute: int, t0: datetime) -> list[Alert]:
    """What each source reports at t0 + minute (a new occurrence starts when it fires again)."""

    def alert(alertname: str, customer: str, service: str, since: int, **kw: str) -> Alert:
        return make_alert(
            source,
            alertname=alertname,
            customer=customer,
            service=service,
            starts_at=t0 + timedelta(minutes=since),
            **kw,
        )

    found: list[Alert] = []
    if source == "prod-am":
        found.append(alert("HighLatency", "acme", "acme-api", 0, instance="api-1"))
        if vpn_firing(minute):
            found.append(alert("VpnTunnelDown", "globex", "globex-vpn", minute - minute % 4))
        if minute in (10, 25, 40):  # a one-minute blip, three times
            found.append(alert("CpuSpike", "acme", "acme-web", minute))
    else:
        found.append(alert("HighLatency", "acme", "acme-api", 0, instance="api-2"))
        if minute < 40:
            found.append(alert("DiskFull", "initech", "initech-storage", 0))
        backup = alert("BackupLate", "initech", "initech-backup", 0)
        found.append(replace(backup, suppressed_by=("silenced by 'backup window' (alice)",)))
    return found


@pytest.fixture
def console(db_url: str, t0: datetime) -> Iterator[Console]:
    """Forty-six polls of two sources; DiskFull's incident is marked a false positive at 5m."""
    sources = [ScriptedSource(name="prod-am"), ScriptedSource(name="prod-prom")]
    console = scripted_console(db_url, sources)
    try:
        for minute in range(MINUTES):
            now = t0 + timedelta(minutes=minute)
            for source in sources:
                source.set(alerts_at(source.name, minute, t0))
            console.poll_once(now)
            if minute == 5:
                (disk,) = [i for i in console.incidents() if "initech-storage" in i.services]
                console.mark_false_positive(disk.id, now, "probe misconfigured, disk is fine")
        yield console
    finally:
        console.shutdown()


def test_store_figures_per_rule(console: Console, t0: datetime) -> None:
    with console.database.read() as session:
        figures = {f.alertname: f for f in rule_figures(session, t0, t0 + timedelta(hours=1))}
    assert sorted(figures) == ["BackupLate", "CpuSpike", "DiskFull", "HighLatency", "VpnTunnelDown"]

    vpn = figures["VpnTunnelDown"]
    assert (vpn.occurrences, vpn.fingerprints, vpn.incidents) == (7, 1, 1)
    # the default rule is 6 changes in 30m: the 4th occurrence is the first seen flapping
    assert vpn.flapping == 4
    assert vpn.durations == (120.0,) * 7

    latency = figures["HighLatency"]
    assert latency.sources == ("prod-am", "prod-prom")
    assert (latency.occurrences, latency.fingerprints, latency.durations) == (2, 2, ())
    assert (latency.customers, latency.services, latency.incidents) == (1, 1, 1)

    disk = figures["DiskFull"]
    assert (disk.false_positive_alerts, disk.false_positive_incidents, disk.incidents) == (1, 1, 1)
    assert disk.durations == (2400.0,)

    backup = figures["BackupLate"]
    assert (backup.suppressed, backup.incidents, backup.false_positive_incidents) == (1, 0, 0)

    cpu = figures["CpuSpike"]
    assert (cpu.occurrences, cpu.flapping, cpu.durations) == (3, 0, (60.0, 60.0, 60.0))
    assert sum(f.suppressed for f in figures.values()) == 1
    assert sum(f.false_positive_alerts for f in figures.values()) == 1


def test_period_is_half_open_on_first_seen(console: Console, t0: datetime) -> None:
    with console.database.read() as session:
        late = rule_figures(session, t0 + timedelta(minutes=10), t0 + timedelta(minutes=25))
        empty = rule_figures(session, t0 - timedelta(days=1), t0)
    counts = {f.alertname: f.occurrences for f in late}
    # VPN occurrences first seen at 12, 16, 20, 24; the CPU blip at 10 but not the one at 25
    assert counts == {"VpnTunnelDown": 4, "CpuSpike": 1}
    assert empty == []


def test_report_ranks_and_suggests(console: Console, t0: datetime) -> None:
    report = console.noise_report(t0, t0 + timedelta(hours=1))
    assert report.alerts == 14
    names = [r.alertname for r in report.rules]
    # BackupLate and DiskFull tie on score and volume: by name
    assert names == ["VpnTunnelDown", "CpuSpike", "HighLatency", "BackupLate", "DiskFull"]
    rules = {r.alertname: r for r in report.rules}
    assert rules["VpnTunnelDown"].flapping_pct == 57.1
    assert rules["VpnTunnelDown"].share_pct == 50.0
    assert rules["VpnTunnelDown"].suggestion.startswith("add hysteresis or a longer `for:`")
    assert rules["CpuSpike"].median_duration == 60.0
    assert rules["CpuSpike"].suggestion == "add `for: 5m`: half its alerts clear within 2 min"
    assert rules["DiskFull"].false_positive_pct == 100.0
    assert rules["DiskFull"].suggestion.startswith("raise the threshold")
    assert rules["BackupLate"].suppressed_pct == 100.0
    assert rules["BackupLate"].false_positive_pct is None
    assert rules["BackupLate"].suggestion.startswith("it is silenced or in maintenance 100%")
    assert rules["HighLatency"].suggestion == NO_CHANGE
    assert rules["HighLatency"].median_duration is None


@pytest.fixture
def cli_now(monkeypatch: pytest.MonkeyPatch, t0: datetime) -> datetime:
    now = t0 + timedelta(hours=1)
    monkeypatch.setattr(app.cli, "_now", lambda: now)
    return now


def test_cli_json(
    console: Console, db_url: str, cli_now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    console.shutdown()
    capsys.readouterr()
    code = main(["noise-report", "--json", "--since", "2h", "--db", db_url])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out)  # one document, nothing else
    assert document["from"] == iso_z(cli_now - timedelta(hours=2))
    assert document["to"] == iso_z(cli_now)
    assert document["to"].endswith("Z")
    assert document["alerts"] == 14
    assert document["rules"][0]["alertname"] == "VpnTunnelDown"
    for rule in document["rules"]:
        assert set(rule) >= JSON_RULE_FIELDS
    vpn = document["rules"][0]
    assert vpn["sources"] == ["prod-am"]
    assert (vpn["volume"], vpn["share_pct"], vpn["flapping_pct"]) == (7, 50.0, 57.1)
    assert (vpn["false_positive_pct"], vpn["suppressed_pct"]) == (0.0, 0.0)
    assert (vpn["median_duration"], vpn["services"], vpn["customers"]) == (120.0, 1, 1)
    assert vpn["score"] > document["rules"][1]["score"]
    backup = next(r for r in document["rules"] if r["alertname"] == "BackupLate")
    assert backup["false_positive_pct"] is None
    assert backup["median_duration"] is None


def test_cli_json_outside_the_period_is_empty(
    console: Console,
    db_url: str,
    t0: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    console.shutdown()
    monkeypatch.setattr(app.cli, "_now", lambda: t0)  # the period ends before the first poll
    capsys.readouterr()
    assert main(["noise-report", "--json", "--db", db_url]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["alerts"] == 0
    assert document["rules"] == []
    assert document["from"] == iso_z(t0 - timedelta(days=30))


def test_cli_table_is_aligned(
    console: Console, db_url: str, cli_now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    report = console.noise_report(cli_now - timedelta(days=30), cli_now)
    console.shutdown()
    capsys.readouterr()
    assert main(["noise-report", "--db", db_url]) == 0
    title, header, *lines = capsys.readouterr().out.splitlines()
    assert title.endswith(": 14 alerts, 5 rules")
    assert header.split()[:3] == ["rule", "sources", "volume"]
    assert [line.split()[0] for line in lines] == [
        "VpnTunnelDown", "CpuSpike", "HighLatency", "BackupLate", "DiskFull",
    ]  # fmt: skip
    assert "prod-am, prod-prom" in lines[2]
    assert lines[2].endswith(NO_CHANGE)
    # every column before the suggestion is padded, so the suggestions start in one column
    starts = {header.index("suggestion")}
    hints = [r.suggestion for r in report.rules]
    starts |= {line.index(hint) for line, hint in zip(lines, hints, strict=True)}
    assert len(starts) == 1


def test_cli_bad_since_exits_2(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["noise-report", "--since", "fortnight", "--db", db_url]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--since" in err
    assert err.count("\n") == 1
