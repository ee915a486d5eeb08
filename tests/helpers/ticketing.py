"""Consoles with a ticketing system for tests: a Jira entry on the contract fake, one alert."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from pytest_httpserver import HTTPServer

from app.config import Config
from app.config.policies import load_policies
from app.config.settings import TicketingConfig
from app.config.ticketing import TicketingOptions
from app.console import Console
from app.sources.demo import load_demo_estate
from app.store import Database
from tests.helpers.jira_fake import EMAIL, JiraFake
from tests.helpers.peers import free_port
from tests.helpers.sources import ScriptedSource, make_alert


def jira_entry(fake: JiraFake, *customers: str) -> TicketingConfig:
    """`jira-ops` (secret NOC_SECRET_JIRA_OPS) on the fake, Jira Cloud, project OPS."""
    return TicketingConfig(
        name="jira-ops",
        kind="jira",
        url=fake.url,  # the session server's own address (localhost, v4 or v6)
        settings=TicketingOptions(
            project="OPS", api=3, user=EMAIL, timeout=5.0, customers=tuple(customers)
        ),
    )


def ticketing_console(db_url: str, entries: Sequence[TicketingConfig], t0: datetime) -> Console:
    """A console with these entries, polled once at `t0` with one acme-api alert."""
    source = ScriptedSource()
    source.set([make_alert(alertname="HighLatency", service="acme-api", starts_at=t0)])
    console = Console(
        Config(ticketing=tuple(entries)),
        Database(db_url),
        catalog=load_demo_estate(),
        policies=load_policies(),
        sources=[source],
        operator="alice",
    )
    console.poll_once(t0)
    return console


@contextmanager
def own_http_server() -> Iterator[HTTPServer]:
    """A pytest-httpserver of one test's own, for UI tests: in a long suite the session's
    shared `httpserver` was seen refusing connections by the time they ran (CI, 3.13)."""
    server = HTTPServer(host="127.0.0.1", port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()
