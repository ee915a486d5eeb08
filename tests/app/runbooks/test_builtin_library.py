"""The built-in runbook library: it loads cleanly, every SOP is workable, and the right
SOP is picked for the demo estate's alerts and for common real-world alertnames."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.incident import EscalationTier, Incident
from app.domain.runbook import INPUT, LABEL_PREFIX, ActionKind, Runbook, StepKind, placeholders
from app.domain.severity import Severity
from app.runbooks.calls import ActionSettings
from app.runbooks.library import Library, load_library
from app.runbooks.matching import match_incident
from app.runbooks.planning import (
    PlanRefused,
    plan_action,
    plan_cloudwatch,
    plan_link,
    plan_promql,
)
from app.sources.demo import load_demo_scenario

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
FALLBACK = "generic-triage"
CLOUDWATCH = "cloudwatch-alarm"


BUILTIN = load_library()  # read once: the parametrized tests below are generated from it


@pytest.fixture
def library() -> Library:
    return BUILTIN


def alert(labels: Mapping[str, str], *, firing: bool = True, source: str = "prometheus") -> Alert:
    return Alert(
        source=source,
        fingerprint=fingerprint(labels),
        labels=labels,
        annotations={"summary": f"{labels.get('alertname', '?')} test alert"},
        status=AlertStatus.FIRING if firing else AlertStatus.RESOLVED,
        starts_at=T0 - timedelta(minutes=5),
        ends_at=None if firing else T0,
        received_at=T0,
    )


def incident_for(alerts: list[Alert], root_service: str | None = None) -> Incident:
    services = tuple(dict.fromkeys(a.service for a in alerts if a.service))
    root = root_service or (services[0] if services else None)
    return Incident.detect(
        title=alerts[0].alertname,
        customer=alerts[0].customer,
        services=services,
        severity=Severity.P3,
        started_at=T0 - timedelta(minutes=5),
        detected_at=T0,
        group_key=f"{alerts[0].customer}|{root}|{alerts[0].alertname}",
        policy=None,
        root_service=root,
    )


def chosen(library: Library, alerts: list[Alert], root_service: str | None = None) -> str:
    found = match_incident(library, incident_for(alerts, root_service), alerts)
    assert found is not None
    return found.runbook.id


def cloudwatch_labels(name: str, namespace: str, metric: str, **extra: str) -> dict[str, str]:
    """Labels as app/sources/cloudwatch.py builds them: dimensions and tags, then fixed ones."""
    return {
        **extra,
        "alertname": name,
        "alarm_arn": f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{name}",
        "region": "eu-west-1",
        "namespace": namespace,
        "metric_name": metric,
        "alarm_type": "metric",
        "cloudwatch_state": "ALARM",
        "severity": "warning",
    }


def demo(alertname: str, service: str, instance: str, severity: str = "warning") -> dict[str, str]:
    customer = service.partition("-")[0]
    return {
        "alertname": alertname,
        "customer": customer,
        "service": service,
        "severity": severity,
        "instance": instance,
    }


# ------------------------------------------------------------------ the library as a whole


def test_the_builtin_library_loads_without_errors(library: Library) -> None:
    assert [str(e) for e in library.errors] == []
    fallback = library.fallback
    assert fallback is not None
    assert fallback.id == FALLBACK
    specific = [r for r in library.runbooks.values() if not r.fallback]
    assert len(specific) >= 12


def runbooks() -> list[Runbook]:
    return list(BUILTIN.runbooks.values())


@pytest.mark.parametrize("runbook", runbooks(), ids=lambda r: r.id)
def test_every_runbook_has_a_required_step_and_stays_short(runbook: Runbook) -> None:
    assert any(step.required for step in runbook.steps), "nothing an L1 must do before escalating"
    assert len(runbook.steps) <= 12
    if not runbook.fallback:
        assert len(runbook.steps) >= 5
        assert runbook.severity_hint is not None
        assert any(step.kind is StepKind.QUERY for step in runbook.steps), "no chart"
        assert any(step.kind is StepKind.LINK for step in runbook.steps), "no link"


@pytest.mark.parametrize("runbook", runbooks(), ids=lambda r: r.id)
def test_every_action_is_validated_later(runbook: Runbook) -> None:
    """A remediation is followed by a validate step that watches it; a read-only
    diagnostic (kind `diagnose`) changes nothing, so there is nothing to validate."""
    for index, step in enumerate(runbook.steps):
        if step.kind is not StepKind.ACTION:
            continue
        assert step.action is not None
        if step.action.kind is ActionKind.DIAGNOSE:
            assert not step.action.destructive, (
                f"{runbook.id}.{step.id}: a diagnostic changes nothing"
            )
            continue
        watchers = [
            later.id
            for later in runbook.steps[index + 1 :]
            if later.kind is StepKind.VALIDATE and later.after == step.id
        ]
        assert watchers, f"{runbook.id}.{step.id} has no validate step after it"


@pytest.mark.parametrize("runbook", runbooks(), ids=lambda r: r.id)
def test_risky_actions_need_l2(runbook: Runbook) -> None:
    for step in runbook.steps:
        if step.action is not None and step.action.kind is ActionKind.ROLLBACK:
            assert step.action.min_tier is not EscalationTier.L1, f"{runbook.id}.{step.id}"


@pytest.mark.parametrize("runbook", runbooks(), ids=lambda r: r.id)
def test_decisions_really_branch(runbook: Runbook) -> None:
    for step in runbook.steps:
        if step.kind is StepKind.DECISION:
            targets = {option.goto for option in step.options}
            assert len(targets) >= 2, f"{runbook.id}.{step.id}: every answer leads to the same step"


# realistic values for every parameter name the built-in library uses
SAMPLES = {
    "service": "acme-api",
    "customer": "acme",
    "incident": "INC-000017",
    "instance": "acme-api-1.acme.internal:9100",
    "instance_id": "i-0abc123def4567890",
    "unit": "php-fpm",
    "desired": "6",
    "mountpoint": "/var/lib/docker",
    "grow_percent": "25",
    "agent": "node_exporter",
    "namespace": "shop-prod",
    "workload": "checkout-api",
    "hostname": "shop.acme.com",
    "queue": "orders.created",
    "consumergroup": "billing-consumer",
    "sqs_queue": "orders-events.fifo",
    "workers": "8",
    "function": "orders-thumbnailer",
    "table": "acme-sessions",
    "job_name": "ledger-db-incremental",
    "vpn_id": "vpn-0a1b2c3d4e5f60718",
    "peer": "rotterdam-wh",
    "pooler_nodes": "4",
    "pool_size": "40",
}
HOSTILE = ["x; rm -rf ~", "$(id)", "`id`", "a b", "../../etc/passwd", "-oProxyCommand=id", ""]


@pytest.mark.parametrize("runbook", runbooks(), ids=lambda r: r.id)
def test_parameters_take_real_values_and_refuse_hostile_ones(runbook: Runbook) -> None:
    for name, parameter in runbook.parameters.items():
        assert name in SAMPLES, f"{runbook.id}: add a realistic sample for {name!r}"
        assert parameter.check(SAMPLES[name]) is None, f"{runbook.id}: {name}"
        for value in HOSTILE:
            assert parameter.check(value) is not None, f"{runbook.id}: {name} accepts {value!r}"


ENDPOINTS = ActionSettings(
    endpoints={
        "rundeck": "https://rundeck.example.com",
        "jenkins": "https://jenkins.example.com",
        "awx": "https://awx.example.com",
    }
)


def planning_context(runbook: Runbook) -> tuple[Incident, Alert, dict[str, str]]:
    """An incident whose alert carries every label the runbook reads, and typed answers."""
    labels = {"alertname": "Sample", "customer": "acme", "service": "acme-api"}
    inputs = {}
    for name, parameter in runbook.parameters.items():
        if parameter.source.startswith(LABEL_PREFIX):
            labels[parameter.source[len(LABEL_PREFIX) :]] = SAMPLES[name]
        elif parameter.source == INPUT:
            inputs[name] = SAMPLES[name]
    sample = alert(labels)
    return replace(incident_for([sample]), id=17), sample, inputs


@pytest.mark.parametrize("runbook", runbooks(), ids=lambda r: r.id)
def test_every_action_query_and_link_can_be_planned(runbook: Runbook) -> None:
    incident, sample, inputs = planning_context(runbook)
    for step in runbook.steps:
        if step.action is not None:
            call = plan_action(runbook, step, incident, sample, inputs, ENDPOINTS)
            assert call.describe()
        elif step.query is not None and step.query.prometheus is not None:
            assert placeholders(plan_promql(runbook, step, incident, sample)) == []
        elif step.query is not None:
            assert all(plan_cloudwatch(runbook, step, incident, sample).dimensions.values())
        elif step.kind is StepKind.LINK:
            url, why = plan_link(runbook, step, incident, sample)
            assert url is not None, f"{runbook.id}.{step.id}: {why}"
            assert url.startswith("https://"), url


@pytest.mark.parametrize("runbook", runbooks(), ids=lambda r: r.id)
def test_aws_arguments_fit_the_aws_api(runbook: Runbook) -> None:
    """Each AWS call, planned with realistic values, passes botocore's own validation
    (argument names, types, required members), so typos fail here and not at 3 a.m."""
    pytest.importorskip("botocore")  # the core-only install has no AWS SDK
    from botocore import xform_name  # type: ignore[import-untyped]
    from botocore.session import get_session  # type: ignore[import-untyped]
    from botocore.validate import validate_parameters  # type: ignore[import-untyped]

    session = get_session()
    incident, sample, inputs = planning_context(runbook)
    for step in runbook.steps:
        if step.action is None or step.action.aws is None:
            continue
        call = plan_action(runbook, step, incident, sample, inputs, ENDPOINTS)
        assert call.aws is not None
        model = session.get_service_model(call.aws.service)
        names = {xform_name(name): name for name in model.operation_names}
        shape = model.operation_model(names[call.aws.operation]).input_shape
        validate_parameters(dict(call.aws.arguments), shape)


def test_blackbox_targets_are_accepted_as_instances(library: Library) -> None:
    instance = library.runbooks["dns-cdn-failure"].parameters["instance"]
    for value in ("https://shop.acme.com", "https://shop.acme.com/health", "shop.acme.com:443"):
        assert instance.check(value) is None, value


# ------------------------------------------------------------------ which runbook is chosen

CASES: list[tuple[str, str, dict[str, str]]] = [
    # (expected runbook, case name, labels)
    ("high-cpu", "demo", demo("HostHighCpuLoad", "acme-api", "acme-api-1.acme.internal:9100")),
    (
        "high-cpu",
        "kube-prometheus throttling",
        {
            "alertname": "CPUThrottlingHigh",
            "namespace": "shop",
            "pod": "api-7d9f-x2",
            "container": "api",
        },
    ),
    ("high-cpu", "node-mixin", {"alertname": "NodeCPUHighUsage", "instance": "web-3:9100"}),
    (
        "high-cpu",
        "cloudwatch EC2 CPU beats the generic alarm",
        cloudwatch_labels(
            "acme-web-cpu-high", "AWS/EC2", "CPUUtilization", InstanceId="i-0abc123def4567890"
        ),
    ),
    (
        "memory-pressure",
        "demo",
        demo("HostMemoryUnderPressure", "globex-erp", "globex-erp-2.globex.internal:9100"),
    ),
    (
        "memory-pressure",
        "node-mixin",
        {"alertname": "NodeMemoryHighUtilization", "instance": "db-1:9100"},
    ),
    (
        "memory-pressure",
        "cloudwatch agent",
        cloudwatch_labels(
            "acme-web-mem", "CWAgent", "mem_used_percent", InstanceId="i-0abc123def4567890"
        ),
    ),
    (
        "disk-full",
        "demo",
        demo("DiskSpaceLow", "initech-files", "initech-files-1.initech.internal:9100"),
    ),
    (
        "disk-full",
        "node-mixin",
        {
            "alertname": "NodeFilesystemAlmostOutOfSpace",
            "mountpoint": "/",
            "instance": "web-1:9100",
        },
    ),
    (
        "disk-full",
        "node-mixin forecast",
        {"alertname": "NodeFilesystemSpaceFillingUp", "mountpoint": "/var"},
    ),
    (
        "disk-full",
        "kube PVC",
        {"alertname": "KubePersistentVolumeFillingUp", "persistentvolumeclaim": "data"},
    ),
    (
        "api-latency-5xx",
        "demo symptom alone",
        demo("HighRequestLatency", "acme-api", "acme-api-1.acme.internal:8080"),
    ),
    (
        "api-latency-5xx",
        "demo 5xx alone",
        demo("High5xxRate", "acme-web", "acme-web-2.acme.internal:8080", "critical"),
    ),
    ("api-latency-5xx", "nginx", {"alertname": "NginxHighHttp5xxErrorRate", "service": "shop"}),
    (
        "api-latency-5xx",
        "cloudwatch ALB",
        cloudwatch_labels(
            "shop-alb-5xx",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            LoadBalancer="app/shop/50dc6c495c0c9188",
        ),
    ),
    (
        "node-down",
        "demo slow scrape",
        demo("SlowScrape", "acme-cache", "acme-cache-1.acme.internal:9100", "info"),
    ),
    (
        "node-down",
        "prometheus",
        {"alertname": "InstanceDown", "job": "node", "instance": "web-1:9100"},
    ),
    (
        "node-down",
        "kube-prometheus target",
        {"alertname": "TargetDown", "job": "kubelet", "namespace": "kube-system"},
    ),
    (
        "node-down",
        "kube node",
        {"alertname": "KubeNodeNotReady", "node": "ip-10-0-1-12.ec2.internal"},
    ),
    ("node-down", "kubelet", {"alertname": "KubeletDown", "job": "kubelet"}),
    (
        "node-down",
        "cloudwatch status check",
        cloudwatch_labels(
            "web-1-status", "AWS/EC2", "StatusCheckFailed_System", InstanceId="i-0abc123def4567890"
        ),
    ),
    (
        "pod-crash-loop",
        "demo",
        demo("ContainerRestarting", "acme-checkout", "acme-checkout-1.acme.internal:9100", "info"),
    ),
    (
        "pod-crash-loop",
        "kube-prometheus",
        {
            "alertname": "KubePodCrashLooping",
            "namespace": "shop",
            "pod": "api-7d9f-x2",
            "container": "api",
        },
    ),
    (
        "pod-crash-loop",
        "replicas",
        {"alertname": "KubeDeploymentReplicasMismatch", "deployment": "api"},
    ),
    (
        "certificate-expiry",
        "demo",
        demo("CertificateExpiringSoon", "acme-web", "acme-web-1.acme.internal:9100", "info"),
    ),
    (
        "certificate-expiry",
        "blackbox",
        {"alertname": "ProbeSSLCertExpiry", "instance": "https://shop.acme.com"},
    ),
    (
        "certificate-expiry",
        "x509 exporter",
        {"alertname": "X509CertificateExpiring", "secret_name": "tls"},
    ),
    ("certificate-expiry", "generic name", {"alertname": "SSLCertExpiringSoon"}),
    (
        "certificate-expiry",
        "cloudwatch ACM",
        cloudwatch_labels(
            "shop-cert-expiry",
            "AWS/CertificateManager",
            "DaysToExpiry",
            CertificateArn="arn:aws:acm:x",
        ),
    ),
    (
        "queue-backlog",
        "rabbitmq",
        {"alertname": "RabbitmqTooManyMessagesInQueue", "queue": "orders.created"},
    ),
    ("queue-backlog", "kafka", {"alertname": "KafkaConsumerGroupLag", "consumergroup": "billing"}),
    (
        "queue-backlog",
        "cloudwatch SQS",
        cloudwatch_labels(
            "orders-queue-age", "AWS/SQS", "ApproximateAgeOfOldestMessage", QueueName="orders"
        ),
    ),
    (
        CLOUDWATCH,
        "an alarm no specific runbook knows",
        cloudwatch_labels(
            "orders-fn-throttles", "AWS/Lambda", "Throttles", FunctionName="orders-fn"
        ),
    ),
    (
        CLOUDWATCH,
        "a composite alarm",
        {
            **cloudwatch_labels("shop-health", "", ""),
            "alarm_type": "composite",
        },
    ),
    (
        "backup-failure",
        "demo",
        demo("BackupJobFailed", "initech-backup", "backup01.initech.internal:9100"),
    ),
    ("backup-failure", "velero", {"alertname": "VeleroBackupFailure", "schedule": "daily"}),
    (
        "backup-failure",
        "AWS Backup",
        cloudwatch_labels("backup-jobs-failed", "AWS/Backup", "NumberOfBackupJobsFailed"),
    ),
    (
        "dns-cdn-failure",
        "blackbox",
        {"alertname": "BlackboxProbeFailed", "instance": "https://shop.acme.com"},
    ),
    ("dns-cdn-failure", "coredns", {"alertname": "CoreDNSErrorsHigh", "job": "kube-dns"}),
    (
        "dns-cdn-failure",
        "route 53 health check",
        cloudwatch_labels(
            "shop-health-check", "AWS/Route53", "HealthCheckStatus", HealthCheckId="abc"
        ),
    ),
    (
        "vpn-tunnel-down",
        "demo",
        demo("VpnTunnelDown", "globex-vpn", "vpn-gw-01.globex.internal:9100"),
    ),
    ("vpn-tunnel-down", "strongswan", {"alertname": "IPsecTunnelDown", "peer": "branch-berlin"}),
    (
        "vpn-tunnel-down",
        "cloudwatch AWS VPN",
        cloudwatch_labels("vpn-tunnel-1", "AWS/VPN", "TunnelState", VpnId="vpn-0a1b2c3d4e5f60718"),
    ),
    (
        "clock-skew",
        "demo",
        demo("NtpClockSkew", "hooli-auth", "hooli-auth-1.hooli.internal:9100", "info"),
    ),
    (
        "clock-skew",
        "node-mixin",
        {"alertname": "NodeClockNotSynchronising", "instance": "dc-1:9100"},
    ),
    (
        "clock-skew",
        "node-mixin skew",
        {"alertname": "NodeClockSkewDetected", "instance": "dc-1:9100"},
    ),
    (
        "db-connection-saturation",
        "demo root alone",
        demo(
            "PostgresConnectionsSaturated",
            "acme-db",
            "acme-db-primary.acme.internal:9187",
            "critical",
        ),
    ),
    (
        FALLBACK,
        "unknown alertname",
        {"alertname": "FluxCapacitorMisaligned", "service": "doc-delorean"},
    ),
]


@pytest.mark.parametrize(
    ("expected", "labels"),
    [(expected, labels) for expected, _, labels in CASES],
    ids=[f"{expected}: {name}" for expected, name, _ in CASES],
)
def test_the_right_runbook_is_chosen(
    library: Library, expected: str, labels: dict[str, str]
) -> None:
    source = "cloudwatch" if "alarm_arn" in labels else "prometheus"
    assert chosen(library, [alert(labels, source=source)]) == expected


def test_every_builtin_runbook_is_exercised_by_a_case(library: Library) -> None:
    assert {expected for expected, _, _ in CASES} == set(library.runbooks)


# which runbook each demo alertname gets; the test below fails when the demo grows an
# alert the library has no specific SOP for
DEMO_RUNBOOKS = {
    "HostHighCpuLoad": "high-cpu",
    "HostMemoryUnderPressure": "memory-pressure",
    "DiskSpaceLow": "disk-full",
    "ContainerRestarting": "pod-crash-loop",
    "CertificateExpiringSoon": "certificate-expiry",
    "NtpClockSkew": "clock-skew",
    "SlowScrape": "node-down",
    "VpnTunnelDown": "vpn-tunnel-down",
    "BackupJobFailed": "backup-failure",
    "PostgresConnectionsSaturated": "db-connection-saturation",
    "HighRequestLatency": "api-latency-5xx",
    "High5xxRate": "api-latency-5xx",
}


def test_every_demo_alert_gets_its_specific_runbook(library: Library) -> None:
    names = load_demo_scenario().alertnames
    assert set(names) == set(DEMO_RUNBOOKS)
    for name in names:
        labels = demo(name, "acme-api", "acme-api-1.acme.internal:9100")
        assert chosen(library, [alert(labels)]) == DEMO_RUNBOOKS[name], name


def test_every_demo_alert_can_be_remediated_on_the_demo_estate(library: Library) -> None:
    """The demo estate runs a planned call by remediating the call's `service`
    (app/console/demo_actions.py): each demo alert's runbook has a remediation that plans
    from the demo's labels alone (alertname, customer, service, severity, instance)."""
    for name in load_demo_scenario().alertnames:
        labels = demo(name, "acme-api", "acme-api-1.acme.internal:9100")
        sample = alert(labels)
        incident = replace(incident_for([sample]), id=17)
        found = match_incident(library, incident, [sample])
        assert found is not None
        runbook = found.runbook
        inputs = {n: SAMPLES[n] for n, p in runbook.parameters.items() if p.source == INPUT}
        planned = []
        for step in runbook.steps:
            if step.action is None or step.action.kind is ActionKind.DIAGNOSE:
                continue
            try:
                call = plan_action(runbook, step, incident, sample, inputs, ENDPOINTS)
            except PlanRefused:
                continue
            if call.parameters.get("service") == "acme-api":
                planned.append(step.id)
        assert planned, f"{name} ({runbook.id}): no action the demo estate can run"


# ------------------------------------------------------------------ the demo's database storm

DEPENDANTS = ("acme-api", "acme-payments", "acme-checkout", "acme-web", "acme-mobile-api")


def storm_alerts(*, root_firing: bool = True) -> list[Alert]:
    storm = load_demo_scenario().storm
    root = alert(
        demo(
            storm.root_alert.alertname, storm.root, "acme-db-primary.acme.internal:9187", "critical"
        ),
        firing=root_firing,
    )
    symptoms = [
        alert(
            demo(
                template.alertname, service, f"{service}-{n}.acme.internal:8080", template.severity
            )
        )
        for service in DEPENDANTS
        for template in storm.symptoms
        for n in range(1, storm.instances + 1)
    ]
    return [root, *symptoms]


@pytest.mark.parametrize("root_firing", [True, False], ids=["root firing", "root resolved first"])
def test_the_database_storm_gets_the_database_runbook(library: Library, root_firing: bool) -> None:
    alerts = storm_alerts(root_firing=root_firing)
    incident = incident_for(alerts, root_service="acme-db")
    found = match_incident(library, incident, alerts)
    assert found is not None
    assert found.runbook.id == "db-connection-saturation"
    assert found.alert is not None
    assert found.alert.alertname == "PostgresConnectionsSaturated"
    beaten = [c.runbook.id for c in found.candidates[1:]]
    assert "api-latency-5xx" in beaten  # the symptoms' runbook matched, and lost


def test_symptoms_alone_get_the_latency_runbook(library: Library) -> None:
    symptoms = storm_alerts()[1:]
    assert chosen(library, symptoms, root_service="acme-api") == "api-latency-5xx"


def test_an_unknown_alert_gets_generic_triage(library: Library) -> None:
    labels = {
        "alertname": "SomethingNobodyWroteAnSopFor",
        "customer": "acme",
        "service": "acme-api",
    }
    found = match_incident(library, incident_for([alert(labels)]), [alert(labels)])
    assert found is not None
    assert found.fallback
    assert found.runbook.id == FALLBACK
