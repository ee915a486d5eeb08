"""Find shipped data files the same way from a checkout, a wheel and a PyInstaller bundle."""

from __future__ import annotations

from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path


def resource(*parts: str) -> Traversable:
    """A file or folder under the `resources` package, e.g. resource("demo", "estate.yaml")."""
    node: Traversable = files("resources")
    for part in parts:
        node = node.joinpath(part)
    return node


def read_text(*parts: str) -> str:
    return resource(*parts).read_text(encoding="utf-8")


def resource_path(*parts: str) -> Path:
    """A real filesystem path; resources are plain files in all the ways we ship."""
    with as_file(resource(*parts)) as path:
        return Path(path)
