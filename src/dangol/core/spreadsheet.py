"""Writing cells that spreadsheets open: every CSV and .xlsx export passes its cells through
`spreadsheet_cell`, so that text a customer or a merchant typed (a name, a tag, a store name)
is shown as text and never run as a formula (CSV/formula injection: `=2+5+cmd|' /C calc'!A0`).

Text starting with one of = + - @ tab or carriage return gets a leading apostrophe, which
Excel, LibreOffice and Google Sheets display as text (OWASP's advice). Numbers are left alone,
so won amounts stay numbers, negative ones included.
"""

import csv
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


class _TextWriter(Protocol):
    def write(self, text: str, /) -> Any: ...


def spreadsheet_cell(value: T) -> T | str:
    """Return `value`, or `'value` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def spreadsheet_row(row: Iterable[Any]) -> list[Any]:
    """Return the cells of `row` through `spreadsheet_cell`."""
    return [spreadsheet_cell(value) for value in row]


class SafeCsvWriter:
    """A csv.writer whose rows pass through `spreadsheet_row`."""

    def __init__(self, out: _TextWriter, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Sequence[Any]) -> Any:
        return self._writer.writerow(spreadsheet_row(row))

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: _TextWriter, **options: Any) -> SafeCsvWriter:
    """Return a CSV writer on `out` (csv.writer's `options`) whose cells cannot be formulas:
    the one writer of every CSV export."""
    return SafeCsvWriter(out, **options)
