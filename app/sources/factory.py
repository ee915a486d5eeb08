"""Build the configured sources; the one place that knows every source kind.

Source modules are imported when a source of their kind is configured: boto3 alone
costs a third of a second of every start that does not need it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from app.config.errors import ConfigError
from app.config.settings import SourceConfig
from app.domain.catalog import Catalog
from app.secrets import get_secret
from app.sources.base import Source
from app.sources.labels import LabelMapping, MappedSource

if TYPE_CHECKING:
    from app.http import HttpSettings

SecretLookup = Callable[[str, str | None], str | None]

_MODULES = {
    "alertmanager": "app.sources.alertmanager",
    "prometheus": "app.sources.prometheus",
    "cloudwatch": "app.sources.cloudwatch",
    "datadog": "app.sources.datadog",
    "demo": "app.sources.demo",
}


def http_settings(config: SourceConfig) -> HttpSettings:
    """Deadlines and limits of an HTTP source, from its config."""
    from app.http import HttpSettings  # noqa: PLC0415 - requests loads only if a source needs it

    deadline = config.timeout.total_seconds()
    megabytes = config.options.get("max_response_mb", 64)
    return HttpSettings(
        connect_timeout=min(5.0, deadline),
        deadline=deadline,
        max_bytes=int(float(megabytes) * 1024 * 1024),
        ca_bundle=config.options.get("ca_bundle"),
    )


def label_mapping(config: SourceConfig) -> LabelMapping:
    return LabelMapping(
        customer=config.labels.get("customer", "customer"),
        service=config.labels.get("service", "service"),
        severity=config.labels.get("severity", "severity"),
        default_customer=config.customer,
    )


def build_source(
    config: SourceConfig, catalog: Catalog, secrets: SecretLookup = get_secret
) -> Source:
    """One configured source, wrapped in its label mapping."""
    module_name = _MODULES.get(config.kind)
    if module_name is None:
        raise ConfigError(
            f"unknown source kind {config.kind!r}", field=f"sources.{config.name}.kind"
        )
    module = import_module(module_name)
    source: Source = module.build(config, catalog=catalog, secrets=secrets)
    return MappedSource(source, label_mapping(config))


def build_sources(
    configs: tuple[SourceConfig, ...], catalog: Catalog, secrets: SecretLookup = get_secret
) -> list[Source]:
    return [build_source(config, catalog, secrets) for config in configs if config.enabled]
