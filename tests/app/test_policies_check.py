"""`noc-console policies check`: errors with file:line and exit 2, warnings, and --explain."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main
from tests.helpers.consoles import scripted_console
from tests.helpers.sources import ScriptedSource, make_alert

CATALOG = """\
customers:
  - id: acme
    tier: gold
services:
  - id: acme-db
    customer: acme
    owner: dba-team
    depends_on: []
  - id: acme-api
    customer: acme
    owner: app-team
    depends_on: [acme-db]
"""

# line 8 of the catalog names acme-api; line 12 its dependencies
CYCLE = CATALOG.replace("    depends_on: []\n", "    depends_on: [acme-api]\n")
UNKNOWN = CATALOG.replace("[acme-db]", "[acme-db, acme-cache]")

POLICIES = """\
contracts:
  gold:
    P1: {response: 10m, resolve: 2h}
maintenance:
  - {customer: acme, service: acme-db, from: 2026-01-01T00:00:00Z, to: 2026-01-02T00:00:00Z, reason: "old patching"}
  - {customer: acmee, from: 2099-01-01T00:00:00Z, to: 2099-01-02T00:00:00Z}
known_issues:
  - {id: KI-1, title: Done, matchers: ['alertname="X"'], until: 2026-01-01T00:00:00Z}
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def estate(tmp_path: Path, catalog: str = CATALOG, policies: str = POLICIES) -> Path:
    (tmp_path / "catalog.yaml").write_text(catalog)
    (tmp_path / "policies.yaml").write_text(policies)
    config = tmp_path / "noc-console.toml"
    config.write_text(
        'catalog = "catalog.yaml"\npolicies = "policies.yaml"\n\n'
        '[[sources]]\nname = "prod-am"\nkind = "alertmanager"\nurl = "http://127.0.0.1:9093"\n'
    )
    return config


def test_the_demo_estate_checks_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "policies", "check")
    assert (code, err) == (0, "")
    assert out == (
        "ok: 3 customers, 23 services, 4 contracts, 0 maintenance windows, 0 known issues, "
        "0 warnings (policies built-in, catalog demo estate)\n"
    )
    code, out, _ = run(capsys, "policies", "check", "--json")
    assert code == 0
    assert json.loads(out) == {
        "ok": True,
        "errors": [],
        "warnings": [],
        "policies": "built-in",
        "catalog": "demo estate",
        "counts": {
            "customers": 3,
            "services": 23,
            "contracts": 4,
            "maintenance_windows": 0,
            "known_issues": 0,
        },
    }


def test_check_needs_no_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database" * 100)
    code, out, _ = run(capsys, "policies", "check", "--db", f"sqlite:///{corrupt}")
    assert code == 0
    assert out.startswith("ok: ")


def test_warnings_are_listed_and_exit_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = estate(tmp_path)
    code, out, err = run(capsys, "policies", "check", "--config", str(config))
    assert (code, err) == (0, "")
    summary, *warnings = out.splitlines()
    assert summary == (
        "ok: 1 customer, 2 services, 4 contracts, 2 maintenance windows, 1 known issue, "
        f"3 warnings (policies {tmp_path / 'policies.yaml'}, catalog {tmp_path / 'catalog.yaml'})"
    )
    assert warnings == [
        (
            "warning: maintenance[0].to: the window is over (ended 2026-01-02T00:00:00Z); "
            "it suppresses nothing now"
        ),
        (
            "warning: maintenance[1].customer: unknown customer 'acmee': the window only covers "
            "alerts labelled with that customer, and the catalog has none"
        ),
        (
            "warning: known_issues[0].until: known issue 'KI-1' expired 2026-01-01T00:00:00Z: "
            "it badges nothing now"
        ),
    ]
    code, out, _ = run(capsys, "policies", "check", "--json", "--config", str(config))
    document = json.loads(out)
    assert code == 0
    assert document["ok"] is True
    assert document["errors"] == []
    assert [w["field"] for w in document["warnings"]] == [
        "maintenance[0].to",
        "maintenance[1].customer",
        "known_issues[0].until",
    ]
    assert all(set(w) == {"field", "message"} for w in document["warnings"])
    assert document["policies"] == str(tmp_path / "policies.yaml")
    assert document["catalog"] == str(tmp_path / "catalog.yaml")
    assert document["counts"]["maintenance_windows"] == 2


@pytest.mark.parametrize(
    ("catalog", "line", "field", "message"),
    [
        (CYCLE, 12, "services[1].depends_on", "dependency cycle: acme-db -> acme-api -> acme-db"),
        (
            UNKNOWN,
            9,
            "services[1]",
            "service 'acme-api' depends on unknown service 'acme-cache'",
        ),
    ],
)
def test_catalog_errors_name_file_and_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    catalog: str,
    line: int,
    field: str,
    message: str,
) -> None:
    config = estate(tmp_path, catalog=catalog)
    path = tmp_path / "catalog.yaml"
    code, out, err = run(capsys, "policies", "check", "--config", str(config))
    assert (code, out) == (2, "")
    assert err == f"noc-console: {path}:{line}: {field}: {message}\n"
    code, out, err = run(capsys, "policies", "check", "--json", "--config", str(config))
    assert (code, err) == (2, "")
    assert json.loads(out) == {
        "ok": False,
        "errors": [{"file": str(path), "line": line, "field": field, "message": message}],
        "warnings": [],
    }


def test_policy_errors_in_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = POLICIES.replace("to: 2026-01-02T00:00:00Z", "to: 2025-12-31T00:00:00Z")
    config = estate(tmp_path, policies=bad)
    code, out, err = run(capsys, "policies", "check", "--json", "--config", str(config))
    assert (code, err) == (2, "")
    (error,) = json.loads(out)["errors"]
    assert error == {
        "file": str(tmp_path / "policies.yaml"),
        "line": 5,
        "field": "maintenance[0].to",
        "message": "a maintenance window must end after it starts",
    }


def test_a_broken_config_file_is_an_error_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "noc.toml"
    config.write_text('catalog = "missing.yaml"\n')
    code, out, _ = run(capsys, "policies", "check", "--json", "--config", str(config))
    assert code == 2
    (error,) = json.loads(out)["errors"]
    assert error == {
        "file": str(tmp_path / "missing.yaml"),
        "line": None,
        "field": None,
        "message": "file not found",
    }


@pytest.fixture
def stored_incident(db_url: str, t0: datetime) -> int:
    """INC-000001: acme-api latency that acme-db's critical alert took over, in SQLite."""
    source = ScriptedSource()
    console = scripted_console(db_url, [source])
    try:
        api = make_alert(alertname="HighLatency", service="acme-api", starts_at=t0)
        source.set([api])
        console.poll_once(t0)
        db = make_alert(
            alertname="DbConnections",
            service="acme-db",
            severity="critical",
            instance="db-1",
            starts_at=t0,
        )
        source.set([api, db])
        console.poll_once(t0 + timedelta(minutes=1))
        (incident,) = console.incidents()
        assert incident.id is not None
        return incident.id
    finally:
        console.shutdown()


def test_explain_an_incident(
    capsys: pytest.CaptureFixture[str], db_url: str, stored_incident: int
) -> None:
    assert stored_incident == 1
    code, out, err = run(capsys, "policies", "check", "--explain", "INC-000001", "--db", db_url)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "INC-000001  P1  new  DbConnections on db-1"
    assert "  customer:   acme (SLA contract gold)" in lines
    assert (
        "  root:       acme-db: root-cause candidate is now acme-db: acme-api depend on it" in lines
    )
    assert "  team:       dba-team (owner of acme-db in the catalog)" in lines
    assert any("detected as P2 by system: impact high (acme-api high)" in line for line in lines)
    assert any("P2 -> P1 by system" in line for line in lines)
    assert "      placed:     opened the incident" in lines
    assert "      placed:     root-cause candidate: acme-api depends on acme-db" in lines

    code, out, _ = run(capsys, "policies", "check", "--explain", "1", "--json", "--db", db_url)
    assert code == 0
    document = json.loads(out)
    assert document["key"] == "INC-000001"
    assert (document["root_service"], document["team"]) == ("acme-db", "dba-team")
    assert document["assessment"]["severity"] == "P1"
    assert [s["to"] for s in document["severity_history"]] == ["P2", "P1"]
    assert {a["alertname"]: a["reason"] for a in document["alerts"]} == {
        "HighLatency": "opened the incident",
        "DbConnections": "root-cause candidate: acme-api depends on acme-db",
    }


@pytest.mark.parametrize(
    ("incident", "message"),
    [
        ("INC-000042", "noc-console: no incident INC-000042\n"),
        (
            "acme",
            (
                "noc-console: config: --explain: expected an incident like INC-000017 or 17, "
                "got 'acme'\n"
            ),
        ),
    ],
)
def test_explain_of_a_missing_incident_exits_2(
    capsys: pytest.CaptureFixture[str],
    db_url: str,
    stored_incident: int,
    incident: str,
    message: str,
) -> None:
    code, out, err = run(capsys, "policies", "check", "--explain", incident, "--db", db_url)
    assert (code, out, err) == (2, "", message)
