"""Catalog and policy YAML: the documented shapes load, mistakes name their line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.config import ConfigError, load_catalog, load_policies
from app.config.catalog import parse_catalog_text
from app.config.policies import parse_policies_text
from app.domain.severity import Impact, Severity

CATALOG = """\
customers:
  - id: acme
    name: ACME Retail
    tier: gold
services:
  - id: acme-db
    customer: acme
    name: Orders database
    owner: dba-team
    depends_on: []
    impact: high
  - id: acme-api
    customer: acme
    name: Orders API
    owner: app-team
    depends_on: [acme-db]
"""


def test_documented_catalog_loads(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG)
    catalog = load_catalog(path)
    assert catalog.customers["acme"].tier == "gold"
    assert catalog.services["acme-api"].depends_on == ("acme-db",)
    assert catalog.services["acme-db"].impact is Impact.HIGH
    assert catalog.dependants("acme-db") == ("acme-api",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "customers: [{id: a}]\nservices:\n  - {id: s, customer: a, depends_on: [nope]}\n",
            r":3: services\[0\]: .*unknown service 'nope'",
        ),
        (
            "services:\n  - id: s\n    customer: a\n    colour: red\n",
            r":4: services\[0\].colour: unknown field",
        ),
        (
            "services:\n  - {id: a, customer: c, depends_on: [b]}\n  - {id: b, customer: c, depends_on: [a]}\n",
            r"dependency cycle",
        ),
        (
            "services:\n  - {id: a, customer: c, impact: huge}\n",
            r":2: services\[0\].impact: unknown impact",
        ),
        ("services:\n  - {customer: c}\n", r":2: services\[0\]: missing field 'id'"),
        ("customers: [\n", r"catalog.yaml:\d+: YAML syntax"),
    ],
)
def test_catalog_errors(text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse_catalog_text(text, "catalog.yaml")


def test_built_in_policies_follow_msp_practice() -> None:
    policies = load_policies()
    gold = policies.contracts["gold"]
    assert gold.targets[Severity.P1].response == timedelta(minutes=15)
    assert gold.targets[Severity.P1].resolve == timedelta(hours=4)
    assert policies.contracts["bronze"].calendar.timezone == "Europe/London"
    assert policies.default_contract == "standard"


def test_user_policies_override_by_name_and_add_maintenance(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(
        "contracts:\n"
        "  gold:\n"
        "    calendar: 24x7\n"
        "    P1: {response: 10m, resolve: 2h}\n"
        "escalation:\n"
        "  P1: {L1: 5m, L2: 15m, L3: 30m}\n"
        "maintenance:\n"
        "  - {customer: acme, service: acme-db, from: 2026-11-29T22:00:00Z,"
        ' to: 2026-11-30T02:00:00Z, reason: "DB patching"}\n'
    )
    policies = load_policies(path)
    assert policies.contracts["gold"].targets[Severity.P1].response == timedelta(minutes=10)
    assert Severity.P2 not in policies.contracts["gold"].targets
    assert "silver" in policies.contracts  # built-in contracts stay
    (window,) = policies.maintenance
    assert window.covers("acme", "acme-db", datetime(2026, 11, 29, 23, 0, tzinfo=UTC))
    assert not window.covers("acme", "acme-api", datetime(2026, 11, 29, 23, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "contracts:\n  gold:\n    P1: {response: soon, resolve: 4h}\n",
            r":3: contracts.gold.P1.response: not a duration",
        ),
        (
            "contracts:\n  gold:\n    P1: {response: 15m}\n",
            r":3: contracts.gold.P1: missing field 'resolve'",
        ),
        (
            "contracts:\n  gold:\n    P7: {response: 1m, resolve: 1h}\n",
            r":3: contracts.gold.P7: unknown field",
        ),
        ("escalation:\n  P1: {L4: 5m}\n", r":2: escalation.P1.L4: unknown field"),
        (
            (
                "contracts:\n  x:\n    calendar: {timezone: Mars/Base, hours: 08:00-18:00}\n"
                "    P1: {response: 1h, resolve: 1d}\n"
            ),
            r"contracts.x.calendar: bad calendar",
        ),
        (
            (
                "contracts:\n  x:\n    calendar: {timezone: UTC, hours: '18:00-08:00'}\n"
                "    P1: {response: 1h, resolve: 1d}\n"
            ),
            r"close after they open",
        ),
        (
            "maintenance:\n  - {customer: a, from: 2026-11-29T22:00:00Z, to: 2026-11-29T21:00:00Z}\n",
            r"maintenance\[0\].to: .*end after",
        ),
        ("default_contract: platinum\n", r":1: default_contract: no contract named 'platinum'"),
        ("grouping: {by: [customer], window: soon}\n", r":1: grouping.window: not a duration"),
        (
            "contracts:\n  gold:\n    P1: {response: 0m, resolve: 4h}\n",
            r":3: contracts.gold.P1.response: a target must be longer than zero",
        ),
        (
            (
                "contracts:\n  x:\n    calendar: {timezone: UTC, hours: '08:00-18:00', days: ''}\n"
                "    P1: {response: 1h, resolve: 1d}\n"
            ),
            r"contracts.x.calendar",
        ),
        ("grouping: {group_by: [service]}\n", r":1: grouping.group_by: unknown field"),
        ("flapping: {changes: 1}\n", r":1: flapping.changes: .*at least 2"),
        (
            "severity:\n  matrix:\n    high: {high: P9}\n",
            r":3: severity.matrix.high.high: unknown severity",
        ),
        (
            "severity:\n  matrix:\n    huge: {high: P1}\n",
            r":3: severity.matrix.huge: unknown field",
        ),
        ("severity:\n  urgency: {sev1: urgent}\n", r":2: severity.urgency.sev1: expected high"),
        ("severity: {wide_services: -1}\n", r"severity.wide_services: expected a whole number"),
        (
            "known_issues:\n  - {id: KI-1, title: t, matchers: ['alertname~=x']}\n",
            r":2: known_issues\[0\].matchers: expected a matcher",
        ),
        (
            "known_issues:\n  - {id: KI-1, title: t, matchers: ['service=~\"(\"']}\n",
            r"known_issues\[0\].matchers: bad regular expression",
        ),
        (
            "known_issues:\n  - {id: KI-1, matchers: [a=b]}\n",
            r"known_issues\[0\]: missing field 'title'",
        ),
        (
            "known_issues:\n  - {id: K, title: t, matchers: [a=b]}\n  - {id: K, title: u, matchers: [a=c]}\n",
            r":3: known_issues\[1\].id: duplicate known issue 'K'",
        ),
    ],
)
def test_policy_errors(text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse_policies_text(text, "policies.yaml")


def test_the_commented_example_loads_and_the_defaults_are_documented() -> None:
    from app.domain.triage_rules import FlappingRule, GroupingRule, SeverityRules
    from app.resources import read_text

    example = parse_policies_text(read_text("policies", "example.yaml"), "example.yaml")
    assert example.validation_window == timedelta(minutes=60)
    assert example.severity.raise_tiers == frozenset({"gold"})
    (issue,) = example.known_issues
    assert issue.ticket == "OPS-881"
    assert issue.matches(
        {"alertname": "VpnTunnelDown", "service": "globex-vpn"}, datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert not issue.matches(
        {"alertname": "VpnTunnelDown", "service": "globex-vpn"}, datetime(2027, 2, 1, tzinfo=UTC)
    )
    built_in = load_policies()
    # the defaults written in resources/policies/default.yaml are the code's defaults
    assert built_in.grouping == GroupingRule()
    assert built_in.flapping == FlappingRule()
    defaults = SeverityRules()
    assert dict(built_in.severity.matrix) == dict(defaults.matrix)
    assert (built_in.severity.wide_services, built_in.severity.wide_customers) == (
        defaults.wide_services,
        defaults.wide_customers,
    )


def test_the_old_watch_window_name_still_counts(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text("watch_window: 20m\n", encoding="utf-8")
    assert load_policies(path).validation_window == timedelta(minutes=20)


def test_a_customer_may_have_a_contract_of_its_own() -> None:
    from app.domain.catalog import Catalog, Customer

    catalog = Catalog(
        customers={"acme": Customer("acme", "ACME", "gold"), "b": Customer("b", "B", "gold")}
    )
    policies = parse_policies_text(
        "contracts:\n  acme:\n    calendar: 24x7\n    P1: {response: 5m, resolve: 1h, update: 15m}\n"
    )
    assert policies.contract_for("acme", catalog).name == "acme"
    assert policies.contract_for("b", catalog).name == "gold"
    assert policies.contract_for("nobody", catalog).name == "standard"
    assert policies.contract_for("acme", catalog).update_cadence(Severity.P1) == timedelta(
        minutes=15
    )


def test_p3_and_p4_count_business_hours_even_in_a_24x7_contract() -> None:
    gold = load_policies().contracts["gold"]
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    # P1 around the clock; P3 4 business hours from Monday 08:00 London
    assert gold.deadlines(Severity.P1, sunday)[0] == sunday + timedelta(minutes=15)
    assert gold.deadlines(Severity.P3, sunday) == (
        datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        datetime(2026, 12, 3, 8, 0, tzinfo=UTC),  # three business days
    )
    custom = parse_policies_text(
        "contracts:\n  x:\n    calendar: 24x7\n"
        "    P2: {response: 1h, resolve: 4h, calendar: {timezone: UTC, hours: '09:00-17:00'}}\n"
    ).contracts["x"]
    assert custom.calendar_for(Severity.P2).describe() == "09:00-17:00 mon,tue,wed,thu,fri UTC"
