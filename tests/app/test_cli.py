"""The noc-console command: documented JSON shapes, one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.store.migrations import head_of, revision_graph

# FORMATS.md: each incident has at least these fields, and poll --once --json this shape
INCIDENT_FIELDS = {
    "key", "title", "customer", "services", "root_service", "severity", "state", "tier", "flags",
    "started_at", "detected_at", "acknowledged_at", "resolved_at", "closed_at", "response_due",
    "resolve_due", "alert_count", "sources", "ticket", "team", "known_issue", "sla_state",
    "paused_since", "update_due",
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_poll_once_json_then_incidents_json(
    capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    code, out, _ = run(capsys, "poll", "--once", "--json", "--db", db_url)
    assert code == 0
    poll = json.loads(out)
    assert {"alerts", "opened", "updated", "resolved", "sources"} <= set(poll)
    assert poll["alerts"] > 0
    assert poll["sources"][0] == poll["sources"][0] | {"name": "demo", "ok": True, "error": None}
    assert poll["sources"][0]["alerts"] == poll["alerts"]

    code, out, _ = run(capsys, "incidents", "--json", "--db", db_url)
    incidents = json.loads(out)
    assert code == 0
    assert len(incidents) == poll["opened"]
    for incident in incidents:
        assert set(incident) >= INCIDENT_FIELDS
        assert incident["key"].startswith("INC-")
        assert incident["severity"] in {"P1", "P2", "P3", "P4"}
        assert incident["detected_at"].endswith("Z")
        assert incident["sla_state"] in {"ok", "at_risk", "breached", "paused", "met"}
    assert incidents[0]["severity"] == "P1"  # most urgent first

    code, out, _ = run(capsys, "sources", "--json", "--db", db_url)
    (demo,) = json.loads(out)
    assert demo["status"] == "ok"
    assert demo["last_success"].endswith("Z")


def test_human_output_and_metrics(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    run(capsys, "poll", "--once", "--db", db_url)
    code, out, _ = run(capsys, "incidents", "--db", db_url)
    assert code == 0
    assert "INC-0000" in out
    code, out, _ = run(capsys, "metrics", "--json", "--since", "7d", "--db", db_url)
    metrics = json.loads(out)
    assert metrics["incidents"] > 0
    # FORMATS.md's keys, extended (never broken) with the counts behind them
    assert set(metrics["mttd"]) == {"median", "p90", "mean", "count"}
    assert metrics["mttd"]["count"] == metrics["incidents"] - metrics["false_positives"]
    assert metrics["mtta"] == {"median": None, "p90": None, "mean": None, "count": 0}
    assert {"response_met_pct", "resolve_met_pct"} <= set(metrics["sla"])
    assert {"recurrence_pct", "false_positive_pct", "alerts_per_incident"} <= set(metrics)


def test_bad_config_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "noc.toml"
    config.write_text('[[sources]]\nname = "x"\nkind = "zabbix"\n')
    code, out, err = run(capsys, "incidents", "--config", str(config))
    assert code == 2
    assert out == ""
    assert err.strip() == (
        f"noc-console: {config}:3: sources[0].kind: unknown source kind 'zabbix' "
        "(expected one of alertmanager, cloudwatch, datadog, demo, prometheus)"
    )


def test_database_errors_exit_2_and_leave_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database" * 100)
    before = corrupt.read_bytes()
    code, _, err = run(capsys, "incidents", "--db", f"sqlite:///{corrupt}")
    assert code == 2
    assert "not a SQLite database or is damaged" in err
    assert err.count("\n") == 1
    assert corrupt.read_bytes() == before


def test_db_upgrade_and_export_import(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "db", "upgrade", "--db", db_url)
    assert code == 0
    assert f"schema {head_of(revision_graph())}" in out
    run(capsys, "poll", "--once", "--db", db_url)
    history = tmp_path / "history.jsonl"
    code, out, _ = run(capsys, "export", str(history), "--db", db_url)
    assert code == 0
    lines = history.read_text().splitlines()
    assert lines
    assert all(json.loads(line)["events"][0]["kind"] == "detected" for line in lines)
    other = f"sqlite:///{tmp_path / 'analyst.db'}"
    code, out, _ = run(capsys, "import", str(history), "--db", other)
    assert f"imported {len(lines)} incidents" in out
    code, out, _ = run(capsys, "import", str(history), "--db", other)
    assert f"imported 0 incidents from {history} ({len(lines)} already present)" in out


def test_secrets_go_to_the_keyring_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io

    import keyring

    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cr3t-canary\n"))
    code, out, _ = run(capsys, "secrets", "set", "prod-am")
    assert code == 0
    assert "s3cr3t-canary" not in out
    assert keyring.get_password("noc-console", "prod-am") == "s3cr3t-canary"
    code, out, _ = run(capsys, "secrets", "delete", "prod-am")
    assert keyring.get_password("noc-console", "prod-am") is None


def test_the_installed_command_runs_end_to_end(tmp_path: Path) -> None:
    """The console script itself, as a user runs it (a subprocess with its own keyring)."""
    db = f"sqlite:///{tmp_path / 'e2e.db'}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    result = subprocess.run(
        [sys.executable, "-m", "app", "poll", "--once", "--json", "--db", db],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sources"][0]["name"] == "demo"


def test_secrets_with_a_field(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    import keyring

    monkeypatch.setattr(sys, "stdin", io.StringIO("app-key-canary\n"))
    code, out, _ = run(capsys, "secrets", "set", "dd-prod", "--field", "app_key")
    assert code == 0
    assert out.strip() == "stored the secret for dd-prod/app_key in the OS keyring"
    assert keyring.get_password("noc-console", "dd-prod/app_key") == "app-key-canary"


def test_a_reader_leaving_the_pipe_early_is_not_an_error(tmp_path: Path) -> None:
    """`noc-console incidents | head` must not end in a traceback when head has gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already left
    database = f"sqlite:///{tmp_path / 'p.db'}"
    writer = subprocess.run(
        [sys.executable, "-m", "app", "--db", database, "poll", "--once", "--json"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        check=False,
        timeout=60,
    )
    os.close(write_end)
    assert b"Traceback" not in writer.stderr, writer.stderr.decode()
    assert writer.returncode == 141


def test_the_core_alone_says_which_command_opens_a_window(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    """`python -m app` (no Qt console handed in) refuses the window commands in one line."""
    code, _, err = run(capsys, "screenshot", str(tmp_path / "x.png"), "--db", db_url)
    assert code == 2
    assert err.startswith("noc-console: this command opens a window")
    assert not (tmp_path / "x.png").exists()
