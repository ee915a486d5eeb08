"""The runbook AWS backend against moto_server: real boto3, real HTTP, real state changes.

moto has no `start_instance_refresh` nor `start_automation_execution`, so those two
allowed operations are not exercised here; moto's `send_command` records the command
without running anything on the instance.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from app.domain.runbook import Backend
from app.domain.runbook_progress import RunStatus
from app.runbooks.backends import execute
from app.runbooks.calls import ActionSettings, CallResult, PlannedAws, PlannedCall
from tests.helpers.moto import aws_env, moto_server, moto_url

__all__ = ["aws_env", "moto_server", "moto_url"]

pytestmark = pytest.mark.integration

REGION = "us-east-1"


def run(moto_url: str, service: str, operation: str, /, **arguments: Any) -> CallResult:
    call = PlannedCall(Backend.AWS, 10.0, aws=PlannedAws(service, operation, arguments))
    settings = ActionSettings(aws_region=REGION, aws_endpoint_url=moto_url)
    return execute(call, settings, secret_lookup=lambda _: None)


def client(moto_url: str, service: str) -> Any:
    """A plain boto3 client on the same moto account, to arrange and to check."""
    return boto3.client(service, endpoint_url=moto_url, region_name=REGION)


@pytest.fixture
def web_asg(moto_url: str) -> str:
    """An Auto Scaling group `web-asg` of one instance, from a launch template."""
    client(moto_url, "ec2").create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
    )
    client(moto_url, "autoscaling").create_auto_scaling_group(
        AutoScalingGroupName="web-asg",
        LaunchTemplate={"LaunchTemplateName": "web", "Version": "$Latest"},
        MinSize=0,
        MaxSize=5,
        DesiredCapacity=1,
        AvailabilityZones=[f"{REGION}a"],
    )
    return "web-asg"


def desired(moto_url: str, group: str) -> int:
    groups = client(moto_url, "autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[group]
    )["AutoScalingGroups"]
    return int(groups[0]["DesiredCapacity"])


def test_set_desired_capacity_scales_the_group(moto_url: str, web_asg: str) -> None:
    result = run(
        moto_url,
        "autoscaling",
        "set_desired_capacity",
        AutoScalingGroupName=web_asg,
        DesiredCapacity=3,
    )
    assert (result.status, result.summary) == (
        RunStatus.SUCCEEDED,
        "aws autoscaling.set_desired_capacity done",
    )
    assert desired(moto_url, web_asg) == 3


def test_unknown_service_fails_with_the_aws_message(moto_url: str) -> None:
    client(moto_url, "ecs").create_cluster(clusterName="prod")
    result = run(moto_url, "ecs", "update_service", cluster="prod", service="nope")
    assert result.status is RunStatus.FAILED
    assert result.summary == (
        "aws ecs.update_service failed: ServiceNotFoundException: Service not found."
    )


def test_unknown_group_is_a_failure_whatever_moto_answers(moto_url: str) -> None:
    """moto 5.2 answers an unknown group with an HTML 500 page (AWS: a ValidationError)."""
    result = run(
        moto_url,
        "autoscaling",
        "set_desired_capacity",
        AutoScalingGroupName="nope",
        DesiredCapacity=2,
    )
    assert result.status is RunStatus.FAILED
    assert result.summary.startswith("aws autoscaling.set_desired_capacity")


def test_refused_operation_changes_nothing(moto_url: str, web_asg: str) -> None:
    result = run(
        moto_url,
        "autoscaling",
        "delete_auto_scaling_group",
        AutoScalingGroupName=web_asg,
        ForceDelete=True,
    )
    assert result.status is RunStatus.REFUSED
    assert desired(moto_url, web_asg) == 1


def test_send_command_names_its_command_id(moto_url: str) -> None:
    ec2 = client(moto_url, "ec2")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
    result = run(
        moto_url,
        "ssm",
        "send_command",
        DocumentName="AWS-RunShellScript",
        InstanceIds=[instance["InstanceId"]],
        Parameters={"commands": ["systemctl restart nginx"]},
        Comment="noc-console runbook restart",
    )
    assert result.status is RunStatus.SUCCEEDED
    command_id = result.summary.removeprefix("aws ssm.send_command done: CommandId ")
    assert command_id != result.summary
    listed = client(moto_url, "ssm").list_commands(CommandId=command_id)["Commands"]
    assert [c["InstanceIds"] for c in listed] == [[instance["InstanceId"]]]
    output = json.loads(result.output)
    assert output["Command"]["CommandId"] == command_id
    assert "ResponseMetadata" not in output


def primary_deployment(ecs: Any) -> str:
    service = ecs.describe_services(cluster="prod", services=["checkout"])["services"][0]
    return str(next(d["id"] for d in service["deployments"] if d["status"] == "PRIMARY"))


def test_update_service_forces_a_new_deployment(moto_url: str) -> None:
    ecs = client(moto_url, "ecs")
    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(
        family="checkout",
        containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}],
    )
    ecs.create_service(
        cluster="prod", serviceName="checkout", taskDefinition="checkout", desiredCount=2
    )
    before = primary_deployment(ecs)
    result = run(
        moto_url,
        "ecs",
        "update_service",
        cluster="prod",
        service="checkout",
        forceNewDeployment=True,
    )
    after = primary_deployment(ecs)
    assert result.status is RunStatus.SUCCEEDED
    assert after != before
    assert result.summary == f"aws ecs.update_service done: service checkout, deployment {after}"
    assert json.loads(result.output)["service"]["serviceName"] == "checkout"
