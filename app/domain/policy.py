"""Operational policies: SLA contracts per tier, escalation timers, maintenance windows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from app.domain.catalog import Catalog
from app.domain.incident import EscalationTier
from app.domain.runbook import AutoRemediation
from app.domain.severity import Severity
from app.domain.sla import SlaPolicy
from app.domain.triage_rules import FlappingRule, GroupingRule, KnownIssue, SeverityRules


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """A planned window in which a customer's (or one service's) alerts are expected.

    Attributes:
        customer: customer id; `service` narrows it to one service when set.
        starts, ends: the window (UTC).
        reason: shown beside every alert it suppresses.
    """

    customer: str
    starts: datetime
    ends: datetime
    reason: str
    service: str | None = None

    def covers(self, customer: str | None, service: str | None, at: datetime) -> bool:
        if customer != self.customer or not self.starts <= at < self.ends:
            return False
        return self.service is None or self.service == service

    def describe(self) -> str:
        return f"maintenance: {self.reason} until {self.ends.strftime('%Y-%m-%d %H:%MZ')}"


@dataclass(frozen=True, slots=True)
class Policies:
    """Everything policies.yaml decides.

    Attributes:
        contracts: SLA contract per customer tier.
        default_contract: contract for customers whose tier has none (or unknown customers).
        escalation: per severity, time in a tier without acknowledgement before moving up.
        escalation_unresolved: per severity, time in a tier acknowledged but unresolved
            before moving up (none by default: an owner who took it keeps it).
        tier_teams: who works each tier ("owner": the incident's owning team).
        maintenance: planned windows.
        validation_window: how long a resolved incident is watched for recurrence (and stays
            on the wall); a recurrence inside it reopens the incident.
        grouping, flapping, severity: the triage rules (app/domain/triage_rules.py).
        known_issues: known-issue rules, first match wins.
        auto_remediation: runbook actions allowed to run without a human (none by default).
        at_risk: shares of a clock's target used at which it is at risk (warning, danger).
    """

    contracts: Mapping[str, SlaPolicy]
    default_contract: str
    escalation: Mapping[Severity, Mapping[EscalationTier, timedelta]] = field(default_factory=dict)
    escalation_unresolved: Mapping[Severity, Mapping[EscalationTier, timedelta]] = field(
        default_factory=dict
    )
    tier_teams: Mapping[EscalationTier, str] = field(default_factory=dict)
    maintenance: tuple[MaintenanceWindow, ...] = ()
    validation_window: timedelta = timedelta(minutes=60)
    grouping: GroupingRule = field(default_factory=GroupingRule)
    flapping: FlappingRule = field(default_factory=FlappingRule)
    severity: SeverityRules = field(default_factory=SeverityRules)
    known_issues: tuple[KnownIssue, ...] = ()
    at_risk: tuple[float, float] = (0.5, 0.75)
    auto_remediation: tuple[AutoRemediation, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "contracts", MappingProxyType(dict(self.contracts)))
        object.__setattr__(self, "escalation", MappingProxyType(dict(self.escalation)))
        object.__setattr__(
            self, "escalation_unresolved", MappingProxyType(dict(self.escalation_unresolved))
        )
        object.__setattr__(self, "tier_teams", MappingProxyType(dict(self.tier_teams)))
        if self.default_contract not in self.contracts:
            raise ValueError(
                f"default_contract {self.default_contract!r} is not among the contracts "
                f"({', '.join(sorted(self.contracts))})"
            )

    @property
    def watch_window(self) -> timedelta:
        """How long a resolved incident stays on the wall: its validation window."""
        return self.validation_window

    def team_for(self, tier: EscalationTier, owner_team: str | None) -> str | None:
        """Who works an incident at `tier`: the policy's team, or its owning team."""
        team = self.tier_teams.get(tier)
        if team is None or team == "owner":
            return owner_team
        return team

    def maintenance_for(
        self, customer: str | None, service: str | None, at: datetime
    ) -> MaintenanceWindow | None:
        if not self.maintenance:  # asked once per alert per poll: most estates have none
            return None
        return next((w for w in self.maintenance if w.covers(customer, service, at)), None)

    def known_issue_for(self, labels: Mapping[str, str], at: datetime) -> KnownIssue | None:
        if not self.known_issues:
            return None
        return next((k for k in self.known_issues if k.matches(labels, at)), None)

    def known_issue(self, issue_id: str | None) -> KnownIssue | None:
        return next((k for k in self.known_issues if k.id == issue_id), None)

    def contract_for(self, customer: str | None, catalog: Catalog) -> SlaPolicy:
        """A contract named after the customer (its own deal), else its tier's, else the default."""
        if customer is not None and customer in self.contracts:
            return self.contracts[customer]
        known = catalog.customer(customer)
        if known is not None and known.tier in self.contracts:
            return self.contracts[known.tier]
        return self.contracts[self.default_contract]
