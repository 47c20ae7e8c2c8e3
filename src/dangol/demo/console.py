"""Text the demo commands print: the logins table and the seed summary."""

import unicodedata

from django.utils.translation import gettext as _

from dangol.demo.seed import COUNTED_MODELS, DemoLogin, SeedReport


def display_width(text: str) -> int:
    """Return how many terminal columns `text` takes (Hangul and other wide letters take 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """Return `rows` under `header` as aligned columns."""
    widths = [
        max(display_width(row[column]) for row in [header, *rows]) for column in range(len(header))
    ]
    lines = ["  ".join(_pad(cell, width) for cell, width in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def format_logins(logins: list[DemoLogin]) -> str:
    """Return the demo logins as a table: role, login, password, what the account is."""
    return format_table(
        [_("역할"), _("로그인"), _("비밀번호"), _("설명")],
        [[login.role, login.login, login.password, login.note] for login in logins],
    )


def format_report(report: SeedReport) -> str:
    """Return one line saying what the seed created, or that everything was there."""
    if report.nothing_created:
        return _("데모 데이터가 이미 있습니다. 새로 만든 것이 없습니다 (%(seconds).1f초).") % {
            "seconds": report.seconds}
    parts = ", ".join(
        f"{COUNTED_MODELS[name]._meta.verbose_name} {count:,}"
        for name, count in report.created.items()
        if count
    )
    return _("데모 데이터를 만들었습니다 (%(seconds).1f초): %(parts)s") % {
        "seconds": report.seconds, "parts": parts}
