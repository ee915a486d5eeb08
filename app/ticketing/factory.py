"""Build a ticketing client from its `[[ticketing]]` entry and its secret.

The secret (Jira API token or personal access token, ServiceNow password or OAuth
token) is looked up by the entry's name, as a source's is: `NOC_SECRET_<NAME>` first,
then the OS keyring. A missing secret is a clear error naming where to put it. TLS is
verified against the entry's `ca_bundle` (else certifi's CAs) and calls go through its
`proxy` if it names one; nothing comes from the environment (app.ticketing.rest).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from app.config.settings import TicketingConfig
from app.secrets import environment_name
from app.ticketing.base import TicketingClient
from app.ticketing.jira import JiraClient
from app.ticketing.servicenow import ServiceNowClient


class MissingSecret(Exception):
    """The entry's secret is in neither the environment nor the keyring."""


def build_client(
    config: TicketingConfig, secret_lookup: Callable[[str], str | None]
) -> TicketingClient:
    secret = secret_lookup(config.name)
    if not secret:
        variable = environment_name(config.name)
        raise MissingSecret(
            f"ticketing {config.name!r}: no secret; set {variable} or run "
            f"`noc-console secrets set {config.name}`"
        )
    options = config.settings
    if config.kind == "jira":
        assert options.project is not None  # checked when the config loaded
        api: Literal[3, 2] = 3 if options.api == 3 else 2
        return JiraClient(
            config.name,
            config.url,
            project=options.project,
            user=options.user,
            token=secret,
            api_version=api,
            priorities=options.priorities or None,
            issue_type=options.issue_type,
            timeout=options.timeout,
            verify=options.ca_bundle or True,
            proxy=options.proxy,
        )
    return ServiceNowClient(
        config.name,
        config.url,
        user=options.user,
        secret=secret,
        assignment_group=options.assignment_group,
        impact_urgency=None,
        timeout=options.timeout,
        verify=options.ca_bundle or True,
        proxy=options.proxy,
    )
