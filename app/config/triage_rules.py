"""Read the triage sections of policies.yaml: grouping, flapping, severity, known_issues."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.config.yaml_lines import Fields
from app.domain.matchers import LabelMatcher
from app.domain.severity import Impact, Severity, Urgency
from app.domain.timestamps import parse_duration
from app.domain.triage_rules import FlappingRule, GroupingRule, KnownIssue, SeverityRules


def duration(fields: Fields, key: str) -> timedelta:
    try:
        return parse_duration(fields.mapping[key])
    except (ValueError, TypeError) as error:
        raise fields.error(key, str(error)) from None


def instant(fields: Fields, key: str) -> datetime:
    value = fields.require(key)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise fields.error(key, f"expected an ISO 8601 time, got {value!r}") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise fields.error(key, "expected an ISO 8601 time with a time zone (e.g. ...Z)")
    return value


def _count(fields: Fields, key: str, default: int) -> int:
    value = fields.mapping.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise fields.error(key, f"expected a whole number of at least 0, got {value!r}")
    return value


def grouping(fields: Fields | None) -> GroupingRule:
    if fields is None:
        return GroupingRule()
    fields.check_keys({"by", "window"})
    by = fields.text_list("by") if "by" in fields.mapping else GroupingRule().by
    window = duration(fields, "window") if "window" in fields.mapping else GroupingRule().window
    return GroupingRule(by=by, window=window)


def flapping(fields: Fields | None) -> FlappingRule:
    if fields is None:
        return FlappingRule()
    fields.check_keys({"changes", "window"})
    changes = _count(fields, "changes", FlappingRule().changes)
    if changes < 2:
        raise fields.error("changes", "flapping needs at least 2 changes")
    window = duration(fields, "window") if "window" in fields.mapping else FlappingRule().window
    return FlappingRule(changes=changes, window=window)


def severity(fields: Fields | None) -> SeverityRules:
    if fields is None:
        return SeverityRules()
    fields.check_keys({"matrix", "urgency", "raise_tiers", "wide_services", "wide_customers"})
    defaults = SeverityRules()
    matrix = dict(defaults.matrix)
    table = fields.child("matrix")
    if table is not None:
        table.check_keys({impact.value for impact in Impact})
        for impact_text in table.mapping:
            row = table.child(impact_text)
            assert row is not None
            row.check_keys({urgency.value for urgency in Urgency})
            for urgency_text in row.mapping:
                matrix[(Impact(impact_text), Urgency(urgency_text))] = _priority(row, urgency_text)
    urgency: dict[str, Urgency] = {}
    labels = fields.child("urgency")
    if labels is not None:
        for label in labels.mapping:
            value = (labels.text(label, required=True) or "").lower()
            if value not in Urgency._value2member_map_:
                raise labels.error(label, f"expected high, medium or low, got {value!r}")
            urgency[str(label).strip().lower()] = Urgency(value)
    return SeverityRules(
        matrix=matrix,
        urgency=urgency,
        raise_tiers=frozenset(fields.text_list("raise_tiers")),
        wide_services=_count(fields, "wide_services", defaults.wide_services),
        wide_customers=_count(fields, "wide_customers", defaults.wide_customers),
    )


def _priority(row: Fields, key: str) -> Severity:
    try:
        return Severity.parse(str(row.mapping[key]))
    except ValueError as error:
        raise row.error(key, str(error)) from None


def known_issues(fields: Fields, items: Any) -> tuple[KnownIssue, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise fields.error("known_issues", "expected a list of rules")
    issues: list[KnownIssue] = []
    for index, item in enumerate(items):
        rule = Fields(item, fields.path, f"known_issues[{index}]", fields.line_of("known_issues"))
        rule.check_keys({"id", "title", "matchers", "ticket", "runbook", "until"})
        issue_id = rule.text("id", required=True) or ""
        if any(issue.id == issue_id for issue in issues):
            raise rule.error("id", f"duplicate known issue {issue_id!r}")
        texts = rule.text_list("matchers")
        if not texts:
            raise rule.error("matchers", "a known issue needs at least one label matcher")
        try:
            matchers = tuple(LabelMatcher.parse(text) for text in texts)
        except ValueError as error:
            raise rule.error("matchers", str(error)) from None
        issues.append(
            KnownIssue(
                id=issue_id,
                title=rule.text("title", required=True) or "",
                matchers=matchers,
                ticket=rule.text("ticket"),
                runbook=rule.text("runbook"),
                until=instant(rule, "until") if rule.mapping.get("until") is not None else None,
            )
        )
    return tuple(issues)
