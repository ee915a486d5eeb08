"""Which runbook an incident gets, and why: the most specific rule over its alerts wins.

A rule is a list of Alertmanager-style matchers; it matches when all of them hold for
one of the incident's alerts. The labels tested are the alert's own, plus `priority`
(the incident's P1..P4) and `root_service`, so a rule can say "P1 on the orders
database". Among all matching rules of all runbooks, the winner is the one with the most
equality matchers, then regular expressions, then negative ones; ties go to the rule
that matched the root service's alert, then to a firing alert, then to the runbook id
(so the choice never depends on file order). An incident nothing matches is offered the
fallback runbook (generic triage). Every candidate is kept, so `runbooks match` and the
side panel can say why the winner won.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.domain.alert import Alert
from app.domain.incident import Incident
from app.domain.runbook import MatchRule, Runbook
from app.runbooks.library import Library


@dataclass(frozen=True, slots=True)
class Candidate:
    """One rule that matched one alert.

    Attributes:
        runbook: the rule's runbook.
        rule: the rule; `alert` the alert it matched (None for an incident without alerts).
        rank: the sort key; higher wins.
    """

    runbook: Runbook
    rule: MatchRule
    alert: Alert | None
    rank: tuple[int, int, int, int, int]

    def describe(self) -> str:
        on = f" on {self.alert.alertname} ({self.alert.service or '?'})" if self.alert else ""
        where = f"{self.runbook.path}:{self.rule.line}" if self.rule.line else self.runbook.path
        equal, regex, negative = self.rule.specificity
        return (
            f"{self.runbook.id}: {self.rule}{on} \u2014 {equal} exact, {regex} pattern, "
            f"{negative} negative matcher(s) [{where}]"
        )


@dataclass(frozen=True, slots=True)
class RunbookMatch:
    """The chosen runbook and the evidence.

    Attributes:
        runbook: the winner (the fallback when nothing matched).
        winner: the candidate that won (None for the fallback).
        candidates: every rule that matched, best first (one per runbook).
    """

    runbook: Runbook
    winner: Candidate | None
    candidates: tuple[Candidate, ...]

    @property
    def fallback(self) -> bool:
        return self.winner is None

    @property
    def alert(self) -> Alert | None:
        return self.winner.alert if self.winner else None

    def reason(self) -> str:
        """One line for the side panel."""
        if self.winner is None:
            return "no runbook matches this incident's alerts: generic triage"
        on = f" on {self.winner.alert.alertname}" if self.winner.alert else ""
        return f"matched {self.winner.rule}{on}"

    def explain(self) -> list[str]:
        """The full story: the winner, then the runbooks it beat."""
        if self.winner is None:
            return [f"{self.runbook.id}: fallback (no rule of any runbook matched)"]
        lines = [f"chosen  {self.winner.describe()}"]
        lines += [f"beaten  {c.describe()}" for c in self.candidates[1:]]
        return lines


def labels_of(incident: Incident, alert: Alert | None) -> dict[str, str]:
    """The labels a rule is tested against: the alert's, plus the incident's own."""
    labels: dict[str, str] = {}
    if alert is None:  # an imported incident, or one whose alerts are gone
        labels.update(customer=incident.customer or "", service=incident.root_service or "")
    else:
        labels.update(alert.labels)
    # the incident's own facts win over an alert label of the same name
    labels["priority"] = incident.severity.value
    labels["root_service"] = incident.root_service or ""
    return labels


def match_incident(
    library: Library, incident: Incident, alerts: Sequence[Alert]
) -> RunbookMatch | None:
    """The runbook for `incident`; None only when nothing matches and there is no fallback."""
    tested = _distinct(library, incident, alerts)
    best: dict[str, Candidate] = {}
    for runbook in library.runbooks.values():
        for rule in runbook.match:
            for alert, labels in tested:
                if not all(m.matches(labels) for m in rule.matchers):
                    continue
                candidate = Candidate(runbook, rule, alert, _rank(rule, alert, incident))
                if runbook.id not in best or candidate.rank > best[runbook.id].rank:
                    best[runbook.id] = candidate
    # best rank first; ties to the alphabetically first id
    ordered = sorted(best.values(), key=lambda c: (tuple(-r for r in c.rank), c.runbook.id))
    if ordered:
        return RunbookMatch(ordered[0].runbook, ordered[0], tuple(ordered))
    fallback = library.fallback
    return RunbookMatch(fallback, None, ()) if fallback is not None else None


def _distinct(
    library: Library, incident: Incident, alerts: Sequence[Alert]
) -> list[tuple[Alert | None, Mapping[str, str]]]:
    """One alert per distinct combination of the labels any rule reads: a storm's 2,000
    alerts are a few dozen combinations, and the rules need testing once for each. A
    firing alert, and one on the root service, stand for their combination first, as
    the ranking prefers them."""
    if not alerts:
        return [(None, labels_of(incident, None))]
    names = sorted(
        {m.name for r in library.runbooks.values() for rule in r.match for m in rule.matchers}
    )
    ordered = sorted(alerts, key=lambda a: (not a.firing, a.service != incident.root_service))
    seen: dict[tuple[str, ...], tuple[Alert | None, Mapping[str, str]]] = {}
    for alert in ordered:
        labels = labels_of(incident, alert)
        key = (
            *(labels.get(n, "") for n in names),
            str(alert.firing),
            str(alert.service == incident.root_service),
        )
        if key not in seen:
            seen[key] = (alert, labels)
    return list(seen.values())


def _rank(
    rule: MatchRule, alert: Alert | None, incident: Incident
) -> tuple[int, int, int, int, int]:
    equal, regex, negative = rule.specificity
    on_root = int(alert is not None and alert.service == incident.root_service)
    firing = int(alert is None or alert.firing)
    return equal, regex, negative, on_root, firing
