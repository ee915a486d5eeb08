"""The CloudWatch source against moto_server: real boto3, real HTTP, CBOR on the wire.

moto starts every alarm in OK and never evaluates one (PEERS.md 3), so states are set
with `set_alarm_state`; it has no DescribeAlarmHistory, so the fallback is what runs.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from app.config.settings import SourceConfig
from app.domain.alert import fingerprint
from app.domain.catalog import Catalog
from app.sources.base import AuthFailed, DnsFailure, SourceTimeout, SourceUnreachable
from app.sources.cloudwatch import CloudWatchSource, build
from app.sources.factory import build_source
from tests.helpers.moto import aws_env, moto_server, moto_url
from tests.helpers.peers import free_port

__all__ = ["aws_env", "moto_server", "moto_url"]

pytestmark = pytest.mark.integration

REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:noc-alerts"


@pytest.fixture
def cw(moto_url: str) -> Any:
    """A plain boto3 client on the same moto account, to arrange alarms."""
    return boto3.client("cloudwatch", endpoint_url=moto_url, region_name=REGION)


def source(endpoint: str, timeout: float = 10.0, **options: str) -> CloudWatchSource:
    config = SourceConfig(
        name="aws-prod",
        kind="cloudwatch",
        timeout=timedelta(seconds=timeout),
        options={"region": REGION, "endpoint_url": endpoint, **options},
    )
    return build(config, catalog=Catalog())


def now() -> datetime:
    return datetime.now(UTC)


def put_alarm(cw: Any, name: str, tags: dict[str, str] | None = None, **extra: Any) -> None:
    metric: dict[str, Any] = {
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        "Statistic": "Average",
        "Dimensions": [{"Name": "InstanceId", "Value": f"i-{name}"}],
        "Period": 60,
    }
    cw.put_metric_alarm(
        AlarmName=name,
        EvaluationPeriods=1,
        Threshold=90.0,
        ComparisonOperator="GreaterThanThreshold",
        ActionsEnabled=True,
        AlarmActions=[TOPIC],
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        **({} if "Metrics" in extra else metric),
        **extra,
    )


def set_state(cw: Any, name: str, state: str, reason: str = "set by the test") -> None:
    cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


def counted(source: CloudWatchSource) -> Counter[str]:
    """Operation name -> API calls made by the source's client (retries not counted)."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    source.client().meta.events.register("before-call.cloudwatch", count)
    return calls


def test_firing_alarms_become_alerts_and_ok_ones_do_not(moto_url: str, cw: Any) -> None:
    tags = {
        "customer": "acme",
        "service": "web",
        "severity": "critical",
        "runbook_url": "https://runbooks.example.com/HighCPU",
    }
    put_alarm(cw, "web-01-HighCPU", tags, AlarmDescription="CPU > 90% on web-01")
    put_alarm(cw, "db-01-DiskFull", {"customer": "globex"})
    put_alarm(cw, "app-01-Quiet", {"customer": "acme"})
    set_state(cw, "web-01-HighCPU", "ALARM", "Threshold Crossed: 1 datapoint [99.0]")
    set_state(
        cw, "db-01-DiskFull", "INSUFFICIENT_DATA", "Insufficient Data: 1 datapoint was unknown."
    )
    described = {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}

    snapshot = source(moto_url).fetch(now())

    alerts = {a.alertname: a for a in snapshot.alerts}
    assert sorted(alerts) == ["db-01-DiskFull", "web-01-HighCPU"]
    web, db = alerts["web-01-HighCPU"], alerts["db-01-DiskFull"]
    arn = described["web-01-HighCPU"]["AlarmArn"]
    assert web.fingerprint == fingerprint({"alarm_arn": arn})
    assert dict(web.labels) == {
        "alertname": "web-01-HighCPU",
        "alarm_arn": arn,
        "region": REGION,
        "namespace": "AWS/EC2",
        "metric_name": "CPUUtilization",
        "alarm_type": "metric",
        "cloudwatch_state": "ALARM",
        "InstanceId": "i-web-01-HighCPU",
        "customer": "acme",
        "service": "web",
        "severity": "critical",
        "runbook_url": "https://runbooks.example.com/HighCPU",
    }
    assert dict(web.annotations) == {
        "summary": "CPU > 90% on web-01",
        "description": "Threshold Crossed: 1 datapoint [99.0]",
        "runbook_url": "https://runbooks.example.com/HighCPU",
    }
    assert web.generator_url == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#alarmsV2:alarm/web-01-HighCPU"
    )
    assert db.labels["severity"] == "info"
    assert db.labels["customer"] == "globex"
    assert db.annotations["summary"] == "db-01-DiskFull in INSUFFICIENT_DATA"
    # moto has no history and no StateTransitionedTimestamp: StateUpdatedTimestamp it is
    assert web.starts_at == described["web-01-HighCPU"]["StateUpdatedTimestamp"]
    assert web.starts_at.tzinfo is not None
    assert snapshot.complete
    assert snapshot.warning is None
    assert snapshot.details["alarms"] == "2"
    assert snapshot.details["region"] == REGION
    assert snapshot.details["endpoint"] == moto_url
    assert "profile" not in snapshot.details


def test_history_fallback_is_recorded(moto_url: str, cw: Any) -> None:
    put_alarm(cw, "web-01-HighCPU")
    set_state(cw, "web-01-HighCPU", "ALARM")
    polled = source(moto_url)
    calls = counted(polled)

    first = polled.fetch(now())
    second = polled.fetch(now())

    history = first.details["history"]
    assert history.startswith("unavailable: DescribeAlarmHistory failed (server: ")
    assert "500" in history
    assert second.details["history"] == history
    assert calls["DescribeAlarmHistory"] == 1  # not asked again on every poll
    assert len(first.alerts) == 1


def test_a_metric_math_alarm(moto_url: str, cw: Any) -> None:
    def stat(metric: str) -> dict[str, Any]:
        dims = [{"Name": "LoadBalancer", "Value": "app/api/123"}]
        return {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": dims},
            "Period": 60,
            "Stat": "Sum",
        }

    metrics = [
        {"Id": "e1", "Expression": "100*m1/m2", "Label": "ErrorRate", "ReturnData": True},
        {"Id": "m1", "MetricStat": stat("HTTPCode_Target_5XX_Count"), "ReturnData": False},
        {"Id": "m2", "MetricStat": stat("RequestCount"), "ReturnData": False},
    ]
    put_alarm(cw, "api-ErrorRate", {"service": "api"}, Metrics=metrics)
    set_state(cw, "api-ErrorRate", "ALARM")

    (alert,) = source(moto_url).fetch(now()).alerts

    assert alert.labels["namespace"] == "AWS/ApplicationELB"
    assert alert.labels["metric_name"] == "ErrorRate"
    assert alert.labels["LoadBalancer"] == "app/api/123"
    assert alert.labels["service"] == "api"


def test_250_alarms_all_come_back(moto_url: str, cw: Any) -> None:
    names = [f"fleet-{n:03d}-HighCPU" for n in range(250)]
    for name in names:
        put_alarm(cw, name, {"customer": "acme"})
        set_state(cw, name, "ALARM")
    put_alarm(cw, "fleet-quiet")
    polled = source(moto_url, timeout=60.0)  # a noisy CI machine must not turn this into a timeout
    calls = counted(polled)

    started = time.perf_counter()
    snapshot = polled.fetch(now())
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = polled.fetch(now())
    cached = time.perf_counter() - started

    assert sorted(a.alertname for a in snapshot.alerts) == names
    assert {a.labels["customer"] for a in snapshot.alerts} == {"acme"}
    assert len({a.fingerprint for a in snapshot.alerts}) == 250
    assert len(again.alerts) == 250
    assert calls["ListTagsForResource"] == 250  # once per ARN over both polls
    assert cached < first
    print(f"\n250 alarms: first poll {first:.2f} s, second (tags cached) {cached:.2f} s")


def test_tags_are_fetched_once_per_arn(moto_url: str, cw: Any) -> None:
    put_alarm(cw, "web-01-HighCPU", {"severity": "critical"})
    put_alarm(cw, "web-02-HighCPU", {"severity": "critical"})
    set_state(cw, "web-01-HighCPU", "ALARM")
    set_state(cw, "web-02-HighCPU", "INSUFFICIENT_DATA")
    polled = source(moto_url)
    calls = counted(polled)

    polled.fetch(now())
    polled.fetch(now())

    assert calls["ListTagsForResource"] == 2
    assert calls["DescribeAlarms"] == 4  # ALARM and INSUFFICIENT_DATA, per poll


def test_the_alarm_prefix_filters(moto_url: str, cw: Any) -> None:
    for name in ("web-01-HighCPU", "web-02-HighCPU", "db-01-DiskFull"):
        put_alarm(cw, name)
        set_state(cw, name, "ALARM")
    put_alarm(cw, "web-03-Quiet")  # OK, and moto's prefix filter would let it through

    snapshot = source(moto_url, alarm_prefix="web-").fetch(now())

    assert sorted(a.alertname for a in snapshot.alerts) == ["web-01-HighCPU", "web-02-HighCPU"]


def test_disabled_actions_show_as_suppressed(moto_url: str, cw: Any) -> None:
    put_alarm(cw, "web-01-HighCPU")
    set_state(cw, "web-01-HighCPU", "ALARM")
    cw.disable_alarm_actions(AlarmNames=["web-01-HighCPU"])

    (alert,) = source(moto_url).fetch(now()).alerts

    assert alert.suppressed_by == ("alarm actions disabled in CloudWatch",)


def test_the_factory_maps_a_differently_named_severity_tag(moto_url: str, cw: Any) -> None:
    put_alarm(cw, "web-01-HighCPU", {"priority": "critical", "tenant": "acme"})
    set_state(cw, "web-01-HighCPU", "ALARM")
    config = SourceConfig(
        name="aws-prod",
        kind="cloudwatch",
        options={"region": REGION, "endpoint_url": moto_url},
        labels={"severity": "priority", "customer": "tenant"},
    )

    (alert,) = build_source(config, Catalog()).fetch(now()).alerts

    assert alert.labels["severity"] == "critical"
    assert alert.labels["customer"] == "acme"


def test_a_refused_endpoint_is_unreachable(aws_env: dict[str, str]) -> None:
    with pytest.raises(SourceUnreachable) as caught:
        source(f"http://127.0.0.1:{free_port()}").fetch(now())
    assert "testing" not in str(caught.value)


def test_an_unknown_host_is_a_dns_failure(aws_env: dict[str, str]) -> None:
    with pytest.raises(DnsFailure):
        source("http://nonexistent.invalid:5000").fetch(now())


@pytest.fixture
def silent_peer() -> Iterator[str]:
    """A TCP port that accepts connections and never answers (a hung peer)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_hung_peer_times_out_within_the_deadline(
    aws_env: dict[str, str], silent_peer: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(SourceTimeout):
        source(silent_peer, timeout=1.0).fetch(now())
    # the deadline, plus at most one attempt that started just before it (read timeout: 0.5 s)
    assert time.perf_counter() - started < 2.5


def test_no_credentials_at_all_then_credentials(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    polled = source(moto_url)

    with pytest.raises(AuthFailed) as caught:
        polled.fetch(now())

    assert "the default credential chain in us-east-1" in str(caught.value)
    assert "credential chain" in str(caught.value)
    # the developer runs `aws sso login` or exports keys: the next poll picks them up
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert polled.fetch(now()).complete


def test_an_unknown_profile_is_an_auth_failure(moto_url: str) -> None:
    with pytest.raises(AuthFailed, match="profile 'noc-prod'"):
        source(moto_url, profile="noc-prod").fetch(now())


def test_a_canary_secret_appears_nowhere(
    moto_url: str, cw: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "CANARY0secret0" + "x" * 26
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", canary)
    put_alarm(cw, "web-01-HighCPU")
    set_state(cw, "web-01-HighCPU", "ALARM")
    caplog.set_level("INFO")

    snapshot = source(moto_url).fetch(now())
    with pytest.raises(SourceUnreachable) as caught:
        source(f"http://127.0.0.1:{free_port()}").fetch(now())

    texts = [repr(snapshot), str(caught.value), repr(caught.value.__cause__), caplog.text]
    assert all(canary not in text for text in texts)
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == canary


def test_the_developers_aws_files_are_out_of_reach(aws_env: dict[str, str]) -> None:
    assert not Path(aws_env["AWS_CONFIG_FILE"]).exists()
    assert not Path(aws_env["AWS_SHARED_CREDENTIALS_FILE"]).exists()
    assert boto3.session.Session().available_profiles == []
