"""Label matchers in Alertmanager's syntax (`alertname="VpnTunnelDown"`, `service=~"acme-.*"`).

Operators already write these in Alertmanager routes and silences; known-issue rules in
policies.yaml take the same text so a rule can be copied from a silence unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


class MatchOp(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True, slots=True)
class LabelMatcher:
    """One condition on one label; a missing label matches as the empty string (as in Alertmanager).

    Regular expressions are anchored at both ends, as Alertmanager anchors them.
    """

    name: str
    op: MatchOp
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
            try:
                pattern = re.compile(f"(?:{self.value})")
            except re.error as error:
                raise ValueError(f"bad regular expression {self.value!r}: {error}") from None
            object.__setattr__(self, "_pattern", pattern)

    @classmethod
    def parse(cls, text: str) -> LabelMatcher:
        found = _MATCHER.match(text)
        if found is None:
            raise ValueError(
                f'expected a matcher like alertname="HighLatency" or service=~"acme-.*", got {text!r}'
            )
        name, op, raw = found.groups()
        return cls(name, MatchOp(op), _unquote(raw))

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.op is MatchOp.EQUAL:
            return value == self.value
        if self.op is MatchOp.NOT_EQUAL:
            return value != self.value
        assert self._pattern is not None
        hit = self._pattern.fullmatch(value) is not None
        return hit if self.op is MatchOp.REGEX else not hit

    def __str__(self) -> str:
        return f'{self.name}{self.op.value}"{self.value}"'


def matches_all(matchers: Sequence[LabelMatcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return raw
