"""The guarded action runner through the console: audit first, once per key, guards, progress.

Real storage (SQLite), a real local program for the `command` backend and a real HTTP
server (pytest-httpserver) for webhooks; RELIABILITY.md scenarios 25, 26 and 28.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from app.config import Config
from app.config.policies import load_policies, parse_policies_text
from app.console import ActionRefused, Console
from app.domain.incident import EscalationTier, EventKind
from app.domain.runbook import ActionSettings
from app.domain.runbook_progress import RunStatus, StepStatus, Watch
from app.runbooks.calls import CallResult, PlannedCall
from app.runbooks.library import load_library
from app.sources.demo import load_demo_estate
from app.store import Database
from app.store.action_runs import ActionRunRepository
from tests.helpers.sources import ScriptedSource, make_alert

RUNBOOK = """
schema_version: 1
id: latency
title: API latency
match:
  - ['alertname="HighLatency"']
parameters:
  service: {{from: service, pattern: "[a-z0-9][a-z0-9-]{{0,62}}"}}
  instance: {{from: label.instance, pattern: "[a-z0-9][a-z0-9.-]{{0,62}}"}}
  replicas: {{from: input, pattern: "[1-9]", default: "2", integer: true}}
steps:
  - id: look
    kind: check
    title: Look at the dashboard
    required: true
  - id: which
    kind: decision
    title: Spread or single?
    options:
      - {{label: Single, goto: restart}}
      - {{label: Spread, goto: scale}}
  - id: restart
    kind: action
    title: Restart the instance
    action:
      kind: restart
      timeout: 20s
      command: [{python}, {script}, {out}, "{{service}}", "{{instance}}", "{{replicas}}"]
  - id: scale
    kind: action
    title: Scale out
    action:
      kind: scale
      min_tier: L2
      http:
        method: POST
        url: "{{endpoint.hooks}}/scale/{{service}}"
        secret: hooks
        body: {{service: "{{service}}", replicas: "{{replicas}}"}}
  - id: cleared
    kind: validate
    title: Latency back to normal
    after: restart
    window: 10m
  - id: record
    kind: check
    title: Record what was done
    required: true
"""

ARGV_SCRIPT = "import json, sys\nopen(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\n"


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    script = tmp_path / "argv.py"
    script.write_text(ARGV_SCRIPT)
    text = RUNBOOK.format(
        python=json.dumps(sys.executable),
        script=json.dumps(str(script)),
        out=json.dumps(str(tmp_path / "argv.json")),
    )
    (folder / "latency.yaml").write_text(text)
    return folder


def make_console(
    db_url: str,
    library_dir: Path,
    source: ScriptedSource,
    *,
    tier: EscalationTier | None = None,
    actions: ActionSettings | None = None,
    policies_text: str | None = None,
    clock: Any = None,
) -> Console:
    config = Config(
        runbook_dirs=(library_dir,), operator_tier=tier, actions=actions or ActionSettings()
    )
    return Console(
        config,
        Database(db_url),
        catalog=load_demo_estate(),
        policies=parse_policies_text(policies_text) if policies_text else load_policies(),
        sources=[source],
        operator="alice",
        library=load_library([library_dir], builtin=False),
        **({"wall_clock": clock} if clock else {}),
    )


@pytest.fixture
def source(t0: datetime) -> ScriptedSource:
    scripted = ScriptedSource()
    scripted.set([make_alert(alertname="HighLatency", instance="api-1", starts_at=t0)])
    return scripted


@pytest.fixture
def console(db_url: str, library_dir: Path, source: ScriptedSource, t0: datetime) -> Console:
    made = make_console(db_url, library_dir, source, clock=lambda: t0 + timedelta(seconds=2))
    made.poll_once(t0)
    yield made
    made.shutdown()


def only_incident(console: Console) -> int:
    (incident,) = console.incidents()
    assert incident.id is not None
    return incident.id


def test_the_matching_runbook_opens_with_every_step(console: Console, t0: datetime) -> None:
    view = console.runbook(only_incident(console), t0)
    assert view is not None
    assert view.runbook.id == "latency"
    assert view.match.reason() == 'matched alertname="HighLatency" on HighLatency'
    assert [s.id for s in view.runbook.steps][:3] == ["look", "which", "restart"]
    assert view.parameters["instance"].value == "api-1"
    assert view.validations["cleared"].watch is Watch.WAITING


def test_a_tick_is_a_timeline_event_and_survives_a_restart(
    console: Console, db_url: str, library_dir: Path, source: ScriptedSource, t0: datetime
) -> None:
    incident_id = only_incident(console)
    stored = console.tick_step(incident_id, "latency", "look", t0 + timedelta(minutes=1))
    event = stored.timeline[-1]
    assert (event.kind, event.actor, event.note) == (
        EventKind.RUNBOOK_STEP,
        "alice",
        "ticked: Look at the dashboard",
    )
    again = make_console(db_url, library_dir, source)
    try:
        view = again.runbook(incident_id, t0 + timedelta(minutes=2))
        assert view is not None
        state = view.progress.state("look")
        assert (state.status, state.actor, state.at) == (
            StepStatus.DONE,
            "alice",
            t0 + timedelta(minutes=1),
        )
        assert [s.id for s in view.progress.missing_required()] == ["record"]
        assert again.missing_runbook_steps(incident_id) == ["Record what was done"]
    finally:
        again.shutdown()


def test_unticking_reopens_a_step_and_a_stale_version_is_a_conflict(
    console: Console, t0: datetime
) -> None:
    incident_id = only_incident(console)
    before = console.incident(incident_id)
    console.tick_step(incident_id, "latency", "look", t0, expected_version=before.version)
    console.tick_step(incident_id, "latency", "look", t0, done=False)
    view = console.runbook(incident_id, t0)
    assert view is not None
    assert view.progress.state("look").status is StepStatus.OPEN
    from app.console import IncidentConflict

    with pytest.raises(IncidentConflict):
        console.tick_step(incident_id, "latency", "look", t0, expected_version=before.version)


def test_a_decision_skips_the_steps_its_answer_passes_over(console: Console, t0: datetime) -> None:
    incident_id = only_incident(console)
    console.answer_decision(incident_id, "latency", "which", "Spread", t0)
    view = console.runbook(incident_id, t0)
    assert view is not None
    assert view.progress.state("restart").status is StepStatus.SKIPPED
    assert view.progress.state("scale").status is StepStatus.OPEN
    with pytest.raises(Exception, match="choose one of Single, Spread"):
        console.answer_decision(incident_id, "latency", "which", "Maybe", t0)


def test_an_action_runs_once_with_its_audit_row_committed_first(
    console: Console, db_url: str, tmp_path: Path, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(console)
    prepared = console.prepare_action(incident_id, "latency", "restart", {"replicas": "3"})
    assert prepared.refused is None
    assert prepared.call is not None
    assert prepared.call.argv is not None
    assert prepared.call.argv[-3:] == ("acme-api", "api-1", "3")
    seen: list[Any] = []
    real = console.remediation._execute

    def watching(call: PlannedCall) -> CallResult:
        # another connection, as another process would see it: the row is already there
        other = Database(db_url)
        try:
            with other.read() as session:
                runs = ActionRunRepository(session)
                seen.append(runs.by_key(prepared.key))
                seen.append(runs.used_keys([prepared.key, "auto-none", prepared.key]))
        finally:
            other.dispose()
        return real(call)

    monkeypatch.setattr(console.remediation, "_execute", watching)
    run = console.run_action(prepared, t0 + timedelta(minutes=1))
    assert run.status is RunStatus.SUCCEEDED, run.summary
    assert run.summary == "exit 0"
    assert seen[0] is not None
    assert seen[0].status is RunStatus.RUNNING
    assert seen[1] == {prepared.key}
    assert json.loads((tmp_path / "argv.json").read_text()) == ["acme-api", "api-1", "3"]
    with pytest.raises(ActionRefused, match="already ran"):
        console.run_action(prepared, t0 + timedelta(minutes=1))
    assert len(seen) == 2  # one call watched: the second submission called nothing
    runs = console.action_runs(incident_id)
    assert [(r.status, r.actor, r.target) for r in runs] == [
        (RunStatus.SUCCEEDED, "alice", prepared.call.describe())
    ]
    assert runs[0].call["parameters"] == {
        "service": "acme-api",
        "instance": "api-1",
        "replicas": "3",
    }
    events = [e for e in console.incident(incident_id).timeline if e.kind is EventKind.ACTION_RUN]
    assert [e.data["status"] for e in events] == ["running", "succeeded"]
    view = console.runbook(incident_id, t0 + timedelta(minutes=2))
    assert view is not None
    assert view.progress.state("restart").status is StepStatus.DONE
    assert view.validations["cleared"].watch is Watch.WATCHING


def test_validation_says_the_alert_cleared_within_its_window(
    console: Console, source: ScriptedSource, t0: datetime
) -> None:
    incident_id = only_incident(console)
    prepared = console.prepare_action(incident_id, "latency", "restart")
    console.run_action(prepared, t0 + timedelta(minutes=1))
    source.set([])
    console.poll_once(t0 + timedelta(minutes=4))
    view = console.runbook(incident_id, t0 + timedelta(minutes=5))
    assert view is not None
    validation = view.validations["cleared"]
    assert validation.watch is Watch.CLEARED
    assert "after the action" in validation.describe(t0 + timedelta(minutes=5))


@pytest.mark.parametrize("hostile", ["x; rm -rf ~", "$(curl http://evil)", "{{7*7}}", "`id`"])
def test_alert_text_that_fails_its_allow_list_is_refused_before_anything_runs(
    db_url: str, library_dir: Path, t0: datetime, hostile: str
) -> None:
    scripted = ScriptedSource()
    scripted.set([make_alert(alertname="HighLatency", instance=hostile, starts_at=t0)])
    console = make_console(db_url, library_dir, scripted)
    try:
        console.poll_once(t0)
        incident_id = only_incident(console)
        prepared = console.prepare_action(incident_id, "latency", "restart")
        assert prepared.call is None
        assert prepared.refused is not None
        assert "does not match its pattern" in prepared.refused
        assert repr(hostile) in prepared.refused  # the raw value is shown, never run
        with pytest.raises(ActionRefused):
            console.run_action(prepared, t0)
        assert console.action_runs(incident_id) == []
    finally:
        console.shutdown()


def test_an_operator_answer_is_checked_by_its_pattern(console: Console) -> None:
    prepared = console.prepare_action(
        only_incident(console), "latency", "restart", {"replicas": "9; id"}
    )
    assert prepared.refused is not None
    assert "replicas='9; id' does not match" in prepared.refused


def test_a_call_that_changed_since_its_confirmation_is_refused(
    console: Console, t0: datetime
) -> None:
    prepared = console.prepare_action(only_incident(console), "latency", "restart")
    changed = dataclasses.replace(prepared, inputs={"replicas": "5"})
    with pytest.raises(ActionRefused, match="changed since it was confirmed"):
        console.run_action(changed, t0)


def test_a_step_above_the_desks_tier_is_refused(
    db_url: str, library_dir: Path, source: ScriptedSource, t0: datetime
) -> None:
    l1 = make_console(db_url, library_dir, source)
    try:
        l1.poll_once(t0)
        prepared = l1.prepare_action(only_incident(l1), "latency", "scale")
        assert prepared.call is None
        assert prepared.refused == "Scale out needs a L2 desk; this desk is L1 ([console] tier)"
    finally:
        l1.shutdown()


def test_a_webhook_goes_to_the_configured_endpoint_with_its_secret_and_no_redirects(
    db_url: str,
    library_dir: Path,
    source: ScriptedSource,
    t0: datetime,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOC_SECRET_HOOKS", "s3cret-token")
    httpserver.expect_oneshot_request(
        "/scale/acme-api",
        method="POST",
        json={"service": "acme-api", "replicas": "4"},
        headers={"Authorization": "Bearer s3cret-token"},
    ).respond_with_json({"id": 41}, status=201)
    actions = ActionSettings(
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        endpoints={"hooks": httpserver.url_for("/").rstrip("/")},
    )
    l2 = make_console(db_url, library_dir, source, tier=EscalationTier.L2, actions=actions)
    try:
        l2.poll_once(t0)
        incident_id = only_incident(l2)
        prepared = l2.prepare_action(incident_id, "latency", "scale", {"replicas": "4"})
        assert prepared.call is not None
        assert "Bearer <secret hooks>" in prepared.confirmation()
        assert "s3cret-token" not in prepared.confirmation()
        run = l2.run_action(prepared, t0)
        assert run.status is RunStatus.SUCCEEDED, run.summary
        httpserver.check_assertions()
        assert "s3cret-token" not in json.dumps(run.call) + run.output + run.summary
    finally:
        l2.shutdown()


def test_a_webhook_to_a_private_address_is_refused_unless_allowed(
    db_url: str,
    library_dir: Path,
    source: ScriptedSource,
    t0: datetime,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOC_SECRET_HOOKS", "s3cret-token")
    actions = ActionSettings(endpoints={"hooks": httpserver.url_for("/").rstrip("/")})
    l2 = make_console(db_url, library_dir, source, tier=EscalationTier.L2, actions=actions)
    try:
        l2.poll_once(t0)
        prepared = l2.prepare_action(only_incident(l2), "latency", "scale")
        run = l2.run_action(prepared, t0)
        assert run.status is RunStatus.REFUSED
        assert "loopback" in run.summary
        assert httpserver.log == []
    finally:
        l2.shutdown()


AUTO = """
auto_remediation:
  - id: restart-latency
    runbook: latency
    step: restart
    matchers: ['customer="acme"']
    limit: {runs: 1, per: 1h}
    storm: {runs: 2, per: 10m}
    breaker: {failures: 1, cooldown: 30m}
"""


def test_auto_remediation_runs_once_per_incident_within_its_limits_and_says_so(
    db_url: str, library_dir: Path, t0: datetime
) -> None:
    scripted = ScriptedSource()
    scripted.set(
        [
            make_alert(alertname="HighLatency", service="acme-api", instance="api-1", starts_at=t0),
            make_alert(alertname="HighLatency", service="acme-api", instance="api-2", starts_at=t0),
        ]
    )
    console = make_console(db_url, library_dir, scripted, policies_text=AUTO)
    try:
        changes = console.poll_once(t0)
        console.remediation.wait(30)
        notices = [n for n in changes.notifications if n.kind.value == "auto_remediation"]
        runs = [r for i in console.incidents() for r in console.action_runs(i.id or 0)]
        # one service: the per-service limit allows one run, whatever the incident count
        assert len(runs) == 1
        assert len(notices) == 1
        assert runs[0].automatic
        assert runs[0].actor == "auto-remediation"
        assert runs[0].policy == "restart-latency"
        assert runs[0].status is RunStatus.SUCCEEDED
        incident = console.incident(runs[0].incident_id)
        assert "auto_remediated" in incident.flags
        console.poll_once(t0 + timedelta(minutes=1))
        console.remediation.wait(30)
        again = [r for i in console.incidents() for r in console.action_runs(i.id or 0)]
        assert len(again) == 1  # never twice for one incident, never in a loop
    finally:
        console.shutdown()


def test_the_breaker_stops_a_policy_after_failures(
    db_url: str, library_dir: Path, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted = ScriptedSource()
    scripted.set([make_alert(alertname="HighLatency", service="acme-api", starts_at=t0)])
    console = make_console(db_url, library_dir, scripted, policies_text=AUTO)
    monkeypatch.setattr(
        console.remediation, "_execute", lambda call: CallResult(RunStatus.FAILED, "exit 1")
    )
    try:
        console.poll_once(t0)
        console.remediation.wait(30)
        scripted.set([make_alert(alertname="HighLatency", service="acme-web", starts_at=t0)])
        later = t0 + timedelta(minutes=2)
        changes = console.poll_once(later)
        console.remediation.wait(30)
        assert not [n for n in changes.notifications if n.kind.value == "auto_remediation"]
        runs = [
            r
            for i in console.incidents(include_closed=True)
            for r in console.action_runs(i.id or 0)
        ]
        assert [r.status for r in runs] == [RunStatus.FAILED]
    finally:
        console.shutdown()


def test_a_storm_stops_auto_remediation_at_the_storm_limit(
    db_url: str, library_dir: Path, t0: datetime
) -> None:
    scripted = ScriptedSource()
    services = ["acme-api", "acme-web", "acme-search", "acme-checkout"]
    scripted.set(
        [
            make_alert(alertname="HighLatency", service=s, instance=f"{s}-1", starts_at=t0)
            for s in services
        ]
    )
    console = make_console(db_url, library_dir, scripted, policies_text=AUTO)
    try:
        console.poll_once(t0)
        console.remediation.wait(30)
        runs = [r for i in console.incidents() for r in console.action_runs(i.id or 0)]
        assert len(console.incidents()) >= 3
        assert len(runs) == 2
    finally:
        console.shutdown()


def test_a_destructive_action_needs_a_fresh_confirmation(console: Console, t0: datetime) -> None:
    prepared = console.prepare_action(only_incident(console), "latency", "restart")
    with pytest.raises(ActionRefused, match="older than 10m: confirm it again"):
        console.run_action(prepared, t0 + timedelta(minutes=15))
    assert console.action_runs(only_incident(console)) == []


def test_a_run_cut_off_by_a_stopped_console_shows_its_outcome_as_unknown(
    console: Console, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = only_incident(console)
    prepared = console.prepare_action(incident_id, "latency", "restart")

    def killed(call: PlannedCall) -> CallResult:
        raise SystemExit  # the process dies between the audit row and the result

    monkeypatch.setattr(console.remediation, "_execute", killed)
    with pytest.raises(SystemExit):
        console.run_action(prepared, t0 + timedelta(minutes=1))
    (run,) = console.action_runs(incident_id)
    assert run.status is RunStatus.RUNNING  # the audit row was there before the call
    soon = console.runbook(incident_id, t0 + timedelta(minutes=1, seconds=5))
    late = console.runbook(incident_id, t0 + timedelta(minutes=5))
    assert soon is not None
    assert late is not None
    assert soon.progress.state("restart").run_status is RunStatus.RUNNING
    state = late.progress.state("restart")
    assert state.run_status is RunStatus.UNKNOWN
    assert state.run_summary.startswith("outcome unknown")
    with pytest.raises(ActionRefused, match="already ran"):
        console.run_action(prepared, t0 + timedelta(minutes=5))
