"""Metric time series, as a runbook's query step charts them (Prometheus, CloudWatch, demo)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Series:
    """One time series of a range query: its labels and (time, value) points."""

    labels: Mapping[str, str]
    points: tuple[tuple[datetime, float], ...]
