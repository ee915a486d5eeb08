"""Read runbook YAML files into `Runbook`s, collecting every problem with its file and line.

The built-in library (resources/runbooks/) loads first; each configured folder after it,
and a runbook whose id is already known replaces the earlier one, so a site can override
a built-in SOP by copying it. A broken file is left out and reported, the rest load:
the console keeps working with the runbooks it could read (`noc-console runbooks check`
lists the errors, the side panel says how many files were skipped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.config.errors import ConfigError
from app.config.yaml_lines import Fields, LineList, read_yaml_file
from app.domain.incident import EscalationTier
from app.domain.matchers import LabelMatcher
from app.domain.runbook import (
    AWS_OPERATIONS,
    DEFAULT_PATTERN,
    INCIDENT_FIELDS,
    INPUT,
    LABEL_PREFIX,
    Action,
    ActionKind,
    AwsCall,
    Backend,
    CloudWatchQuery,
    CommandCall,
    HttpCall,
    MatchRule,
    Option,
    Parameter,
    Query,
    Runbook,
    Step,
    StepKind,
    placeholders,
    tree_placeholders,
)
from app.domain.severity import Severity
from app.domain.timestamps import parse_duration
from app.links import check_link
from app.resources import resource_path

SCHEMA_VERSION = 1
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_ENDPOINT = "endpoint."
_RUNBOOK_KEYS = {
    "schema_version",
    "id",
    "title",
    "summary",
    "severity_hint",
    "tags",
    "match",
    "fallback",
    "parameters",
    "steps",
}
_STEP_KEYS = {"id", "kind", "title", "text", "required", "url", "query", "options", "action"}
_STEP_KEYS_VALIDATE = {"window", "after"}
# what GetMetricStatistics' Statistics takes (percentiles need ExtendedStatistics)
_STATISTICS = ("Average", "Maximum", "Minimum", "Sum", "SampleCount")
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH"})
# what no parameter pattern may accept: each on its own, so `[^;]+` cannot slip through
SHELL_TEXT = ("", "x;y", "$(id)", "`id`", "a|b", "a&b", "a b", "a\nb", "a>b", "a<b", "'", '"', "\\")
# a command argument's pattern must also refuse an option: `-f /etc/passwd` is not a host name
_OPTION = "-x"


@dataclass(frozen=True, slots=True)
class Library:
    """The runbooks in force and the files that could not be used.

    Attributes:
        runbooks: by id, in load order.
        errors: one per problem, each naming file:line and field.
        files: every file read.
    """

    runbooks: dict[str, Runbook] = field(default_factory=dict)
    errors: tuple[ConfigError, ...] = ()
    files: tuple[Path, ...] = ()

    def get(self, runbook_id: str) -> Runbook | None:
        return self.runbooks.get(runbook_id)

    @property
    def fallback(self) -> Runbook | None:
        return next((r for r in self.runbooks.values() if r.fallback), None)


def builtin_folder() -> Path:
    return resource_path("runbooks")


def load_library(folders: Sequence[Path] = (), *, builtin: bool = True) -> Library:
    """The built-in library, then each folder (a later runbook id replaces an earlier one)."""
    runbooks: dict[str, Runbook] = {}
    errors: list[ConfigError] = []
    files: list[Path] = []
    for folder in [builtin_folder(), *folders] if builtin else list(folders):
        here: dict[str, Path] = {}
        for path in runbook_files(folder, errors):
            files.append(path)
            found, problems = read_runbook(path)
            errors.extend(problems)
            if found is None:
                continue
            if found.id in here:  # replacing is for a later folder, never a sibling file
                errors.append(
                    ConfigError(f"runbook id {found.id!r} is also in {here[found.id]}", path=path)
                )
                continue
            here[found.id] = path
            runbooks[found.id] = found
    fallbacks = [r for r in runbooks.values() if r.fallback]
    if len(fallbacks) > 1:
        names = ", ".join(r.id for r in fallbacks)
        errors.append(
            ConfigError(f"more than one fallback runbook: {names}", path=fallbacks[-1].path)
        )
    return Library(runbooks, tuple(errors), tuple(files))


def runbook_files(folder: Path, errors: list[ConfigError]) -> list[Path]:
    """The YAML files of a folder (or the file itself), sorted, so loading is repeatable."""
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        errors.append(ConfigError("runbook folder not found", path=folder))
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def read_runbook(path: Path) -> tuple[Runbook | None, list[ConfigError]]:
    """One file: the runbook, or None with every problem found (not only the first)."""
    try:
        document = read_yaml_file(path)
    except ConfigError as error:
        return None, [error]
    problems: list[ConfigError] = []
    try:
        runbook = _runbook(Fields(document, path, ""), path, problems)
    except ConfigError as error:
        problems.append(error)
        return None, problems
    return (runbook if not problems else None), problems


def _runbook(fields: Fields, path: Path, problems: list[ConfigError]) -> Runbook:
    fields.check_keys(_RUNBOOK_KEYS)
    version = fields.mapping.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise fields.error("schema_version", f"expected {SCHEMA_VERSION}, got {version!r}")
    runbook_id = _identifier(fields, "id")
    title = fields.text("title", required=True) or ""
    fallback = _flag(fields, "fallback", default=False)
    rules = _rules(fields, problems)
    if fallback and rules:
        problems.append(fields.error("match", "a fallback runbook matches nothing itself"))
    if not fallback and not rules:
        problems.append(fields.error(None, "missing field 'match' (or `fallback: true`)"))
    hint = fields.text("severity_hint")
    parameters = _parameters(fields.child("parameters"), problems)
    raw_steps = fields.require("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise fields.error("steps", "expected a list of at least one step")
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        line = (
            raw_steps.line_at(index) if isinstance(raw_steps, LineList) else fields.line_of("steps")
        )
        step_fields = Fields(raw, path, f"steps[{index}]", line)
        try:
            steps.append(_step(step_fields, parameters))
        except ConfigError as error:
            problems.append(error)
    _check_steps(fields, steps, problems)
    try:
        severity = Severity(hint) if hint else None
    except ValueError:
        problems.append(fields.error("severity_hint", f"expected P1..P4, got {hint!r}"))
        severity = None
    return Runbook(
        id=runbook_id,
        title=title,
        steps=tuple(steps),
        match=tuple(rules),
        summary=_markdown(fields, "summary"),
        severity_hint=severity,
        parameters=parameters,
        fallback=fallback,
        tags=fields.text_list("tags"),
        path=str(path),
        line=fields.line,
    )


def _identifier(fields: Fields, key: str) -> str:
    value = fields.text(key, required=True) or ""
    if _ID.fullmatch(value) is None:
        raise fields.error(key, f"expected lower-case letters, digits, - and _, got {value!r}")
    return value


def _flag(fields: Fields, key: str, *, default: bool) -> bool:
    value = fields.mapping.get(key, default)
    if not isinstance(value, bool):
        raise fields.error(key, f"expected true or false, got {value!r}")
    return value


def _markdown(fields: Fields, key: str) -> str:
    value = fields.mapping.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise fields.error(key, f"expected text (Markdown), got {value!r}")
    return value.strip()


def _duration(fields: Fields, key: str, default: timedelta) -> timedelta:
    if key not in fields.mapping:
        return default
    try:
        value = parse_duration(fields.mapping[key])
    except (TypeError, ValueError) as error:
        raise fields.error(key, str(error)) from None
    if value <= timedelta(0):
        raise fields.error(key, "expected a duration above zero")
    return value


def _rules(fields: Fields, problems: list[ConfigError]) -> list[MatchRule]:
    raw = fields.mapping.get("match") or []
    if not isinstance(raw, list):
        raise fields.error("match", "expected a list of rules (each a list of matchers)")
    rules = []
    for index, item in enumerate(raw):
        texts = [item] if isinstance(item, str) else item
        where = f"match[{index}]"
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            problems.append(
                fields.error(
                    "match", f"{where}: expected a list of matchers like 'alertname=\"X\"'"
                )
            )
            continue
        try:
            matchers = tuple(LabelMatcher.parse(text) for text in texts)
        except ValueError as error:
            problems.append(fields.error("match", f"{where}: {error}"))
            continue
        line = raw.line_at(index) if isinstance(raw, LineList) else fields.line_of("match")
        rules.append(MatchRule(matchers, line))
    return rules


def _parameters(fields: Fields | None, problems: list[ConfigError]) -> dict[str, Parameter]:
    if fields is None:
        return {}
    found: dict[str, Parameter] = {}
    for name in fields.mapping:
        child = fields.child(name)
        if child is None:
            continue
        try:
            found[name] = _parameter(name, child)
        except ConfigError as error:
            problems.append(error)
    return found


def _parameter(name: str, fields: Fields) -> Parameter:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is None or name == "endpoint":
        raise fields.error(None, f"bad parameter name {name!r}")
    fields.check_keys({"from", "pattern", "default", "prompt", "integer"})
    source = fields.text("from", required=True) or ""
    if source not in INCIDENT_FIELDS and source != INPUT and not source.startswith(LABEL_PREFIX):
        choices = ", ".join(sorted(INCIDENT_FIELDS))
        raise fields.error("from", f"expected one of {choices}, label.<name> or input")
    pattern = fields.text("pattern") or DEFAULT_PATTERN
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise fields.error("pattern", f"bad regular expression: {error}") from None
    accepted = [text for text in SHELL_TEXT if compiled.fullmatch(text) is not None]
    if accepted:
        raise fields.error(
            "pattern",
            f"the pattern must refuse empty values and shell text (be an allow-list); "
            f"it accepts {accepted[0]!r}",
        )
    parameter = Parameter(
        name,
        source,
        pattern,
        default=fields.text("default"),
        prompt=fields.text("prompt") or "",
        integer=_flag(fields, "integer", default=False),
    )
    if parameter.default is not None and (why := parameter.check(parameter.default)):
        raise fields.error("default", why)
    return parameter


def _step(fields: Fields, parameters: dict[str, Parameter]) -> Step:
    kind_text = fields.text("kind", required=True) or ""
    try:
        kind = StepKind(kind_text)
    except ValueError:
        raise fields.error(
            "kind", f"expected one of {', '.join(k.value for k in StepKind)}, got {kind_text!r}"
        ) from None
    allowed = _STEP_KEYS | (_STEP_KEYS_VALIDATE if kind is StepKind.VALIDATE else set())
    fields.check_keys(allowed)
    step = Step(
        id=_identifier(fields, "id"),
        kind=kind,
        title=fields.text("title", required=True) or "",
        text=_markdown(fields, "text"),
        required=_flag(fields, "required", default=False),
        line=fields.line,
    )
    if kind is StepKind.LINK:
        url = fields.text("url", required=True) or ""
        _check_placeholders(fields, "url", placeholders(url), parameters)
        if not placeholders(url) and not (check := check_link(url)).ok:
            raise fields.error("url", check.reason)
        return replace(step, url=url)
    if kind is StepKind.QUERY:
        return replace(step, query=_query(_child(fields, "query"), parameters))
    if kind is StepKind.DECISION:
        return replace(step, options=_options(fields))
    if kind is StepKind.ACTION:
        return replace(step, action=_action(_child(fields, "action"), parameters))
    if kind is StepKind.VALIDATE:
        window = _duration(fields, "window", timedelta(minutes=10))
        return replace(step, window=window, after=fields.text("after"))
    for key in ("url", "query", "options", "action"):
        if key in fields.mapping:
            raise fields.error(key, f"a {kind.value} step has no {key}")
    return step


def _child(fields: Fields, key: str) -> Fields:
    child = fields.child(key)
    if child is None:
        raise fields.error(None, f"missing field {key!r}")
    return child


def _check_placeholders(
    fields: Fields, key: str, names: Iterable[str], parameters: dict[str, Parameter]
) -> None:
    for name in names:
        if name.startswith(_ENDPOINT):
            continue
        if name not in parameters:
            raise fields.error(
                key, f"{{{name}}} is not a declared parameter (declare it under `parameters`)"
            )


def _query(fields: Fields, parameters: dict[str, Parameter]) -> Query:
    fields.check_keys(
        {"prometheus", "cloudwatch", "before", "after", "unit", "threshold", "source"}
    )
    promql = fields.text("prometheus")
    watch = fields.child("cloudwatch")
    if (promql is None) == (watch is None):
        raise fields.error(None, "a query needs exactly one of `prometheus` and `cloudwatch`")
    cloudwatch = None
    if promql is not None:
        _check_placeholders(fields, "prometheus", placeholders(promql), parameters)
    if watch is not None:
        watch.check_keys({"namespace", "metric", "dimensions", "stat", "period", "region"})
        dimensions = watch.mapping.get("dimensions") or {}
        if not isinstance(dimensions, dict) or not all(
            isinstance(v, str) for v in dimensions.values()
        ):
            raise watch.error("dimensions", "expected a mapping of dimension name to text")
        _check_placeholders(watch, "dimensions", tree_placeholders(dimensions), parameters)
        stat = watch.text("stat") or "Average"
        if stat not in _STATISTICS:
            raise watch.error("stat", f"expected one of {', '.join(_STATISTICS)}, got {stat!r}")
        period = _duration(watch, "period", timedelta(minutes=1))
        if period.total_seconds() % 60:
            raise watch.error("period", "CloudWatch periods are whole minutes (60s, 5m, ...)")
        cloudwatch = CloudWatchQuery(
            namespace=watch.text("namespace", required=True) or "",
            metric=watch.text("metric", required=True) or "",
            dimensions={str(k): v for k, v in dimensions.items()},
            stat=stat,
            period=period,
            region=watch.text("region"),
        )
    threshold = fields.mapping.get("threshold")
    if threshold is not None and (
        not isinstance(threshold, int | float) or isinstance(threshold, bool)
    ):
        raise fields.error("threshold", f"expected a number, got {threshold!r}")
    return Query(
        prometheus=promql,
        cloudwatch=cloudwatch,
        before=_duration(fields, "before", timedelta(hours=1)),
        after=_duration(fields, "after", timedelta(hours=1)),
        unit=fields.text("unit") or "",
        threshold=float(threshold) if threshold is not None else None,
        source=fields.text("source"),
    )


def _options(fields: Fields) -> tuple[Option, ...]:
    raw = fields.mapping.get("options")
    if not isinstance(raw, list) or len(raw) < 2:
        raise fields.error("options", "a decision needs a list of at least two options")
    options = []
    for index, item in enumerate(raw):
        option = Fields(item, fields.path, fields.field(f"options[{index}]"), fields.line)
        option.check_keys({"label", "goto"})
        options.append(Option(option.text("label", required=True) or "", option.text("goto")))
    if len({o.label for o in options}) != len(options):
        raise fields.error("options", "two options have the same label")
    return tuple(options)


def _action(fields: Fields, parameters: dict[str, Parameter]) -> Action:
    fields.check_keys({"kind", "http", "aws", "command", "timeout", "destructive", "min_tier"})
    kind_text = fields.text("kind", required=True) or ""
    try:
        kind = ActionKind(kind_text)
    except ValueError:
        choices = ", ".join(k.value for k in ActionKind)
        raise fields.error("kind", f"expected one of {choices}, got {kind_text!r}") from None
    backends = [key for key in ("http", "aws", "command") if key in fields.mapping]
    if len(backends) != 1:
        raise fields.error(None, "an action needs exactly one of `http`, `aws` and `command`")
    tier_text = fields.text("min_tier") or "L1"
    try:
        tier = EscalationTier(tier_text)
    except ValueError:
        raise fields.error("min_tier", f"expected L1, L2, L3 or ENG, got {tier_text!r}") from None
    action = Action(
        kind=kind,
        backend=Backend(backends[0]),
        timeout=_duration(fields, "timeout", timedelta(seconds=60)),
        destructive=_flag(fields, "destructive", default=kind is not ActionKind.DIAGNOSE),
        min_tier=tier,
        **_backend(fields, backends[0]),
    )
    _check_placeholders(fields, backends[0], action.templates(), parameters)
    if action.command is not None:
        for name in action.templates():
            parameter = parameters.get(name)
            if parameter is not None and parameter.check(_OPTION) is None:
                raise fields.error(
                    "command",
                    f"{{{name}}}'s pattern accepts {_OPTION!r}: a command argument must not "
                    "be able to become an option",
                )
    return action


def _backend(fields: Fields, key: str) -> dict[str, Any]:
    if key == "command":
        argv = fields.mapping.get("command")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise fields.error(
                "command", "expected an argv list of texts, e.g. [systemctl, restart, '{unit}']"
            )
        if placeholders(argv[0]):
            raise fields.error("command", "the program (first element) cannot be a parameter")
        return {"command": CommandCall(tuple(argv))}
    child = _child(fields, key)
    if key == "http":
        child.check_keys({"method", "url", "headers", "body", "secret"})
        method = (child.text("method") or "POST").upper()
        if method not in _HTTP_METHODS:
            raise child.error("method", f"expected one of {', '.join(sorted(_HTTP_METHODS))}")
        url = child.text("url", required=True) or ""
        _check_fixed_host(child, url)
        if child.mapping.get("secret") and url.lower().startswith("http://"):
            raise child.error("url", "a webhook with a secret must use https")
        headers = child.mapping.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise child.error("headers", "expected a mapping of header name to text")
        if any(str(name).lower() == "authorization" for name in headers):
            raise child.error("headers", "credentials go in `secret`, never in the file")
        return {
            "http": HttpCall(
                method=method,
                url=url,
                headers={str(k): v for k, v in headers.items()},
                body=child.mapping.get("body"),
                secret=child.text("secret"),
            )
        }
    child.check_keys({"service", "operation", "arguments", "region"})
    service = child.text("service", required=True) or ""
    operation = child.text("operation", required=True) or ""
    if operation not in AWS_OPERATIONS.get(service, frozenset()):
        allowed = ", ".join(f"{s}.{o}" for s, ops in AWS_OPERATIONS.items() for o in sorted(ops))
        raise child.error("operation", f"{service}.{operation} is not allowed (allowed: {allowed})")
    arguments = child.mapping.get("arguments") or {}
    if not isinstance(arguments, dict):
        raise child.error("arguments", "expected a mapping of argument name to value")
    return {
        "aws": AwsCall(
            service, operation, {str(k): v for k, v in arguments.items()}, child.text("region")
        )
    }


def _check_fixed_host(fields: Fields, url: str) -> None:
    """A webhook's scheme and host are the file's (or the config's endpoint), never a
    parameter's: incident data may choose a path segment, not where the call goes."""
    head = re.match(r"\{(endpoint\.[A-Za-z0-9_-]+)\}", url)
    if head is not None:
        rest = url[head.end() :]
        if rest and not rest.startswith("/"):
            raise fields.error("url", "after {endpoint.NAME} the URL goes on with a path (/...)")
        return
    found = re.match(r"(https?)://([^/{}?#]+)(?:[/?#]|$)", url)
    if found is None:
        raise fields.error(
            "url", "expected http(s)://host/... or {endpoint.NAME}/... with a fixed host"
        )


def _check_steps(fields: Fields, steps: Sequence[Step], problems: list[ConfigError]) -> None:
    ids = [step.id for step in steps]
    seen: set[str] = set()
    for step in steps:
        if step.id in seen:
            problems.append(_step_error(fields, step, f"duplicate step id {step.id!r}"))
        seen.add(step.id)
    for index, step in enumerate(steps):
        actions = {s.id for s in steps[:index] if s.kind is StepKind.ACTION}
        problems.extend(
            _step_error(fields, step, f"option {o.label!r}: goto {o.goto!r} names no later step")
            for o in step.options
            if o.goto is not None and o.goto not in ids[index + 1 :]
        )
        if step.kind is StepKind.VALIDATE:
            if step.after is not None and step.after not in actions:
                problems.append(
                    _step_error(fields, step, f"after {step.after!r} names no earlier action step")
                )
            elif not actions:
                problems.append(
                    _step_error(
                        fields, step, "a validate step needs an earlier action step to watch"
                    )
                )


def _step_error(fields: Fields, step: Step, message: str) -> ConfigError:
    return ConfigError(message, path=fields.path, line=step.line, field=f"steps.{step.id}")
