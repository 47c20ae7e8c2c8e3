"""Template filters for Korean conventions: {{ amount|won }}, {{ when|kdatetime }}, …"""

import datetime as dt

from django import template
from django.utils.translation import get_language

from dangol.core.korean import format_date, format_datetime
from dangol.core.money import format_won
from dangol.core.phone import phone_display, phone_mask

register = template.Library()


@register.filter
def won(amount: int | None) -> str:
    """Render integer won as '₩12,000'."""
    return "" if amount is None else format_won(int(amount))


@register.filter
def kdate(day: dt.date | dt.datetime | None) -> str:
    """Render a date as '2026. 11. 21. (토)'."""
    return "" if day is None else format_date(day, lang=get_language() or "ko")


@register.filter
def kdatetime(moment: dt.datetime | None) -> str:
    """Render an aware datetime in KST as '2026. 11. 21. (토) 14:00'."""
    return "" if moment is None else format_datetime(moment, lang=get_language() or "ko")


@register.filter
def masked_phone(e164: str | None) -> str:
    """Render a phone number with its middle group hidden."""
    return phone_mask(e164) if e164 else ""


@register.filter
def phone(e164: str | None) -> str:
    """Render a phone number in national form."""
    return phone_display(e164) if e164 else ""
