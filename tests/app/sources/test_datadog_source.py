"""The Datadog source through a contract fake of the monitors API: paging, keys, failures."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from app.config.errors import ConfigError
from app.config.settings import SourceConfig
from app.domain.catalog import Catalog
from app.secrets import SecretUnavailable, get_secret
from app.sources.base import (
    AuthFailed,
    BadPayload,
    RateLimited,
    ServerError,
    Snapshot,
    Source,
    SourceError,
    SourceTimeout,
)
from app.sources.datadog import DatadogSource, build
from app.sources.factory import build_source
from tests.helpers.datadog_fake import API_KEY, APP_KEY, DatadogFake, monitor

NOW = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
DATA = Path(__file__).parents[2] / "data"
Secrets = dict[tuple[str, str | None], str]


def lookup(store: Secrets) -> Callable[[str, str | None], str | None]:
    """An in-memory secrets lookup with the real one's signature (name, field)."""
    return lambda name, field: store.get((name, field))


def keys(name: str = "dd-prod") -> Secrets:
    return {(name, None): API_KEY, (name, "app_key"): APP_KEY}


def config(url: str | None, name: str = "dd-prod", **options: Any) -> SourceConfig:
    if url is not None:
        options["url"] = url
    return SourceConfig(name=name, kind="datadog", options=options)


def source(fake: DatadogFake, store: Secrets | None = None, **options: Any) -> DatadogSource:
    secrets = lookup(keys() if store is None else store)
    return build(config(fake.url, **options), catalog=Catalog(), secrets=secrets)


@pytest.fixture
def fake(httpserver: HTTPServer) -> DatadogFake:
    return DatadogFake(httpserver)


def no_key_in(text: str) -> bool:
    return API_KEY not in text and APP_KEY not in text


def test_it_is_a_source(fake: DatadogFake) -> None:
    dd: Source = source(fake)
    assert (dd.name, dd.kind) == ("dd-prod", "datadog")
    assert dd.interval == SourceConfig(name="x", kind="datadog").interval


def test_reads_every_page(fake: DatadogFake) -> None:
    fake.monitors = [monitor(i, groups={"host:a": "Alert"}) for i in range(1, 251)]
    snapshot = source(fake).fetch(NOW)
    assert len(snapshot.alerts) == 250
    assert snapshot.complete
    assert snapshot.warning is None
    assert fake.pages_served == [0, 1, 2]
    assert snapshot.details["pages"] == "3"
    assert snapshot.details["monitors"] == "250"
    first = fake.requests[0]
    assert first["group_states"] == "all"
    assert first["page_size"] == "100"
    assert first["with_downtimes"] == "true"
    assert "monitor_tags" not in first


def test_a_full_last_page_is_followed_by_an_empty_one(fake: DatadogFake) -> None:
    fake.monitors = [monitor(i) for i in range(1, 201)]
    snapshot = source(fake).fetch(NOW)
    assert len(snapshot.alerts) == 200
    assert fake.pages_served == [0, 1, 2]


def test_an_empty_account_is_a_complete_empty_snapshot(fake: DatadogFake) -> None:
    snapshot = source(fake).fetch(NOW)
    assert snapshot.alerts == ()
    assert snapshot.complete
    assert fake.pages_served == [0]


def test_grouped_and_ungrouped_monitors_with_tags_priority_and_mutes(fake: DatadogFake) -> None:
    fake.monitors = json.loads((DATA / "datadog-monitors-page.json").read_text(encoding="utf-8"))
    snapshot = source(fake).fetch(NOW)
    alerts = {(a.labels["monitor_id"], a.labels.get("group")): a for a in snapshot.alerts}
    assert len(alerts) == 6
    cpu = alerts[("4711", "host:web-01")]
    assert (cpu.customer, cpu.service, cpu.labels["severity"]) == ("acme", "web", "critical")
    assert cpu.labels["host"] == "web-01"
    assert alerts[("4713", None)].labels["severity"] == "critical"
    assert alerts[("4712", "host:db-01,env:prod")].labels["severity"] == "P3"
    assert alerts[("4714", None)].labels["severity"] == "P4"
    assert alerts[("4714", None)].suppressed_by == ("muted in Datadog",)
    # matching_downtimes come only with with_downtimes=true, which the source asks for
    assert alerts[("4716", "host:api-01,env:staging")].suppressed_by == (
        "muted in Datadog by downtime 99 until 15:00 UTC",
    )
    assert cpu.generator_url == "https://app.datadoghq.com/monitors/4711"


def test_monitor_tags_filter_is_sent_joined(fake: DatadogFake) -> None:
    fake.monitors = [
        monitor(1, tags=["team:noc", "customer:acme"]),
        monitor(2, tags=["team:db", "customer:acme"]),
    ]
    snapshot = source(fake, monitor_tags=["team:noc", "customer:acme"]).fetch(NOW)
    assert fake.requests[0]["monitor_tags"] == "team:noc,customer:acme"
    assert [a.labels["monitor_id"] for a in snapshot.alerts] == ["1"]


def test_details(fake: DatadogFake) -> None:
    snapshot = source(fake).fetch(NOW)
    assert dict(snapshot.details) == {
        "url": fake.url,
        "site": "US1",
        "ca_bundle": snapshot.details["ca_bundle"],
        "monitors": "0",
        "pages": "1",
    }
    assert snapshot.details["ca_bundle"]


def test_the_factory_wraps_it_in_the_label_mapping(fake: DatadogFake) -> None:
    fake.monitors = [monitor(1, tags=["tenant:acme"])]
    cfg = SourceConfig(
        name="dd-prod", kind="datadog", options={"url": fake.url}, labels={"customer": "tenant"}
    )
    wrapped = build_source(cfg, Catalog(), lookup(keys()))
    assert wrapped.fetch(NOW).alerts[0].customer == "acme"


# ---------------------------------------------------------------- keys


def test_keys_are_read_lazily_and_once(fake: DatadogFake) -> None:
    calls: list[tuple[str, str | None]] = []
    store = keys()

    def counting(name: str, field: str | None) -> str | None:
        calls.append((name, field))
        return store.get((name, field))

    dd = build(config(fake.url), catalog=Catalog(), secrets=counting)
    assert calls == []  # never in the constructor: a keyring may block
    dd.fetch(NOW)
    dd.fetch(NOW)
    assert calls == [("dd-prod", None), ("dd-prod", "app_key")]


def test_missing_keys_tell_the_operator_the_commands(fake: DatadogFake) -> None:
    with pytest.raises(AuthFailed) as raised:
        source(fake, store={}).fetch(NOW)
    message = str(raised.value)
    assert "API key and application key" in message
    assert "noc-console secrets set dd-prod`" in message
    assert "noc-console secrets set dd-prod --field app_key" in message
    assert "NOC_SECRET_DD_PROD" in message
    assert "NOC_SECRET_DD_PROD_APP_KEY" in message
    assert fake.requests == []


def test_a_missing_application_key_alone(fake: DatadogFake) -> None:
    with pytest.raises(AuthFailed, match="no Datadog application key for source 'dd-prod'"):
        source(fake, store={("dd-prod", None): API_KEY}).fetch(NOW)


def test_a_source_name_with_spaces_is_quoted_in_the_commands(fake: DatadogFake) -> None:
    cfg = config(fake.url, name="dd acme")
    with pytest.raises(AuthFailed, match="noc-console secrets set 'dd acme' --field app_key"):
        build(cfg, catalog=Catalog(), secrets=lookup({})).fetch(NOW)


def test_keys_from_the_environment_through_the_real_lookup(
    fake: DatadogFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOC_SECRET_DD_PROD", API_KEY)
    monkeypatch.setenv("NOC_SECRET_DD_PROD_APP_KEY", APP_KEY)
    fake.monitors = [monitor(1)]
    dd = build(config(fake.url), catalog=Catalog(), secrets=get_secret)
    assert len(dd.fetch(NOW).alerts) == 1


def test_forbidden_is_auth_failed_with_the_servers_words(fake: DatadogFake) -> None:
    store = {("dd-prod", None): "wrong0key", ("dd-prod", "app_key"): APP_KEY}
    with pytest.raises(AuthFailed, match="Forbidden") as raised:
        source(fake, store=store).fetch(NOW)
    assert "page 0" in str(raised.value)
    assert "wrong0key" not in str(raised.value)


def test_a_key_fixed_in_the_keyring_is_picked_up_after_auth_failed(fake: DatadogFake) -> None:
    store = {("dd-prod", None): "revoked0key", ("dd-prod", "app_key"): APP_KEY}
    dd = source(fake, store=store)
    with pytest.raises(AuthFailed):
        dd.fetch(NOW)
    store[("dd-prod", None)] = API_KEY
    assert dd.fetch(NOW).complete


def test_a_key_with_a_line_break_is_refused_without_quoting_it(fake: DatadogFake) -> None:
    store = {("dd-prod", None): "abc\ndef0secret", ("dd-prod", "app_key"): APP_KEY}
    with pytest.raises(AuthFailed, match="spaces or control characters") as raised:
        source(fake, store=store).fetch(NOW)
    assert "def0secret" not in str(raised.value)
    assert fake.requests == []


def test_surrounding_whitespace_of_a_pasted_key_is_ignored(fake: DatadogFake) -> None:
    store = {("dd-prod", None): API_KEY + "\n", ("dd-prod", "app_key"): " " + APP_KEY}
    assert source(fake, store=store).fetch(NOW).complete


def test_an_unusable_keyring_is_auth_failed_with_its_explanation(fake: DatadogFake) -> None:
    def locked(name: str, field: str | None) -> str | None:
        raise SecretUnavailable("cannot read the secret 'dd-prod' from the OS keyring (locked)")

    dd = build(config(fake.url), catalog=Catalog(), secrets=locked)
    with pytest.raises(AuthFailed, match="OS keyring \\(locked\\)"):
        dd.fetch(NOW)


def test_the_keys_never_appear_in_messages_details_or_logs(
    fake: DatadogFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    fake.monitors = [monitor(i) for i in range(1, 150)]
    dd = source(fake)
    snapshot = dd.fetch(NOW)
    seen.extend(snapshot.details.values())
    seen.append(repr(dd))
    for scenario in ("forbidden", "rate_limited", "failing", "html"):
        fake.rate_limited = scenario == "rate_limited"
        fake.failing_pages = {1} if scenario == "failing" else set()
        fake.raw_pages = (
            {0: (200, "text/html", b"<title>Log in</title>")} if scenario == "html" else {}
        )
        fake.api_key = "other0key" if scenario == "forbidden" else API_KEY
        with pytest.raises(SourceError) as raised:
            dd.fetch(NOW)
        seen.extend((str(raised.value), repr(raised.value)))
    assert len(seen) > 8
    assert all(no_key_in(text) for text in seen)
    assert caplog.records  # urllib3 and werkzeug did log at DEBUG/INFO
    assert no_key_in(caplog.text)


# ---------------------------------------------------------------- failures


def test_rate_limited_waits_for_the_reset(fake: DatadogFake) -> None:
    fake.rate_limited = True
    fake.rate_limit.reset = 37
    with pytest.raises(RateLimited) as raised:
        source(fake).fetch(NOW)
    assert raised.value.retry_after == timedelta(seconds=37)
    assert "Rate limit exceeded" in str(raised.value)


def test_a_failing_page_fails_the_whole_poll(fake: DatadogFake) -> None:
    fake.monitors = [monitor(i) for i in range(1, 301)]
    fake.failing_pages = {2}
    with pytest.raises(ServerError, match="page 2") as raised:
        source(fake).fetch(NOW)
    assert raised.value.status == 500
    assert fake.pages_served == [0, 1, 2]


def test_an_html_page_is_a_bad_payload(fake: DatadogFake) -> None:
    fake.raw_pages = {0: (200, "text/html", b"<html><title>Sign in to the proxy</title></html>")}
    with pytest.raises(BadPayload, match="Sign in to the proxy"):
        source(fake).fetch(NOW)


@pytest.mark.parametrize(
    ("body", "shape"),
    [
        (b'{"errors": ["Monitor not found"]}', "an object (['Monitor not found'])"),
        (b'"monitors"', "str"),
        (b"null", "null"),
    ],
)
def test_a_page_that_is_no_array_is_a_bad_payload(
    fake: DatadogFake, body: bytes, shape: str
) -> None:
    fake.raw_pages = {0: (200, "application/json", body)}
    with pytest.raises(BadPayload, match="expected a JSON array of monitors") as raised:
        source(fake).fetch(NOW)
    assert str(raised.value).endswith(f"got {shape}")


def test_a_pager_that_repeats_itself_is_stopped(fake: DatadogFake) -> None:
    fake.monitors = [monitor(i) for i in range(1, 151)]
    fake.ignore_paging = True
    with pytest.raises(BadPayload, match="page 1 repeats page 0"):
        source(fake).fetch(NOW)
    assert fake.pages_served == [0, 1]


def test_a_pager_that_never_ends_is_stopped(fake: DatadogFake) -> None:
    fake.monitors = [monitor(i) for i in range(1, 40)]
    dd = DatadogSource(
        "dd", base_url=fake.url, secrets=lookup(keys("dd")), page_size=3, max_pages=5
    )
    with pytest.raises(BadPayload, match="more than 5 pages of 3"):
        dd.fetch(NOW)
    assert fake.pages_served == [0, 1, 2, 3, 4]


def test_the_poll_as_a_whole_has_a_deadline(fake: DatadogFake) -> None:
    fake.monitors = [monitor(i) for i in range(1, 10)]
    dd = DatadogSource(
        "dd",
        base_url=fake.url,
        secrets=lookup(keys("dd")),
        page_size=3,
        clock=lambda: 6.0 * len(fake.pages_served),  # every page "takes" 6 s of a 10 s deadline
    )
    with pytest.raises(
        SourceTimeout, match=r"Datadog monitors page 1: .* still sending after 10 s"
    ):
        dd.fetch(NOW)
    assert fake.pages_served == [0, 1]


def test_absurd_monitors_make_the_snapshot_incomplete(fake: DatadogFake) -> None:
    fake.monitors = json.loads((DATA / "datadog-monitors-bad.json").read_text(encoding="utf-8"))
    snapshot = source(fake).fetch(NOW)
    assert [a.labels["monitor_id"] for a in snapshot.alerts] == ["5001"]
    assert not snapshot.complete
    assert snapshot.warning is not None
    assert snapshot.warning.startswith("10 Datadog monitors skipped (first: monitor #2")


def test_a_skewed_server_clock_is_a_warning(
    fake: DatadogFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.monitors = [monitor(1)]
    fake.set_server_clock(monkeypatch, datetime.now(UTC) + timedelta(minutes=10))
    snapshot = source(fake).fetch(NOW)
    assert snapshot.complete
    assert snapshot.warning is not None
    assert "Datadog's clock is 10 min ahead of this workstation's" in snapshot.warning


def test_a_clock_behind_is_named_too(fake: DatadogFake, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.set_server_clock(monkeypatch, datetime.now(UTC) - timedelta(minutes=5))
    warning = source(fake).fetch(NOW).warning
    assert warning is not None
    assert "5 min behind" in warning


def test_a_small_skew_is_no_warning(fake: DatadogFake, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.set_server_clock(monkeypatch, datetime.now(UTC) - timedelta(seconds=30))
    assert source(fake).fetch(NOW).warning is None


def test_the_fake_refuses_a_bad_group_state(fake: DatadogFake) -> None:
    """The fake holds the documented contract, so the source is tested against it."""
    import requests

    headers = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}
    answer = requests.get(
        fake.url + "/api/v1/monitor", params={"group_states": "bad"}, headers=headers, timeout=5
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"errors": ["Invalid group_state filters."]},
    )
    fake.monitors = [monitor(1, groups={"host:a": "Alert", "host:b": "OK"})]
    unpaged = requests.get(fake.url + "/api/v1/monitor", headers=headers, timeout=5).json()
    assert "groups" not in unpaged[0]["state"]  # only with group_states
    assert "matching_downtimes" not in unpaged[0]
    alerting = requests.get(
        fake.url + "/api/v1/monitor", params={"group_states": "alert"}, headers=headers, timeout=5
    ).json()
    assert list(alerting[0]["state"]["groups"]) == ["host:a"]
    assert requests.get(fake.url + "/api/v1/monitor", timeout=5).status_code == 403


# ---------------------------------------------------------------- sites


@pytest.mark.parametrize(
    ("site", "base_url", "app_url"),
    [
        (None, "https://api.datadoghq.com", "https://app.datadoghq.com"),
        ("EU1", "https://api.datadoghq.eu", "https://app.datadoghq.eu"),
        ("eu1", "https://api.datadoghq.eu", "https://app.datadoghq.eu"),
        ("US3", "https://api.us3.datadoghq.com", "https://us3.datadoghq.com"),
        ("US1-FED", "https://api.ddog-gov.com", "https://app.ddog-gov.com"),
    ],
)
def test_site_mapping_without_network(site: str | None, base_url: str, app_url: str) -> None:
    options = {"site": site} if site else {}
    dd = build(config(None, **options), catalog=Catalog(), secrets=lookup({}))
    assert dd.client.base_url == base_url
    assert dd.app_url == app_url
    assert dd.site == (site or "US1").upper()


def test_url_overrides_the_site() -> None:
    dd = build(config("http://127.0.0.1:9/", site="EU1"), catalog=Catalog(), secrets=lookup({}))
    assert dd.client.base_url == "http://127.0.0.1:9"
    assert dd.app_url == "https://app.datadoghq.eu"


def test_an_unknown_site_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown Datadog site 'MARS1'"):
        build(config(None, site="mars1"), catalog=Catalog(), secrets=lookup({}))


def test_settings_come_from_the_config() -> None:
    cfg = SourceConfig(
        name="dd",
        kind="datadog",
        timeout=timedelta(seconds=20),
        options={"ca_bundle": "/etc/ssl/corp.pem", "max_response_mb": 2},
    )
    dd = build(cfg, catalog=Catalog(), secrets=lookup({}))
    settings = dd.client.settings
    assert (settings.deadline, settings.ca_bundle, settings.max_bytes) == (
        20.0,
        "/etc/ssl/corp.pem",
        2 * 1024 * 1024,
    )


def test_snapshot_is_a_snapshot(fake: DatadogFake) -> None:
    assert isinstance(source(fake).fetch(NOW), Snapshot)
