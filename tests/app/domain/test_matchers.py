"""Label matchers read and behave as Alertmanager's do."""

from __future__ import annotations

import pytest

from app.domain.matchers import LabelMatcher, MatchOp, matches_all

LABELS = {"alertname": "VpnTunnelDown", "service": "globex-vpn", "severity": "warning"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('alertname="VpnTunnelDown"', True),
        ("alertname = VpnTunnelDown", True),
        ("alertname!=VpnTunnelDown", False),
        ('service=~"globex-.*"', True),
        ('service=~"globex"', False),  # anchored: the whole value must match
        ('service!~"acme-.*"', True),
        ('team=""', True),  # a missing label is the empty string
        ('team!=""', False),
        ("severity=~'warning|critical'", True),
    ],
)
def test_matchers(text: str, expected: bool) -> None:
    assert LabelMatcher.parse(text).matches(LABELS) is expected


def test_parsing_keeps_the_operator_and_unquotes_the_value() -> None:
    matcher = LabelMatcher.parse(' service =~ "a\\"b" ')
    assert (matcher.name, matcher.op, matcher.value) == ("service", MatchOp.REGEX, 'a"b')
    assert str(LabelMatcher.parse("x=y")) == 'x="y"'


@pytest.mark.parametrize("text", ["", "=x", "alertname", "alertname~=x", "1x=y"])
def test_nonsense_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a matcher"):
        LabelMatcher.parse(text)


def test_all_must_match() -> None:
    both = [LabelMatcher.parse('alertname="VpnTunnelDown"'), LabelMatcher.parse("service=acme")]
    assert not matches_all(both, LABELS)
    assert matches_all(both[:1], LABELS)
