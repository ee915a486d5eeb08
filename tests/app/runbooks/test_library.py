"""Runbook files: every mistake is reported with its file and line, and the rest still load."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from app.cli import main
from app.runbooks.library import load_library, read_runbook

GOOD = """\
schema_version: 1
id: disk
title: Disk full
match:
  - ['alertname="DiskFull"']
parameters:
  host: {from: label.instance, pattern: "[a-z0-9][a-z0-9.-]{0,62}"}
steps:
  - id: look
    kind: check
    title: Look
  - id: clean
    kind: action
    title: Clean up
    action:
      kind: config_fix
      command: [cleanup, "{host}"]
  - id: watch
    kind: validate
    title: Cleared
    after: clean
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    _, found = read_runbook(write(tmp_path, "r.yaml", text))
    return [str(e) for e in found]


def test_a_good_runbook_loads(tmp_path: Path) -> None:
    runbook, found = read_runbook(write(tmp_path, "disk.yaml", GOOD))
    assert found == []
    assert runbook is not None
    assert [s.id for s in runbook.steps] == ["look", "clean", "watch"]
    assert runbook.match[0].line == 5


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    kind: check\n", "    kind: chek\n"),
            "r.yaml:10: steps[0].kind: expected one of check",
        ),
        (
            ("title: Disk full\n", "title: Disk full\ncolour: red\n"),
            "r.yaml:4: colour: unknown field",
        ),
        (("  - id: watch\n", "  - id: look\n"), "steps.look: duplicate step id 'look'"),
        (
            ("    after: clean\n", "    after: nothing\n"),
            "after 'nothing' names no earlier action step",
        ),
        (
            ('command: [cleanup, "{host}"]', 'command: [cleanup, "{hostname}"]'),
            "{hostname} is not a declared parameter",
        ),
        (
            ('command: [cleanup, "{host}"]', 'command: ["{host}", x]'),
            "the program (first element) cannot be a parameter",
        ),
        (('pattern: "[a-z0-9][a-z0-9.-]{0,62}"', 'pattern: ".*"'), "must refuse empty values"),
        (('pattern: "[a-z0-9][a-z0-9.-]{0,62}"', 'pattern: ".+"'), "must refuse empty values"),
        (('pattern: "[a-z0-9][a-z0-9.-]{0,62}"', 'pattern: "[^;]+"'), "it accepts '$(id)'"),
        (
            ('pattern: "[a-z0-9][a-z0-9.-]{0,62}"', 'pattern: "[a-z0-9.-]{1,63}"'),
            "{host}'s pattern accepts '-x': a command argument must not be able to become an option",
        ),
        (
            (
                "  - id: look\n",
                "  - id: early\n    kind: validate\n    title: Too soon\n  - id: look\n",
            ),
            "needs an earlier action step",
        ),
        (
            ("from: label.instance", "from: description"),
            "r.yaml:7: parameters.host.from: expected one of",
        ),
        (("match:\n  - ['alertname=\"DiskFull\"']\n", ""), "missing field 'match'"),
        (
            ("['alertname=\"DiskFull\"']", "['alertname=~\"(\"']"),
            "match[0]: bad regular expression",
        ),
        (("schema_version: 1", "schema_version: 2"), "schema_version: expected 1, got 2"),
    ],
)
def test_each_mistake_names_its_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    found = problems(tmp_path, text)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            "http: {url: 'https://{host}/restart'}",
            "expected http(s)://host/... or {endpoint.NAME}/... with a fixed host",
        ),
        (
            "http: {url: 'https://hooks.example.com/x', headers: {Authorization: 'Bearer x'}}",
            "credentials go in `secret`",
        ),
        (
            "http: {url: 'https://hooks.example.com/x', method: DELETE}",
            "expected one of GET, PATCH, POST, PUT",
        ),
        (
            "http: {url: 'http://hooks.example.com/x', secret: hooks}",
            "a webhook with a secret must use https",
        ),
        (
            "aws: {service: cloudformation, operation: delete_stack, arguments: {}}",
            "cloudformation.delete_stack is not allowed",
        ),
        (
            "aws: {service: ec2, operation: terminate_instances}",
            "ec2.terminate_instances is not allowed",
        ),
    ],
)
def test_unsafe_actions_are_refused_at_load(tmp_path: Path, action: str, expected: str) -> None:
    text = GOOD.replace('      command: [cleanup, "{host}"]\n', f"      {action}\n")
    found = problems(tmp_path, text)
    assert any(expected in p for p in found), found


def test_several_problems_in_one_file_are_all_reported(tmp_path: Path) -> None:
    text = GOOD.replace("kind: check", "kind: nope").replace("after: clean", "after: other")
    found = problems(tmp_path, text)
    assert len(found) == 2, found


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("  - id: look\n", "  - id: [look\n"))
    assert found
    assert "YAML syntax" in found[0]
    assert "r.yaml:" in found[0]


def test_a_broken_file_is_left_out_and_the_others_load(tmp_path: Path) -> None:
    write(tmp_path, "a-good.yaml", GOOD)
    write(
        tmp_path,
        "b-bad.yaml",
        GOOD.replace("id: disk", "id: other").replace("kind: check", "kind: x"),
    )
    library = load_library([tmp_path])
    assert "disk" in library.runbooks
    assert "other" not in library.runbooks
    assert len(library.errors) == 1
    assert "b-bad.yaml" in str(library.errors[0])
    assert "generic-triage" in library.runbooks  # the built-in library is still there


def test_a_site_runbook_replaces_the_built_in_one_of_the_same_id(tmp_path: Path) -> None:
    text = GOOD.replace("id: disk", "id: db-connection-saturation").replace(
        "Disk full", "Our own DB SOP"
    )
    write(tmp_path, "ours.yaml", text)
    library = load_library([tmp_path])
    runbook = library.get("db-connection-saturation")
    assert runbook is not None
    assert runbook.title == "Our own DB SOP"


def test_runbooks_check_prints_file_line_errors_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "good.yaml", GOOD)
    write(
        tmp_path,
        "bad.yaml",
        GOOD.replace("id: disk", "id: bad").replace("after: clean", "after: x"),
    )
    assert main(["runbooks", "check", str(tmp_path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{tmp_path / 'bad.yaml'}:")
    assert "after 'x' names no earlier action step" in out[0]
    assert out[-1].startswith("1 error(s): 1 runbooks in 2 files")
    assert main(["runbooks", "check", str(tmp_path / "good.yaml"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {"ok": True, "runbooks": ["disk"], "files": 1, "errors": []}


def test_runbooks_check_of_the_library_in_force_checks_auto_remediation_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = write(
        tmp_path,
        "policies.yaml",
        """\
        auto_remediation:
          - {id: p1, runbook: db-connection-saturation, step: record}
          - {id: p2, runbook: nothing-here, step: x}
        """,
    )
    config = write(tmp_path, "noc.toml", f'policies = "{policies}"\n')
    assert main(["runbooks", "check", "--config", str(config)]) == 2
    out = capsys.readouterr().out
    assert (
        "auto_remediation.p1: runbook db-connection-saturation has no action step 'record'" in out
    )
    assert "auto_remediation.p2: no runbook 'nothing-here'" in out


def test_two_files_of_one_folder_with_one_id_and_two_fallbacks_are_errors(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD.replace("Disk full", "Another disk SOP"))
    fallback = (
        "schema_version: 1\nid: mine\ntitle: Mine\nfallback: true\n"
        "steps:\n  - {id: a, kind: check, title: A}\n"
    )
    write(tmp_path, "c.yaml", fallback)
    library = load_library([tmp_path])
    messages = [str(e) for e in library.errors]
    assert any("b.yaml" in m and "runbook id 'disk' is also in" in m for m in messages), messages
    assert any("more than one fallback runbook: generic-triage, mine" in m for m in messages)
    disk = library.get("disk")
    assert disk is not None
    assert disk.title == "Disk full"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{namespace: AWS/RDS, metric: CPUUtilization, stat: p99}", "expected one of Average"),
        ("{namespace: AWS/RDS, metric: CPUUtilization, period: 90s}", "periods are whole minutes"),
    ],
)
def test_a_cloudwatch_chart_is_checked_at_load(tmp_path: Path, query: str, expected: str) -> None:
    step = (
        f"  - id: chart\n    kind: query\n    title: Chart\n    query:\n      cloudwatch: {query}\n"
    )
    found = problems(tmp_path, GOOD.replace("  - id: clean\n", step + "  - id: clean\n"))
    assert any(expected in p for p in found), found
