"""What an operator narrows the wall to: customers, severities, states, tiers, teams and text.

Pure data with a `matches` test, so the wall's Python-side filter, saved views and the
tests share one definition. Saved views store it as a plain dict (`as_dict`), and
`from_dict` is forgiving: a view saved by an older or newer console, or naming a
severity that no longer exists, loads with what it can read instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.domain.incident import EscalationTier, Incident, IncidentState
from app.domain.severity import Severity

_Member = TypeVar("_Member", Severity, IncidentState, EscalationTier)


def haystack(incident: Incident) -> str:
    """The lower-cased text a free-text filter searches: key, title, customer, services,
    team, owner, ticket, known issue and tier. Computed once per snapshot by the wall."""
    parts = [
        incident.key,
        incident.title,
        incident.customer or "",
        " ".join(incident.services),
        incident.root_service or "",
        incident.team or "",
        incident.owner or "",
        incident.ticket or "",
        incident.known_issue or "",
    ]
    return "\n".join(parts).casefold()


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """An operator's filter; an empty set means "any".

    Attributes:
        customers, teams: customer ids and owning teams to keep.
        severities, states, tiers: the enum values to keep.
        text: free text; every word must appear (case-insensitive) in the incident's key,
            title, customer, services, team, owner, ticket or known issue.
    """

    customers: frozenset[str] = field(default_factory=frozenset)
    severities: frozenset[Severity] = field(default_factory=frozenset)
    states: frozenset[IncidentState] = field(default_factory=frozenset)
    tiers: frozenset[EscalationTier] = field(default_factory=frozenset)
    teams: frozenset[str] = field(default_factory=frozenset)
    text: str = ""

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.text.casefold().split())

    def is_empty(self) -> bool:
        return not (
            self.customers
            or self.severities
            or self.states
            or self.tiers
            or self.teams
            or self.words
        )

    def matches(self, incident: Incident, text: str | None = None) -> bool:
        """Whether the incident passes; `text` is its `haystack` when the caller keeps one."""
        return self.compile()(incident, haystack(incident) if text is None else text)

    def compile(self) -> Callable[[Incident, str], bool]:
        """`matches` with the words split once: the wall tests thousands of rows per
        keystroke, each against its precomputed haystack."""
        customers, severities, states = self.customers, self.severities, self.states
        tiers, teams, words = self.tiers, self.teams, self.words

        def test(incident: Incident, text: str) -> bool:
            if customers and (incident.customer or "") not in customers:
                return False
            if severities and incident.severity not in severities:
                return False
            if states and incident.state not in states:
                return False
            if tiers and incident.tier not in tiers:
                return False
            if teams and (incident.team or "") not in teams:
                return False
            return all(word in text for word in words)

        return test

    def describe(self) -> str:
        """'P1, P2 · acme · "db"': what the filter keeps, for the wall's "N of M shown"."""
        parts = [
            ", ".join(sorted(s.value for s in self.severities)),
            ", ".join(sorted(self.customers)),
            ", ".join(sorted(s.value.replace("_", " ") for s in self.states)),
            ", ".join(sorted((t.value for t in self.tiers), key=_tier_rank)),
            ", ".join(sorted(self.teams)),
            f'"{self.text.strip()}"' if self.words else "",
        ]
        return " \u00b7 ".join(part for part in parts if part)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, with only what is set (saved views)."""
        saved: dict[str, Any] = {}
        for name, values in (
            ("customers", self.customers),
            ("severities", {s.value for s in self.severities}),
            ("states", {s.value for s in self.states}),
            ("tiers", {t.value for t in self.tiers}),
            ("teams", self.teams),
        ):
            if values:
                saved[name] = sorted(values)
        if self.text.strip():
            saved["text"] = self.text.strip()
        return saved

    @classmethod
    def from_dict(cls, saved: Mapping[str, Any]) -> IncidentFilter:
        """The filter of a saved view; unknown fields and values are skipped."""
        text = saved.get("text", "")
        return cls(
            customers=frozenset(_strings(saved.get("customers"))),
            severities=frozenset(_members(Severity, saved.get("severities"))),
            states=frozenset(_members(IncidentState, saved.get("states"))),
            tiers=frozenset(_members(EscalationTier, saved.get("tiers"))),
            teams=frozenset(_strings(saved.get("teams"))),
            text=text if isinstance(text, str) else "",
        )


def _tier_rank(value: str) -> int:
    return EscalationTier(value).rank


def _strings(values: Any) -> Iterable[str]:
    if isinstance(values, str):
        return [values]
    if not isinstance(values, list | tuple | set | frozenset):
        return []
    return [value for value in values if isinstance(value, str) and value]


def _members(kind: type[_Member], values: Any) -> list[_Member]:
    found = []
    for value in _strings(values):
        try:
            found.append(kind(value))
        except ValueError:
            continue
    return found
