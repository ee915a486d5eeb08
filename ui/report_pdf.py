"""Render the monthly SLA report's HTML to PDF with Qt's rich-text engine (`noc-console report`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from ui.app import application

RESOLUTION = 300  # dots per inch of the PDF's layout; the text stays vector
MARGIN_MM = 15.0


def write_pdf(html: str, out: Path, *, title: str = "SLA report") -> int:
    """Lay `html` out on A4 pages and write them to `out`; returns the page count.

    QTextDocument understands a subset of HTML and CSS (tables, borders, colours, page
    breaks; no SVG), which the report's page keeps to.
    """
    application()  # fonts need a QGuiApplication; offscreen is enough
    writer = QPdfWriter(str(out))
    writer.setTitle(title)
    writer.setCreator("NOC Console")
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    document = QTextDocument()
    document.setHtml(html)
    document.setDocumentMargin(0)
    # the document lays out in the screen's logical pixels (where CSS points are sized) and
    # print_ scales its pages to the printer's: give it the page at that density, so a
    # 10pt font prints at 10 points
    dpi = _layout_dpi()
    page = writer.pageLayout().paintRect(QPageLayout.Unit.Inch)
    document.setPageSize(QSizeF(page.width() * dpi, page.height() * dpi))
    document.print_(writer)
    return document.pageCount()


def _layout_dpi() -> float:
    screen = QGuiApplication.primaryScreen()
    return screen.logicalDotsPerInch() if screen is not None else 96.0
