"""Prometheus (HTTP API v1): its firing alerts with their rules' context, and range queries.

`/api/v1/alerts` includes pending alerts (a `for:` clause not yet satisfied); only
`firing` ones are alerts for the NOC. Prometheus gives no fingerprint, so identity is
Alertmanager's hash of the label set — the same alert seen through Alertmanager has the
same identity (without Alertmanager's external labels). `/api/v1/rules` adds each rule's
query (the link back) and its health: a rule that fails to evaluate is a blind spot and
degrades the source. The `PrometheusQueries` client serves charts and runbook steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from app.config.settings import SourceConfig
from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.catalog import Catalog
from app.domain.series import Series
from app.domain.timestamps import ensure_utc, parse_iso
from app.http import HttpClient, JsonResponse
from app.sources.alertmanager import SKEW_WARNING, Parsed
from app.sources.base import AuthFailed, BadPayload, BadRequest, Snapshot, SourceError
from app.sources.credentials import HttpCredentials, SecretLookup


class QueryError(SourceError):
    """Prometheus refused a query (bad PromQL, too many points); its own words."""

    kind = "query"


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What the alerting rule behind an alert says: its query and whether it evaluates."""

    query: str
    health: str
    last_error: str | None


def unwrap(response: JsonResponse) -> Any:
    """The `data` of a `{"status": "success", "data": ...}` envelope, or a typed error."""
    document = response.data
    if not isinstance(document, dict) or "status" not in document:
        raise BadPayload("not a Prometheus API answer (no status envelope)")
    if document["status"] != "success":
        raise QueryError(
            f"{document.get('errorType', 'error')}: {document.get('error', 'unknown error')}"
        )
    return document.get("data")


def parse_rules(data: Any) -> dict[str, RuleContext]:
    """Alert name -> rule context, from `/api/v1/rules?type=alert`."""
    rules: dict[str, RuleContext] = {}
    groups = data.get("groups") if isinstance(data, dict) else None
    for group in groups if isinstance(groups, list) else []:
        for rule in group.get("rules", []) if isinstance(group, dict) else []:
            if (
                isinstance(rule, dict)
                and rule.get("type", "alerting") == "alerting"
                and rule.get("name")
            ):
                rules[str(rule["name"])] = RuleContext(
                    query=str(rule.get("query", "")),
                    health=str(rule.get("health", "unknown")),
                    last_error=str(rule["lastError"]) if rule.get("lastError") else None,
                )
    return rules


def parse_alerts(
    data: Any, source: str, now: datetime, base_url: str, rules: Mapping[str, RuleContext]
) -> Parsed:
    """Firing alerts of `/api/v1/alerts`; pending ones are left out, malformed ones skipped."""
    alerts = data.get("alerts") if isinstance(data, dict) else None
    if not isinstance(alerts, list):
        raise BadPayload("expected data.alerts to be a list")
    parsed = Parsed()
    for index, item in enumerate(alerts):
        try:
            if not isinstance(item, dict):
                raise TypeError(f"not an object but {type(item).__name__}")
            if item.get("state") != "firing":
                if item.get("state") not in ("pending", "inactive"):
                    raise ValueError(f"unknown state {item.get('state')!r}")
                continue
            parsed.alerts.append(_alert(item, source, now, base_url, rules))
        except (KeyError, TypeError, ValueError) as error:
            parsed.skipped.append(f"alert #{index}: {error}")
    return parsed


def _alert(
    item: dict[str, Any],
    source: str,
    now: datetime,
    base_url: str,
    rules: Mapping[str, RuleContext],
) -> Alert:
    labels = item.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise ValueError("no labels")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise TypeError("labels must map text to text")
    annotations = item.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise TypeError("annotations must be an object")
    rule = rules.get(labels.get("alertname", ""))
    generator = (
        f"{base_url}/graph?g0.expr={quote(rule.query)}&g0.tab=1" if rule and rule.query else None
    )
    return Alert(
        source=source,
        fingerprint=fingerprint(labels),
        labels=labels,
        annotations={str(k): str(v) for k, v in annotations.items()},
        status=AlertStatus.FIRING,
        starts_at=min(parse_iso(str(item["activeAt"])), now),
        ends_at=None,
        received_at=now,
        generator_url=generator,
    )


def parse_matrix(data: Any) -> list[Series]:
    """A `query_range` result (`resultType: matrix`) as series of (UTC time, float)."""
    if not isinstance(data, dict) or data.get("resultType") not in ("matrix", "vector"):
        raise BadPayload("expected a matrix or vector result")
    result = data.get("result")
    if not isinstance(result, list):
        raise BadPayload("expected data.result to be a list")
    series = []
    for item in result:
        if not isinstance(item, dict):
            raise BadPayload("a series is not an object")
        values = item.get("values") if "values" in item else [item.get("value")]
        points = []
        for pair in values or []:
            if not isinstance(pair, list) or len(pair) != 2:
                raise BadPayload(f"bad sample {pair!r}")
            # float() reads Prometheus's "NaN", "+Inf" and "-Inf" samples as they are meant
            points.append((datetime.fromtimestamp(float(pair[0]), UTC), float(pair[1])))
        series.append(Series(dict(item.get("metric") or {}), tuple(points)))
    return series


class PrometheusQueries:
    """Instant and range queries for charts and runbook steps (off the GUI thread).

    Attributes:
        client: the HTTP client of the Prometheus it asks.
    """

    def __init__(self, client: HttpClient, credentials: HttpCredentials) -> None:
        self.client = client
        self._credentials = credentials

    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        if step <= timedelta(0) or end <= start:
            raise ValueError("a range query needs start < end and a positive step")
        params = {
            "query": query,
            "start": f"{ensure_utc(start).timestamp():.3f}",
            "end": f"{ensure_utc(end).timestamp():.3f}",
            "step": f"{step.total_seconds():g}",
        }
        return parse_matrix(self._get("/api/v1/query_range", params))

    def query(self, query: str, at: datetime) -> list[Series]:
        return parse_matrix(
            self._get(
                "/api/v1/query", {"query": query, "time": f"{ensure_utc(at).timestamp():.3f}"}
            )
        )

    def _get(self, path: str, params: Mapping[str, str]) -> Any:
        self._credentials.apply([self.client])
        try:
            return unwrap(self.client.get_json(path, params))
        except AuthFailed:
            self._credentials.invalidate()
            raise
        except BadRequest as error:  # 400/422 with {"errorType": "bad_data", "error": ...}
            raise QueryError(str(error)) from None


class PrometheusSource:
    """A Prometheus server's firing alerts, polled as one source.

    Attributes:
        name, kind, interval: the Source protocol.
        queries: the range-query client for the same server.
    """

    kind = "prometheus"

    def __init__(
        self, name: str, client: HttpClient, credentials: HttpCredentials, interval: timedelta
    ) -> None:
        self.name = name
        self.interval = interval
        self._client = client
        self._credentials = credentials
        self.queries = PrometheusQueries(client, credentials)

    def close(self) -> None:
        self._client.close()

    def fetch(self, now: datetime) -> Snapshot:
        now = ensure_utc(now)
        self._credentials.apply([self._client])
        try:
            rules_response = self._client.get_json("/api/v1/rules", {"type": "alert"})
            alerts_response = self._client.get_json("/api/v1/alerts")
        except AuthFailed:
            self._credentials.invalidate()
            raise
        rules = parse_rules(unwrap(rules_response))
        parsed = parse_alerts(unwrap(alerts_response), self.name, now, self._client.base_url, rules)
        warnings = []
        failing = sorted(name for name, rule in rules.items() if rule.health == "err")
        if failing:
            first = rules[failing[0]].last_error or "no error text"
            warnings.append(
                f"{len(failing)} alerting rules fail to evaluate ({failing[0]}: {first})"
            )
        if parsed.skipped:
            warnings.append(f"{len(parsed.skipped)} malformed alerts skipped ({parsed.skipped[0]})")
        skew = alerts_response.clock_skew
        if skew is not None and abs(skew) > SKEW_WARNING:
            warnings.append(
                f"clock skew {int(skew.total_seconds())} s against {self._client.base_url}"
            )
        return Snapshot(
            source=self.name,
            alerts=tuple(parsed.alerts),
            fetched_at=now,
            complete=not parsed.skipped,
            warning="; ".join(warnings) or None,
            details={
                "url": self._client.base_url,
                "ca_bundle": self._client.settings.ca_bundle_in_use,
                "rules": str(len(rules)),
            },
        )


def build(config: SourceConfig, *, catalog: Catalog, secrets: SecretLookup) -> PrometheusSource:
    """The factory's entry point (app/sources/factory.py)."""
    from app.sources.factory import http_settings  # noqa: PLC0415 - the factory imports us lazily

    credentials = HttpCredentials(
        config.name,
        str(config.options.get("auth", "none")),
        config.options.get("username"),
        secrets,
    )
    client = HttpClient(str(config.options["url"]), http_settings(config))
    return PrometheusSource(config.name, client, credentials, config.interval)
