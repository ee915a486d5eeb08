"""The Metrics view: MTTD, MTTA, MTTR, incidents by severity, SLA compliance, recurrence and noise, charted.

The report is `console.metrics_report(scope, bucket, now)` (SQL; definitions in
app/domain/service_metrics.py) run on the window's TaskRunner, never on the GUI thread;
a report that arrives after the filters changed again is dropped. The CSV export writes
on the runner too (ui/metrics_csv.py). The wall's metrics page is the same view without
its controls, in the wall's font (`controls=False, font=...`; ui/window_wall.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.console import Console
from app.domain.service_metrics import (
    Bucket,
    Durations,
    Figures,
    GroupCompliance,
    MetricsReport,
    MetricsScope,
    bucket_after,
    bucket_floor,
)
from app.domain.severity import Severity
from ui import theme
from ui.metrics_charts import (
    Buckets,
    ComplianceChart,
    GroupBar,
    Line,
    SeverityBarsChart,
    TimeLinesChart,
)
from ui.metrics_csv import write_series_csv
from ui.metrics_periods import PERIODS, summary_words
from ui.workers.actions import TaskRunner

Clock = Callable[[], datetime]
# asks where to write the CSV (None: the user cancelled); a QFileDialog unless injected
ChoosePath = Callable[[QWidget, str], Path | None]

EMPTY_WORDS = "no incidents in this period"
CUSTOMER_TITLE = "SLA compliance by customer"
CUSTOMER_BARS = 8  # more customers than this: the lowest ones (`lowest_compliance`)
ALL = "all"


def choose_csv_path(parent: QWidget, suggested: str) -> Path | None:
    name, _filter = QFileDialog.getSaveFileName(
        parent, "Export metrics as CSV", suggested, "CSV files (*.csv)"
    )
    return Path(name) if name else None


class MetricsView(QWidget):
    """The period picker, bucket and filters over the charts (or "no incidents in this period").

    With `controls=False` (the wall) the choices stay at their defaults — the last 30 days
    by day, every customer and severity — and are not shown; with `font`, the summary,
    charts and table are drawn in it (the wall's large type). With `refresh_every`, the
    report is computed again that often while the view is shown (and no computation is
    still running): new incidents arrive, open clocks run late and "the last 7 days"
    moves on while the view is open, without anyone touching it.

    Attributes:
        controls: the row of choices (hidden with `controls=False`).
        period_box, bucket_box, customer_box, severity_box: the choices.
        export_button: writes the shown report's buckets as CSV.
        summary: the period's figures in one line.
        status_label: loading, failures and what the export wrote.
        charts: the chart widgets by name (mttd, mtta, mttr, severity, sla_customer,
            sla_severity, recurrence, noise).
        recurring_table: the top recurring service/alert pairs.
        report: the report shown (None before the first arrives).
        refresh_timer: computes the report again while shown (running with `refresh_every`).

    Signals:
        report_loaded(object): a MetricsReport is shown.
        load_failed(str): the report could not be computed.
        csv_written(str, int): the path and the rows the export wrote.
    """

    report_loaded = Signal(object)
    load_failed = Signal(str)
    csv_written = Signal(str, int)

    def __init__(
        self,
        console: Console,
        runner: TaskRunner,
        *,
        clock: Clock,
        choose_path: ChoosePath = choose_csv_path,
        controls: bool = True,
        font: QFont | None = None,
        refresh_every: timedelta | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.console = console
        self.runner = runner
        self.clock = clock
        self._choose_path = choose_path
        self.report: MetricsReport | None = None
        self._generation = 0
        self._computing = False
        self.refresh_timer = QTimer(self)
        self.refresh_timer.timeout.connect(self._refresh_if_shown)
        if refresh_every is not None:
            self.refresh_timer.start(int(refresh_every.total_seconds() * 1000))
        if font is not None:
            self.setFont(font)
        layout = QVBoxLayout(self)
        self.controls = QWidget(self)
        self.controls.setLayout(self._build_controls())
        self.controls.setVisible(controls)
        layout.addWidget(self.controls)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.stack = QStackedWidget()
        self.empty_label = QLabel(EMPTY_WORDS)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.5)
        self.empty_label.setFont(big)
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self._build_charts())
        layout.addWidget(self.stack, 1)
        if font is not None:
            for chart in (
                *self.duration_charts.values(),
                self.severity_chart,
                self.customer_chart,
                self.sla_severity_chart,
                self.recurrence_chart,
                self.noise_chart,
            ):
                chart.enlarge(font)

    # ------------------------------------------------------------------ building

    def _build_controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.period_box = QComboBox()
        for period in PERIODS:
            self.period_box.addItem(period.words, period.key)
        self.period_box.setCurrentIndex(1)  # last 30 days
        self.bucket_box = QComboBox()
        for bucket in Bucket:
            self.bucket_box.addItem(f"by {bucket.value}", bucket.value)
        self.customer_box = QComboBox()
        self.customer_box.addItem("every customer", ALL)
        for customer in self.console.customer_ids():
            self.customer_box.addItem(customer, customer)
        self.severity_box = QComboBox()
        self.severity_box.addItem("every severity", ALL)
        for severity in Severity:
            self.severity_box.addItem(severity.value, severity.value)
        for words, box in (
            ("Period", self.period_box),
            ("Buckets", self.bucket_box),
            ("Customer", self.customer_box),
            ("Severity", self.severity_box),
        ):
            label = QLabel(f"{words}:")
            label.setBuddy(box)
            row.addWidget(label)
            row.addWidget(box)
            box.currentIndexChanged.connect(self.refresh)
        self.status_label = QLabel()
        row.addWidget(self.status_label, 1)
        self.export_button = QPushButton("Export CSV\u2026")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_csv)
        row.addWidget(self.export_button)
        return row

    def _build_charts(self) -> QWidget:
        # a child from the start: the charts take their colours from the palette they are
        # born with (the wall's dark one on the wall)
        page = QWidget(self)
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        lines = ("median", "p90", "mean")
        self.duration_charts = {
            "mttd": TimeLinesChart("MTTD (detection)", lines, durations=True, parent=page),
            "mtta": TimeLinesChart("MTTA (first response)", lines, durations=True, parent=page),
            "mttr": TimeLinesChart("MTTR (resolution)", lines, durations=True, parent=page),
        }
        self.severity_chart = SeverityBarsChart("Incidents by severity", page)
        self.customer_chart = ComplianceChart(CUSTOMER_TITLE, page)
        self.sla_severity_chart = ComplianceChart("SLA compliance by severity", page)
        self.recurrence_chart = TimeLinesChart(
            "Recurrence and false positives",
            ("recurrence", "false positives"),
            durations=False,
            unit="%",
            parent=page,
        )
        self.noise_chart = TimeLinesChart(
            "Alerts per incident",
            ("alerts per incident",),
            durations=False,
            unit="alerts",
            parent=page,
        )
        self.charts: dict[str, QWidget] = {
            **self.duration_charts,
            "severity": self.severity_chart,
            "sla_customer": self.customer_chart,
            "sla_severity": self.sla_severity_chart,
            "recurrence": self.recurrence_chart,
            "noise": self.noise_chart,
        }  # fmt: skip
        for index, chart in enumerate(self.charts.values()):
            grid.addWidget(chart, index // 3, index % 3)
        recurring = QWidget()
        column = QVBoxLayout(recurring)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel("Top recurring service / alert pairs"))
        self.recurring_table = QTableWidget(0, 3)
        self.recurring_table.setHorizontalHeaderLabels(["service", "alert", "incidents"])
        self.recurring_table.verticalHeader().setVisible(False)
        header = self.recurring_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.recurring_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        column.addWidget(self.recurring_table)
        grid.addWidget(recurring, 2, 2)
        for row in range(3):
            grid.setRowStretch(row, 1)
        for col in range(3):
            grid.setColumnStretch(col, 1)
        return page

    # ------------------------------------------------------------------ the query

    def scope(self) -> tuple[MetricsScope, Bucket]:
        """What the choices ask for, at the clock's now."""
        key = self.period_box.currentData()
        period = next(p for p in PERIODS if p.key == key)
        start, end = period.bounds(self.clock())
        customer = self.customer_box.currentData()
        severity = self.severity_box.currentData()
        scope = MetricsScope(
            start=start,
            end=end,
            customer=None if customer == ALL else customer,
            severity=None if severity == ALL else Severity(severity),
        )
        return scope, Bucket(self.bucket_box.currentData())

    def refresh(self, *, quietly: bool = False) -> int:
        """Compute the report for the current choices on the runner; returns its task number.

        `quietly` (the timer's refresh) keeps the status line as it is: a view on a second
        screen should not blink "computing…" once a minute."""
        scope, bucket = self.scope()
        now = self.clock()
        self._generation += 1
        generation = self._generation
        self._computing = True
        if not quietly:
            self.status_label.setText("computing\u2026")
        console = self.console
        return self.runner.submit(
            "metrics",
            lambda: console.metrics_report(scope, bucket, now),
            on_result=lambda report: self._loaded(generation, report),
            on_error=lambda error: self._failed(generation, error),
        )

    def _refresh_if_shown(self) -> None:
        if self.isVisible() and not self._computing:
            self.refresh(quietly=True)

    def _loaded(self, generation: int, report: object) -> None:
        if generation != self._generation or not isinstance(report, MetricsReport):
            return  # the choices changed meanwhile: a newer report is on its way
        self._computing = False
        self.show_report(report)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._computing = False
        message = f"metrics failed: {error}"
        self.status_label.setText(message)
        self.status_label.setStyleSheet(f"color: {theme.error_colour(self.palette()).name()};")
        self.load_failed.emit(message)

    # ------------------------------------------------------------------ showing

    def show_report(self, report: MetricsReport) -> None:
        self.report = report
        self.status_label.setText("")
        self.status_label.setStyleSheet("")
        self._add_customers(report)
        period = report.period
        empty = period.incidents == 0
        self.export_button.setEnabled(bool(report.series))
        self.summary.setText(EMPTY_WORDS if empty else summary_words(period))
        self.stack.setCurrentIndex(0 if empty else 1)
        if not empty:
            self._draw(report)
        self.report_loaded.emit(report)

    def _add_customers(self, report: MetricsReport) -> None:
        """Customers met in the history but not in the catalog join the filter."""
        known = {self.customer_box.itemData(i) for i in range(self.customer_box.count())}
        for group in report.sla_by_customer:
            if group.key is not None and group.key not in known:
                self.customer_box.blockSignals(True)
                self.customer_box.addItem(group.key, group.key)
                self.customer_box.blockSignals(False)

    def _draw(self, report: MetricsReport) -> None:
        series = report.series
        buckets = whole_buckets(series, report.bucket)
        for name in ("mttd", "mtta", "mttr"):
            figures = [getattr(f, name) for f in series]
            self.duration_charts[name].set_lines(buckets, _duration_lines(figures))
        counts = {s: [f.by_severity.get(s, 0) for f in series] for s in Severity}
        self.severity_chart.set_counts(buckets, counts)
        self.recurrence_chart.set_lines(
            buckets,
            (
                Line("recurrence", tuple(f.recurrence_pct for f in series)),
                Line("false positives", tuple(f.false_positive_pct for f in series)),
            ),
        )
        self.noise_chart.set_lines(
            buckets, (Line("alerts per incident", tuple(f.alerts_per_incident for f in series)),)
        )
        shown = lowest_compliance(report.sla_by_customer, CUSTOMER_BARS)
        by_customer = [
            GroupBar(g.key or "(none)", g.response.pct, g.resolve.pct, _counts_note(g))
            for g in shown
        ]
        self.customer_chart.set_groups(by_customer)
        total = len(report.sla_by_customer)
        self.customer_chart.set_title(
            CUSTOMER_TITLE
            if len(shown) == total
            else f"{CUSTOMER_TITLE}: the {len(shown)} lowest of {total}"
        )
        by_severity = [
            GroupBar(str(g.key), g.response.pct, g.resolve.pct, _counts_note(g))
            for g in report.sla_by_severity
        ]
        self.sla_severity_chart.set_groups(by_severity)
        table = self.recurring_table
        table.setRowCount(len(report.top_recurring))
        for row, pair in enumerate(report.top_recurring):
            cells = (pair.service or "(none)", pair.alertname, str(pair.incidents))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(row, column, item)

    # ------------------------------------------------------------------ export

    def export_csv(self) -> int | None:
        """Ask for a file and write the shown report's buckets there (on the runner)."""
        report = self.report
        if report is None:
            return None
        path = self._choose_path(self, "metrics.csv")
        if path is None:
            return None
        self.status_label.setText(f"writing {path.name}\u2026")
        return self.runner.submit(
            "metrics export",
            lambda: write_series_csv(path, report),
            on_result=lambda rows: self._written(path, rows),
            on_error=lambda error: self._failed(self._generation, error),
        )

    def _written(self, path: Path, rows: object) -> None:
        count = int(rows) if isinstance(rows, int) else 0
        self.status_label.setText(f"wrote {count} rows to {path}")
        self.csv_written.emit(str(path), count)


def lowest_compliance(groups: Sequence[GroupCompliance], limit: int) -> list[GroupCompliance]:
    """The groups as they come if they fit; else the `limit` with the lowest compliance
    (the worse of response and resolution, "none counted" as met), worst first, ties by
    name: with 200 customers the chart shows who is missing their SLA, readably."""
    if len(groups) <= limit:
        return list(groups)

    def worst(group: GroupCompliance) -> tuple[float, str]:
        shares = [s for s in (group.response.pct, group.resolve.pct) if s is not None]
        return (min(shares, default=100.0), group.key or "")

    return sorted(groups, key=worst)[:limit]


def whole_buckets(series: tuple[Figures, ...], bucket: Bucket) -> Buckets:
    """The chart's buckets as whole days, weeks or months: an all-time period is cut to its
    first and last incidents (minutes apart, on a new database), which would make a
    bucket too narrow to draw and its date axis read in seconds."""
    starts = tuple(bucket_floor(f.start, bucket) for f in series if f.start is not None)
    ends = tuple(
        bucket_after(bucket_floor(f.end - timedelta(milliseconds=1), bucket), bucket)
        for f in series
        if f.end is not None
    )
    return Buckets(starts, ends)


def _duration_lines(figures: list[Durations]) -> tuple[Line, ...]:
    return (
        Line("median", tuple(f.median for f in figures)),
        Line("p90", tuple(f.p90 for f in figures)),
        Line("mean", tuple(f.mean for f in figures)),
    )


def _counts_note(group: GroupCompliance) -> str:
    response, resolve = group.response, group.resolve
    return f"{response.met}/{response.counted} \u00b7 {resolve.met}/{resolve.counted} met"
