"""The metrics view's CSV export: one row per chart bucket with every figure of that bucket.

Pure Python (no Qt): the view runs `write_series_csv` on its TaskRunner, and tests call
it with a path. Durations are in seconds, shares in percent; an empty cell is a figure
with nothing to count (the `null` of `metrics --json`). Written to a temporary file
beside the target, then renamed, so a failed export never leaves half a file.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from app.domain.service_metrics import Durations, Figures, MetricsReport
from app.domain.severity import Severity

_DURATIONS = ("mttd", "mtta", "mttr")
_PARTS = ("count", "mean", "median", "p90")

HEADER: tuple[str, ...] = (
    "bucket_start",
    "bucket_end",
    "incidents",
    "false_positives",
    "alerts",
    *(f"{figure}_{part}" for figure in _DURATIONS for part in _PARTS),
    "response_met",
    "response_counted",
    "response_pct",
    "resolve_met",
    "resolve_counted",
    "resolve_pct",
    "recurring",
    "recurrence_pct",
    "false_positive_pct",
    "alerts_per_incident",
    *(f"incidents_{severity.value}" for severity in Severity),
)


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _durations(figure: Durations) -> list[str]:
    return [
        _number(figure.count),
        _number(figure.mean),
        _number(figure.median),
        _number(figure.p90),
    ]


def series_row(figures: Figures) -> list[str]:
    """One bucket's cells, in the order of HEADER."""
    return [
        figures.start.isoformat() if figures.start else "",
        figures.end.isoformat() if figures.end else "",
        _number(figures.incidents),
        _number(figures.false_positives),
        _number(figures.alerts),
        *_durations(figures.mttd),
        *_durations(figures.mtta),
        *_durations(figures.mttr),
        _number(figures.response.met),
        _number(figures.response.counted),
        _number(figures.response.pct),
        _number(figures.resolve.met),
        _number(figures.resolve.counted),
        _number(figures.resolve.pct),
        _number(figures.recurring),
        _number(figures.recurrence_pct),
        _number(figures.false_positive_pct),
        _number(figures.alerts_per_incident),
        *(_number(figures.by_severity.get(severity, 0)) for severity in Severity),
    ]


def write_series_csv(path: Path, report: MetricsReport) -> int:
    """Write the report's buckets to `path` (atomically); returns the rows written."""
    return write_rows(path, report.series)


def write_rows(path: Path, series: Sequence[Figures]) -> int:
    path = Path(path)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(HEADER)
            for figures in series:
                writer.writerow(series_row(figures))
        Path(scratch).replace(path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return len(series)
