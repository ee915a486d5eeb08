"""Render the monthly SLA report's HTML to PDF with Qt's rich-text engine (`noc-console report`)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QByteArray, QMarginsF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtSvg import QSvgRenderer

from ui.app import application

RESOLUTION = 300  # dots per inch of the PDF's layout; the text stays vector
MARGIN_MM = 15.0
# an inline SVG chart is drawn this many times its CSS size, so it prints sharp
CHART_OVERSAMPLE = 4
_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL | re.IGNORECASE)


def write_pdf(html: str, out: Path, *, title: str = "SLA report") -> int:
    """Lay `html` out on A4 pages and write them to `out`; returns the page count.

    QTextDocument understands a subset of HTML and CSS (tables, borders, colours, page
    breaks), which the report's page keeps to. It draws no SVG: each inline `<svg>` (the
    trend chart) is drawn here by QtSvg into an image the document holds, in its place.
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
    document.setHtml(_charts_as_images(html, document))
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


def _charts_as_images(html: str, document: QTextDocument) -> str:
    """`html` with each inline SVG replaced by an `<img>` of it, added to `document`."""
    names: list[str] = []

    def image(match: re.Match[str]) -> str:
        renderer = QSvgRenderer(QByteArray(match.group(0).encode()))
        size = renderer.defaultSize()
        if not renderer.isValid() or size.isEmpty():
            return ""  # nothing drawable: better left out than a broken frame
        drawn = QImage(size * CHART_OVERSAMPLE, QImage.Format.Format_ARGB32)
        drawn.fill(Qt.GlobalColor.white)
        painter = QPainter(drawn)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter)
        finally:
            painter.end()
        name = f"noc-chart-{len(names)}.png"
        names.append(name)
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), drawn)
        return f'<img src="{name}" width="{size.width()}" height="{size.height()}">'

    return _SVG.sub(image, html)
