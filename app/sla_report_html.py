"""The monthly SLA report as one self-contained, print-friendly HTML page (no Qt).

Every value that comes from the data (customer name, titles, notes) goes through
`html.escape`; the page loads nothing (no scripts, fonts or images from elsewhere) and
names no source, URL or secret. The PDF (ui/report_pdf.py) is rendered from the same page
by Qt's rich-text engine, which draws no SVG: it draws the chart into an image first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from html import escape

from app.domain.service_metrics import Compliance, Figures
from app.domain.sla_report import Breach, MissedClock, SlaReport, span_words
from app.domain.timestamps import ensure_utc

# sentences of app/domain/service_metrics.py's docstring, quoted in the footnote (a test
# checks that each still appears there word for word)
DEFINITIONS = (
    (
        "Which incidents",
        "An incident belongs to a period by `detected_at`, the instant the console saw it",
    ),
    (
        "MTTA",
        (
            "MTTA = acknowledged_at - detected_at, over the incidents acknowledged so far, open or "
            "not."
        ),
    ),
    (
        "MTTR",
        (
            "MTTR = resolved_at - detected_at, over the incidents resolved now (state resolved or "
            "closed)."
        ),
    ),
    (
        "SLA compliance",
        "The share of counted clocks that were met, in percent; None when none counts.",
    ),
    (
        "Waits",
        (
            "Time spent waiting on the customer is already out of these verdicts (resuming pushes "
            "the deadline; a clock stopped while waiting is judged when the wait began)."
        ),
    ),
    (
        "Running clocks",
        (
            "A clock still running (the incident is open, new to diagnosing, and not yet "
            "acknowledged, or not yet resolved) counts as missed once `now` has reached its "
            "deadline (as the wall shows it breached), or once the start of the current wait had, "
            "if the incident waits on the customer; until then it is not counted either way."
        ),
    ),
    (
        "False positives",
        (
            "Incidents marked false positive count only in the noise figures (false-positive "
            "rate, alerts per incident); every other figure leaves them out."
        ),
    ),
)

_CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 9pt; color: #111; }
h1 { font-size: 18pt; margin: 0 0 4px 0; }
h2 { font-size: 13pt; margin: 18px 0 6px 0; border-bottom: 1px solid #888; }
p.meta { color: #444; margin: 0 0 8px 0; }
table { border-collapse: collapse; margin: 4px 0 8px 0; }
th, td { border: 1px solid #999; padding: 3px 6px; vertical-align: top; }
th { background: #e8e8e8; text-align: left; }
td.num { text-align: right; }
td.miss { color: #a00000; font-weight: bold; }
p.empty { font-style: italic; }
div.note { font-size: 8pt; color: #333; }
table.wide { width: 100%; }
@media print { h2 { page-break-after: avoid; } tr { page-break-inside: avoid; } }
"""


def render_html(report: SlaReport) -> str:
    """The report as an HTML document (a string), the trend chart as inline SVG."""
    month = report.month.strftime("%B %Y")
    title = f"SLA report: {report.customer_name}, {month}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        (
            f'<p class="meta">Customer <b>{escape(report.customer_name)}</b> '
            f"({escape(report.customer)}) &middot; incidents detected "
            f"{_stamp(report.month)} to {_stamp(report.end)} (end excluded) &middot; "
            f"generated {_stamp(report.generated_at)} &middot; all times UTC</p>"
        ),
        *_summary(report),
        *_compliance(report),
        *_breaches(report),
        *_trend(report),
        *_definitions(),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(report: SlaReport) -> list[str]:
    period = report.period
    if period.real_incidents == 0:
        words = "No incidents were detected for this customer in this month"
        if period.false_positives:
            words += f" (apart from {period.false_positives} false positive(s))"
        return [f'<p class="empty">{words}; there is nothing to report against the SLA.</p>']
    return [
        f"<p>{period.real_incidents} incident(s) detected"
        + (f", {period.false_positives} false positive(s) aside" if period.false_positives else "")
        + f"; response SLA met {_pct(period.response)}, resolution SLA met "
        f"{_pct(period.resolve)}; {len(report.breaches) + report.breaches_left_out} "
        "incident(s) missed a clock.</p>"
    ]


def _compliance(report: SlaReport) -> list[str]:
    rows = [
        [
            escape(str(group.key)),
            str(group.incidents),
            _fraction(group.response),
            _pct(group.response),
            _fraction(group.resolve),
            _pct(group.resolve),
        ]
        for group in report.by_severity
    ]
    period = report.period
    rows.append(
        [
            "<b>all</b>",
            f"<b>{period.real_incidents}</b>",
            _fraction(period.response),
            _pct(period.response),
            _fraction(period.resolve),
            _pct(period.resolve),
        ]
    )
    head = ["severity", "incidents", "response met", "response %", "resolution met", "resolution %"]
    return ["<h2>Compliance by severity</h2>", _table(head, rows, numeric=range(1, 6))]


def _breaches(report: SlaReport) -> list[str]:
    out = ["<h2>Breaches</h2>"]
    if not report.breaches:
        out.append('<p class="empty">No incident missed its response or resolution clock.</p>')
        return out
    head = ["incident", "sev.", "detected", "missed clock", "reason (from the timeline)"]
    rows = [_breach_row(item) for item in report.breaches]
    out.append(_table(head, rows, numeric=(), widths=(16, 6, 13, 29, 36)))
    if report.breaches_left_out:
        out.append(f"<p>{report.breaches_left_out} more breach(es) not listed.</p>")
    return out


def _breach_row(item: Breach) -> list[str]:
    incident = item.incident
    return [
        f"<b>{escape(incident.key)}</b><br>{escape(incident.title)}",
        escape(incident.severity.value),
        _cell_stamp(incident.detected_at).replace("&nbsp;", "<br>"),
        "<br>".join(
            f"<b>{clock.clock}</b> due {_cell_stamp(clock.due)}: {_stopped(clock)}"
            for clock in item.missed
        ),
        "<br>".join(f"&bull; {escape(reason)}" for reason in item.reasons),
    ]


def _stopped(clock: MissedClock) -> str:
    if clock.unanswered:
        return "never acknowledged (resolved first)"
    if clock.stopped_at is None:
        return '<span class="miss">still open</span>'
    late = clock.stopped_at - clock.due
    verb = "acknowledged" if clock.clock == "response" else "resolved"
    same_day = ensure_utc(clock.stopped_at).date() == ensure_utc(clock.due).date()
    when = (
        ensure_utc(clock.stopped_at).strftime("%H:%M")
        if same_day
        else _cell_stamp(clock.stopped_at)
    )
    return f"{verb} {when} ({_duration(late.total_seconds())} late)"


def _trend(report: SlaReport) -> list[str]:
    head = ["month", "incidents", "MTTA median", "MTTR median", "response %", "resolution %"]
    rows = [
        [
            figures.start.strftime("%Y-%m") if figures.start else "-",
            str(figures.real_incidents),
            _duration(figures.mtta.median),
            _duration(figures.mttr.median),
            _pct(figures.response),
            _pct(figures.resolve),
        ]
        for figures in report.trend
    ]
    out = [
        f"<h2>Trend: the last {len(report.trend)} months</h2>",
        _table(head, rows, numeric=range(1, 6)),
    ]
    if report.trend:
        out.append(_chart(report.trend))
    return out


def _chart(trend: Sequence[Figures]) -> str:
    """Response and resolution compliance per month as a small line chart (inline SVG)."""
    width, height, left, top, step = 420, 150, 40, 10, 64
    plot = height - 40

    def y(pct: float) -> float:
        return top + plot * (1 - pct / 100)

    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'role="img" aria-label="SLA compliance per month">'
        )
    ]
    parts.extend(
        f'<line x1="{left}" x2="{left + step * (len(trend) - 1) + 10}" y1="{y(pct):.1f}" '
        f'y2="{y(pct):.1f}" stroke="#ccc"/><text x="4" y="{y(pct) + 4:.1f}" '
        f'font-size="10">{pct}%</text>'
        for pct in (0, 50, 100)
    )
    for index, figures in enumerate(trend):
        label = figures.start.strftime("%b") if figures.start else ""
        parts.append(
            f'<text x="{left + step * index - 8}" y="{height - 12}" font-size="10">{label}</text>'
        )
    for name, colour, dash in (("response", "#1f5fbf", ""), ("resolve", "#c0392b", "4 3")):
        points = [
            (left + step * index, y(pct))
            for index, figures in enumerate(trend)
            if (pct := getattr(figures, name).pct) is not None
        ]
        if points:
            line = " ".join(f"{x},{v:.1f}" for x, v in points)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'stroke-dasharray="{dash or "none"}" points="{line}"/>'
            )
            parts += [f'<circle cx="{x}" cy="{v:.1f}" r="3" fill="{colour}"/>' for x, v in points]
    parts.append(
        f'<text x="{left}" y="{height - 1}" font-size="10" fill="#1f5fbf">response %</text>'
        f'<text x="{left + 90}" y="{height - 1}" font-size="10" fill="#c0392b">resolution %</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _definitions() -> list[str]:
    items = "".join(
        f"<li><b>{escape(name)}</b>: &ldquo;{escape(text)}&rdquo;</li>"
        for name, text in DEFINITIONS
    )
    return [
        '<div class="note">',
        (
            "<p><b>Definitions.</b> Quoted from the console's definitions of the service metrics "
            "(app/domain/service_metrics.py). MTTA and MTTR medians are over the month's "
            "incidents; times are UTC. A breach is an incident that missed its response or "
            "resolution clock as the compliance figures count it; the reasons listed are "
            "what its timeline holds: escalations, waits on the customer, severity changes, "
            "reopenings, the updates you were sent, the resolution note and the root "
            "cause.</p>"
        ),
        f"<ul>{items}</ul></div>",
    ]


def _table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Iterable[int],
    widths: Sequence[int] = (),
) -> str:
    """A table; `widths` in percent of the page make it page-wide (Qt's layout honours
    the width attributes, not every CSS width)."""
    right = set(numeric)
    header = "".join(
        f'<th width="{widths[c]}%">{escape(h)}</th>' if widths else f"<th>{escape(h)}</th>"
        for c, h in enumerate(head)
    )
    wide = ' class="wide" width="100%"' if widths else ""
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if c in right else f"<td>{cell}</td>"
            for c, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<table{wide} border="1" cellspacing="0" cellpadding="4">'
        f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
    )


def _stamp(instant: datetime) -> str:
    return ensure_utc(instant).strftime("%Y-%m-%d %H:%M UTC")


def _cell_stamp(instant: datetime) -> str:
    """A time in a table cell (the page says times are UTC), never wrapped inside."""
    return ensure_utc(instant).strftime("%Y-%m-%d&nbsp;%H:%M")


def _fraction(compliance: Compliance) -> str:
    return f"{compliance.met} / {compliance.counted}"


def _pct(compliance: Compliance) -> str:
    pct = compliance.pct
    return "-" if pct is None else f"{pct:.1f} %"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    return f"{whole}s" if whole < 60 else span_words(timedelta(seconds=whole))
