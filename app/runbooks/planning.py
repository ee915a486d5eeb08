"""From a runbook step and an incident to exactly what will be called (or why not).

Parameter values come only from the incident's declared fields, one label of the alert
the runbook matched, or the operator's typed answer; each is checked against its
parameter's allow-list pattern before it goes anywhere, and goes in as plain text (in a
URL, percent-encoded). The same planning runs for the confirmation dialog and again
just before the call, and the runner refuses to call anything other than what the
operator confirmed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from app.domain.alert import Alert
from app.domain.incident import Incident
from app.domain.runbook import (
    INPUT,
    LABEL_PREFIX,
    CloudWatchQuery,
    Parameter,
    Runbook,
    Step,
    expand,
    expand_tree,
    placeholders,
)
from app.links import check_link
from app.runbooks.calls import ActionSettings, PlannedAws, PlannedCall, PlannedHttp

_ENDPOINT = "endpoint."


class PlanRefused(Exception):
    """A guard refused the call before anything ran; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """A parameter's value and where it came from (shown in the confirmation)."""

    parameter: Parameter
    value: str | None
    refused: str | None = None


def field_value(incident: Incident, alert: Alert | None, source: str) -> str | None:
    """A declared incident field's value; None when the incident has none."""
    if source.startswith(LABEL_PREFIX):
        return alert.labels.get(source[len(LABEL_PREFIX) :]) if alert is not None else None
    values: dict[str, str | None] = {
        "customer": incident.customer,
        "service": incident.root_service or (incident.services[0] if incident.services else None),
        "root_service": incident.root_service,
        "severity": incident.severity.value,
        "incident": incident.key,
        "team": incident.team,
        "tier": incident.tier.value,
    }
    return values.get(source)


def resolve_parameters(
    runbook: Runbook, incident: Incident, alert: Alert | None, inputs: Mapping[str, str]
) -> dict[str, Resolved]:
    """Every declared parameter's value, checked (a refused one says why)."""
    found: dict[str, Resolved] = {}
    for name, parameter in runbook.parameters.items():
        if parameter.source == INPUT:
            value = inputs.get(name, parameter.default)
        else:
            value = field_value(incident, alert, parameter.source) or parameter.default
        if value is None or value == "":
            where = (
                "no answer given" if parameter.source == INPUT else f"{parameter.source} is empty"
            )
            found[name] = Resolved(parameter, None, f"{name}: {where}")
            continue
        found[name] = Resolved(parameter, value, parameter.check(value))
    return found


def _values(
    names: list[str], resolved: Mapping[str, Resolved], settings: ActionSettings
) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in names:
        if name.startswith(_ENDPOINT):
            endpoint = settings.endpoints.get(name[len(_ENDPOINT) :])
            if not endpoint:
                raise PlanRefused(
                    f"no endpoint {name[len(_ENDPOINT) :]!r} configured "
                    f"([actions.endpoints] in the config file)"
                )
            values[name] = endpoint.rstrip("/")
            continue
        item = resolved.get(name)
        if item is None:
            raise PlanRefused(f"{{{name}}} is not a declared parameter")
        if item.refused is not None or item.value is None:
            raise PlanRefused(item.refused or f"{name} has no value")
        values[name] = item.value
    return values


def plan_action(
    runbook: Runbook,
    step: Step,
    incident: Incident,
    alert: Alert | None,
    inputs: Mapping[str, str],
    settings: ActionSettings,
) -> PlannedCall:
    """The call an action step makes for this incident.

    Raises:
        PlanRefused: a parameter is missing or refused, an endpoint is not configured,
            or the expanded URL is not a web address.
    """
    action = step.action
    if action is None:
        raise PlanRefused(f"step {step.id} is not an action")
    resolved = resolve_parameters(runbook, incident, alert, inputs)
    names = action.templates()
    values = _values(names, resolved, settings)
    used = {n: values[n] for n in names if not n.startswith(_ENDPOINT)}
    timeout = min(action.timeout.total_seconds(), settings.timeout_cap)
    if action.http is not None:
        http = action.http
        url = _expand_url(http.url, values)
        check = check_link(url)
        if not check.ok:
            raise PlanRefused(f"the webhook URL {url!r} is refused: {check.reason}")
        if http.secret and not url.lower().startswith("https://") and not _on_this_machine(url):
            raise PlanRefused(f"the webhook URL {url!r} would send its secret unencrypted")
        planned_http = PlannedHttp(
            method=http.method,
            url=url,
            headers={k: expand(v, values) for k, v in http.headers.items()},
            body=expand_tree(http.body, values),
            secret=http.secret,
        )
        return PlannedCall(action.backend, timeout, http=planned_http, parameters=used)
    if action.aws is not None:
        aws = action.aws
        arguments = {
            name: _typed(value, values, runbook.parameters) for name, value in aws.arguments.items()
        }
        planned_aws = PlannedAws(
            aws.service, aws.operation, arguments, aws.region or settings.aws_region
        )
        return PlannedCall(action.backend, timeout, aws=planned_aws, parameters=used)
    assert action.command is not None
    argv = tuple(expand(part, values) for part in action.command.argv)
    return PlannedCall(action.backend, timeout, argv=argv, parameters=used)


def _on_this_machine(url: str) -> bool:
    """Plain http is tolerated for a secret only when it never leaves this machine."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _expand_url(template: str, values: Mapping[str, str]) -> str:
    """Parameters go into a URL percent-encoded (a `/` or `?` in a value stays data);
    configured endpoints go in as they are."""
    quoted = {
        name: value if name.startswith(_ENDPOINT) else quote(value, safe="")
        for name, value in values.items()
    }
    return expand(template, quoted)


def _typed(value: Any, values: Mapping[str, str], parameters: Mapping[str, Parameter]) -> Any:
    """AWS arguments keep YAML's types; a lone `{name}` of an integer parameter is an int."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            name = stripped[1:-1]
            parameter = parameters.get(name)
            if parameter is not None and parameter.integer:
                return int(values[name])
        return expand(value, values)
    if isinstance(value, Mapping):
        return {str(k): _typed(v, values, parameters) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_typed(v, values, parameters) for v in value]
    return value


def plan_link(
    runbook: Runbook, step: Step, incident: Incident, alert: Alert | None
) -> tuple[str | None, str]:
    """A link step's URL for this incident, or None and why it cannot open."""
    if step.url is None:
        return None, "no link"
    resolved = resolve_parameters(runbook, incident, alert, {})
    try:
        url = _expand_url(step.url, _values(placeholders(step.url), resolved, ActionSettings()))
    except PlanRefused as error:
        return None, str(error)
    check = check_link(url)
    return (url, "") if check.ok else (None, check.reason)


def plan_promql(runbook: Runbook, step: Step, incident: Incident, alert: Alert | None) -> str:
    """A query step's PromQL with its parameters put in (each checked by its pattern)."""
    if step.query is None or step.query.prometheus is None:
        raise PlanRefused(f"step {step.id} has no Prometheus query")
    resolved = resolve_parameters(runbook, incident, alert, {})
    template = step.query.prometheus
    return expand(template, _values(placeholders(template), resolved, ActionSettings()))


def plan_cloudwatch(
    runbook: Runbook, step: Step, incident: Incident, alert: Alert | None
) -> CloudWatchQuery:
    """A query step's CloudWatch metric with its dimension values put in."""
    if step.query is None or step.query.cloudwatch is None:
        raise PlanRefused(f"step {step.id} has no CloudWatch metric")
    watch = step.query.cloudwatch
    resolved = resolve_parameters(runbook, incident, alert, {})
    dimensions = {
        name: expand(value, _values(placeholders(value), resolved, ActionSettings()))
        for name, value in watch.dimensions.items()
    }
    return CloudWatchQuery(
        watch.namespace, watch.metric, dimensions, watch.stat, watch.period, watch.region
    )
