"""How the config names a CA bundle and a proxy, checked when it loads (`[actions]`, `[[ticketing]]`).

Both are explicit on purpose: the HTTP sessions that carry credentials to runbook hooks and
ticketing systems ignore REQUESTS_CA_BUNDLE, HTTPS_PROXY and their kin, so what they trust
and where they connect is written here, where it can be read and reviewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.config.source_options import Complain


def ca_bundle_file(
    table: Mapping[str, Any], complain: Complain, base: Path | None, key: str = "ca_bundle"
) -> str | None:
    """The CA file `table[key]` names (relative to `base`, the config file's folder), which
    must exist; None when the key is absent."""
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise complain("expected text", key)
    path = Path(value.strip()).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        raise complain(f"no CA file at {path}", key)
    return str(path)


def proxy_url(table: Mapping[str, Any], complain: Complain, key: str = "proxy") -> str | None:
    """The `http://host:port` proxy `table[key]` names; None when the key is absent. A login
    is refused: it is a secret, and secrets never live in the config file."""
    value = table.get(key)
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise complain(f"{text!r} is not a proxy URL", key) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise complain('expected the proxy as a URL, e.g. "http://proxy.example:3128"', key)
    if parts.username is not None or parts.password is not None:
        raise complain("a proxy login cannot be in the config file (it is a secret)", key)
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise complain('expected only scheme, host and port, e.g. "http://proxy.example:3128"', key)
    return text
