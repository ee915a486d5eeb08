"""The `[actions]` section: where runbook actions may reach, and the endpoints they name.

Runbooks never carry a host of their own choosing from incident data: a webhook's host is
fixed in the runbook or is a named endpoint here (`{endpoint.rundeck}`), and private,
loopback and link-local addresses are refused unless listed in `allow_networks` (a
Rundeck inside the VPN, say). Credentials are not here: a webhook's `secret` names an
entry in the keyring or a `NOC_SECRET_<NAME>` variable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.config.source_options import Complain
from app.config.tls import ca_bundle_file
from app.domain.runbook import ActionSettings
from app.links import check_link

ACTION_KEYS = frozenset(
    {
        "allow_networks",
        "endpoints",
        "aws_region",
        "aws_endpoint_url",
        "aws_profile",
        "timeout_cap",
        "ca_bundle",
    }
)


def parse_actions(
    table: Mapping[str, Any], complain: Complain, base: Path | None = None
) -> ActionSettings:
    for key in table:
        if key not in ACTION_KEYS:
            raise complain(f"unknown field (expected one of {', '.join(sorted(ACTION_KEYS))})", key)
    networks = table.get("allow_networks", [])
    if not isinstance(networks, list) or not all(isinstance(n, str) for n in networks):
        raise complain('expected a list of networks, e.g. ["10.20.0.0/16"]', "allow_networks")
    allowed = []
    for text in networks:
        try:
            allowed.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError as error:
            raise complain(f"not a network: {error}", "allow_networks") from None
    endpoints = table.get("endpoints", {})
    if not isinstance(endpoints, dict):
        raise complain('expected a table of name = "https://..."', "endpoints")
    for name, url in endpoints.items():
        if not isinstance(url, str) or not (check := check_link(url)).ok:
            reason = "expected a URL" if not isinstance(url, str) else check.reason
            raise complain(f"endpoint {name!r}: {reason}", "endpoints")
    cap = table.get("timeout_cap", ActionSettings().timeout_cap)
    if not isinstance(cap, int | float) or isinstance(cap, bool) or cap <= 0:
        raise complain("expected a number of seconds above zero", "timeout_cap")
    return ActionSettings(
        allow_networks=tuple(allowed),
        endpoints=MappingProxyType({str(k): str(v).rstrip("/") for k, v in endpoints.items()}),
        aws_region=_text(table, "aws_region", complain),
        aws_endpoint_url=_text(table, "aws_endpoint_url", complain),
        aws_profile=_text(table, "aws_profile", complain),
        timeout_cap=float(cap),
        ca_bundle=ca_bundle_file(table, complain, base),
    )


def _text(table: Mapping[str, Any], key: str, complain: Complain) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise complain("expected text", key)
    return value.strip()
