"""Only http and https links open; everything else is refused with the reason."""

from __future__ import annotations

import pytest

from app.links import check_link


@pytest.mark.parametrize(
    "url", ["https://runbooks.example/db-saturation", "http://wiki.local:8080/x?y=1#z"]
)
def test_web_links_open(url: str) -> None:
    assert check_link(url).ok


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http and https links open (file:)"),
        ("javascript:alert(1)", "only http and https links open (javascript:)"),
        ("smb://fileserver/share", "only http and https links open (smb:)"),
        ("runbooks.example/db", "only http and https links open (no scheme)"),
        ("https:///nohost", "the link names no host"),
        ("https://a.example/x y", "the link contains spaces or control characters"),
        ("https://a.example/\x00", "the link contains spaces or control characters"),
        ("  ", "empty link"),
        ("https://[::1/x", "not a valid link"),
        # RELIABILITY.md 27: what an alert's runbook_url or generatorURL may carry
        ("file://host/share", "only http and https links open (file:)"),
        ("\\\\host\\share", "only http and https links open (no scheme)"),
        (
            "ms-msdt:/id%20PCWDiagnostic%20/skip%20force",
            "only http and https links open (ms-msdt:)",
        ),
        (" //evil", "only http and https links open (no scheme)"),
        ("JavaScript:alert(1)", "only http and https links open (javascript:)"),
    ],
)
def test_anything_else_is_refused_with_the_reason(url: str, reason: str) -> None:
    found = check_link(url)
    assert not found.ok
    assert found.reason.startswith(reason)
