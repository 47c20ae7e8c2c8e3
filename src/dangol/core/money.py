"""Integer won: Korean formatting (₩12,000) and parsing. Never float."""

import re

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import ValidationError

Won = int

_WON_RE = re.compile(r"^\s*(?P<sign>[-−])?\s*(?:₩|\\|KRW)?\s*(?P<num>[0-9][0-9,]*)\s*(?:원)?\s*$")
_MAN_RE = re.compile(
    r"^\s*(?:(?P<eok>[0-9]+)\s*억)?\s*(?:(?P<man>[0-9]+)\s*만)?\s*(?P<rest>[0-9,]*)\s*원?\s*$"
)


def format_won(amount: int, *, symbol: bool = True) -> str:
    """Return `amount` as Korean money text: 12000 → '₩12,000', -500 → '-₩500'."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("won amounts are int")
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,}"
    return f"{sign}₩{digits}" if symbol else f"{sign}{digits}원"


class InvalidAmount(ValidationError):
    code = "invalid_amount"
    template = _("금액을 이해할 수 없습니다: %(text)s")


def parse_won(text: str | int) -> int:
    """Return the integer won written in `text`.

    Accept '12000', '12,000', '₩12,000', '12,000원', '1만 2천'-free forms such as '3만',
    '1억 2000만', and reject decimals, misplaced commas and anything else with InvalidAmount.
    """
    if isinstance(text, bool):
        raise InvalidAmount(text=str(text))
    if isinstance(text, int):
        return text
    raw = str(text)
    match = _WON_RE.match(raw)
    if match:
        num = match["num"]
        if "," in num and not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", num):
            raise InvalidAmount(text=raw)
        value = int(num.replace(",", ""))
        return -value if match["sign"] else value
    match = _MAN_RE.match(raw)
    if match and (match["eok"] or match["man"]):
        rest = match["rest"] or "0"
        if "," in rest and not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", rest):
            raise InvalidAmount(text=raw)
        rest_value = int(rest.replace(",", ""))
        if rest_value >= 10_000:
            raise InvalidAmount(text=raw)
        return int(match["eok"] or 0) * 100_000_000 + int(match["man"] or 0) * 10_000 + rest_value
    raise InvalidAmount(text=raw)


def percent_of(amount: int, basis_points: int) -> int:
    """Return `basis_points`/10000 of `amount`, rounded down to the won (fees never round up)."""
    return amount * basis_points // 10_000
