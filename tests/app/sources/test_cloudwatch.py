"""CloudWatch alarms as alerts: parsing recorded payloads, polling a fake client, typed errors.

The alarms are moto's recorded answers (tests/data/cloudwatch-describe-alarms.json). moto
has neither DescribeAlarmHistory nor composite alarms, so those two fixtures are
hand-written from the documented shapes and say so in their `_about`.
"""

from __future__ import annotations

import copy
import json
import socket
import ssl
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore import exceptions as aws
from urllib3.exceptions import NameResolutionError

from app.config.settings import SourceConfig
from app.domain.alert import AlertStatus, fingerprint
from app.domain.catalog import Catalog
from app.sources import cloudwatch
from app.sources.base import (
    AuthFailed,
    BadPayload,
    ConnectionRefused,
    DnsFailure,
    RateLimited,
    ServerError,
    SourceError,
    SourceTimeout,
    SourceUnreachable,
    TlsError,
)
from app.sources.cloudwatch import (
    CloudWatchSource,
    classify_error,
    parse_alarms,
    parse_history,
    parse_tags,
)
from app.sources.factory import build_source

DATA = Path(__file__).parents[2] / "data"
RECORDED = json.loads((DATA / "cloudwatch-describe-alarms.json").read_text())
HISTORY = json.loads((DATA / "cloudwatch-alarm-history.json").read_text())
COMPOSITES = json.loads((DATA / "cloudwatch-composite-alarms.json").read_text())
NOW = datetime(2026, 11, 29, 14, 20, tzinfo=UTC)
ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"
CPU_TAGS = parse_tags(RECORDED["list_tags_for_resource"]["response"])
WHERE = "profile 'noc' in eu-west-1"


def recorded(name: str, state: str | None = None) -> dict[str, Any]:
    """A deep copy of one recorded alarm, optionally moved to another state."""
    alarms = RECORDED["describe_alarms_all"]["MetricAlarms"]
    alarm: dict[str, Any] = copy.deepcopy(next(a for a in alarms if a["AlarmName"] == name))
    if state:
        alarm["StateValue"] = state
    return alarm


def parse(
    alarms: list[Any], tags: dict[str, dict[str, str]] | None = None, history: Any = None
) -> cloudwatch.Parsed:
    return parse_alarms(alarms, tags or {}, history or {}, "aws-prod", "us-east-1", NOW)


# ---------------------------------------------------------------- parsing


def test_recorded_alarms_give_one_alert_per_alarm_in_alarm() -> None:
    alarms = RECORDED["describe_alarms_all"]["MetricAlarms"]
    parsed = parse(alarms, {ARN + "web-01-HighCPU": CPU_TAGS})

    assert parsed.skipped == []
    assert [a.alertname for a in parsed.alerts] == ["web-01-HighCPU"]  # the OK two give none
    alert = parsed.alerts[0]
    assert alert.fingerprint == fingerprint({"alarm_arn": ARN + "web-01-HighCPU"})
    assert dict(alert.labels) == {
        "alertname": "web-01-HighCPU",
        "alarm_arn": ARN + "web-01-HighCPU",
        "region": "us-east-1",
        "namespace": "AWS/EC2",
        "metric_name": "CPUUtilization",
        "alarm_type": "metric",
        "cloudwatch_state": "ALARM",
        "InstanceId": "i-0abc123",
        "customer": "acme",
        "service": "web",
        "severity": "critical",
    }
    assert dict(alert.annotations) == {
        "summary": alarms[0]["AlarmDescription"],
        "description": "Threshold Crossed: 1 datapoint [99.0] was greater than the threshold (90.0).",
    }
    assert alert.status is AlertStatus.FIRING
    assert alert.starts_at == datetime(2026, 11, 29, 14, 12, 35, 566000, tzinfo=UTC)
    assert alert.ends_at is None
    assert alert.received_at == NOW
    assert alert.suppressed_by == ()
    assert alert.generator_url == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#alarmsV2:alarm/web-01-HighCPU"
    )


def test_default_severity_is_warning_in_alarm_and_info_when_blind() -> None:
    parsed = parse(
        [recorded("db-01-DiskFull", "ALARM"), recorded("api-ErrorRate", "INSUFFICIENT_DATA")]
    )

    severity = {a.alertname: a.labels["severity"] for a in parsed.alerts}
    assert severity == {"db-01-DiskFull": "warning", "api-ErrorRate": "info"}
    blind = parsed.alerts[1]
    assert blind.labels["cloudwatch_state"] == "INSUFFICIENT_DATA"
    assert blind.annotations["summary"] == "5xx ratio above 5%"


def test_every_dimension_and_tag_is_a_label_but_cannot_fake_the_alarm() -> None:
    tags = {
        "customer": "globex",
        "team": "dba",
        "alertname": "forged",
        "runbook_url": "https://rb/disk",
    }
    (alert,) = parse([recorded("db-01-DiskFull", "ALARM")], {ARN + "db-01-DiskFull": tags}).alerts

    assert alert.labels["InstanceId"] == "i-0def456"
    assert alert.labels["path"] == "/var"
    assert alert.labels["team"] == "dba"
    assert alert.labels["customer"] == "globex"
    assert alert.labels["alertname"] == "db-01-DiskFull"
    assert alert.annotations["runbook_url"] == "https://rb/disk"


def test_identity_is_the_arn_whatever_the_tags_or_name() -> None:
    first = parse([recorded("web-01-HighCPU")], {ARN + "web-01-HighCPU": CPU_TAGS}).alerts[0]
    renamed = recorded("web-01-HighCPU")
    renamed["AlarmName"] = "web-01-HighCPU-renamed"
    second = parse([renamed], {ARN + "web-01-HighCPU": {"severity": "info"}}).alerts[0]

    assert first.fingerprint == second.fingerprint
    assert first.labels != second.labels


def test_a_metric_math_alarm_takes_what_its_inputs_share() -> None:
    (alert,) = parse([recorded("api-ErrorRate", "ALARM")]).alerts

    assert alert.labels["namespace"] == "AWS/ApplicationELB"
    assert alert.labels["metric_name"] == "ErrorRate"  # the label of the returned expression
    assert alert.labels["LoadBalancer"] == "app/api/123"
    assert alert.labels["alarm_type"] == "metric"


def test_inputs_in_different_namespaces_or_dimensions_share_nothing() -> None:
    alarm = recorded("api-ErrorRate", "ALARM")
    alarm["Metrics"][2]["MetricStat"]["Metric"] |= {
        "Namespace": "Custom",
        "Dimensions": [{"Name": "LoadBalancer", "Value": "app/other/9"}],
    }
    (alert,) = parse([alarm]).alerts
    assert "namespace" not in alert.labels
    assert "LoadBalancer" not in alert.labels


def test_disabled_actions_suppress_the_alert() -> None:
    (alarm,) = RECORDED["describe_alarms_after_disable"]["MetricAlarms"]
    (alert,) = parse([alarm]).alerts
    assert alert.suppressed_by == ("alarm actions disabled in CloudWatch",)


def test_composite_alarms_are_alerts_without_a_metric() -> None:
    """Hand-written composites (moto has no PutCompositeAlarm), shaped as the API documents."""
    parsed = parse(COMPOSITES["CompositeAlarms"])

    assert parsed.skipped == []
    web, checkout = parsed.alerts
    assert web.labels["alarm_type"] == "composite"
    assert "namespace" not in web.labels
    assert "metric_name" not in web.labels
    assert web.labels["severity"] == "warning"
    # StateTransitionedTimestamp (13:30) wins over StateUpdatedTimestamp (14:10)
    assert web.starts_at == datetime(2026, 11, 29, 13, 30, tzinfo=UTC)
    assert web.suppressed_by == ()
    assert checkout.suppressed_by == (
        f"alarm actions suppressed by {ARN}maintenance-window: Alarm is in ALARM state",
    )


def test_history_gives_the_newest_transition_into_each_state() -> None:
    """The history fixture is hand-written from the shape in PEERS.md 3 (moto lacks the API)."""
    transitions = parse_history(HISTORY["AlarmHistoryItems"])

    at = datetime(2026, 11, 29, tzinfo=UTC)
    assert transitions == {
        # 14:10 ALARM -> ALARM is a new reason, not a transition; 13:40 is an older episode
        "web-01-HighCPU": {
            "ALARM": at.replace(hour=14, minute=5),
            "OK": at.replace(hour=13, minute=50),
        },
        "api-ErrorRate": {"INSUFFICIENT_DATA": at.replace(hour=14)},
        "web-tier-composite": {"ALARM": at.replace(hour=13, minute=30)},
        # db-01-DiskFull: one item is not JSON, the other has no Timestamp
    }


def test_history_sets_starts_at_before_the_alarm_timestamps() -> None:
    transitions = parse_history(HISTORY["AlarmHistoryItems"])
    alarms = [recorded("web-01-HighCPU"), recorded("api-ErrorRate", "INSUFFICIENT_DATA")]
    alarms.append(recorded("db-01-DiskFull", "ALARM"))
    starts = {a.alertname: a.starts_at for a in parse(alarms, history=transitions).alerts}

    assert starts == {
        "web-01-HighCPU": datetime(2026, 11, 29, 14, 5, tzinfo=UTC),
        "api-ErrorRate": datetime(2026, 11, 29, 14, 0, tzinfo=UTC),
        "db-01-DiskFull": datetime(2026, 11, 29, 14, 12, 35, 584000, tzinfo=UTC),  # no history
    }


def test_starts_at_is_never_after_now() -> None:
    early = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
    (alert,) = parse_alarms([recorded("web-01-HighCPU")], {}, {}, "aws", "us-east-1", early).alerts
    assert alert.starts_at == early
    assert alert.starts_at.tzinfo is UTC


def _without(key: str) -> Any:
    return lambda alarm: alarm.pop(key)


BROKEN = {
    "no name": _without("AlarmName"),
    "no ARN": _without("AlarmArn"),
    "no state": _without("StateValue"),
    "no timestamp": _without("StateUpdatedTimestamp"),
    "unknown state": lambda a: a.update(StateValue="FIRING"),
    "name too long": lambda a: a.update(AlarmName="x" * 300),
    "name not text": lambda a: a.update(AlarmName=42),
    "ARN not an ARN": lambda a: a.update(AlarmArn="web-01"),
    "timestamp not a date": lambda a: a.update(StateUpdatedTimestamp="yesterday"),
    "timestamp a number": lambda a: a.update(StateUpdatedTimestamp=1795960304),
    "timestamp in 1970": lambda a: a.update(StateUpdatedTimestamp="1970-01-01 00:00:00+00:00"),
    "naive timestamp": lambda a: a.update(StateUpdatedTimestamp=datetime(2026, 11, 29)),  # noqa: DTZ001
    "dimensions not a list": lambda a: a.update(Dimensions="InstanceId=i-1"),
    "dimension not text": lambda a: a.update(Dimensions=[{"Name": "InstanceId", "Value": 7}]),
    "dimension half": lambda a: a.update(Dimensions=[{"Name": "InstanceId"}]),
    "description not text": lambda a: a.update(AlarmDescription={"a": 1}),
    "no metric at all": lambda a: a.update(MetricName=None, Metrics=[]),
    "metrics not objects": lambda a: a.update(MetricName=None, Metrics=["m1"]),
}


@pytest.mark.parametrize("damage", BROKEN.values(), ids=BROKEN.keys())
def test_an_absurd_alarm_is_skipped_and_the_others_kept(damage: Any) -> None:
    broken = recorded("db-01-DiskFull", "ALARM")
    damage(broken)
    parsed = parse([broken, recorded("web-01-HighCPU"), "not an alarm"])

    assert [a.alertname for a in parsed.alerts] == ["web-01-HighCPU"]
    assert len(parsed.skipped) == 2
    assert parsed.skipped[0].startswith("alarm #0")
    assert parsed.skipped[1].startswith("alarm #2")


def test_tags_parse_and_drop_empty_values() -> None:
    response = {
        "Tags": [{"Key": "customer", "Value": "acme"}, {"Key": "empty", "Value": ""}, "junk"]
    }
    assert parse_tags(response) == {"customer": "acme"}
    assert CPU_TAGS == {"customer": "acme", "severity": "critical", "service": "web"}
    with pytest.raises(BadPayload):
        parse_tags({"NoTags": []})


# ---------------------------------------------------------------- errors


def client_error(code: str, status: int, message: str = "nope", **headers: str) -> Any:
    meta: dict[str, Any] = {"HTTPStatusCode": status, "HTTPHeaders": headers}
    return aws.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": meta}, "DescribeAlarms"
    )


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("AccessDenied", 403, AuthFailed),
        ("AccessDeniedException", 400, AuthFailed),
        ("UnrecognizedClientException", 400, AuthFailed),
        ("InvalidClientTokenId", 403, AuthFailed),
        ("ExpiredToken", 400, AuthFailed),
        ("ExpiredTokenException", 400, AuthFailed),
        ("SignatureDoesNotMatch", 403, AuthFailed),
        ("Throttling", 400, RateLimited),
        ("ThrottlingException", 400, RateLimited),
        ("RequestLimitExceeded", 503, RateLimited),
        ("TooManyRequestsException", 429, RateLimited),
        ("InternalFailure", 500, ServerError),
        ("ServiceUnavailable", 503, ServerError),
        ("500", 500, ServerError),  # moto's unimplemented operations
        ("ValidationError", 400, SourceError),
        ("ResourceNotFound", 404, SourceError),
    ],
)
def test_client_errors_are_classified_by_code(
    code: str, status: int, kind: type[SourceError]
) -> None:
    error = classify_error(client_error(code, status, "AWS says why"), WHERE)

    assert type(error) is kind
    assert code in str(error)
    assert "AWS says why" in str(error)


def test_auth_failures_name_the_profile_and_region() -> None:
    error = classify_error(
        client_error("InvalidClientTokenId", 403, "The security token is invalid."), WHERE
    )
    assert str(error) == (
        "AWS refused the credentials of profile 'noc' in eu-west-1: "
        "InvalidClientTokenId: The security token is invalid."
    )


def test_throttling_keeps_retry_after_and_server_errors_their_status() -> None:
    limited = classify_error(
        client_error("Throttling", 400, "Rate exceeded", **{"retry-after": "30"}), WHERE
    )
    assert limited.retry_after == timedelta(seconds=30)
    failed = classify_error(client_error("ServiceUnavailable", 503), WHERE)
    assert isinstance(failed, ServerError)
    assert failed.status == 503


def test_moto_html_error_pages_become_one_short_line() -> None:
    recorded_error = RECORDED["describe_alarm_history_error"]
    error = classify_error(
        client_error(
            recorded_error["ClientError"]["Code"],
            recorded_error["HTTPStatusCode"],
            recorded_error["ClientError"]["Message"],
        ),
        WHERE,
    )
    assert isinstance(error, ServerError)
    assert "<" not in str(error)
    assert "500 Internal Server Error" in str(error)
    assert len(str(error)) < 400


def test_credentials_never_reach_a_message() -> None:
    key_id, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    error = classify_error(
        client_error("InvalidClientTokenId", 403, f"key {key_id} secret {secret}"), WHERE
    )
    assert key_id not in str(error)
    assert secret not in str(error)
    assert "[redacted]" in str(error)


@pytest.mark.parametrize(
    "error",
    [
        aws.NoCredentialsError(),
        aws.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
        aws.ProfileNotFound(profile="noc"),
        aws.UnauthorizedSSOTokenError(),
        aws.SSOTokenLoadError(error_msg="token expired"),
        aws.TokenRetrievalError(provider="sso", error_msg="expired"),
        aws.CredentialRetrievalError(provider="assume-role", error_msg="expired"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_missing_or_expired_credentials_are_auth_failures(error: Exception) -> None:
    failure = classify_error(error, WHERE)
    assert type(failure) is AuthFailed
    assert WHERE in str(failure)


def test_no_credentials_says_the_chain_found_nothing() -> None:
    message = str(classify_error(aws.NoCredentialsError(), WHERE))
    assert "profile 'noc' in eu-west-1" in message
    assert "credential chain" in message


def _raised_from(cause: OSError) -> aws.EndpointConnectionError:
    """An EndpointConnectionError chained as botocore chains it: raised inside `except`."""
    try:
        try:
            raise cause
        except OSError as error:
            raise aws.EndpointConnectionError(endpoint_url="https://m.example/", error=error)  # noqa: B904
    except aws.EndpointConnectionError as wrapped:
        return wrapped


def test_connection_errors_by_their_cause() -> None:
    plain = aws.EndpointConnectionError(endpoint_url="https://monitoring.example/")
    assert type(classify_error(plain, WHERE)) is SourceUnreachable
    refused = _raised_from(ConnectionRefusedError(111, "Connection refused"))
    assert type(classify_error(refused, WHERE)) is ConnectionRefused
    gai = _raised_from(socket.gaierror(-2, "Name or service not known"))
    assert type(classify_error(gai, WHERE)) is DnsFailure
    resolution = NameResolutionError("nonexistent.invalid", None, socket.gaierror(-2, "unknown"))  # type: ignore[arg-type]
    kept = aws.EndpointConnectionError(endpoint_url="http://nonexistent.invalid/", error=resolution)
    assert type(classify_error(kept, WHERE)) is DnsFailure


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (aws.ConnectTimeoutError(endpoint_url="https://m.example/"), SourceTimeout),
        (aws.ReadTimeoutError(endpoint_url="https://m.example/"), SourceTimeout),
        (
            aws.SSLError(
                endpoint_url="https://m.example/", error=ssl.SSLCertVerificationError("expired")
            ),
            TlsError,
        ),
        (aws.ConnectionClosedError(endpoint_url="https://m.example/"), SourceUnreachable),
        (aws.NoRegionError(), SourceError),
        (aws.PaginationError(message="bad token"), SourceError),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value.__name__,
)
def test_transport_errors_by_type(error: Exception, kind: type[SourceError]) -> None:
    assert type(classify_error(error, WHERE)) is kind


# ---------------------------------------------------------------- polling a fake client


class FakeCloudWatch:
    """Answers like moto: every filter but one ignored, everything in one page unless split.

    Attributes:
        alarms: what DescribeAlarms lists (whatever the state filter).
        history: DescribeAlarmHistory pages, or an exception it raises.
        tags: tags per ARN, or an exception ListTagsForResource raises.
        calls: operation name -> how many calls; queries: the DescribeAlarms arguments.
    """

    def __init__(
        self, alarms: list[Any], history: Any = None, tags: Any = None, pages: int = 1
    ) -> None:
        self.alarms, self.history, self.tags, self.pages = alarms, history, tags or {}, pages
        self.calls: Counter[str] = Counter()
        self.queries: list[dict[str, Any]] = []
        self.meta = SimpleNamespace(endpoint_url="https://monitoring.us-east-1.amazonaws.com")
        self.on_page: Any = lambda: None

    def get_paginator(self, operation: str) -> Any:
        return SimpleNamespace(paginate=lambda **query: self._pages(operation, query))

    def _pages(self, operation: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls[operation] += 1
        if operation == "describe_alarm_history":
            if isinstance(self.history, Exception):
                raise self.history
            yield from self.history or [{"AlarmHistoryItems": []}]
            return
        self.queries.append(query)
        size = -(-len(self.alarms) // self.pages) or 1
        for start in range(0, max(len(self.alarms), 1), size):
            self.on_page()
            yield {"MetricAlarms": self.alarms[start : start + size], "CompositeAlarms": []}

    def list_tags_for_resource(self, ResourceARN: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls["list_tags_for_resource"] += 1
        tags = self.tags.get(ResourceARN, {}) if isinstance(self.tags, dict) else self.tags
        if isinstance(tags, Exception):
            raise tags
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


@pytest.fixture
def aws_like_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials; never the developer's ~/.aws."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def polled(fake: FakeCloudWatch, clock: Clock | None = None, **options: str) -> CloudWatchSource:
    source = CloudWatchSource(
        "aws-prod", {"region": "us-east-1", **options}, timeout=10.0, clock=clock or Clock()
    )
    source.client = lambda: fake  # type: ignore[method-assign]
    return source


def firing_alarms() -> list[dict[str, Any]]:
    return [
        recorded("web-01-HighCPU"),
        recorded("db-01-DiskFull", "INSUFFICIENT_DATA"),
        recorded("api-ErrorRate"),
    ]


def test_a_poll_asks_for_both_states_and_both_types_and_filters_itself() -> None:
    fake = FakeCloudWatch(firing_alarms(), tags={ARN + "web-01-HighCPU": CPU_TAGS})
    snapshot = polled(fake).fetch(NOW)

    assert [q["StateValue"] for q in fake.queries] == ["ALARM", "INSUFFICIENT_DATA"]
    assert all(q["AlarmTypes"] == ["MetricAlarm", "CompositeAlarm"] for q in fake.queries)
    assert all("AlarmNamePrefix" not in q for q in fake.queries)
    # moto answered every alarm to both queries: each firing one comes back once, OK none
    assert sorted(a.alertname for a in snapshot.alerts) == ["db-01-DiskFull", "web-01-HighCPU"]
    assert snapshot.complete
    assert snapshot.warning is None
    assert dict(snapshot.details) == {
        "region": "us-east-1",
        "endpoint": "https://monitoring.us-east-1.amazonaws.com",
        "alarms": "2",
        "history": "ok",
    }


def test_the_prefix_is_sent_and_applied() -> None:
    fake = FakeCloudWatch(firing_alarms())
    snapshot = polled(fake, alarm_prefix="db-", profile="noc").fetch(NOW)

    assert all(q["AlarmNamePrefix"] == "db-" for q in fake.queries)
    assert [a.alertname for a in snapshot.alerts] == ["db-01-DiskFull"]
    assert snapshot.details["profile"] == "noc"


def test_an_absurd_alarm_makes_the_snapshot_incomplete() -> None:
    broken = recorded("db-01-DiskFull", "ALARM")
    broken["StateUpdatedTimestamp"] = "not a date"
    no_arn = recorded("api-ErrorRate", "ALARM")
    del no_arn["AlarmArn"]
    snapshot = polled(FakeCloudWatch([recorded("web-01-HighCPU"), broken, no_arn])).fetch(NOW)

    assert [a.alertname for a in snapshot.alerts] == ["web-01-HighCPU"]
    assert not snapshot.complete
    assert snapshot.warning is not None
    assert snapshot.warning.startswith("2 malformed alarms skipped (alarm #1 ('db-01-DiskFull')")


def test_tags_are_read_once_per_arn_until_they_expire() -> None:
    clock = Clock()
    fake = FakeCloudWatch(firing_alarms(), tags={ARN + "web-01-HighCPU": CPU_TAGS})
    source = polled(fake, clock)

    first = source.fetch(NOW)
    clock.now += 60
    second = source.fetch(NOW)
    assert fake.calls["list_tags_for_resource"] == 2  # two firing alarms, once each
    assert first.alerts == second.alerts
    clock.now += cloudwatch.TAG_TTL_S
    source.fetch(NOW)
    assert fake.calls["list_tags_for_resource"] == 4


def test_denied_tags_are_a_warning_not_a_failure() -> None:
    fake = FakeCloudWatch(
        firing_alarms(), tags=client_error("AccessDenied", 403, "no ListTagsForResource")
    )
    snapshot = polled(fake).fetch(NOW)

    assert len(snapshot.alerts) == 2
    assert snapshot.complete
    assert snapshot.warning is not None
    assert "alarm tags unavailable" in snapshot.warning
    assert "no ListTagsForResource" in snapshot.warning
    assert {a.labels["severity"] for a in snapshot.alerts} == {"warning", "info"}


def test_an_alarm_deleted_between_list_and_tags_just_has_no_tags() -> None:
    fake = FakeCloudWatch([recorded("web-01-HighCPU")], tags=client_error("ResourceNotFound", 404))
    (alert,) = polled(fake).fetch(NOW).alerts
    assert "customer" not in alert.labels


def test_throttled_tags_fail_the_poll_typed() -> None:
    fake = FakeCloudWatch(
        [recorded("web-01-HighCPU")], tags=client_error("Throttling", 400, "Rate exceeded")
    )
    with pytest.raises(RateLimited, match="Rate exceeded"):
        polled(fake).fetch(NOW)


def test_history_refines_starts_at_and_stops_paging_once_all_are_found() -> None:
    items = HISTORY["AlarmHistoryItems"]
    pages = [{"AlarmHistoryItems": items[:3]}, {"AlarmHistoryItems": items[3:]}]
    fake = FakeCloudWatch([recorded("web-01-HighCPU")], history=pages)
    snapshot = polled(fake).fetch(NOW)

    assert snapshot.alerts[0].starts_at == datetime(2026, 11, 29, 14, 5, tzinfo=UTC)
    assert snapshot.details["history"] == "ok"


def test_history_unimplemented_falls_back_and_is_asked_again_later() -> None:
    clock = Clock()
    recorded_error = RECORDED["describe_alarm_history_error"]
    moto_500 = client_error(
        recorded_error["ClientError"]["Code"], 500, recorded_error["ClientError"]["Message"]
    )
    fake = FakeCloudWatch([recorded("web-01-HighCPU")], history=moto_500)
    source = polled(fake, clock)

    snapshot = source.fetch(NOW)
    assert snapshot.complete
    assert snapshot.details["history"].startswith(
        "unavailable: DescribeAlarmHistory failed (server: "
    )
    assert snapshot.alerts[0].starts_at == datetime(2026, 11, 29, 14, 12, 35, 566000, tzinfo=UTC)
    source.fetch(NOW)
    assert fake.calls["describe_alarm_history"] == 1
    clock.now += cloudwatch.HISTORY_RETRY_S
    fake.history = [{"AlarmHistoryItems": HISTORY["AlarmHistoryItems"]}]
    assert source.fetch(NOW).details["history"] == "ok"
    assert fake.calls["describe_alarm_history"] == 2


def test_history_denied_falls_back_but_throttled_history_fails() -> None:
    denied = FakeCloudWatch(
        [recorded("web-01-HighCPU")], history=client_error("AccessDenied", 403, "no history")
    )
    assert "AccessDenied" in polled(denied).fetch(NOW).details["history"]
    throttled = FakeCloudWatch(
        [recorded("web-01-HighCPU")], history=client_error("Throttling", 400)
    )
    with pytest.raises(RateLimited):
        polled(throttled).fetch(NOW)


def test_no_history_call_when_nothing_fires() -> None:
    fake = FakeCloudWatch([recorded("db-01-DiskFull")])
    snapshot = polled(fake).fetch(NOW)
    assert snapshot.alerts == ()
    assert fake.calls["describe_alarm_history"] == 0
    assert fake.calls["list_tags_for_resource"] == 0


def test_the_deadline_is_checked_between_pages() -> None:
    clock = Clock()
    fake = FakeCloudWatch(firing_alarms(), pages=3)

    def slow_page() -> None:
        clock.now += 4

    fake.on_page = slow_page
    with pytest.raises(SourceTimeout, match="deadline while listing alarms"):
        polled(fake, clock).fetch(NOW)


def test_tags_read_before_the_deadline_stay_cached_for_the_next_poll() -> None:
    clock = Clock()
    alarms = [*firing_alarms()[:2], recorded("api-ErrorRate", "ALARM")]
    fake = FakeCloudWatch(alarms, tags={ARN + "web-01-HighCPU": CPU_TAGS})
    source = polled(fake, clock)
    reads = fake.list_tags_for_resource

    def slow_read(ResourceARN: str) -> dict[str, Any]:  # noqa: N803
        clock.now += 6
        return reads(ResourceARN=ResourceARN)

    fake.list_tags_for_resource = slow_read  # type: ignore[method-assign]
    with pytest.raises(SourceTimeout, match="while reading alarm tags"):
        source.fetch(NOW)
    assert fake.calls["list_tags_for_resource"] == 2  # the third was past the deadline
    fake.list_tags_for_resource = reads  # type: ignore[method-assign]
    snapshot = source.fetch(NOW)
    assert fake.calls["list_tags_for_resource"] == 3  # the failed poll's two stayed cached
    assert len(snapshot.alerts) == 3


def test_no_attempt_starts_past_the_deadline(aws_like_env: None) -> None:
    """botocore's before-send hook stops a first try or a retry once the deadline is gone."""
    ticks = iter([0.0])
    source = CloudWatchSource(
        "aws",
        {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:1"},
        clock=lambda: next(ticks, 100.0),
    )
    with pytest.raises(SourceTimeout, match="while waiting for CloudWatch"):
        source.fetch(NOW)


def test_close_drops_the_client(aws_like_env: None) -> None:
    source = CloudWatchSource("aws", {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:1"})
    first = source.client()
    source.close()
    assert source.client() is not first
    source.close()
    source.close()


def test_a_page_without_alarm_lists_is_a_bad_payload() -> None:
    fake = FakeCloudWatch([])
    bad_page = SimpleNamespace(paginate=lambda **_: iter([{"MetricAlarms": "x"}]))
    fake.get_paginator = lambda operation: bad_page  # type: ignore[method-assign]
    with pytest.raises(BadPayload):
        polled(fake).fetch(NOW)


def test_fetch_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="naive"):
        polled(FakeCloudWatch([])).fetch(datetime(2026, 11, 29))  # noqa: DTZ001


# ---------------------------------------------------------------- building


def test_build_reads_the_options_and_imports_no_boto3() -> None:
    """boto3 costs ~0.3 s at import: building a source must not pay it (a fresh interpreter)."""
    script = (
        "import sys\n"
        "from datetime import timedelta\n"
        "from app.config.settings import SourceConfig\n"
        "from app.domain.catalog import Catalog\n"
        "from app.sources.cloudwatch import build\n"
        "s = build(SourceConfig(name='aws', kind='cloudwatch', timeout=timedelta(seconds=8),\n"
        "    options={'region': 'eu-west-1', 'profile': 'noc', 'alarm_prefix': 'prod-',\n"
        "             'endpoint_url': 'http://127.0.0.1:1'}), catalog=Catalog())\n"
        "print(s.region, s.profile, s.alarm_prefix, s.endpoint_url, s.timeout, s.kind)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n"
    )
    root = Path(__file__).parents[3]
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.splitlines() == [
        "eu-west-1 noc prod- http://127.0.0.1:1 8.0 cloudwatch",
        "[]",
    ]


def test_the_factory_wraps_it_in_the_label_mapping() -> None:
    config = SourceConfig(
        name="aws",
        kind="cloudwatch",
        options={"region": "us-east-1"},
        labels={"severity": "priority"},
    )
    source = build_source(config, Catalog())
    assert source.kind == "cloudwatch"
    assert source.name == "aws"
