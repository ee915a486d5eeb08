"""The kind-specific fields of a `[[ticketing]]` entry, checked when the config loads.

Jira takes `project`, `user` (the account e-mail for Jira Cloud, REST v3; absent for a Data
Center personal access token, REST v2), an optional `api` (2 or 3) and `priorities`
(P1..P4 to the project's priority names); ServiceNow takes `user` (absent for an OAuth
token) and `assignment_group`. Both take `routes`: per customer id, the Jira project or
the ServiceNow assignment group its tickets go to, and `customers`: the customers this
entry serves (default: every customer no other entry names). The secret (API token, PAT
or password) is never here: `NOC_SECRET_<NAME>` or the keyring.

Both take `ca_bundle` (a PEM file, relative to the config file, trusted instead of
certifi's CAs) and `proxy` (`http://host:port`). The clients ignore REQUESTS_CA_BUNDLE,
HTTPS_PROXY and the like (app.ticketing.rest says why), so these are the only way to
trust a private CA or go through a proxy; TLS verification itself is never off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.config.errors import ConfigError
from app.config.source_options import Complain
from app.config.tls import ca_bundle_file, proxy_url
from app.domain.severity import Severity

_COMMON = frozenset({"user", "routes", "customers", "timeout", "auto_create", "ca_bundle", "proxy"})
_JIRA = _COMMON | {"project", "api", "priorities", "issue_type"}
_SERVICENOW = _COMMON | {"assignment_group"}
_PROJECT = re.compile(r"[A-Z][A-Z0-9_]{1,9}")


@dataclass(frozen=True, slots=True)
class TicketingOptions:
    """A `[[ticketing]]` entry's checked options.

    Attributes:
        project: Jira's project key; `api` its REST version (3 Cloud, 2 Data Center).
        user: the account (Jira Cloud e-mail, ServiceNow user name), None for a bearer token.
        priorities: Jira priority name per severity (defaults in the client when empty).
        issue_type: Jira's issue type for new tickets.
        assignment_group: ServiceNow's default group.
        routes: customer id -> Jira project key or ServiceNow assignment group.
        customers: the customers this entry serves (empty: any not served elsewhere).
        timeout: seconds per call.
        auto_create: severities whose new incidents get a ticket without anyone asking.
        ca_bundle: the CA file TLS is verified against (None: certifi's bundle).
        proxy: the http(s):// proxy calls go through (None: straight to the system).
    """

    project: str | None = None
    api: int = 3
    user: str | None = None
    priorities: Mapping[Severity, str] = field(default_factory=dict)
    issue_type: str = "Incident"
    assignment_group: str | None = None
    routes: Mapping[str, str] = field(default_factory=dict)
    customers: tuple[str, ...] = ()
    timeout: float = 10.0
    auto_create: frozenset[Severity] = frozenset()
    ca_bundle: str | None = None
    proxy: str | None = None


def parse_ticketing_options(
    kind: str,
    options: Mapping[str, Any],
    complain: Complain,
    base: Path | None = None,
    name: str | None = None,
) -> TicketingOptions:
    """The entry's options; `base` is the config file's folder (a relative `ca_bundle` is
    read from there), `name` the entry's, for messages about a file or host outside it."""
    allowed = _JIRA if kind == "jira" else _SERVICENOW
    for key in options:
        if key not in allowed:
            raise complain(f"unknown field (expected one of {', '.join(sorted(allowed))})", key)
    user = _text(options, "user", complain)
    timeout = options.get("timeout", 10.0)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 120:
        raise complain("expected seconds between 0 and 120", "timeout")
    routes = options.get("routes", {})
    if not isinstance(routes, dict) or not all(
        isinstance(v, str) and v.strip() for v in routes.values()
    ):
        raise complain('expected a table of customer = "target"', "routes")
    customers = options.get("customers", [])
    if not isinstance(customers, list) or not all(isinstance(c, str) for c in customers):
        raise complain("expected a list of customer ids", "customers")
    auto = options.get("auto_create", [])
    try:
        auto_create = frozenset(Severity(a) for a in auto)
    except (TypeError, ValueError):
        raise complain('expected a list of severities, e.g. ["P1", "P2"]', "auto_create") from None

    def about_entry(message: str, key: str | None) -> ConfigError:
        return complain(f"{message} (ticketing {name!r})" if name else message, key)

    common: dict[str, Any] = {
        "ca_bundle": ca_bundle_file(options, about_entry, base),
        "proxy": proxy_url(options, about_entry),
        "auto_create": auto_create,
        "user": user,
        "routes": MappingProxyType({str(k): v.strip() for k, v in routes.items()}),
        "customers": tuple(customers),
        "timeout": float(timeout),
    }
    if kind != "jira":
        return TicketingOptions(
            assignment_group=_text(options, "assignment_group", complain), **common
        )
    project = _text(options, "project", complain)
    if project is None:
        raise complain("missing field 'project' (the Jira project key, e.g. OPS)", None)
    for key in [project, *common["routes"].values()]:
        if _PROJECT.fullmatch(key) is None:
            raise complain(f"{key!r} is not a Jira project key (e.g. OPS)", "project")
    api = options.get("api", 3 if user else 2)
    if api not in (2, 3):
        raise complain("expected 3 (Jira Cloud) or 2 (Jira Data Center)", "api")
    if api == 3 and user is None:
        raise complain("Jira Cloud (api 3) needs `user`, the account's e-mail", "user")
    return TicketingOptions(
        project=project,
        api=int(api),
        priorities=_priorities(options, complain),
        issue_type=_text(options, "issue_type", complain) or "Incident",
        **common,
    )


def _priorities(options: Mapping[str, Any], complain: Complain) -> Mapping[Severity, str]:
    table = options.get("priorities", {})
    if not isinstance(table, dict):
        raise complain('expected a table like {P1 = "Highest", P2 = "High"}', "priorities")
    found: dict[Severity, str] = {}
    for key, value in table.items():
        try:
            severity = Severity(key)
        except ValueError:
            raise complain(f"{key!r} is not P1..P4", "priorities") from None
        if not isinstance(value, str) or not value.strip():
            raise complain(f"{key}: expected a priority name", "priorities")
        found[severity] = value.strip()
    return MappingProxyType(found)


def _text(options: Mapping[str, Any], key: str, complain: Complain) -> str | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise complain("expected text", key)
    return value.strip()
