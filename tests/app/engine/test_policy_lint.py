"""Policy lint: files that load but will not do what was meant get one warning each, by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.config.catalog import parse_catalog_text
from app.config.policies import load_policies, parse_policies_text
from app.domain.catalog import Catalog
from app.engine.policy_lint import PolicyWarning, counts, lint
from app.sources.demo import load_demo_estate

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)

CATALOG = """\
customers:
  - {id: acme, tier: gold}
  - {id: globex, tier: silver}
services:
  - {id: acme-db, customer: acme, owner: dba-team}
  - {id: acme-api, customer: acme, owner: app-team, depends_on: [acme-db]}
  - {id: globex-db, customer: globex, owner: dba-team}
"""


def fields(warnings: tuple[PolicyWarning, ...]) -> list[str]:
    return [warning.field for warning in warnings]


def test_the_demo_estate_and_built_in_policies_are_clean() -> None:
    catalog, policies = load_demo_estate(), load_policies()
    assert lint(catalog, policies, NOW) == ()
    assert counts(catalog, policies) == {
        "customers": 3,
        "services": 23,
        "contracts": 4,
        "maintenance_windows": 0,
        "known_issues": 0,
    }


def test_a_clean_catalog_with_windows_and_rules_still_to_come() -> None:
    policies = parse_policies_text("""\
maintenance:
  - {customer: acme, service: acme-db, from: 2026-11-29T22:00:00Z, to: 2026-11-30T02:00:00Z}
  - {customer: globex, from: 2026-11-29T09:00:00Z, to: 2026-11-29T11:00:00Z}
known_issues:
  - {id: KI-1, title: Slow disks, matchers: ['service=~"acme-.*"', 'alertname="DiskSlow"'], until: 2026-12-01T00:00:00Z}
  - {id: KI-2, title: Any tenant, matchers: ['tenant="blue"', 'service!="nope"']}
""")
    assert lint(parse_catalog_text(CATALOG), policies, NOW) == ()


def test_maintenance_windows_naming_unknown_or_foreign_services() -> None:
    policies = parse_policies_text("""\
maintenance:
  - {customer: acmee, from: 2026-11-29T22:00:00Z, to: 2026-11-30T02:00:00Z}
  - {customer: acme, service: acme-dbb, from: 2026-11-29T22:00:00Z, to: 2026-11-30T02:00:00Z}
  - {customer: acme, service: globex-db, from: 2026-11-29T22:00:00Z, to: 2026-11-30T02:00:00Z}
""")
    warnings = lint(parse_catalog_text(CATALOG), policies, NOW)
    assert fields(warnings) == [
        "maintenance[0].customer",
        "maintenance[1].service",
        "maintenance[2].service",
    ]
    assert "unknown customer 'acmee'" in warnings[0].message
    assert "unknown service 'acme-dbb'" in warnings[1].message
    assert warnings[2].message == (
        "service 'globex-db' belongs to customer 'globex', not 'acme': the window never applies"
    )


@pytest.mark.parametrize(
    ("ends", "over"),
    [
        (NOW - timedelta(seconds=1), True),
        (NOW, True),  # a window covers [from, to): at its end it covers nothing
        (NOW + timedelta(seconds=1), False),
    ],
)
def test_a_window_already_over(ends: datetime, over: bool) -> None:
    text = (
        "maintenance:\n"
        f"  - {{customer: acme, from: 2026-11-01T00:00:00Z, to: {ends.isoformat()}}}\n"
    )
    warnings = lint(parse_catalog_text(CATALOG), parse_policies_text(text), NOW)
    assert fields(warnings) == (["maintenance[0].to"] if over else [])
    if over:
        assert f"ended {ends.isoformat().replace('+00:00', 'Z')}" in warnings[0].message


def test_known_issues_past_their_until_or_matching_no_catalog_id() -> None:
    policies = parse_policies_text("""\
known_issues:
  - {id: KI-1, title: Old, matchers: ['alertname="X"'], until: 2026-11-29T10:00:00Z}
  - {id: KI-2, title: Typo, matchers: ['service="acme-dbb"']}
  - {id: KI-3, title: Regex typo, matchers: ['customer=~"globx|initech"']}
  - {id: KI-4, title: Fine, matchers: ['service=~"globex-.*"'], until: 2026-11-29T10:00:01Z}
""")
    warnings = lint(parse_catalog_text(CATALOG), policies, NOW)
    assert fields(warnings) == [
        "known_issues[0].until",
        "known_issues[1].matchers",
        "known_issues[2].matchers",
    ]
    assert warnings[0].message == (
        "known issue 'KI-1' expired 2026-11-29T10:00:00Z: it badges nothing now"
    )
    assert warnings[1].message == (
        "known issue 'KI-2': service=\"acme-dbb\" matches no service in the catalog"
    )
    assert 'customer=~"globx|initech"' in warnings[2].message


def test_tiers_without_a_contract_and_services_without_an_owner() -> None:
    catalog = parse_catalog_text("""\
customers:
  - {id: acme, tier: platinum}
  - {id: globex, tier: gold}
services:
  - {id: acme-db, customer: acme, owner: dba-team}
  - {id: acme-api, customer: acme}
""")
    warnings = lint(catalog, load_policies(), NOW)
    assert [str(w) for w in warnings] == [
        (
            "customers[0].tier: customer 'acme' has tier 'platinum', which has no contract: "
            "its SLA clocks use default_contract 'standard'"
        ),
        "services[1].owner: service 'acme-api' has no owner: its incidents get no team",
    ]


def test_grouping_without_service() -> None:
    catalog = parse_catalog_text(CATALOG)
    assert (
        lint(catalog, parse_policies_text("grouping: {by: [customer, service, alertname]}"), NOW)
        == ()
    )
    warnings = lint(catalog, parse_policies_text("grouping: {by: [customer, alertname]}"), NOW)
    assert fields(warnings) == ["grouping.by"]
    assert warnings[0].message.startswith("groups by customer and alertname without service")


def test_no_catalog_is_one_warning_and_no_guessing_about_ids() -> None:
    policies = parse_policies_text("""\
maintenance:
  - {customer: anyone, service: anything, from: 2026-11-29T09:00:00Z, to: 2026-11-29T11:00:00Z}
known_issues:
  - {id: KI-1, title: T, matchers: ['service="whatever"']}
""")
    warnings = lint(Catalog(), policies, NOW)
    assert fields(warnings) == ["catalog"]
    assert "default contract 'standard'" in warnings[0].message
