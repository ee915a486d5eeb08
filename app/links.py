"""Which links the console opens: http and https only.

A runbook URL comes from an alert's annotations, so from whoever can fire an alert: a
`file:`, `javascript:`, `smb:` or custom-scheme link must not reach the desktop's URL
handler. Such a link is shown, not opened, with the reason (issue 7's runbooks reuse this).
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

OPENED_SCHEMES = frozenset({"http", "https"})


class LinkCheck(NamedTuple):
    """Whether a link may be opened, and why not when it may not."""

    ok: bool
    reason: str = ""


def check_link(url: str) -> LinkCheck:
    text = url.strip()
    if not text:
        return LinkCheck(False, "empty link")
    if any(ord(c) < 32 or c.isspace() for c in text):
        return LinkCheck(False, "the link contains spaces or control characters")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        return LinkCheck(False, f"not a valid link ({error})")
    scheme = parts.scheme.lower()
    if scheme not in OPENED_SCHEMES:
        shown = f"{scheme}:" if scheme else "no scheme"
        return LinkCheck(False, f"only http and https links open ({shown})")
    if not parts.hostname:
        return LinkCheck(False, "the link names no host")
    return LinkCheck(True)
