"""The `auto_remediation` section of policies.yaml: which actions may run unattended.

Each entry names one runbook action and the incidents it may run for, with a rate limit
per service, a limit across all services (a storm is for humans), and a circuit breaker.
Whether the runbook and step exist is checked when the library is loaded
(`policies check` and the console's start both say so).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.config.triage_rules import duration
from app.config.yaml_lines import Fields
from app.domain.matchers import LabelMatcher
from app.domain.runbook import AutoRemediation
from app.domain.severity import Severity

_COOLDOWN = timedelta(minutes=30)
_KEYS = {"id", "runbook", "step", "matchers", "severities", "inputs", "limit", "storm", "breaker"}


def auto_remediation(root: Fields, raw: Any) -> tuple[AutoRemediation, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise root.error("auto_remediation", "expected a list of policies")
    found = []
    for index, item in enumerate(raw):
        fields = Fields(
            item, root.path, f"auto_remediation[{index}]", root.line_of("auto_remediation")
        )
        found.append(_policy(fields))
    ids = [p.id for p in found]
    for index, policy_id in enumerate(ids):
        if policy_id in ids[:index]:
            raise root.error("auto_remediation", f"duplicate policy id {policy_id!r}")
    return tuple(found)


def _policy(fields: Fields) -> AutoRemediation:
    fields.check_keys(_KEYS)
    try:
        matchers = tuple(LabelMatcher.parse(t) for t in fields.text_list("matchers"))
    except ValueError as error:
        raise fields.error("matchers", str(error)) from None
    try:
        severities = frozenset(Severity(s) for s in fields.text_list("severities"))
    except ValueError:
        raise fields.error("severities", "expected a list of P1..P4") from None
    inputs = fields.mapping.get("inputs") or {}
    if not isinstance(inputs, dict) or not all(isinstance(v, str | int) for v in inputs.values()):
        raise fields.error("inputs", "expected a mapping of parameter name to value")
    limit = _pair(fields, "limit", 1, "1h")
    storm = _pair(fields, "storm", 5, "10m")
    breaker = fields.child("breaker", {})
    assert breaker is not None
    breaker.check_keys({"failures", "cooldown"})
    failures = breaker.mapping.get("failures", 2)
    if not isinstance(failures, int) or isinstance(failures, bool) or failures < 1:
        raise breaker.error("failures", "expected a whole number of at least 1")
    return AutoRemediation(
        id=fields.text("id", required=True) or "",
        runbook=fields.text("runbook", required=True) or "",
        step=fields.text("step", required=True) or "",
        matchers=matchers,
        severities=severities,
        inputs={str(k): str(v) for k, v in inputs.items()},
        runs=limit[0],
        per=limit[1],
        storm_runs=storm[0],
        storm_per=storm[1],
        failures=failures,
        cooldown=duration(breaker, "cooldown") if "cooldown" in breaker.mapping else _COOLDOWN,
    )


def _pair(fields: Fields, key: str, runs: int, per: str) -> tuple[int, Any]:
    child = fields.child(key, {"runs": runs, "per": per})
    assert child is not None
    child.check_keys({"runs", "per"})
    count = child.mapping.get("runs", runs)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise child.error("runs", "expected a whole number of at least 1")
    if "per" not in child.mapping:
        child.mapping["per"] = per
    return count, duration(child, "per")
