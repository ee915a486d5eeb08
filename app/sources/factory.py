"""Build the configured sources; the one place that knows every source kind."""

from __future__ import annotations

from app.config.errors import ConfigError
from app.config.settings import SourceConfig
from app.domain.catalog import Catalog
from app.sources.base import Source
from app.sources.demo import DemoSource


def build_source(config: SourceConfig, catalog: Catalog) -> Source:
    if config.kind == "demo":
        seed = config.options.get("seed", 1)
        if not isinstance(seed, int):
            raise ConfigError("expected an integer", field=f"sources.{config.name}.seed")
        return DemoSource(name=config.name, catalog=catalog, seed=seed, interval=config.interval)
    raise ConfigError(
        f"{config.kind} sources are not available in this version yet (only demo)",
        field=f"sources.{config.name}.kind",
    )


def build_sources(configs: tuple[SourceConfig, ...], catalog: Catalog) -> list[Source]:
    return [build_source(config, catalog) for config in configs if config.enabled]
