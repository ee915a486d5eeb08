"""AWS CloudWatch alarms: each alarm in ALARM or INSUFFICIENT_DATA is one firing alert.

CloudWatch holds state, not events: an alarm back in OK simply stops being listed, so
(as with Alertmanager) only a complete poll may resolve anything. Identity is the alarm
ARN, so retagging never turns one alert into another. Labels come from the alarm, its
dimensions and its tags (`customer`, `service`, `severity` are tags by MSP convention).
Tags and history are extra calls: tags change rarely and are cached per ARN; history
gives the real start of the current state but is optional, because moto and narrow IAM
policies lack it. boto3 is imported on the first poll, never at start (it costs ~0.3 s),
and credentials come from AWS's own chain: the console stores no AWS secret.
"""

from __future__ import annotations

import json
import re
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from app.config.settings import SourceConfig
from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.catalog import Catalog
from app.domain.timestamps import ensure_utc, parse_iso
from app.sources.base import (
    AuthFailed,
    BadPayload,
    ConnectionRefused,
    DnsFailure,
    RateLimited,
    ServerError,
    Snapshot,
    SourceError,
    SourceTimeout,
    SourceUnreachable,
    TlsError,
)

FIRING_STATES = ("ALARM", "INSUFFICIENT_DATA")
# without a severity tag: ALARM needs a look, INSUFFICIENT_DATA means the alarm is blind
DEFAULT_SEVERITY = {"ALARM": "warning", "INSUFFICIENT_DATA": "info"}
ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]  # both APIs default to metric alarms only
TAG_TTL_S = 600.0
HISTORY_RETRY_S = 600.0  # a denied or missing history API is asked again after this long
HISTORY_WINDOW = timedelta(days=1)
_EARLIEST = datetime(2009, 1, 1, tzinfo=UTC)  # before CloudWatch alarms existed: garbage
_STATES = frozenset({"OK", *FIRING_STATES})
# error codes by what they mean to us (AWS services spell some of them differently)
_DENIED = frozenset({"AccessDenied", "AccessDeniedException"})
_AUTH = _DENIED | {"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken"}
_AUTH |= {"ExpiredTokenException", "SignatureDoesNotMatch"}
_THROTTLED = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded"})
_THROTTLED |= {"TooManyRequestsException"}
_SERVER = frozenset({"InternalFailure", "InternalServiceError", "ServiceUnavailable"})
_GONE = frozenset({"ResourceNotFound", "ResourceNotFoundException"})
# how an endpoint without DescribeAlarmHistory (an emulator, a proxy) may say so
_UNSUPPORTED = frozenset({"UnknownOperationException", "NotImplemented", "InvalidAction"})
_CONSOLES = {"aws-cn": "console.amazonaws.cn", "aws-us-gov": "console.amazonaws-us-gov.com"}
# redacted from any AWS text we pass on: access key ids, and secret- or token-like runs
_SECRET_LIKE = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b|[A-Za-z0-9/+=]{40,}")
_TAG = re.compile(r"<[^>]*>")

Transitions = Mapping[str, Mapping[str, datetime]]


@dataclass(slots=True)
class Parsed:
    """Alerts read from alarms, and why any alarm was left out."""

    alerts: list[Alert] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_tags(response: Any) -> dict[str, str]:
    """`list_tags_for_resource` -> {key: value}; an empty value says nothing and is dropped."""
    items = response.get("Tags") if isinstance(response, dict) else None
    if not isinstance(items, list):
        raise BadPayload("ListTagsForResource answered without a Tags list")
    pairs = [(t.get("Key"), t.get("Value")) for t in items if isinstance(t, dict)]
    return {k: v for k, v in pairs if isinstance(k, str) and isinstance(v, str) and k and v}


def parse_history(items: Iterable[Any]) -> dict[str, dict[str, datetime]]:
    """Alarm name -> state -> newest transition into that state, from StateUpdate items.

    An update between equal states (a new reason only) is no transition, and an unreadable
    item is ignored: history only refines `starts_at`, it never hides an alarm.
    """
    found: dict[str, dict[str, datetime]] = {}
    for item in items:
        try:
            name, data = item["AlarmName"], json.loads(item["HistoryData"])
            old, new = data["oldState"]["stateValue"], data["newState"]["stateValue"]
            at = _timestamp(item["Timestamp"])
        except (KeyError, TypeError, ValueError):
            continue
        if isinstance(name, str) and old != new and new in _STATES and at is not None:
            states = found.setdefault(name, {})
            states[new] = max(at, states.get(new, at))
    return found


def parse_alarms(
    alarms: Iterable[Any],
    tags_by_arn: Mapping[str, Mapping[str, str]],
    transitions_by_name: Transitions,
    source: str,
    region: str,
    now: datetime,
) -> Parsed:
    """DescribeAlarms items (metric or composite) -> firing alerts; OK alarms give none."""
    parsed = Parsed()
    for index, item in enumerate(alarms):
        try:
            alert = _alert(item, tags_by_arn, transitions_by_name, source, region, now)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            name = item.get("AlarmName") if isinstance(item, dict) else None
            parsed.skipped.append(
                f"alarm #{index} ({str(name)[:80]!r}): {type(error).__name__}: {error}"[:300]
            )
            continue
        if alert is not None:
            parsed.alerts.append(alert)
    return parsed


def _alert(
    item: Any,
    tags_by_arn: Mapping[str, Mapping[str, str]],
    transitions: Transitions,
    source: str,
    region: str,
    now: datetime,
) -> Alert | None:
    if not isinstance(item, dict):
        raise TypeError(f"not an object but {type(item).__name__}")
    name, arn, state = item["AlarmName"], item["AlarmArn"], item["StateValue"]
    if not isinstance(name, str) or not 0 < len(name) <= 255:
        raise ValueError("AlarmName must be 1 to 255 characters of text")
    if not isinstance(arn, str) or not arn.startswith("arn:") or arn.count(":") < 6:
        raise ValueError(f"not an alarm ARN: {str(arn)[:80]!r}")
    if state not in _STATES:
        raise ValueError(f"unknown StateValue {str(state)[:40]!r}")
    if state == "OK":
        return None
    composite = "AlarmRule" in item
    namespace, metric, dimensions = ("", "", {}) if composite else _metric(item)
    tags = tags_by_arn.get(arn, {})
    # dimensions, then tags, then what CloudWatch says: a tag cannot fake the alarm's name
    labels = {**dimensions, **tags}
    fixed = {"alertname": name, "alarm_arn": arn, "region": region, "namespace": namespace}
    fixed |= {"metric_name": metric, "alarm_type": "composite" if composite else "metric"}
    labels |= {key: value for key, value in fixed.items() if value}
    labels["cloudwatch_state"] = state
    labels["severity"] = tags.get("severity") or DEFAULT_SEVERITY[state]
    annotations = {"summary": _text(item, "AlarmDescription") or f"{name} in {state}"}
    if reason := _text(item, "StateReason"):
        annotations["description"] = reason
    if tags.get("runbook_url"):
        annotations["runbook_url"] = tags["runbook_url"]
    started = (
        transitions.get(name, {}).get(state)
        or _timestamp(item.get("StateTransitionedTimestamp"))
        or _timestamp(item.get("StateUpdatedTimestamp"))
    )
    if started is None:
        raise ValueError("no state timestamp")
    return Alert(
        source=source,
        fingerprint=fingerprint({"alarm_arn": arn}),
        labels=labels,
        annotations=annotations,
        status=AlertStatus.FIRING,
        starts_at=min(started, now),
        ends_at=None,
        received_at=now,
        generator_url=console_url(arn, region, name),
        suppressed_by=_suppressed(item),
    )


def _metric(item: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    """Namespace, metric name and dimensions; a metric-math alarm gives what its inputs share."""
    if item.get("MetricName"):
        namespace, metric = str(item.get("Namespace") or ""), str(item["MetricName"])
        return namespace, metric, _dims(item.get("Dimensions"))
    queries = item.get("Metrics")
    if not isinstance(queries, list) or not queries:
        raise ValueError("neither MetricName nor Metrics")
    stats = [q["MetricStat"]["Metric"] for q in queries if isinstance(q.get("MetricStat"), dict)]
    shown = next((q for q in queries if q.get("ReturnData", True)), queries[0])
    metric = shown.get("Label") or shown.get("Expression") or shown.get("Id")
    namespaces = {str(s.get("Namespace") or "") for s in stats}
    every = [_dims(s.get("Dimensions")) for s in stats] or [{}]
    shared = {k: v for k, v in every[0].items() if all(d.get(k) == v for d in every)}
    return (namespaces.pop() if len(namespaces) == 1 else ""), str(metric or ""), shared


def _dims(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise TypeError("Dimensions must be a list")
    dims = {d["Name"]: d["Value"] for d in value}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in dims.items()):
        raise TypeError("dimension names and values must be text")
    return {k: v for k, v in dims.items() if k and v}


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} must be text")
    return value or ""


def _timestamp(value: Any) -> datetime | None:
    """boto3 gives aware datetimes, recorded payloads their text; before 2009 is garbage."""
    if value is None:
        return None
    if not isinstance(value, datetime | str):
        raise TypeError(f"a timestamp must be a date-time, not {type(value).__name__}")
    at = ensure_utc(value) if isinstance(value, datetime) else parse_iso(value)
    if at < _EARLIEST:
        raise ValueError(f"implausible timestamp {at.isoformat()}")
    return at


def _suppressed(item: Mapping[str, Any]) -> tuple[str, ...]:
    """Why CloudWatch sends no notification for this alarm: the NOC may be the only watcher."""
    reasons = []
    if item.get("ActionsEnabled") is False:
        reasons.append("alarm actions disabled in CloudWatch")
    if item.get("ActionsSuppressedBy") in ("Alarm", "WaitPeriod", "ExtensionPeriod"):
        by = item.get("ActionsSuppressor") or item["ActionsSuppressedBy"]
        why = item.get("ActionsSuppressedReason") or "no reason given"
        reasons.append(f"alarm actions suppressed by {by}: {why}")
    return tuple(reasons)


def console_url(arn: str, region: str, name: str) -> str:
    """The alarm's page in the AWS console of its partition (China and GovCloud differ)."""
    host = _CONSOLES.get(arn.split(":")[1], "console.aws.amazon.com")
    page = f"#alarmsV2:alarm/{quote(name, safe='')}"
    return f"https://{region}.{host}/cloudwatch/home?region={region}{page}"


def scrub(text: str, limit: int = 300) -> str:
    """AWS text fit for a message: an HTML error page's tags out, key-like strings redacted."""
    flat = " ".join(_TAG.sub(" ", text).split())
    return _SECRET_LIKE.sub("[redacted]", flat)[:limit]


def _aws() -> Any:
    """botocore's exceptions, imported on first use like the rest of boto3."""
    from botocore import exceptions  # type: ignore[import-untyped]  # noqa: PLC0415

    return exceptions


def classify_error(error: BaseException, where: str) -> SourceError:
    """A botocore failure as the console's typed error, by exception type and error code."""
    aws = _aws()
    text = scrub(str(error))
    if isinstance(error, SourceError):
        return error
    if isinstance(error, aws.ClientError):
        return _client_error(error, where)
    if isinstance(error, aws.NoCredentialsError | aws.PartialCredentialsError):
        return AuthFailed(
            f"no usable AWS credentials for {where}: AWS's credential chain (environment, "
            f"shared credentials and config files, SSO, container or instance role) found "
            f"nothing usable ({type(error).__name__})"
        )
    if isinstance(error, aws.ProfileNotFound):
        return AuthFailed(f"{where}: that profile is in no AWS config or credentials file")
    expired = (aws.SSOError, aws.TokenRetrievalError, aws.CredentialRetrievalError)
    if isinstance(error, (*expired, aws.RefreshWithMFAUnsupportedError, aws.NoAuthTokenError)):
        return AuthFailed(
            f"AWS credentials for {where} could not be obtained or refreshed (an expired "
            f"SSO session or token? `aws sso login` renews it): {text}"
        )
    if isinstance(error, aws.ConnectTimeoutError | aws.ReadTimeoutError):
        return SourceTimeout(text)
    if isinstance(error, aws.SSLError):
        return TlsError(text)
    if isinstance(error, aws.EndpointConnectionError):
        from urllib3.exceptions import NameResolutionError  # noqa: PLC0415 - botocore loaded it

        causes = _causes(error)
        if any(isinstance(c, socket.gaierror | NameResolutionError) for c in causes):
            return DnsFailure(f"cannot resolve the CloudWatch endpoint: {text}")
        if any(isinstance(c, ConnectionRefusedError) for c in causes):
            return ConnectionRefused(text)
        return SourceUnreachable(text)
    if isinstance(error, aws.ProxyConnectionError | aws.ConnectionClosedError):
        return SourceUnreachable(text)
    if isinstance(error, aws.NoRegionError):
        return SourceError(f"{where}: no AWS region; set `region` for this source")
    return SourceError(f"{type(error).__name__}: {text}")


def _client_error(error: Any, where: str) -> SourceError:
    info, meta = error.response.get("Error") or {}, error.response.get("ResponseMetadata") or {}
    code, status = str(info.get("Code") or ""), int(meta.get("HTTPStatusCode") or 0)
    message = f"{code or status}: {scrub(str(info.get('Message') or ''))}"
    retry = str((meta.get("HTTPHeaders") or {}).get("retry-after") or "")
    retry_after = timedelta(seconds=int(retry)) if retry.isdigit() else None
    if code in _AUTH or status in (401, 403):
        return AuthFailed(f"AWS refused the credentials of {where}: {message}")
    if code in _THROTTLED or status == 429:
        return RateLimited(f"CloudWatch throttled us: {message}", retry_after)
    if status >= 500 or code in _SERVER:
        return ServerError(f"CloudWatch failed: {message}", retry_after, status=status or 500)
    return SourceError(f"CloudWatch refused the request: {message}")


def _code(error: Any) -> str:
    return str((error.response.get("Error") or {}).get("Code") or "")


def _causes(error: BaseException) -> list[BaseException]:
    """The exception chain, plus the `error` botocore keeps in kwargs without chaining it."""
    found: list[BaseException] = []
    pending: list[Any] = [error]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseException) and current not in found:
            found.append(current)
            kwargs = getattr(current, "kwargs", None)
            extra = kwargs.get("error") if isinstance(kwargs, dict) else None
            pending += [current.__cause__, current.__context__, extra]
    return found


class CloudWatchSource:
    """The alarms of one AWS account and region.

    Thread: the source's poll worker only; the boto3 client is made there on the first
    fetch (the import and the credential chain may block) and reused after.

    Attributes:
        name, kind, interval: the Source protocol.
        region, profile, endpoint_url, alarm_prefix: the config options (None when unset).
        timeout: the total deadline of one poll, in seconds.
    """

    kind = "cloudwatch"

    def __init__(
        self,
        name: str,
        options: Mapping[str, str | None],
        *,
        interval: timedelta = timedelta(seconds=60),
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self.interval, self.timeout = name, interval, timeout
        self.region, self.profile = options.get("region"), options.get("profile")
        self.endpoint_url, self.alarm_prefix = (
            options.get("endpoint_url"),
            options.get("alarm_prefix"),
        )
        self._clock = clock
        self._deadline = 0.0
        self._client: Any = None
        self._tags: dict[str, tuple[float, dict[str, str]]] = {}  # ARN -> (expiry, tags)
        self._tags_denied: tuple[float, str] | None = None
        self._history_down: tuple[float, str] | None = None

    @property
    def where(self) -> str:
        """Which credentials and region, for messages (names only, never a key)."""
        who = f"profile {self.profile!r}" if self.profile else "the default credential chain"
        return f"{who} in {self.region or 'the default region'}"

    def client(self) -> Any:
        """The boto3 CloudWatch client, made on first use."""
        if self._client is None:
            import boto3.session  # type: ignore[import-untyped]  # noqa: PLC0415
            from botocore.config import Config  # type: ignore[import-untyped]  # noqa: PLC0415

            session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            # half the deadline per attempt: two attempts of a hung call still fit in it
            config = Config(
                connect_timeout=min(5.0, self.timeout / 2),
                read_timeout=self.timeout / 2,
                retries={"max_attempts": 2, "mode": "standard"},
                user_agent_extra="noc-console",
            )
            client = session.client("cloudwatch", endpoint_url=self.endpoint_url, config=config)
            client.meta.events.register("before-send.cloudwatch", self._before_send)
            self._client, self.region = client, session.region_name
        return self._client

    def close(self) -> None:
        """Drop the client and its pooled connections (MappedSource forwards close)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def fetch(self, now: datetime) -> Snapshot:
        now, aws = ensure_utc(now), _aws()
        deadline = self._deadline = self._clock() + self.timeout
        try:
            client = self.client()
            alarms, odd = self._describe(client, deadline)
            firing = {arn: a for arn, a in alarms.items() if _firing(a)}
            warnings = [w for w in [self._fetch_tags(client, firing, deadline)] if w]
            transitions, history = self._history(client, firing.values(), now, deadline)
        except (aws.BotoCoreError, aws.ClientError) as error:
            failure = classify_error(error, self.where)
            if isinstance(failure, AuthFailed):
                self.close()  # the next poll reads the credential chain afresh
            raise failure from error
        tags = {arn: self._tags[arn][1] for arn in firing if arn in self._tags}
        items = [*alarms.values(), *odd]
        parsed = parse_alarms(items, tags, transitions, self.name, self.region or "", now)
        if parsed.skipped:
            warnings.append(f"{len(parsed.skipped)} malformed alarms skipped ({parsed.skipped[0]})")
        details = {"region": self.region or "", "endpoint": str(client.meta.endpoint_url)}
        details |= {"profile": self.profile} if self.profile else {}
        details |= {"alarms": str(len(parsed.alerts)), "history": history}
        return Snapshot(
            source=self.name,
            alerts=tuple(parsed.alerts),
            fetched_at=now,
            complete=not parsed.skipped,
            warning="; ".join(warnings) or None,
            details=details,
        )

    def _before_send(self, **_: Any) -> None:
        """botocore's hook before every attempt: no first try or retry starts past the deadline."""
        self._check(self._deadline, "waiting for CloudWatch")

    def _check(self, deadline: float, doing: str) -> None:
        if self._clock() > deadline:
            raise SourceTimeout(f"poll exceeded its {self.timeout:g} s deadline while {doing}")

    def _describe(self, client: Any, deadline: float) -> tuple[dict[str, Any], list[Any]]:
        """Alarms not in OK by ARN (deduplicated), and items too odd to key by ARN.

        Filtered here too, because moto applies only one filter of a query. The odd items
        are kept so that parsing reports them and the snapshot is marked incomplete.
        """
        items: list[Any] = []
        prefix = self.alarm_prefix or ""
        for wanted in FIRING_STATES:
            query: dict[str, Any] = {"AlarmTypes": ALARM_TYPES, "StateValue": wanted}
            query |= {"AlarmNamePrefix": prefix} if prefix else {}
            paginator = client.get_paginator("describe_alarms")
            for page in paginator.paginate(**query, PaginationConfig={"PageSize": 100}):
                self._check(deadline, "listing alarms")
                for key in ("MetricAlarms", "CompositeAlarms"):
                    batch = (page.get(key) or []) if isinstance(page, dict) else None
                    if not isinstance(batch, list):
                        raise BadPayload(f"DescribeAlarms answered without a {key} list")
                    items += batch
        found: dict[str, Any] = {}
        odd: dict[str, Any] = {}  # by their text: both queries may list the same one
        for item in items:
            alarm = item if isinstance(item, dict) else {}
            name, arn = alarm.get("AlarmName"), alarm.get("AlarmArn")
            if alarm.get("StateValue") == "OK" or (
                isinstance(name, str) and not name.startswith(prefix)
            ):
                continue
            if isinstance(arn, str):
                found[arn] = item
            else:
                odd[repr(item)] = item
        return found, list(odd.values())

    def _fetch_tags(self, client: Any, alarms: Mapping[str, Any], deadline: float) -> str | None:
        """Tags of firing alarms, cached per ARN for up to TAG_TTL_S; a denial is only a warning.

        Read one by one: CloudWatch throttles each API per account and region (a few to
        tens of calls a second), so a pool would mostly earn throttling. Past the deadline
        the poll fails, but what was read stays cached and the next poll goes on from there.
        """
        started = self._clock()
        self._tags = {arn: v for arn, v in self._tags.items() if started < v[0]}
        if self._tags_denied and started - self._tags_denied[0] < TAG_TTL_S:
            return self._tags_denied[1]
        for arn in alarms:
            if arn in self._tags:
                continue
            self._check(deadline, "reading alarm tags")
            try:
                tags = parse_tags(client.list_tags_for_resource(ResourceARN=arn))
            except _aws().ClientError as error:
                if _code(error) in _GONE:  # deleted since it was listed
                    tags = {}
                elif _code(error) in _DENIED:
                    why = f"alarm tags unavailable ({classify_error(error, self.where)})"
                    self._tags_denied = (self._clock(), why)
                    return why
                else:
                    raise
            # expiry spread over the last quarter of the TTL, so that the tags read in one
            # poll (a storm) are not all read again in one later poll
            spread = 0.75 + 0.25 * (zlib.crc32(arn.encode()) % 1000) / 1000
            self._tags[arn] = (self._clock() + TAG_TTL_S * spread, tags)
        return None

    def _history(
        self, client: Any, alarms: Iterable[Any], now: datetime, deadline: float
    ) -> tuple[Transitions, str]:
        """Newest transition of each firing alarm into its state, or why history is unavailable.

        Pages come newest first and stop once every firing alarm has its transition. A
        denied or unimplemented API (moto answers 500) is recorded and asked again later.
        """
        wanted = {a["AlarmName"]: a["StateValue"] for a in alarms}
        if not wanted:
            return {}, "ok"
        if self._history_down and self._clock() - self._history_down[0] < HISTORY_RETRY_S:
            return {}, self._history_down[1]
        found: dict[str, dict[str, datetime]] = {}
        query: dict[str, Any] = {"AlarmTypes": ALARM_TYPES, "HistoryItemType": "StateUpdate"}
        query |= {"StartDate": now - HISTORY_WINDOW, "EndDate": now}
        query |= {"ScanBy": "TimestampDescending", "PaginationConfig": {"PageSize": 100}}
        try:
            for page in client.get_paginator("describe_alarm_history").paginate(**query):
                self._check(deadline, "reading alarm history")
                items = page.get("AlarmHistoryItems") if isinstance(page, dict) else None
                for name, states in parse_history(items or []).items():
                    for state, at in states.items():
                        found.setdefault(name, {}).setdefault(state, at)
                if all(state in found.get(name, {}) for name, state in wanted.items()):
                    break
        except _aws().ClientError as error:
            failure = classify_error(error, self.where)
            if not isinstance(failure, ServerError) and _code(error) not in _DENIED | _UNSUPPORTED:
                raise
            why = f"unavailable: DescribeAlarmHistory failed ({failure.kind}: {failure})"
            self._history_down = (self._clock(), why[:240])
            return {}, self._history_down[1]
        self._history_down = None
        return found, "ok"


def _firing(alarm: Mapping[str, Any]) -> bool:
    return alarm.get("StateValue") in FIRING_STATES and isinstance(alarm.get("AlarmName"), str)


def build(config: SourceConfig, *, catalog: Catalog, secrets: object = None) -> CloudWatchSource:
    """The factory's entry point (app/sources/factory.py); AWS's chain holds the credentials."""
    keys = ("region", "profile", "endpoint_url", "alarm_prefix")
    options = {key: str(config.options[key]) if config.options.get(key) else None for key in keys}
    return CloudWatchSource(
        config.name, options, interval=config.interval, timeout=config.timeout.total_seconds()
    )
