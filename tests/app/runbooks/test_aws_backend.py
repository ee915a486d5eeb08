"""The AWS backend without an AWS: the allow-list, timeouts and local failures.

The calls against an emulated AWS are in tests/integration/test_runbook_aws_moto.py.
"""

from __future__ import annotations

from typing import Any

import boto3.session
import pytest
from pytest_httpserver import HTTPServer

from app.domain.runbook import Backend
from app.domain.runbook_progress import RunStatus
from app.runbooks.backends import execute
from app.runbooks.calls import ActionSettings, CallResult, PlannedAws, PlannedCall
from tests.helpers.bad_servers import raw_server
from tests.helpers.moto import aws_env
from tests.helpers.peers import free_port

__all__ = ["aws_env"]

SEND_COMMAND = {
    "DocumentName": "AWS-RunShellScript",
    "InstanceIds": ["i-0123456789abcdef0"],
    "Parameters": {"commands": ["systemctl restart nginx"]},
}


def run(
    service: str,
    operation: str,
    arguments: dict[str, Any],
    settings: ActionSettings,
    timeout: float = 5.0,
) -> CallResult:
    call = PlannedCall(Backend.AWS, timeout, aws=PlannedAws(service, operation, arguments))
    return execute(call, settings, secret_lookup=lambda _: None)


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("cloudformation", "delete_stack"),
        ("autoscaling", "delete_auto_scaling_group"),
        ("ssm", "put_parameter"),
        ("ec2", "terminate_instances"),
        ("ecs", "__init__"),
    ],
)
def test_operations_off_the_list_are_refused_without_a_call(
    service: str, operation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_session(*_: Any, **__: Any) -> Any:
        raise AssertionError("a boto3 session was made for a refused operation")

    monkeypatch.setattr(boto3.session, "Session", no_session)
    result = run(service, operation, {"StackName": "prod"}, ActionSettings())
    assert result.status is RunStatus.REFUSED
    assert result.summary == f"aws {service}.{operation} is not an allowed action operation"


def test_silent_endpoint_times_out(aws_env: dict[str, str]) -> None:
    """Headers, half a body, then nothing: a read timeout, reported as timed out (no retry)."""
    with raw_server("hang") as url:
        result = run("ssm", "send_command", SEND_COMMAND, ActionSettings(aws_endpoint_url=url), 0.5)
    assert result.status is RunStatus.TIMED_OUT
    assert result.summary == "aws ssm.send_command: no answer within 0.5 s (it may still have run)"


def test_unreachable_endpoint_fails(aws_env: dict[str, str]) -> None:
    settings = ActionSettings(aws_endpoint_url=f"http://127.0.0.1:{free_port()}")
    result = run("ssm", "send_command", SEND_COMMAND, settings)
    assert result.status is RunStatus.FAILED
    assert result.summary.startswith("aws ssm.send_command: cannot reach the AWS endpoint")


def test_missing_credentials_fail(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    settings = ActionSettings(aws_endpoint_url=f"http://127.0.0.1:{free_port()}")
    result = run("ssm", "send_command", SEND_COMMAND, settings)
    assert result.status is RunStatus.FAILED
    assert "no usable AWS credentials" in result.summary


def test_missing_region_fails(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = run("ssm", "send_command", SEND_COMMAND, ActionSettings())
    assert result.status is RunStatus.FAILED
    assert "no AWS region" in result.summary


def test_unknown_profile_fails(aws_env: dict[str, str]) -> None:
    result = run("ssm", "send_command", SEND_COMMAND, ActionSettings(aws_profile="nope"))
    assert result.status is RunStatus.FAILED
    assert "AWS profile not found" in result.summary


def test_bad_arguments_fail_before_sending(aws_env: dict[str, str]) -> None:
    settings = ActionSettings(aws_endpoint_url=f"http://127.0.0.1:{free_port()}")
    result = run("autoscaling", "set_desired_capacity", {"DesiredCapacity": "three"}, settings)
    assert result.status is RunStatus.FAILED
    assert "arguments rejected before sending" in result.summary
    assert "AutoScalingGroupName" in result.summary


@pytest.mark.parametrize(
    ("page", "summary"),
    [
        # botocore recognises a page starting <html> as a generic error
        ("<html><title>502 Bad Gateway</title></html>", "failed: 500: Internal Server Error"),
        # but not one starting <!doctype html> (a Werkzeug error page, as moto sends)
        (
            "<!doctype html>\n<html lang=en>\n<title>500</title>",
            "the endpoint's answer is not an AWS response",
        ),
    ],
)
def test_an_html_page_instead_of_aws_fails_unretried(
    page: str, summary: str, aws_env: dict[str, str], httpserver: HTTPServer
) -> None:
    """A proxy's or an emulator's error page is no AWS answer; a refresh must not start twice."""
    httpserver.expect_request("/").respond_with_data(page, status=500, content_type="text/html")
    settings = ActionSettings(aws_endpoint_url=f"http://127.0.0.1:{httpserver.port}")
    result = run("autoscaling", "start_instance_refresh", {"AutoScalingGroupName": "web"}, settings)
    assert result.status is RunStatus.FAILED
    assert result.summary.endswith(summary)
    assert len(httpserver.log) == 1
