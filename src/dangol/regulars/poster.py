"""The counter poster: an A5 PDF with the store's name, its market, and a QR code that
opens the store's follow page."""

import io

import segno
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from dangol.core.fonts import KOREAN_FONT, KOREAN_FONT_BOLD, register_korean_fonts
from dangol.places.models import Store

CALL_TO_ACTION = "QR 찍고 단골 맺기"


def _qr_drawing(url: str, size: float) -> Drawing:
    """Return the QR code of `url` as vector squares `size` points wide (quiet zone kept)."""
    qr = segno.make(url, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    module = size / len(matrix)
    drawing = Drawing(size, size)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                drawing.add(Rect(
                    x * module, size - (y + 1) * module, module, module,
                    fillColor=(0, 0, 0), strokeColor=None, strokeWidth=0,
                ))
    return drawing


def store_poster_pdf(*, store: Store, follow_url: str) -> bytes:
    """Return the A5 counter poster of `store` as PDF bytes, its QR pointing at `follow_url`
    (an absolute URL). The Korean font is embedded (subset), so it prints anywhere."""
    register_korean_fonts()
    buffer = io.BytesIO()
    width, height = A5
    pdf = canvas.Canvas(buffer, pagesize=A5, invariant=True)
    pdf.setTitle(f"{store.name} — {CALL_TO_ACTION}")
    pdf.setAuthor("dangol")
    pdf.setSubject(store.name)
    pdf.setFont(KOREAN_FONT_BOLD, 30)
    pdf.drawCentredString(width / 2, height - 32 * mm, store.name)
    if store.market is not None:
        pdf.setFont(KOREAN_FONT, 15)
        pdf.drawCentredString(width / 2, height - 43 * mm, store.market.name)
    qr_size = 95 * mm
    renderPDF.draw(_qr_drawing(follow_url, qr_size), pdf, (width - qr_size) / 2, 55 * mm)
    pdf.setFont(KOREAN_FONT_BOLD, 24)
    pdf.drawCentredString(width / 2, 38 * mm, CALL_TO_ACTION)
    pdf.setFont(KOREAN_FONT, 9)
    pdf.drawCentredString(width / 2, 22 * mm, follow_url)
    pdf.drawCentredString(
        width / 2, 15 * mm,
        "단골을 맺어도 광고 수신 동의는 선택입니다. 언제든 그만둘 수 있습니다.",
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
