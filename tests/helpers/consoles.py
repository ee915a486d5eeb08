"""Consoles over real storage for tests: the demo estate, or scripted sources."""

from __future__ import annotations

from collections.abc import Sequence

from app.config import Config
from app.config.policies import load_policies
from app.console import Console
from app.domain.catalog import Catalog
from app.sources.base import Source
from app.sources.demo import load_demo_estate
from app.store import Database


def scripted_console(
    db_url: str, sources: Sequence[Source], catalog: Catalog | None = None
) -> Console:
    return Console(
        Config(),
        Database(db_url),
        catalog=catalog or load_demo_estate(),
        policies=load_policies(),
        sources=sources,
        operator="alice",
    )


def demo_console(db_url: str) -> Console:
    return Console.open(Config.demo(), database_url=db_url, operator="alice")
