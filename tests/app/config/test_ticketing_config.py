"""`[[ticketing]]` entries: Jira Cloud / Data Center and ServiceNow fields, checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, load_config
from app.domain.severity import Severity


def load(tmp_path: Path, text: str):
    path = tmp_path / "noc.toml"
    path.write_text(text)
    return load_config(path)


def test_jira_cloud_data_center_and_servicenow_entries(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
[[ticketing]]
name = "jira-cloud"
kind = "jira"
url = "https://example.atlassian.net"
project = "OPS"
user = "noc@example.com"
priorities = {P1 = "Blocker", P2 = "Critical"}
routes = {acme = "ACME"}
auto_create = ["P1", "P2"]

[[ticketing]]
name = "jira-dc"
kind = "jira"
url = "https://jira.internal.example"
project = "NOC"

[[ticketing]]
name = "snow"
kind = "servicenow"
url = "https://acme.service-now.com"
user = "noc.integration"
assignment_group = "NOC L1"
customers = ["globex"]
routes = {globex = "Globex Ops"}
""",
    )
    cloud, data_center, snow = (t.settings for t in config.ticketing)
    assert (cloud.api, cloud.user, cloud.project) == (3, "noc@example.com", "OPS")
    assert dict(cloud.priorities) == {Severity.P1: "Blocker", Severity.P2: "Critical"}
    assert dict(cloud.routes) == {"acme": "ACME"}
    assert cloud.auto_create == {Severity.P1, Severity.P2}
    assert data_center.auto_create == frozenset()
    assert (data_center.api, data_center.user) == (2, None)  # a PAT: bearer, REST v2
    assert (snow.user, snow.assignment_group, snow.customers) == (
        "noc.integration",
        "NOC L1",
        ("globex",),
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('kind = "jira"\nurl = "https://j.example"\n', r"ticketing\[0\]: missing field 'project'"),
        (
            'kind = "jira"\nurl = "https://j.example"\nproject = "ops"\n',
            r"ticketing\[0\].project: 'ops' is not a Jira project key",
        ),
        (
            'kind = "jira"\nurl = "https://j.example"\nproject = "OPS"\napi = 3\n',
            r"ticketing\[0\].user: Jira Cloud \(api 3\) needs `user`",
        ),
        (
            'kind = "jira"\nurl = "https://j.example"\nproject = "OPS"\npriorities = {P7 = "x"}\n',
            r"ticketing\[0\].priorities: 'P7' is not P1..P4",
        ),
        (
            'kind = "servicenow"\nurl = "https://s.example"\nauto_create = ["P9"]\n',
            r"ticketing\[0\].auto_create: expected a list of severities",
        ),
        (
            'kind = "servicenow"\nurl = "https://s.example"\nproject = "OPS"\n',
            r"ticketing\[0\].project: unknown field",
        ),
        (
            'kind = "servicenow"\nurl = "https://s.example"\ntoken = "s3cret"\n',
            r"ticketing\[0\].token: unknown field",  # a secret is never accepted in the file
        ),
    ],
)
def test_mistakes_name_the_entry_and_field(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, f'[[ticketing]]\nname = "t"\n{body}')


def test_ca_bundle_and_proxy_are_read_for_both_kinds(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "site-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    config = load(
        tmp_path,
        """
[[ticketing]]
name = "jira-dc"
kind = "jira"
url = "https://jira.internal.example"
project = "NOC"
ca_bundle = "certs/site-ca.pem"
proxy = "http://proxy.example:3128"

[[ticketing]]
name = "snow"
kind = "servicenow"
url = "https://acme.service-now.com"
proxy = "https://proxy.example:3129"
""",
    )
    jira, snow = (t.settings for t in config.ticketing)
    assert (jira.ca_bundle, jira.proxy) == (
        str(tmp_path / "certs" / "site-ca.pem"),
        "http://proxy.example:3128",
    )
    assert (snow.ca_bundle, snow.proxy) == (None, "https://proxy.example:3129")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'ca_bundle = "missing.pem"',
            r"noc\.toml:5: ticketing\[0\]\.ca_bundle: no CA file at .*missing\.pem \(ticketing 'snow'\)",
        ),
        ("ca_bundle = 3", r"ticketing\[0\]\.ca_bundle: expected text"),
        ('proxy = "socks5://proxy.example:1080"', r"ticketing\[0\]\.proxy: expected the proxy"),
        ('proxy = "proxy.example:3128"', r"ticketing\[0\]\.proxy: expected the proxy"),
        ('proxy = "http://proxy.example:port"', r"ticketing\[0\]\.proxy: .* is not a proxy URL"),
        ('proxy = "http://proxy.example:3128/x"', r"ticketing\[0\]\.proxy: expected only"),
        (
            'proxy = "http://noc:pw@proxy.example:3128"',  # a secret: never in the file
            r"ticketing\[0\]\.proxy: a proxy login cannot be in the config file",
        ),
    ],
)
def test_a_ca_bundle_or_proxy_that_cannot_work_names_the_entry(
    tmp_path: Path, line: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load(
            tmp_path,
            f'[[ticketing]]\nname = "snow"\nkind = "servicenow"\nurl = "https://s.example"\n{line}\n',
        )
