"""Where the console keeps its files: the user's config, data and log folders (platformdirs)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_config_path, user_data_path, user_log_path

APP_NAME = "noc-console"


def config_dir() -> Path:
    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    return user_data_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    return user_log_path(APP_NAME, appauthor=False)


def default_config_file() -> Path:
    return config_dir() / "noc-console.toml"


def default_database_url(demo: bool) -> str:
    """Demo incidents live in their own file, so a real estate never inherits them."""
    name = "demo.db" if demo else "noc.db"
    return f"sqlite:///{data_dir() / name}"
