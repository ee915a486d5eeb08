"""The fields each source kind accepts beyond the common ones, and their checks.

Kept apart from the file reader so that adding a source kind touches one table here
(and its module in app/sources), not the TOML plumbing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from app.config.errors import ConfigError

DATADOG_SITES: Mapping[str, str] = MappingProxyType(
    {
        "US1": "https://api.datadoghq.com",
        "US3": "https://api.us3.datadoghq.com",
        "US5": "https://api.us5.datadoghq.com",
        "EU1": "https://api.datadoghq.eu",
        "AP1": "https://api.ap1.datadoghq.com",
        "AP2": "https://api.ap2.datadoghq.com",
        "US1-FED": "https://api.ddog-gov.com",
    }
)
AUTH_MODES = frozenset({"none", "bearer", "basic"})
_HTTP = frozenset({"auth", "username", "ca_bundle", "max_response_mb"})

SOURCE_KINDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "alertmanager": frozenset({"url", "urls"}) | _HTTP,
        "prometheus": frozenset({"url"}) | _HTTP,
        "cloudwatch": frozenset({"region", "profile", "endpoint_url", "alarm_prefix"}),
        "datadog": frozenset({"site", "url", "monitor_tags", "ca_bundle", "max_response_mb"}),
        "demo": frozenset({"seed"}),
    }
)
LABEL_KEYS = frozenset({"customer", "service", "severity"})

Complain = Callable[[str, str | None], ConfigError]


def check_source_options(kind: str, item: Mapping[str, Any], complain: Complain) -> None:
    """Refuse values a source of this kind could not use; `complain(message, key)` names the line."""
    if kind in ("alertmanager", "prometheus") and "url" not in item and "urls" not in item:
        raise complain(f"missing field 'url' (a {kind} source needs it)", None)
    for key in ("url", "endpoint_url"):
        if key in item:
            _url(item[key], key, complain)
    if "urls" in item:
        urls = item["urls"]
        if not isinstance(urls, list) or not urls:
            raise complain("expected a list of URLs (the members of one HA cluster)", "urls")
        for value in urls:
            _url(value, "urls", complain)
    auth = item.get("auth", "none")
    if auth not in AUTH_MODES:
        raise complain(f"unknown auth {auth!r} (expected none, bearer or basic)", "auth")
    if auth == "basic" and not isinstance(item.get("username"), str):
        raise complain("basic auth needs a username (the password is the source's secret)", None)
    if "max_response_mb" in item:
        size = item["max_response_mb"]
        if isinstance(size, bool) or not isinstance(size, int | float) or size <= 0:
            raise complain("expected a positive number of MiB", "max_response_mb")
    if "site" in item and str(item["site"]).upper() not in DATADOG_SITES:
        raise complain(
            f"unknown Datadog site {item['site']!r} (expected one of {', '.join(DATADOG_SITES)})",
            "site",
        )
    for key in ("region", "profile", "ca_bundle", "username", "alarm_prefix"):
        if key in item and (not isinstance(item[key], str) or not item[key].strip()):
            raise complain("expected non-empty text", key)
    if "monitor_tags" in item and (
        not isinstance(item["monitor_tags"], list)
        or not all(isinstance(t, str) for t in item["monitor_tags"])
    ):
        raise complain('expected a list of tags like ["team:noc"]', "monitor_tags")
    if "seed" in item and (isinstance(item["seed"], bool) or not isinstance(item["seed"], int)):
        raise complain("expected an integer", "seed")


def check_labels(value: Any, complain: Complain) -> dict[str, str]:
    """`labels = {customer = "tenant", ...}`: which source label gives each canonical one."""
    if not isinstance(value, dict):
        raise complain('expected a table like {customer = "tenant", service = "app"}', "labels")
    for key, label in value.items():
        if key not in LABEL_KEYS:
            raise complain(
                f"unknown label role {key!r} (expected customer, service or severity)", "labels"
            )
        if not isinstance(label, str) or not label.strip():
            raise complain(f"labels.{key}: expected a label name", "labels")
    return {key: label.strip() for key, label in value.items()}


def _url(value: Any, key: str, complain: Complain) -> None:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise complain(f"expected an http:// or https:// URL, got {value!r}", key)
