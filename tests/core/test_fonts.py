"""The Korean font of the PDFs: found once, in core, without importing matplotlib."""

import os
import subprocess
import sys
from pathlib import Path

from reportlab.pdfbase import pdfmetrics

from dangol.core.fonts import (
    KOREAN_FONT,
    KOREAN_FONT_BOLD,
    korean_font_path,
    register_korean_fonts,
)

REPO = Path(__file__).resolve().parents[2]

MAKE_BOTH_PDFS = """
import datetime as dt, sys
from types import SimpleNamespace
import django
django.setup()
from dangol.core.clock import kst
from dangol.regulars.poster import store_poster_pdf
from dangol.settlement.exports import statement_pdf

payout = SimpleNamespace(
    number="ST-1-1", run=SimpleNamespace(is_fast=False), store=SimpleNamespace(name="반송수산"),
    period_end=kst(2026, 11, 30, 23, 59), payout_date=dt.date(2026, 12, 2), amount=15000,
    fee=0, net=15000, bank_name="신한은행", account_number="110-123-451234",
)
store = SimpleNamespace(name="반송수산", market=None)
assert statement_pdf(payout=payout).startswith(b"%PDF")
assert store_poster_pdf(store=store, follow_url="https://dangol.example/").startswith(b"%PDF")
print(sorted(name for name in sys.modules if name.split(".")[0] in
             {"matplotlib", "koreanize_matplotlib"}))
"""


def test_korean_fonts_are_truetype_files():
    for name in (KOREAN_FONT, KOREAN_FONT_BOLD):
        path = korean_font_path(name)
        assert path.name == f"{name}.ttf"
        assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType outline font


def test_registering_twice_registers_once():
    register_korean_fonts()
    register_korean_fonts()

    registered = pdfmetrics.getRegisteredFontNames()
    assert registered.count(KOREAN_FONT) == 1 and registered.count(KOREAN_FONT_BOLD) == 1


def test_making_the_statement_and_the_poster_never_imports_matplotlib():
    env = {
        **os.environ,
        "DANGOL_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "dangol.config.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", MAKE_BOTH_PDFS],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
