"""The TOML config: a good file maps to typed settings; a bad one names file, line and field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.config import ConfigError, load_config
from app.domain.incident import EscalationTier

GOOD = """\
schema_version = 1
catalog = "catalog.yaml"
policies = "policies.yaml"
runbooks = ["runbooks/"]

[database]
url = "sqlite:////var/lib/noc/noc.db"

[console]
operator = "alice"
tier = "L2"

[[sources]]
name = "prod-am"
kind = "alertmanager"
url = "http://127.0.0.1:9093"
interval = 15
customer = "acme"

[[sources]]
name = "aws-eu"
kind = "cloudwatch"
region = "eu-west-1"
endpoint_url = "http://127.0.0.1:5000"
interval = "1m"

[[ticketing]]
name = "jira-ops"
kind = "jira"
url = "https://example.atlassian.net"
project = "OPS"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "noc-console.toml"
    path.write_text(text)
    return path


def test_the_documented_example_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.database_url == "sqlite:////var/lib/noc/noc.db"
    assert config.catalog_path == tmp_path / "catalog.yaml"
    assert config.runbook_dirs == (tmp_path / "runbooks",)
    assert config.operator == "alice"
    assert config.operator_tier is EscalationTier.L2
    am, cw = config.sources
    assert (am.name, am.kind, am.url, am.interval, am.customer) == (
        "prod-am",
        "alertmanager",
        "http://127.0.0.1:9093",
        timedelta(seconds=15),
        "acme",
    )
    assert cw.options["region"] == "eu-west-1"
    assert cw.interval == timedelta(minutes=1)
    assert config.ticketing[0].options["project"] == "OPS"
    assert not config.is_demo


def test_an_unknown_tier_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[console]\noperator = "bob"\ntier = "L9"\n')
    with pytest.raises(ConfigError, match=r":3: console.tier: unknown tier 'L9'"):
        load_config(path)
    assert load_config(write(tmp_path, "[console]\n")).operator_tier is None


def test_no_config_is_the_demo_estate() -> None:
    config = load_config(None)
    assert config.is_demo
    assert [s.kind for s in config.sources] == ["demo"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[sources]]\nname = "a"\nkind = "nagios"\n',
            r"noc-console.toml:3: sources\[0\].kind: unknown source kind 'nagios'",
        ),
        ('[[sources]]\nname = "a"\n', r"noc-console.toml:1: sources\[0\]: missing field 'kind'"),
        (
            '[[sources]]\nname = "a"\nkind = "alertmanager"\n',
            r":1: sources\[0\]: missing field 'url'",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "demo"\nintervall = 5\n',
            r":4: sources\[0\].intervall: unknown field",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "demo"\ninterval = "soon"\n',
            r":4: sources\[0\].interval: not a duration",
        ),
        ('[[sources]]\nname = "a b"\nkind = "demo"\n', r":2: sources\[0\].name: use letters"),
        (
            '[[sources]]\nname = "a"\nkind = "demo"\n[[sources]]\nname = "a"\nkind = "demo"\n',
            r":5: sources\[1\].name: duplicate",
        ),
        ('colour = "blue"\n', r":1: colour: unknown field"),
        ("schema_version = 99\n", r":1: schema_version: written for a newer NOC Console"),
        ('[database]\nurl = "x"\npath = "y"\n', r":3: database.path: unknown field"),
        ('[[sources]]\nname = "a"\nkind = = "demo"\n', r"noc-console.toml:3: TOML syntax"),
        (
            '[[ticketing]]\nname = "j"\nkind = "jira"\nurl = "http://jira.example"\n',
            r":4: ticketing\[0\].url: .*https",
        ),
    ],
)
def test_errors_are_one_line_with_file_line_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_unreadable_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "binary.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(bad)
