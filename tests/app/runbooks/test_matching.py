"""Which runbook wins, and what a plan puts where: specificity, ties, encoding, types."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from app.domain.incident import Incident
from app.domain.runbook import ActionSettings
from app.domain.severity import Severity
from app.runbooks.library import Library, read_runbook
from app.runbooks.matching import match_incident
from app.runbooks.planning import PlanRefused, plan_action, plan_link
from tests.helpers.sources import make_alert


def runbook_file(tmp_path: Path, runbook_id: str, rules: str, extra: str = "") -> Path:
    path = tmp_path / f"{runbook_id}.yaml"
    path.write_text(
        f"""\
schema_version: 1
id: {runbook_id}
title: {runbook_id}
match:
{rules}
parameters:
  service: {{from: service, pattern: "[a-z0-9-]{{1,63}}"}}
  path: {{from: label.path, pattern: "[a-z0-9/?=-]{{1,63}}"}}
  count: {{from: input, pattern: "[0-9]{{1,2}}", default: "3", integer: true}}
steps:
  - id: look
    kind: link
    title: Dashboard
    url: "https://grafana.example.com/d/x?var-service={{service}}"
{extra}"""
    )
    return path


def library_of(*paths: Path) -> Library:
    runbooks = {}
    for path in paths:
        runbook, problems = read_runbook(path)
        assert problems == [], problems
        assert runbook is not None
        runbooks[runbook.id] = runbook
    return Library(runbooks)


def incident(t0: datetime, severity: Severity = Severity.P2) -> Incident:
    return Incident.detect(
        title="x",
        customer="acme",
        services=("acme-api", "acme-db"),
        severity=severity,
        started_at=t0,
        detected_at=t0,
        group_key="g",
        policy=None,
        root_service="acme-db",
    )


def test_more_exact_matchers_win_over_patterns_and_the_loser_is_explained(
    tmp_path: Path, t0: datetime
) -> None:
    library = library_of(
        runbook_file(tmp_path, "broad", "  - ['alertname=~\"High.*\"']"),
        runbook_file(
            tmp_path, "exact", "  - ['alertname=\"HighLatency\"', 'service=\"acme-api\"']"
        ),
    )
    alerts = [make_alert(alertname="HighLatency", service="acme-api", starts_at=t0)]
    found = match_incident(library, incident(t0), alerts)
    assert found is not None
    assert found.runbook.id == "exact"
    lines = found.explain()
    assert lines[0].startswith('chosen  exact: alertname="HighLatency", service="acme-api"')
    assert "2 exact, 0 pattern" in lines[0]
    assert lines[1].startswith('beaten  broad: alertname=~"High.*"')


def test_on_a_tie_the_rule_on_the_root_service_wins(tmp_path: Path, t0: datetime) -> None:
    library = library_of(
        runbook_file(tmp_path, "api", "  - ['alertname=\"HighLatency\"']"),
        runbook_file(tmp_path, "db", "  - ['alertname=\"DbSlow\"']"),
    )
    alerts = [
        make_alert(alertname="HighLatency", service="acme-api", starts_at=t0),
        make_alert(alertname="DbSlow", service="acme-db", starts_at=t0),
    ]
    found = match_incident(library, incident(t0), alerts)
    assert found is not None
    assert found.runbook.id == "db"
    assert found.alert is not None
    assert found.alert.alertname == "DbSlow"


def test_priority_is_a_label_rules_can_use(tmp_path: Path, t0: datetime) -> None:
    library = library_of(
        runbook_file(tmp_path, "any", "  - ['alertname=\"HighLatency\"']"),
        runbook_file(tmp_path, "p1", "  - ['alertname=\"HighLatency\"', 'priority=\"P1\"']"),
    )
    alerts = [make_alert(alertname="HighLatency", starts_at=t0)]
    p1 = match_incident(library, incident(t0, Severity.P1), alerts)
    p3 = match_incident(library, incident(t0, Severity.P3), alerts)
    assert (p1 and p1.runbook.id, p3 and p3.runbook.id) == ("p1", "any")


def test_nothing_matching_and_no_fallback_gives_none(tmp_path: Path, t0: datetime) -> None:
    library = library_of(runbook_file(tmp_path, "api", "  - ['alertname=\"Other\"']"))
    assert match_incident(library, incident(t0), [make_alert(starts_at=t0)]) is None


ACTION = """\
  - id: hook
    kind: action
    title: Hook
    action:
      kind: restart
      http:
        url: "{endpoint.hooks}/run/{path}"
        body: {service: "{service}", count: "{count}", literal: "{{not-a-placeholder}}"}
  - id: scale
    kind: action
    title: Scale
    action:
      kind: scale
      aws:
        service: autoscaling
        operation: set_desired_capacity
        arguments: {AutoScalingGroupName: "{service}-asg", DesiredCapacity: "{count}", HonorCooldown: false}
"""


def test_a_plan_encodes_url_values_types_aws_arguments_and_never_re_expands(
    tmp_path: Path, t0: datetime
) -> None:
    library = library_of(runbook_file(tmp_path, "rb", "  - ['alertname=\"HighLatency\"']", ACTION))
    runbook = library.runbooks["rb"]
    alert = make_alert(alertname="HighLatency", starts_at=t0, extra={"path": "a/b?c=1"})
    settings = ActionSettings(endpoints={"hooks": "https://hooks.example.com/api"})
    hook = plan_action(runbook, runbook.step("hook"), incident(t0), alert, {}, settings)
    assert hook.http is not None
    assert hook.http.url == "https://hooks.example.com/api/run/a%2Fb%3Fc%3D1"
    assert hook.http.body == {"service": "acme-db", "count": "3", "literal": "{not-a-placeholder}"}
    scale = plan_action(
        runbook, runbook.step("scale"), incident(t0), alert, {"count": "7"}, settings
    )
    assert scale.aws is not None
    assert dict(scale.aws.arguments) == {
        "AutoScalingGroupName": "acme-db-asg",
        "DesiredCapacity": 7,
        "HonorCooldown": False,
    }
    assert scale.describe() == (
        "aws autoscaling.set_desired_capacity AutoScalingGroupName=acme-db-asg "
        "DesiredCapacity=7 HonorCooldown=False"
    )
    with pytest.raises(PlanRefused, match="no endpoint 'hooks' configured"):
        plan_action(runbook, runbook.step("hook"), incident(t0), alert, {}, ActionSettings())


def test_a_link_step_opens_only_a_web_address(tmp_path: Path, t0: datetime) -> None:
    library = library_of(runbook_file(tmp_path, "rb", "  - ['alertname=\"HighLatency\"']"))
    runbook = library.runbooks["rb"]
    url, why = plan_link(runbook, runbook.step("look"), incident(t0), None)
    assert (url, why) == ("https://grafana.example.com/d/x?var-service=acme-db", "")


def test_a_pattern_that_matches_anything_adds_no_specificity(tmp_path: Path, t0: datetime) -> None:
    library = library_of(
        runbook_file(
            tmp_path, "exact", "  - ['alertname=\"HighLatency\"', 'service=\"acme-api\"']"
        ),
        runbook_file(
            tmp_path,
            "padded",
            "  - ['alertname=\"HighLatency\"', 'severity=~\".+\"', 'instance=~\".*\"']",
        ),
    )
    alerts = [make_alert(alertname="HighLatency", service="acme-api", starts_at=t0)]
    found = match_incident(library, incident(t0), alerts)
    assert found is not None
    assert found.runbook.id == "exact"
