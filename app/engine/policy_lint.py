"""Warnings about a catalog and policies that load but will not do what their author meant.

Pure: `policies check` loads the files (errors there are the loaders' ConfigError, with the
line) and passes the result here with `now`. A warning never stops the console; each one
names the field at fault, in the file's own dotted spelling (`maintenance[0].service`).

What is checked:
- catalog: empty (no customers or services: no contract by tier, no team, no correlation);
  a customer whose tier has no contract (it falls back to `default_contract`); a service
  with no owner (its incidents get no team);
- grouping: `grouping.by` without `service` (one incident may span a customer's services);
- maintenance windows: naming a customer or service the catalog does not know, or a
  service of another customer (the window then never applies); already over at `now`;
- known issues: `until` already past at `now`; a `customer` or `service` matcher (`=` or
  `=~`) that matches no id in the catalog (a typo badges nothing).

Label *names* in known-issue matchers are not checked: sources pass their own labels
through unmapped (any Prometheus label or Datadog tag may reach a rule), so an unusual
name is no evidence of a mistake, and no check could be right about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.domain.catalog import Catalog
from app.domain.matchers import LabelMatcher, MatchOp
from app.domain.policy import Policies
from app.domain.timestamps import iso_z


@dataclass(frozen=True, slots=True)
class PolicyWarning:
    """Something that loads but probably is not what was meant.

    Attributes:
        field: where, in the file's dotted spelling (`services[3].owner`, `grouping.by`).
        message: what happens because of it, in words.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def counts(catalog: Catalog, policies: Policies) -> dict[str, int]:
    """What was loaded, for the summary line."""
    return {
        "customers": len(catalog.customers),
        "services": len(catalog.services),
        "contracts": len(policies.contracts),
        "maintenance_windows": len(policies.maintenance),
        "known_issues": len(policies.known_issues),
    }


def lint(catalog: Catalog, policies: Policies, now: datetime) -> tuple[PolicyWarning, ...]:
    """Every warning, catalog first, then policies in file order."""
    return (
        *_catalog(catalog, policies),
        *_grouping(policies),
        *_maintenance(catalog, policies, now),
        *_known_issues(catalog, policies, now),
    )


def _catalog(catalog: Catalog, policies: Policies) -> Iterable[PolicyWarning]:
    if not catalog.customers and not catalog.services:
        yield PolicyWarning(
            "catalog",
            "no catalog: every incident gets the default contract "
            f"{policies.default_contract!r}, no team, and no dependency correlation",
        )
        return
    for index, customer in enumerate(catalog.customers.values()):
        if customer.tier not in policies.contracts and customer.id not in policies.contracts:
            yield PolicyWarning(
                f"customers[{index}].tier",
                f"customer {customer.id!r} has tier {customer.tier!r}, which has no contract: "
                f"its SLA clocks use default_contract {policies.default_contract!r}",
            )
    for index, service in enumerate(catalog.services.values()):
        if not service.owner:
            yield PolicyWarning(
                f"services[{index}].owner",
                f"service {service.id!r} has no owner: its incidents get no team",
            )


def _grouping(policies: Policies) -> Iterable[PolicyWarning]:
    if "service" not in policies.grouping.by:
        yield PolicyWarning(
            "grouping.by",
            f"groups by {policies.grouping.describe()} without service: one incident may "
            "take alerts of several unrelated services of a customer, and dependency "
            "correlation then works on those mixed groups",
        )


def _maintenance(catalog: Catalog, policies: Policies, now: datetime) -> Iterable[PolicyWarning]:
    for index, window in enumerate(policies.maintenance):
        where = f"maintenance[{index}]"
        if catalog.customers and window.customer not in catalog.customers:
            yield PolicyWarning(
                f"{where}.customer",
                f"unknown customer {window.customer!r}: the window only covers alerts "
                "labelled with that customer, and the catalog has none",
            )
        service = catalog.service(window.service)
        if window.service is not None and catalog.services:
            if service is None:
                yield PolicyWarning(
                    f"{where}.service",
                    f"unknown service {window.service!r} (not in the catalog)",
                )
            elif service.customer != window.customer:
                yield PolicyWarning(
                    f"{where}.service",
                    f"service {service.id!r} belongs to customer {service.customer!r}, not "
                    f"{window.customer!r}: the window never applies",
                )
        if window.ends <= now:
            yield PolicyWarning(
                f"{where}.to",
                f"the window is over (ended {_when(window.ends)}); it suppresses nothing now",
            )


def _known_issues(catalog: Catalog, policies: Policies, now: datetime) -> Iterable[PolicyWarning]:
    known = {"customer": set(catalog.customers), "service": set(catalog.services)}
    for index, issue in enumerate(policies.known_issues):
        where = f"known_issues[{index}]"
        if issue.until is not None and issue.until <= now:
            yield PolicyWarning(
                f"{where}.until",
                f"known issue {issue.id!r} expired {_when(issue.until)}: it badges nothing now",
            )
        for matcher in issue.matchers:
            ids = known.get(matcher.name)
            if ids and not _matches_an_id(matcher, ids):
                yield PolicyWarning(
                    f"{where}.matchers",
                    f"known issue {issue.id!r}: {matcher} matches no {matcher.name} in the catalog",
                )


def _matches_an_id(matcher: LabelMatcher, ids: set[str]) -> bool:
    """Only positive matchers can name a missing id; `!=` and `!~` match almost anything."""
    if matcher.op not in (MatchOp.EQUAL, MatchOp.REGEX):
        return True
    return any(matcher.matches({matcher.name: value}) for value in ids)


def _when(at: datetime) -> str:
    return iso_z(at) or ""
