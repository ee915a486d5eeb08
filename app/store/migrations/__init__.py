"""Alembic migrations, run programmatically on a connection the store already holds.

Alembic itself is imported only to upgrade: reading where a database stands is plain SQL
and a look at the revision files, because importing Alembic cost about 0.35 s of every
start (benchmarks/test_startup_bench.py). tests/app/store/test_migrations.py checks the
revision graph read here against Alembic's own.
"""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

_HERE = Path(__file__).resolve().parent
_ALEMBIC_PROXIES = threading.Lock()
VERSION_TABLE = "alembic_version"


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig  # noqa: PLC0415 - see the module docstring

    config = AlembicConfig()
    config.set_main_option("script_location", str(_HERE))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def revision_graph(folder: Path | None = None) -> dict[str, str | None]:
    """revision -> down_revision of every file in versions/, read without importing them."""
    graph: dict[str, str | None] = {}
    for path in sorted((folder or _HERE / "versions").glob("*.py")):
        assigned: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    assigned[target.id] = ast.literal_eval(node.value)
        revision = assigned.get("revision")
        if isinstance(revision, str):
            down = assigned.get("down_revision")
            graph[revision] = down if isinstance(down, str) else None
    return graph


def head_of(graph: dict[str, str | None]) -> str:
    heads = set(graph) - {down for down in graph.values() if down}
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must have exactly one head, found {sorted(heads)}")
    return heads.pop()


def stored_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    value = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()  # noqa: S608 - a constant
    return str(value) if value is not None else None


def migration_state(connection: Connection) -> tuple[str | None, str, frozenset[str]]:
    """(stored revision or None, head revision, every revision this version knows)."""
    graph = revision_graph()
    return stored_revision(connection), head_of(graph), frozenset(graph)


def upgrade(connection: Connection, target: str = "head") -> None:
    from alembic import command  # noqa: PLC0415 - see the module docstring

    # Alembic's `context` and `op` are module-level proxies: two migrations running at once in
    # one process (two databases opened on two threads) would swap each other's context.
    with _ALEMBIC_PROXIES:
        command.upgrade(alembic_config(connection), target)
