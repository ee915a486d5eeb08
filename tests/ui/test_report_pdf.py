"""The monthly SLA report as PDF: `noc-console report --out FILE.pdf`, checked with poppler.

pdftoppm (and pdftotext) come from Debian's poppler-utils; without them the checks of
the pages skip with the reason, unless NOC_REQUIRE_PEERS=1 (CI) makes that a failure.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from app.store import Database
from tests.helpers import metrics_history as h
from tests.helpers.peers import require_program
from ui.launch import main
from ui.report_pdf import write_pdf


@pytest.fixture
def history_url(db_url: str) -> str:
    database = Database(db_url)
    try:
        h.build(database)
    finally:
        database.dispose()
    return db_url


def report(capsys: pytest.CaptureFixture[str], url: str, out: Path, customer: str) -> int:
    argv = ["report", "--db", url, "--customer", customer, "--month", "2026-11"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    match = re.fullmatch(rf"{re.escape(str(out))} \((\d+) pages?\)\n", printed)
    assert match, printed
    return int(match.group(1))


def test_the_report_renders_to_pdf_pages(
    qapp: Any, capsys: pytest.CaptureFixture[str], history_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "initech.pdf"
    pages = report(capsys, history_url, out, "initech")
    assert out.read_bytes().startswith(b"%PDF-")
    assert pages >= 1
    pdftoppm = require_program("poppler", "pdftoppm", "poppler-utils")
    subprocess.run([pdftoppm, "-png", "-r", "50", str(out), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    first = QImage(str(images[0]))
    # A4 (210 x 297 mm) at 50 dpi, give or take poppler's rounding
    assert abs(first.width() - 413) <= 1
    assert abs(first.height() - 585) <= 1
    assert _ink(first) > 0.01  # text and table rules, not a blank page
    pdftotext = require_program("poppler", "pdftotext", "poppler-utils")
    text = subprocess.run(
        [pdftotext, "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    text = unicodedata.normalize("NFKC", text)  # the font's ligatures (fi) as letters
    for expected in (
        "SLA report: Initech Finance, November 2026",
        "Compliance by severity",
        "INC-000008",
        "INC-000014",
        "Breaches",
        "Trend: the last 6 months",
        "Definitions",
    ):
        assert expected in text, expected


def test_a_hostile_title_prints_as_text(qapp: Any, tmp_path: Path) -> None:
    out = tmp_path / "hostile.pdf"
    pages = write_pdf("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", out)
    assert pages == 1
    pdftotext = require_program("poppler", "pdftotext", "poppler-utils")
    text = subprocess.run(
        [pdftotext, str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "<script>alert(1)</script>" in text


def _ink(image: QImage) -> float:
    """The share of dark pixels, on a grid of samples."""
    dark = total = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            total += 1
            dark += image.pixelColor(x, y).lightness() < 128
    return dark / total


def test_the_trend_chart_is_drawn_into_the_pdf(
    qapp: Any, capsys: pytest.CaptureFixture[str], history_url: str, tmp_path: Path
) -> None:
    """Qt's text engine draws no SVG: the chart goes in as an image, sharp enough to print."""
    out = tmp_path / "acme.pdf"
    report(capsys, history_url, out, "acme")
    pdfimages = require_program("poppler", "pdfimages", "poppler-utils")
    listed = subprocess.run(
        [pdfimages, "-list", str(out)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]  # two header lines, then one line per image
    assert len(listed) == 1
    width, height = (int(value) for value in listed[0].split()[3:5])
    assert (width, height) == (420 * 4, 150 * 4)  # the SVG's size, drawn 4x


def test_a_page_without_a_drawable_chart_leaves_it_out(qapp: Any, tmp_path: Path) -> None:
    out = tmp_path / "broken.pdf"
    assert write_pdf("<p>before</p><svg><polyline points='x'/></svg><p>after</p>", out) == 1
    pdfimages = require_program("poppler", "pdfimages", "poppler-utils")
    listed = subprocess.run(
        [pdfimages, "-list", str(out)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert listed == []
