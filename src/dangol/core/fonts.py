"""The Korean typeface of the PDFs dangol makes (statements, posters): NanumGothic, whose
TTF files ship inside the koreanize-matplotlib package.

The files are found through the import system without importing that package: importing
it loads and reconfigures matplotlib, which no PDF needs. reportlab learns the fonts once
per process.
"""

import importlib.util
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

KOREAN_FONT = "NanumGothic"
KOREAN_FONT_BOLD = "NanumGothicBold"
FONT_PACKAGE = "koreanize_matplotlib"
FONT_FILES = {KOREAN_FONT: "NanumGothic.ttf", KOREAN_FONT_BOLD: "NanumGothicBold.ttf"}


@cache
def _font_dir() -> Path:
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("koreanize-matplotlib is not installed: no Korean font for PDFs")
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "fonts"


def korean_font_path(name: str = KOREAN_FONT) -> Path:
    """Return the TTF file of the Korean font `name` (KOREAN_FONT or KOREAN_FONT_BOLD).

    Raise FileNotFoundError if koreanize-matplotlib is not installed or lacks the file.
    """
    path = _font_dir() / FONT_FILES[name]
    if not path.is_file():
        raise FileNotFoundError(f"{FONT_FILES[name]} not found in koreanize-matplotlib")
    return path


@cache
def register_korean_fonts() -> None:
    """Register NanumGothic and NanumGothic Bold with reportlab, once per process, as one
    family (so `<b>` in a platypus Paragraph set in KOREAN_FONT picks the bold face).

    The fonts are embedded (subset) in every PDF that uses them.
    """
    for name in FONT_FILES:
        pdfmetrics.registerFont(TTFont(name, str(korean_font_path(name))))
    pdfmetrics.registerFontFamily(
        KOREAN_FONT, normal=KOREAN_FONT, bold=KOREAN_FONT_BOLD,
        italic=KOREAN_FONT, boldItalic=KOREAN_FONT_BOLD,
    )
