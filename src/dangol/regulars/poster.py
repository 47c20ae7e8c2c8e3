"""The counter poster: an A5 PDF with the store's name, its market, and a QR code that
opens the store's follow page."""

import io
import itertools

import segno
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from dangol.core.fonts import KOREAN_FONT, KOREAN_FONT_BOLD, register_korean_fonts
from dangol.places.models import Store

CALL_TO_ACTION = "QR 찍고 단골 맺기"
QR_SIZE = 95 * mm
QR_BOTTOM = 55 * mm
QR_ERROR = "m"
QR_BORDER = 4


def follow_qr(url: str) -> segno.QRCode:
    """Return the QR code of `url` the poster prints (level M or better, never a micro QR)."""
    return segno.make(url, error=QR_ERROR, micro=False)


def _draw_qr(pdf: canvas.Canvas, qr: segno.QRCode, *, x: float, y: float, size: float) -> None:
    """Fill the dark modules of `qr` as one path, `size` points wide with the quiet zone,
    its lower-left corner at (x, y): one rectangle per horizontal run of dark modules."""
    module = size / qr.symbol_size(scale=1, border=QR_BORDER)[0]
    path = pdf.beginPath()
    for row_index, row in enumerate(qr.matrix_iter(scale=1, border=QR_BORDER)):
        bottom = y + size - (row_index + 1) * module
        column = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                path.rect(x + column * module, bottom, length * module, module)
            column += length
    pdf.setFillColorRGB(0, 0, 0)
    pdf.drawPath(path, stroke=0, fill=1)


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
    _draw_qr(pdf, follow_qr(follow_url), x=(width - QR_SIZE) / 2, y=QR_BOTTOM, size=QR_SIZE)
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
