"""The AWS backend: one boto3 call from the closed list in `AWS_OPERATIONS`.

Anything not on the list is refused before boto3 is even imported, so a runbook cannot
delete a stack however its YAML is written. boto3 is imported on first use (it costs
about 0.3 s) and a client is made per call: actions are rare, and a fresh client reads
the credential chain afresh (an SSO login done since the last action counts).

Retries: botocore retries a read timeout like any transient error, and a retried
`send_command` or `update_service(forceNewDeployment)` runs twice. So only operations
that are idempotent by nature (an absolute desired capacity) get a second attempt; the
rest get exactly one, and a timeout is reported as such for the operator to judge.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.domain.runbook import AWS_OPERATIONS
from app.domain.runbook_progress import RunStatus
from app.runbooks.calls import ActionSettings, CallResult, PlannedAws

# operations whose repetition leaves the same state as one call
_IDEMPOTENT = frozenset({("autoscaling", "set_desired_capacity")})
# where each operation's answer names what it started, for the one-line summary
_STARTED: Mapping[str, tuple[str, ...]] = {
    "send_command": ("Command", "CommandId"),
    "start_automation_execution": ("AutomationExecutionId",),
    "start_instance_refresh": ("InstanceRefreshId",),
}


def call(planned: PlannedAws, *, timeout: float, settings: ActionSettings) -> CallResult:
    """Make the call `planned` describes; every expected failure becomes a CallResult."""
    name = f"{planned.service}.{planned.operation}"
    if planned.operation not in AWS_OPERATIONS.get(planned.service, frozenset()):
        return CallResult(RunStatus.REFUSED, f"aws {name} is not an allowed action operation")
    from botocore import exceptions as aws  # type: ignore[import-untyped]  # noqa: PLC0415
    from botocore.parsers import ResponseParserError  # type: ignore[import-untyped]  # noqa: PLC0415

    try:
        client = _client(planned, timeout, settings)
        response = getattr(client, planned.operation)(**dict(planned.arguments))
    except aws.ClientError as error:
        return CallResult(RunStatus.FAILED, f"aws {name} failed: {_client_error(error)}")
    except (aws.ConnectTimeoutError, aws.ReadTimeoutError):
        return CallResult(
            RunStatus.TIMED_OUT,
            f"aws {name}: no answer within {timeout:g} s (it may still have run)",
        )
    except aws.BotoCoreError as error:
        return CallResult(RunStatus.FAILED, f"aws {name}: {_botocore_error(error, aws)}")
    except ResponseParserError as error:
        # not a BotoCoreError: an endpoint (a proxy, an emulator) answered a page, not AWS
        return CallResult(
            RunStatus.FAILED,
            f"aws {name}: the endpoint's answer is not an AWS response",
            str(error),
        )
    return _answer(name, planned.operation, response)


def _client(planned: PlannedAws, timeout: float, settings: ActionSettings) -> Any:
    import boto3.session  # type: ignore[import-untyped]  # noqa: PLC0415
    from botocore.config import Config  # type: ignore[import-untyped]  # noqa: PLC0415

    attempts = 2 if (planned.service, planned.operation) in _IDEMPOTENT else 1
    session = boto3.session.Session(
        profile_name=settings.aws_profile,
        region_name=planned.region or settings.aws_region,  # None: AWS_DEFAULT_REGION, config
    )
    # each attempt gets its share of the timeout, so retries cannot stretch the call
    per_attempt = timeout / attempts
    config = Config(
        connect_timeout=per_attempt,
        read_timeout=per_attempt,
        retries={"total_max_attempts": attempts, "mode": "standard"},
        user_agent_extra="noc-console-runbook",
    )
    return session.client(planned.service, endpoint_url=settings.aws_endpoint_url, config=config)


def _answer(name: str, operation: str, response: Mapping[str, Any]) -> CallResult:
    """Succeeded, with what was started in the summary and the response as output."""
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    output = json.dumps(body, default=str, indent=1, sort_keys=True) if body else ""
    started = _started(operation, body)
    return CallResult(RunStatus.SUCCEEDED, f"aws {name} done{started}", output)


def _started(operation: str, body: Mapping[str, Any]) -> str:
    """`: CommandId 1234` and the like; for ECS, the service's newest deployment."""
    if operation == "update_service":
        service = body.get("service") or {}
        deployments = service.get("deployments") or []
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
        named = f": service {service.get('serviceName', '?')}"
        return named + (f", deployment {primary.get('id')}" if primary else "")
    path = _STARTED.get(operation)
    value: Any = body
    for key in path or ():
        value = value.get(key) if isinstance(value, Mapping) else None
    return f": {path[-1]} {value}" if path and value else ""


def _client_error(error: Any) -> str:
    info = error.response.get("Error") or {}
    code = info.get("Code") or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return f"{code}: {info.get('Message') or 'no message'}"


def _botocore_error(error: BaseException, aws: Any) -> str:
    """A botocore failure in the operator's words, by exception type."""
    if isinstance(error, aws.NoCredentialsError | aws.PartialCredentialsError):
        return (
            "no usable AWS credentials (environment, ~/.aws files, SSO or instance role); "
            "set [actions] aws_profile or log in"
        )
    if isinstance(error, aws.ProfileNotFound):
        return f"AWS profile not found: {error}"
    if isinstance(error, aws.NoRegionError):
        return "no AWS region: set [actions] aws_region or AWS_DEFAULT_REGION"
    if isinstance(error, aws.EndpointConnectionError):
        return f"cannot reach the AWS endpoint: {error}"
    if isinstance(error, aws.ParamValidationError):
        return f"arguments rejected before sending: {' '.join(str(error).split())}"
    if isinstance(error, aws.UnknownServiceError):
        return "boto3 does not know this service"
    return f"{type(error).__name__}: {error}"
