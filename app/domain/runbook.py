"""Runbooks (SOPs) as data: match rules, parameters, steps and the actions they may run.

A runbook is read from YAML (app/runbooks/library.py) into these frozen objects. Nothing
here runs anything: the guarded runner (app/runbooks/runner.py) turns an `Action` and an
incident's declared fields into a `PlannedCall` that the operator confirms.

Alert text is data, never a template: a parameter's value comes only from a declared
incident field, is checked against the parameter's pattern, and is put into a `{name}`
placeholder as a literal string. Placeholders name declared parameters (or configured
endpoints); nothing else in a template is evaluated.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from app.domain.incident import EscalationTier
from app.domain.matchers import LabelMatcher, MatchOp
from app.domain.severity import Severity


class StepKind(StrEnum):
    CHECK = "check"  # a thing to do and tick
    INFO = "info"  # guidance to read
    LINK = "link"  # a web page to open (dashboard, vendor doc)
    QUERY = "query"  # a metric chart around the incident's start
    DECISION = "decision"  # a question whose answer skips steps
    ACTION = "action"  # a remediation call, behind a confirmation
    VALIDATE = "validate"  # does the alert clear within a window after an action?


class ActionKind(StrEnum):
    """What an action does, as the wall and the audit name it."""

    RESTART = "restart"
    SCALE = "scale"
    ROLLBACK = "rollback"
    CONFIG_FIX = "config_fix"
    DIAGNOSE = "diagnose"  # read-only collection (logs, a thread dump)


class Backend(StrEnum):
    HTTP = "http"
    AWS = "aws"
    COMMAND = "command"


# what a parameter may be read from: the incident's own fields, one alert label, or the
# operator's typed answer (checked against the same pattern)
INCIDENT_FIELDS = frozenset(
    {"customer", "service", "root_service", "severity", "incident", "team", "tier"}
)
LABEL_PREFIX = "label."
INPUT = "input"
DEFAULT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}"

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)?)\}")


def placeholders(template: str) -> list[str]:
    """The names a template's `{name}` placeholders refer to, in order (`{{`, `}}` are braces)."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)]


def expand(template: str, values: Mapping[str, str]) -> str:
    """Put each value into its `{name}` placeholder as plain text; one pass, no evaluation.

    A value that itself contains `{...}` stays as it is: the result is never expanded again.

    Raises:
        KeyError: a placeholder names no value.
    """

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        return values[name]

    return _PLACEHOLDER.sub(one, template)


def expand_tree(value: Any, values: Mapping[str, str]) -> Any:
    """`expand` over every string of a YAML structure (a JSON body, AWS arguments)."""
    if isinstance(value, str):
        return expand(value, values)
    if isinstance(value, Mapping):
        return {str(k): expand_tree(v, values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [expand_tree(v, values) for v in value]
    return value


def tree_placeholders(value: Any) -> list[str]:
    if isinstance(value, str):
        return placeholders(value)
    if isinstance(value, Mapping):
        return [name for v in value.values() for name in tree_placeholders(v)]
    if isinstance(value, list | tuple):
        return [name for v in value for name in tree_placeholders(v)]
    return []


@dataclass(frozen=True, slots=True)
class Parameter:
    """A value an action or query may use, and the only way incident data gets into one.

    Attributes:
        name: the placeholder's name (`{service}`).
        source: `customer`, `service`, `root_service`, `severity`, `incident`, `team`,
            `tier`, `label.<name>` (from the alert the runbook matched) or `input`.
        pattern: the whole value must match this regular expression (anchored).
        default: for `input`, the value offered; for the others, used when the field is empty.
        prompt: for `input`, what the operator is asked.
        integer: the value is a whole number (AWS capacities), passed as an int.
    """

    name: str
    source: str
    pattern: str = DEFAULT_PATTERN
    default: str | None = None
    prompt: str = ""
    integer: bool = False

    def check(self, value: str) -> str | None:
        """Why `value` is refused, or None when it may be used."""
        if re.fullmatch(self.pattern, value) is None:
            return f"{self.name}={value!r} does not match its pattern {self.pattern}"
        if self.integer and re.fullmatch(r"-?[0-9]{1,9}", value) is None:
            return f"{self.name}={value!r} is not a whole number"
        return None


def _vacuous(matcher: LabelMatcher) -> bool:
    """A regular expression that accepts unrelated values accepts (nearly) anything."""
    return all(matcher.matches({matcher.name: probe}) for probe in ("x", "Q7-z.9", "_"))


@dataclass(frozen=True, slots=True)
class MatchRule:
    """All of `matchers` hold for one of the incident's alerts (labels plus `priority`).

    Attributes:
        matchers: Alertmanager-syntax label matchers.
        line: where the rule is in its file, for explanations.
    """

    matchers: tuple[LabelMatcher, ...]
    line: int | None = None

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Equality matchers count most, then regular expressions, then negative ones; a
        pattern that matches anything (`.+`) adds nothing, so padding cannot win."""
        equal = sum(1 for m in self.matchers if m.op is MatchOp.EQUAL)
        regex = sum(1 for m in self.matchers if m.op is MatchOp.REGEX and not _vacuous(m))
        negative = sum(1 for m in self.matchers if m.op in (MatchOp.NOT_EQUAL, MatchOp.NOT_REGEX))
        return equal, regex, negative

    def __str__(self) -> str:
        return ", ".join(str(m) for m in self.matchers) or "(matches everything)"


@dataclass(frozen=True, slots=True)
class CloudWatchQuery:
    namespace: str
    metric: str
    dimensions: Mapping[str, str]  # templates
    stat: str = "Average"
    period: timedelta = timedelta(minutes=1)
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """A chart around the incident's start: `before` it until `after` it (or now).

    Exactly one of `prometheus` (a PromQL template) and `cloudwatch` is set.
    """

    prometheus: str | None = None
    cloudwatch: CloudWatchQuery | None = None
    before: timedelta = timedelta(hours=1)
    after: timedelta = timedelta(hours=1)
    unit: str = ""
    threshold: float | None = None
    source: str | None = None  # the configured source to ask (first of its kind if None)


@dataclass(frozen=True, slots=True)
class HttpCall:
    """A webhook (Rundeck, Jenkins, SSM via API Gateway...). No redirects are followed.

    Attributes:
        method: POST, PUT or GET.
        url: template; checked after expansion (scheme, host, resolved addresses).
        headers: templates; `secret` names the credential sent as a bearer token.
        body: a JSON body (templates in its strings), or None.
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class AwsCall:
    """One boto3 call from a short allow-list (AWS_OPERATIONS)."""

    service: str
    operation: str
    arguments: Mapping[str, Any]
    region: str | None = None


# the AWS calls an action may make: a closed list, so a runbook cannot delete a stack
AWS_OPERATIONS: Mapping[str, frozenset[str]] = {
    "autoscaling": frozenset({"set_desired_capacity", "start_instance_refresh"}),
    "ssm": frozenset({"send_command", "start_automation_execution"}),
    "ecs": frozenset({"update_service"}),
}


@dataclass(frozen=True, slots=True)
class CommandCall:
    """A local program run with an argv list and no shell; each element is one argument."""

    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Action:
    """A remediation call and its guard rails.

    Attributes:
        kind: restart, scale, rollback, config_fix or diagnose.
        backend: which of `http`, `aws`, `command` is set.
        timeout: how long the call may take before it is abandoned and reported.
        destructive: needs a fresh confirmation every time (and never runs from a queue).
        min_tier: the desk's tier (`[console] tier`) must be at least this.
    """

    kind: ActionKind
    backend: Backend
    http: HttpCall | None = None
    aws: AwsCall | None = None
    command: CommandCall | None = None
    timeout: timedelta = timedelta(seconds=60)
    destructive: bool = True
    min_tier: EscalationTier = EscalationTier.L1

    def templates(self) -> list[str]:
        """Every placeholder the call uses."""
        if self.http is not None:
            return [
                *placeholders(self.http.url),
                *tree_placeholders(dict(self.http.headers)),
                *tree_placeholders(self.http.body),
            ]
        if self.aws is not None:
            return tree_placeholders(dict(self.aws.arguments))
        if self.command is not None:
            return tree_placeholders(list(self.command.argv))
        return []


@dataclass(frozen=True, slots=True)
class Option:
    """A decision's answer; `goto` skips every step between the decision and that step."""

    label: str
    goto: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a runbook.

    Attributes:
        id: unique in its runbook; progress is kept by it, so renaming one restarts it.
        kind: what the step is (StepKind).
        title: one line; `text` Markdown guidance.
        required: must be ticked (or skipped by a decision) before escalating without a reason.
        url: a `link` step's target (a template).
        query: a `query` step's chart.
        options: a `decision` step's answers.
        action: an `action` step's call.
        window: a `validate` step's watch; `after` the action step it watches (default:
            the latest action run of this runbook).
        line: where the step is in its file.
    """

    id: str
    kind: StepKind
    title: str
    text: str = ""
    required: bool = False
    url: str | None = None
    query: Query | None = None
    options: tuple[Option, ...] = ()
    action: Action | None = None
    window: timedelta = timedelta(minutes=10)
    after: str | None = None
    line: int | None = None

    @property
    def tickable(self) -> bool:
        return self.kind in (StepKind.CHECK, StepKind.LINK, StepKind.QUERY)


@dataclass(frozen=True, slots=True)
class Runbook:
    """A standard operating procedure.

    Attributes:
        id: unique across the library; a later folder's runbook of the same id replaces
            the built-in one (a site's own version wins).
        title, summary: what it is for (summary in Markdown).
        match: rules; any one matching selects it (the most specific wins across runbooks).
        severity_hint: the severity this problem usually deserves, shown beside the incident's.
        parameters: by name.
        steps: in order.
        fallback: offered when nothing else matches (the generic triage SOP).
        path, line: where it was read from.
    """

    id: str
    title: str
    steps: tuple[Step, ...]
    match: tuple[MatchRule, ...] = ()
    summary: str = ""
    severity_hint: Severity | None = None
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    fallback: bool = False
    tags: tuple[str, ...] = ()
    path: str = ""
    line: int | None = None

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"runbook {self.id} has no step {step_id!r}")

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class ActionSettings:
    """`[actions]` in the config: what the backends may reach and where.

    Attributes:
        allow_networks: private or loopback networks a webhook may reach (none by default).
        endpoints: named base URLs runbooks refer to as `{endpoint.NAME}`.
        aws_region, aws_endpoint_url, aws_profile: where the aws backend calls.
        timeout_cap: no action runs longer than this, whatever its runbook says.
        ca_bundle: a CA file for webhooks behind a private CA (default: certifi's).
    """

    allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    endpoints: Mapping[str, str] = field(default_factory=dict)
    aws_region: str | None = None
    aws_endpoint_url: str | None = None
    aws_profile: str | None = None
    timeout_cap: float = 600.0
    ca_bundle: str | None = None


@dataclass(frozen=True, slots=True)
class AutoRemediation:
    """A policy that lets one runbook action run without a human, within limits.

    Attributes:
        id: named in the audit and on the wall.
        runbook, step: the action it may run.
        matchers: must all hold for one of the incident's alerts (as runbook rules do).
        severities: the incident's severity must be one of these (empty: any).
        inputs: answers for the action's `input` parameters.
        runs, per: at most `runs` automatic runs per service within `per`.
        storm_runs, storm_per: at most this many automatic runs of all policies together
            within `storm_per`: in a storm the humans decide.
        failures, cooldown: after `failures` failed runs of this policy in a row, it stops
            for `cooldown` (the circuit breaker), so a restart never loops.
    """

    id: str
    runbook: str
    step: str
    matchers: tuple[LabelMatcher, ...] = ()
    severities: frozenset[Severity] = frozenset()
    inputs: Mapping[str, str] = field(default_factory=dict)
    runs: int = 1
    per: timedelta = timedelta(hours=1)
    storm_runs: int = 5
    storm_per: timedelta = timedelta(minutes=10)
    failures: int = 2
    cooldown: timedelta = timedelta(minutes=30)
