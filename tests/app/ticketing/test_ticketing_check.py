"""`noc-console ticketing check`: each configured system, its secret from NOC_SECRET_<NAME>."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from app.cli import main
from tests.helpers.jira_fake import EMAIL, TOKEN, JiraFake


def config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "noc.toml"
    path.write_text(
        f"""
[[ticketing]]
name = "jira-ops"
kind = "jira"
url = "http://127.0.0.1:{port}"
project = "OPS"
user = "{EMAIL}"

[[ticketing]]
name = "snow"
kind = "servicenow"
url = "https://127.0.0.1:9"
"""
    )
    return path


def test_check_says_who_we_are_and_what_failed(
    tmp_path: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = JiraFake(httpserver)
    monkeypatch.setenv("NOC_SECRET_JIRA_OPS", TOKEN)
    assert main(["ticketing", "check", "--config", str(config(tmp_path, httpserver.port))]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("jira-ops: ok: Jira Cloud")
    assert "project OPS" in out[0]
    assert out[1] == (
        "snow: error: ticketing 'snow': no secret; set NOC_SECRET_SNOW or run "
        "`noc-console secrets set snow`"
    )
    assert fake.calls("myself")
    monkeypatch.setenv("NOC_SECRET_JIRA_OPS", "revoked-token")
    assert (
        main(["ticketing", "check", "--json", "--config", str(config(tmp_path, httpserver.port))])
        == 1
    )
    document = json.loads(capsys.readouterr().out)
    assert document[0]["name"] == "jira-ops"
    assert document[0]["ok"] is False
    assert "auth" in document[0]["message"]
    assert "revoked-token" not in json.dumps(document)
