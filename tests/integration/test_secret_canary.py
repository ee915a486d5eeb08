"""RELIABILITY 22: a canary secret never reaches logs, errors, health details or JSON output,
even at -vv (urllib3 and botocore would print request headers at DEBUG)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer

from app.config.settings import SourceConfig
from app.console.ingest import fetch, health_after
from app.domain.catalog import Catalog
from app.domain.health import SourceHealth
from app.json_shapes import source_json
from app.logs import configure
from app.polling import PollSchedule
from app.sources.factory import build_source
from tests.helpers.moto import aws_env, moto_server, moto_url

pytestmark = pytest.mark.integration
__all__ = ["aws_env", "moto_server", "moto_url"]
CANARY = "canary-7d1f-never-print-me"


@pytest.fixture
def everything_logged() -> Iterator[list[str]]:
    """-vv as the CLI sets it, plus a handler that keeps every formatted record."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    configure(2, to_file=False)
    keeper = Keep(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(keeper)
    try:
        yield lines
    finally:
        root.removeHandler(keeper)
        configure(0, to_file=False)


def poll_everything(
    source_config: SourceConfig, secrets: dict[tuple[str, str | None], str]
) -> list[str]:
    source = build_source(source_config, Catalog(), lambda name, field: secrets.get((name, field)))
    now = datetime.now(UTC)
    result = fetch(source, now)
    health = health_after(
        SourceHealth(source.name, source.kind), result, PollSchedule(timedelta(seconds=15)), now
    )
    close = getattr(source, "close", None)
    if callable(close):
        close()
    return [str(result.error), repr(result.snapshot), json.dumps(source_json(health))]


def test_a_bearer_token_stays_secret(httpserver: HTTPServer, everything_logged: list[str]) -> None:
    httpserver.expect_request("/api/v2/status").respond_with_json(
        {"versionInfo": {"version": "0.25.0"}}
    )
    httpserver.expect_request("/api/v2/silences").respond_with_json([])
    httpserver.expect_request("/api/v2/alerts").respond_with_data("denied", status=401)
    config = SourceConfig(
        name="prod-am",
        kind="alertmanager",
        options={"url": httpserver.url_for("/"), "auth": "bearer"},
    )
    outputs = poll_everything(config, {("prod-am", None): CANARY})
    assert any("401" in text for text in outputs)
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {CANARY}"  # it was really sent
    assert all(CANARY not in text for text in [*outputs, *everything_logged])


def test_datadog_keys_stay_secret(httpserver: HTTPServer, everything_logged: list[str]) -> None:
    httpserver.expect_request("/api/v1/monitor").respond_with_json(
        {"errors": ["Forbidden"]}, status=403
    )
    config = SourceConfig(
        name="dd", kind="datadog", options={"url": httpserver.url_for("/").rstrip("/")}
    )
    outputs = poll_everything(config, {("dd", None): CANARY, ("dd", "app_key"): CANARY + "-app"})
    assert any("Forbidden" in text for text in outputs)
    assert all(CANARY not in text for text in [*outputs, *everything_logged])


def test_aws_credentials_stay_secret(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, everything_logged: list[str]
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY + "-secret")
    config = SourceConfig(
        name="aws", kind="cloudwatch", options={"region": "us-east-1", "endpoint_url": moto_url}
    )
    outputs = poll_everything(config, {})
    assert "None" in outputs[0]  # the poll worked: no error
    assert all(CANARY not in text for text in [*outputs, *everything_logged])
