"""The counter poster's QR code: segno's symbol of the follow URL, drawn where it always was."""

import pytest
import segno
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm

from dangol.regulars.poster import store_poster_pdf
from tests.factories import MarketFactory, StoreFactory
from tests.pdfread import pdf_embedded_fonts, pdf_rectangles, pdf_text_runs

pytestmark = pytest.mark.django_db

FOLLOW_URL = "https://dangol.example/s/12345/qr/"
QR_SIZE = 95 * mm  # quiet zone included, centred, its bottom 55 mm above the page's
QR_BOTTOM = 55 * mm
QUIET_ZONE = 4


def _grid(value: float) -> int:
    """Return `value` (a length in modules) as a whole number, failing if it is not one."""
    assert value == pytest.approx(round(value), abs=1e-3)
    return round(value)


def drawn_qr_matrix(pdf: bytes, modules: int) -> list[list[int]]:
    """Return the module matrix the poster's filled rectangles form on a `modules`-wide
    symbol placed at the poster's QR position."""
    module = QR_SIZE / (modules + 2 * QUIET_ZONE)
    left = (A5[0] - QR_SIZE) / 2 + QUIET_ZONE * module
    top = QR_BOTTOM + QR_SIZE - QUIET_ZONE * module
    matrix = [[0] * modules for _ in range(modules)]
    for x, y, width, height in pdf_rectangles(pdf):
        assert _grid(height / module) == 1
        row = _grid((top - y) / module) - 1
        first = _grid((x - left) / module)
        for column in range(first, first + _grid(width / module)):
            assert 0 <= row < modules and 0 <= column < modules, "a module in the quiet zone"
            matrix[row][column] = 1
    return matrix


def test_poster_qr_is_the_follow_url_at_level_m_in_its_place():
    store = StoreFactory(name="바다수산", market=MarketFactory(name="반송큰시장"))
    expected = segno.make(FOLLOW_URL, error="m", micro=False)

    pdf = store_poster_pdf(store=store, follow_url=FOLLOW_URL)

    modules = expected.symbol_size(scale=1, border=0)[0]
    assert drawn_qr_matrix(pdf, modules) == [list(row) for row in expected.matrix]
    assert expected.error in {"M", "Q", "H"}
    assert pdf_text_runs(pdf) == [
        "바다수산", "반송큰시장", "QR 찍고 단골 맺기", FOLLOW_URL,
        "단골을 맺어도 광고 수신 동의는 선택입니다. 언제든 그만둘 수 있습니다.",
    ]
    assert pdf_embedded_fonts(pdf) == ["NanumGothic", "NanumGothicBold"]


def test_a_different_url_draws_a_different_symbol():
    store = StoreFactory()
    other = segno.make(FOLLOW_URL.replace("12345", "12346"), error="m", micro=False)

    pdf = store_poster_pdf(store=store, follow_url=FOLLOW_URL)

    modules = other.symbol_size(scale=1, border=0)[0]
    assert drawn_qr_matrix(pdf, modules) != [list(row) for row in other.matrix]
