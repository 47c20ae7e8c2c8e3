"""Korean display conventions for dates and times: '2026. 11. 21. (토) 14:00'."""

import datetime as dt

from dangol.core.clock import KST

WEEKDAYS_KO = ("월", "화", "수", "목", "금", "토", "일")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_date(day: dt.date | dt.datetime, *, weekday: bool = True, lang: str = "ko") -> str:
    """Return '2026. 11. 21. (토)' (a datetime is first turned into KST)."""
    if isinstance(day, dt.datetime):
        day = day.astimezone(KST).date() if day.tzinfo else day.date()
    text = f"{day.year}. {day.month}. {day.day}."
    if weekday:
        names = WEEKDAYS_KO if lang.startswith("ko") else WEEKDAYS_EN
        text += f" ({names[day.weekday()]})"
    return text


def format_datetime(moment: dt.datetime, *, weekday: bool = True, lang: str = "ko") -> str:
    """Return '2026. 11. 21. (토) 14:00' for an aware datetime, shown in KST."""
    if moment.tzinfo is None:
        raise ValueError("format_datetime() needs an aware datetime")
    local = moment.astimezone(KST)
    return f"{format_date(local.date(), weekday=weekday, lang=lang)} {local:%H:%M}"
