"""Load policies.yaml (SLA contracts, escalation timers, maintenance) over the built-in defaults."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.config import triage_rules
from app.config.auto_remediation import auto_remediation
from app.config.errors import ConfigError
from app.config.triage_rules import duration as _duration
from app.config.triage_rules import instant as _instant
from app.config.yaml_lines import Fields, LineDict, load_yaml, read_yaml_file
from app.domain.incident import EscalationTier
from app.domain.policy import MaintenanceWindow, Policies
from app.domain.severity import Severity
from app.domain.sla import ALWAYS, Calendar, SlaPolicy, SlaTarget
from app.resources import read_text

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_BUILT_IN = "<built-in policies>"
# sections a user's file merges key by key into the built-in ones
_TABLES = ("contracts", "escalation", "grouping", "flapping", "severity", "sla", "tier_teams")
# sections a user's file replaces whole
_VALUES = (
    "maintenance",
    "known_issues",
    "auto_remediation",
    "default_contract",
    "validation_window",
    "watch_window",
    "schema_version",
)


def load_policies(path: Path | None = None) -> Policies:
    """The built-in policies, with the user's file (if any) laid over them by name."""
    document = load_yaml(read_text("policies", "default.yaml"), _BUILT_IN)
    source: Path | str = _BUILT_IN
    if path is not None:
        user = read_yaml_file(path)
        if user is not None:
            Fields(user, path, "").check_keys({*_TABLES, *_VALUES})
            document = _overlay(document, user)
            source = path
    return parse_policies(document, source)


def parse_policies_text(text: str, path: Path | str | None = None) -> Policies:
    base = load_yaml(read_text("policies", "default.yaml"), _BUILT_IN)
    return parse_policies(_overlay(base, load_yaml(text, path) or {}), path)


def _overlay(base: dict[str, Any], user: dict[str, Any]) -> LineDict:
    merged = LineDict(base)
    merged.line = getattr(user, "line", None)
    merged.key_lines = dict(getattr(user, "key_lines", {}))
    for key in _TABLES:
        if isinstance(user.get(key), dict):
            table = LineDict(base.get(key) or {})
            table.line = getattr(user[key], "line", None)
            table.key_lines = dict(getattr(user[key], "key_lines", {}))
            table.update(user[key])
            merged[key] = table
    for key in _VALUES:
        if key in user:
            merged[key] = user[key]
    if "watch_window" in user and "validation_window" not in user:
        merged.pop("validation_window", None)  # the older name, given alone, still counts
    for key in _TABLES:
        if key in user and not isinstance(user[key], dict):
            merged[key] = user[key]  # wrong shape: let the parser say so, with the user's line
    return merged


def parse_policies(document: Any, path: Path | str | None) -> Policies:
    root = Fields(document or {}, path, "")
    contracts_fields = root.child("contracts", {})
    assert contracts_fields is not None
    contracts: dict[str, SlaPolicy] = {}
    for name, body in contracts_fields.mapping.items():
        contracts[name] = _contract(
            name, Fields(body, path, f"contracts.{name}", contracts_fields.line_of(name))
        )
    escalation: dict[Severity, dict[EscalationTier, timedelta]] = {}
    unresolved: dict[Severity, dict[EscalationTier, timedelta]] = {}
    escalation_fields = root.child("escalation", {})
    assert escalation_fields is not None
    for key, body in escalation_fields.mapping.items():
        severity = _severity(escalation_fields, key)
        timers = Fields(body, path, f"escalation.{key}", escalation_fields.line_of(key))
        if {"unacknowledged", "unresolved"} & set(timers.mapping):
            # the long form: {unacknowledged: {L1: 5m, ...}, unresolved: {L1: 1h, ...}}
            timers.check_keys({"unacknowledged", "unresolved"})
            escalation[severity] = _tier_timers(timers.child("unacknowledged"))
            unresolved[severity] = _tier_timers(timers.child("unresolved"))
        else:  # the short form: time in a tier while nobody has acknowledged
            escalation[severity] = _tier_timers(timers)
    maintenance = tuple(
        _maintenance(Fields(item, path, f"maintenance[{index}]", root.line_of("maintenance")))
        for index, item in enumerate(root.mapping.get("maintenance") or [])
    )
    default_contract = root.text("default_contract", "standard") or "standard"
    if default_contract not in contracts:
        raise root.error("default_contract", f"no contract named {default_contract!r}")
    window_key = "validation_window" if "validation_window" in root.mapping else "watch_window"
    return Policies(
        contracts=contracts,
        default_contract=default_contract,
        escalation={s: t for s, t in escalation.items() if t},
        escalation_unresolved={s: t for s, t in unresolved.items() if t},
        tier_teams=_tier_teams(root.child("tier_teams")),
        maintenance=maintenance,
        validation_window=_duration(root, window_key)
        if window_key in root.mapping
        else timedelta(minutes=60),
        grouping=triage_rules.grouping(root.child("grouping")),
        flapping=triage_rules.flapping(root.child("flapping")),
        severity=triage_rules.severity(root.child("severity")),
        known_issues=triage_rules.known_issues(root, root.mapping.get("known_issues")),
        at_risk=_at_risk(root.child("sla")),
        auto_remediation=auto_remediation(root, root.mapping.get("auto_remediation")),
    )


def _at_risk(fields: Fields | None) -> tuple[float, float]:
    """`sla: {at_risk: [50%, 75%]}`: two rising shares of a target, as percentages or 0..1."""
    if fields is None or "at_risk" not in fields.mapping:
        return (0.5, 0.75)
    fields.check_keys({"at_risk"})
    value = fields.mapping["at_risk"]
    try:
        first, second = (_share(item) for item in value)
    except (TypeError, ValueError):
        raise fields.error(
            "at_risk", f"expected two shares like [50%, 75%], got {value!r}"
        ) from None
    if not 0 < first < second < 1:
        raise fields.error("at_risk", "the two marks must rise between 0% and 100%")
    return (first, second)


def _share(item: Any) -> float:
    if isinstance(item, str) and item.strip().endswith("%"):
        return float(item.strip()[:-1]) / 100
    if isinstance(item, bool):
        raise TypeError(item)
    return float(item)


def _positive(fields: Fields, key: str) -> timedelta:
    value = _duration(fields, key)
    if value <= timedelta(0):
        raise fields.error(key, "a target must be longer than zero")
    return value


def _tier_timers(fields: Fields | None) -> dict[EscalationTier, timedelta]:
    if fields is None:
        return {}
    fields.check_keys({tier.value for tier in EscalationTier if tier.above() is not None})
    return {EscalationTier(tier): _duration(fields, tier) for tier in fields.mapping}


def _tier_teams(fields: Fields | None) -> dict[EscalationTier, str]:
    if fields is None:
        return {}
    fields.check_keys({tier.value for tier in EscalationTier})
    return {EscalationTier(tier): fields.text(tier, required=True) or "" for tier in fields.mapping}


def _severity(fields: Fields, key: str) -> Severity:
    try:
        return Severity.parse(key)
    except ValueError as error:
        raise fields.error(key, str(error)) from None


def _contract(name: str, fields: Fields) -> SlaPolicy:
    fields.check_keys({"calendar", *(s.value for s in Severity)})
    targets: dict[Severity, SlaTarget] = {}
    for severity in Severity:
        body = fields.child(severity.value)
        if body is None:
            continue
        body.check_keys({"response", "resolve", "update", "calendar"})
        body.require("response")
        body.require("resolve")
        targets[severity] = SlaTarget(
            _positive(body, "response"),
            _positive(body, "resolve"),
            _positive(body, "update") if body.mapping.get("update") is not None else None,
            _calendar(body) if "calendar" in body.mapping else None,
        )
    if not targets:
        raise fields.error(None, "a contract needs targets for at least one of P1..P4")
    return SlaPolicy(name=name, targets=targets, calendar=_calendar(fields))


def _calendar(fields: Fields) -> Calendar:
    value = fields.mapping.get("calendar", "24x7")
    if value in ("24x7", "24/7", None):
        return ALWAYS
    if not isinstance(value, dict):
        raise fields.error("calendar", "expected 24x7 or {timezone, hours, days, holidays}")
    body = Fields(value, fields.path, fields.field("calendar"), fields.line_of("calendar"))
    body.check_keys({"timezone", "hours", "days", "holidays"})
    hours = body.text("hours", "09:00-17:00") or ""
    try:
        opens_text, closes_text = hours.split("-")
        opens, closes = (
            time.fromisoformat(opens_text.strip()),
            time.fromisoformat(closes_text.strip()),
        )
    except ValueError:
        raise body.error("hours", f"expected HH:MM-HH:MM, got {hours!r}") from None
    try:
        return Calendar(
            timezone=body.text("timezone", required=True),
            opens=opens,
            closes=closes,
            weekdays=_weekdays(body),
            holidays=frozenset(_holiday(body, item) for item in body.mapping.get("holidays") or []),
        )
    except (ValueError, KeyError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise body.error(None, f"bad calendar: {error}") from None


def _weekdays(body: Fields) -> frozenset[int]:
    text = (body.text("days", "mon-fri") or "").lower()
    days: set[int] = set()
    for part in text.split(","):
        bounds = [p.strip()[:3] for p in part.split("-")]
        if not all(b in _WEEKDAYS for b in bounds) or len(bounds) > 2:
            raise body.error("days", f"expected days like mon-fri or mon,wed,fri, got {text!r}")
        first, last = _WEEKDAYS.index(bounds[0]), _WEEKDAYS.index(bounds[-1])
        days.update(
            range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        )
    return frozenset(days)


def _holiday(body: Fields, item: Any) -> date:
    if isinstance(item, date) and not isinstance(item, datetime):
        return item
    try:
        return date.fromisoformat(str(item))
    except ValueError:
        raise body.error("holidays", f"expected dates like 2026-12-25, got {item!r}") from None


def _maintenance(fields: Fields) -> MaintenanceWindow:
    fields.check_keys({"customer", "service", "from", "to", "reason"})
    starts, ends = _instant(fields, "from"), _instant(fields, "to")
    if ends <= starts:
        raise fields.error("to", "a maintenance window must end after it starts")
    return MaintenanceWindow(
        customer=fields.text("customer", required=True) or "",
        service=fields.text("service"),
        starts=starts,
        ends=ends,
        reason=fields.text("reason", "maintenance") or "maintenance",
    )


__all__ = ["ConfigError", "load_policies", "parse_policies", "parse_policies_text"]
