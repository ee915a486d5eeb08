"""The monthly SLA report: its reads, its breaches and their reasons, its HTML, its command.

On the hand-built history of tests/helpers/metrics_history.py, whose customers (acme,
globex, initech) are also the demo catalog's, so the command runs on it without a config.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import app.domain.service_metrics as service_metrics
from app.cli import main
from app.domain.incident import EscalationTier, Incident
from app.domain.service_metrics import Compliance, MetricsScope
from app.domain.severity import Severity
from app.domain.sla_report import (
    add_months,
    breach,
    breach_reasons,
    missed_clocks,
    month_start,
)
from app.sla_report_html import DEFINITIONS, render_html
from app.store import Database
from app.store.incidents import IncidentRepository
from app.store.sla_report import breached_ids, sla_report
from tests.helpers import metrics_history as h

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
NAMES = {"acme": "ACME Retail", "globex": "Globex Logistics", "initech": "Initech Finance"}


@pytest.fixture
def history(db: Database) -> dict[str, int]:
    return h.build(db)


def report(db: Database, customer: str, now: datetime = h.NOW, **options: Any) -> Any:
    with db.read() as session:
        return sla_report(session, customer, NAMES[customer], NOVEMBER, now, **options)


def keys(found: Any, ids: dict[str, int]) -> list[str]:
    by_id = {number: key for key, number in ids.items()}
    return [by_id[b.incident.id] for b in found.breaches]


# ---------------------------------------------------------------------- months


def test_months_parse_and_step() -> None:
    assert month_start("2026-11") == NOVEMBER
    assert add_months(NOVEMBER, 1) == datetime(2026, 12, 1, tzinfo=UTC)
    assert add_months(NOVEMBER, 2) == datetime(2027, 1, 1, tzinfo=UTC)
    assert add_months(NOVEMBER, -11) == datetime(2025, 12, 1, tzinfo=UTC)
    for bad in ("2026-13", "2026-00", "2026-1", "Nov 2026", "2026-11-01", ""):
        with pytest.raises(ValueError, match="expected a month like 2026-11"):
            month_start(bad)


# ---------------------------------------------------------------------- the reads


@pytest.mark.parametrize("customer", ["acme", "globex", "initech"])
def test_the_month_s_compliance_is_the_core_s(db: Database, history: Any, customer: str) -> None:
    found = report(db, customer)
    expected = next(g for g in h.BY_CUSTOMER if g.key == customer)  # the month holds the period
    assert found.period.response == expected.response
    assert found.period.resolve == expected.resolve
    assert found.period.real_incidents == expected.incidents
    assert sum(g.incidents for g in found.by_severity) == expected.incidents
    assert [g.key for g in found.by_severity] == ["P1", "P2", "P3", "P4"]
    assert found.customer_name == NAMES[customer]
    assert (found.month, found.end) == (NOVEMBER, datetime(2026, 12, 1, tzinfo=UTC))


def test_compliance_by_severity_of_one_customer(db: Database, history: Any) -> None:
    found = report(db, "acme")  # A (P1) met both; B (P2) missed both; G, J (P3) met response
    by = {g.key: (g.incidents, g.response, g.resolve) for g in found.by_severity}
    assert by == {
        "P1": (1, Compliance(1, 1), Compliance(1, 1)),
        "P2": (1, Compliance(0, 1), Compliance(0, 1)),
        "P3": (2, Compliance(2, 2), Compliance(0, 0)),
        "P4": (0, Compliance(0, 0), Compliance(0, 0)),
    }


def test_the_trend_is_six_months_up_to_the_report_s(db: Database, history: Any) -> None:
    found = report(db, "acme")
    assert [f.start for f in found.trend] == [add_months(NOVEMBER, n) for n in range(-5, 1)]
    october, november = found.trend[-2], found.trend[-1]
    assert october.real_incidents == 1  # X0
    assert (october.mtta.median, october.mttr.median) == (300.0, 3600.0)
    assert november.response == Compliance(3, 4)
    assert [f.real_incidents for f in found.trend[:4]] == [0, 0, 0, 0]


def test_the_breaches_of_each_customer(db: Database, history: dict[str, int]) -> None:
    # B missed both clocks; I was resolved unacknowledged after its response deadline; F is
    # open with both clocks late; L acknowledged late and was waiting once 4 h had passed.
    # E (a false positive), G (resolution not due yet), J, K (waits began before the
    # deadlines) and the met ones are not breaches.
    assert keys(report(db, "acme"), history) == ["B"]
    assert keys(report(db, "globex"), history) == ["I"]
    assert keys(report(db, "initech"), history) == ["F", "L"]
    (b,) = report(db, "acme").breaches
    assert [(m.clock, m.due, m.stopped_at) for m in b.missed] == [
        ("response", h._at(3, 12) + timedelta(minutes=30), h._at(3, 12) + timedelta(seconds=2400)),
        ("resolution", h._at(3, 12) + timedelta(hours=8), h._at(3, 12) + timedelta(seconds=36000)),
    ]
    (i,) = report(db, "globex").breaches
    assert [(m.clock, m.stopped_at, m.unanswered) for m in i.missed] == [("response", None, True)]
    f, late = report(db, "initech").breaches
    assert [(m.clock, m.stopped_at) for m in f.missed] == [("response", None), ("resolution", None)]
    assert [m.clock for m in late.missed] == ["response", "resolution"]
    assert late.missed[1].stopped_at is None


def test_a_running_clock_becomes_a_breach_once_due(db: Database, history: dict[str, int]) -> None:
    # G (acme, P3, detected 15 Nov 20:00) is acknowledged; its resolution is due 18 Nov 20:00
    later = h._at(18, 20) + timedelta(seconds=1)
    assert keys(report(db, "acme", h._at(18, 19)), history) == ["B"]
    assert keys(report(db, "acme", later), history) == ["B", "G"]


@pytest.mark.parametrize("hours", [0, 30, 80, 24 * 40])
def test_the_sql_finds_what_the_domain_calls_missed(
    db: Database, history: dict[str, int], hours: int
) -> None:
    now = h.NOW + timedelta(hours=hours)
    with db.read() as session:
        everything = IncidentRepository(session).by_ids(history.values())
        for customer in NAMES:
            scope = MetricsScope(NOVEMBER, add_months(NOVEMBER, 1), customer)
            in_sql = set(breached_ids(session, scope, now, limit=100))
            in_python = {
                i.id
                for i in everything
                if i.customer == customer
                and NOVEMBER <= i.detected_at < scope.end  # type: ignore[operator]
                and missed_clocks(i, now)
            }
            assert in_sql == in_python, customer


def test_the_list_is_bounded_and_says_how_many_it_left_out(
    db: Database, history: dict[str, int]
) -> None:
    found = report(db, "initech", limit=1)
    assert keys(found, history) == ["F"]
    assert found.breaches_left_out == 1
    assert "1 more breach(es) not listed" in render_html(found)


# ---------------------------------------------------------------------- reasons


def _detected(title: str = "Orders API down") -> Incident:
    return Incident.detect(
        title=title,
        customer="acme",
        services=("acme-api",),
        severity=Severity.P2,
        started_at=h._at(3, 10),
        detected_at=h._at(3, 10),
        group_key="acme|api",
        policy=h.CONTRACT,
    )


def test_reasons_quote_the_timeline_in_order() -> None:
    start = h._at(3, 10)

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    incident = _detected()
    incident = incident.escalate("alice", at(40), "L1 could not reach the database")
    incident = incident.pause("bob", at(60), "customer to confirm the maintenance window")
    incident = incident.resume("bob", at(150), h.CONTRACT.calendar)
    incident = incident.change_severity(Severity.P1, h.CONTRACT, "bob", at(160), "orders stopped")
    incident = incident.escalate("bob", at(170), "needs the DBA", EscalationTier.L3)
    incident = incident.acknowledge("carol", at(175))
    incident = incident.add_note("carol", at(180), "internal: the DBA on call is new")
    incident = incident.record_update("carol", at(190), "failing over to the replica", None)
    incident = incident.resolve("carol", at(600), "failed over to the replica")
    incident = incident.close("carol", at(700), "disk full on the primary")
    assert breach_reasons(incident, at(800)) == (
        "escalated L1 to L2 at 2026-11-03 10:40 by alice: L1 could not reach the database",
        (
            "waited on the customer 2026-11-03 11:00 to 2026-11-03 12:30 (1h 30m): "
            "customer to confirm the maintenance window"
        ),
        "severity changed P2 to P1 at 2026-11-03 12:40: orders stopped",
        "escalated L2 to L3 at 2026-11-03 12:50 by bob: needs the DBA",
        "customer told at 2026-11-03 13:10: failing over to the replica",
        "resolution note: failed over to the replica",
        "root cause: disk full on the primary",
    )
    found = breach(incident, at(800))
    assert found is not None
    assert [m.clock for m in found.missed] == ["response", "resolution"]


def test_a_breach_with_nothing_in_its_timeline_says_so() -> None:
    incident = _detected()
    now = h._at(3, 10) + timedelta(hours=1)
    assert breach_reasons(incident, now) == (
        "no escalation, wait on the customer, customer update or resolution note in the timeline",
    )
    assert [m.clock for m in missed_clocks(incident, now)] == ["response"]
    assert breach(incident, h._at(3, 10) + timedelta(minutes=5)) is None  # not due yet


def test_a_current_wait_says_since_when() -> None:
    incident = _detected().pause("bob", h._at(3, 10) + timedelta(minutes=10), "no access")
    reasons = breach_reasons(incident, h._at(3, 13))
    assert reasons == ("waiting on the customer since 2026-11-03 10:10 (2h 50m so far): no access",)


# ---------------------------------------------------------------------- HTML


def test_the_html_holds_the_tables_the_breaches_and_the_definitions(
    db: Database, history: Any
) -> None:
    page = render_html(report(db, "acme"))
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>SLA report: ACME Retail, November 2026</title>" in page
    assert "generated 2026-11-16 00:00" in page
    # the compliance table: severity, incidents, response met and %, resolution met and %
    assert _row(page, "P2") == ["P2", "1", "0 / 1", "0.0 %", "0 / 1", "0.0 %"]
    assert _row(page, "<b>all</b>") == [
        "<b>all</b>",
        "<b>4</b>",
        "3 / 4",
        "75.0 %",
        "1 / 2",
        "50.0 %",
    ]
    assert "INC-000004" in page  # B, the fourth incident stored
    assert "response</b> due 2026-11-03&nbsp;12:30: acknowledged 12:40 (10m late)" in page
    assert "resolution</b> due 2026-11-03&nbsp;20:00: resolved 22:00 (2h late)" in page
    assert "&bull; root cause: root cause written up" in page
    assert _row(page, "2026-10") == ["2026-10", "1", "5m", "1h", "100.0 %", "100.0 %"]
    assert _row(page, "2026-11") == ["2026-11", "4", "20m", "6h", "75.0 %", "50.0 %"]
    assert page.count("<svg") == 1
    assert "<polyline" in page
    assert "app/domain/service_metrics.py" in page
    assert "<script" not in page
    assert "src=" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_definitions_are_quoted_word_for_word() -> None:
    docstring = " ".join((service_metrics.__doc__ or "").split())
    for name, sentence in DEFINITIONS:
        assert sentence in docstring, name


def test_hostile_titles_and_notes_are_escaped(db: Database) -> None:
    hostile = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"
    incident = _detected(title=hostile)
    incident = incident.escalate("alice", h._at(3, 11), f"because {hostile}")
    with db.write() as session:
        IncidentRepository(session).add(incident, h.NOW)
    with db.read() as session:
        found = sla_report(session, "acme", "ACME <Retail> & Co", NOVEMBER, h.NOW)
    page = render_html(found)
    assert len(found.breaches) == 1
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;img" in page
    assert "because &lt;script&gt;" in page
    assert "ACME &lt;Retail&gt; &amp; Co" in page


def test_an_empty_month_says_so(db: Database, history: Any) -> None:
    with db.read() as session:
        found = sla_report(session, "acme", "ACME Retail", datetime(2026, 5, 1, tzinfo=UTC), h.NOW)
    page = render_html(found)
    assert found.breaches == ()
    assert found.period.incidents == 0
    assert "No incidents were detected for this customer in this month" in page
    assert "No incident missed its response or resolution clock." in page
    assert _row(page, "all") is None
    assert "<b>0</b>" in page


def _row(page: str, first: str) -> list[str] | None:
    """The cells of the table row whose first cell is `first`."""
    for row in re.findall(r"<tr>(.*?)</tr>", page):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        if cells and cells[0] == first:
            return cells
    return None


# ---------------------------------------------------------------------- the command


def test_report_command_writes_the_html(
    capsys: pytest.CaptureFixture[str], db: Database, db_url: str, history: Any, tmp_path: Path
) -> None:
    out = tmp_path / "acme.html"
    code = main(
        ["report", "--db", db_url, "--customer", "acme", "--month", "2026-11", "--out", str(out)]
    )
    assert (code, capsys.readouterr().out) == (0, f"{out}\n")
    page = out.read_text(encoding="utf-8")
    assert "SLA report: ACME Retail, November 2026" in page  # the name from the catalog
    assert "INC-000004" in page


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--customer", "nobody", "--month", "2026-11"], "unknown customer 'nobody'"),
        (["--customer", "acme", "--month", "2026-13"], "expected a month like 2026-11"),
        (["--customer", "acme", "--month", "november"], "expected a month like 2026-11"),
    ],
)
def test_report_command_refuses_bad_input_in_one_line(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path, argv: list[str], message: str
) -> None:
    out = tmp_path / "x.html"
    code = main(["report", "--db", db_url, *argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [("x.txt", "expected FILE.pdf or FILE.html"), ("missing/x.html", "no folder")],
)
def test_report_command_refuses_what_it_cannot_write(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path, name: str, message: str
) -> None:
    out = tmp_path / name
    argv = ["report", "--db", db_url, "--customer", "acme", "--month", "2026-11", "--out", str(out)]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_pdf_needs_the_qt_console(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "x.pdf"
    argv = ["report", "--db", db_url, "--customer", "acme", "--month", "2026-11", "--out", str(out)]
    assert main(argv) == 2  # the core alone (no windows handed in)
    assert "a PDF report needs the Qt console" in capsys.readouterr().err
    assert not out.exists()


def test_an_empty_month_is_a_report_not_an_error(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "empty.html"
    argv = [
        "report",
        "--db",
        db_url,
        "--customer",
        "globex",
        "--month",
        "2026-05",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert "No incidents were detected" in out.read_text(encoding="utf-8")
