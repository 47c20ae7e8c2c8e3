"""Read the file of a national-data import and report on its rows.

The report (`ImportReport`, one `RowProblem` per row set aside), the file's text through the one
CSV reader of dangol.core.csvfile, its table of records, and the rejection of one record.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from django.utils.functional import Promise
from django.utils.translation import gettext

from dangol.core.csvfile import (
    CsvFileMalformed,
    CsvFileUnreadable,
    CsvFileWrongEncoding,
    csv_bytes,
    csv_decode,
    csv_records,
)
from dangol.places.errors import (
    ImportFileEmpty,
    ImportFileMalformed,
    ImportFileUnreadable,
    ImportFileWrongColumns,
    ImportFileWrongEncoding,
)

ImportSource = str | os.PathLike[str] | IO[bytes]


# --- reports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """A note on one row of the file: its line (header = line 1) and what was wrong."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What one import did with each row of its file."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    # Rows imported after correcting their data (an address typo, a missing space).
    corrected: list[RowProblem] = field(default_factory=list)
    # Rows outside what the import keeps (읍면동 lines of the legal-dong list).
    skipped: int = 0
    # Rows already in the database that this file does not list; they are left as they are.
    absent: int = 0
    # How each market's 시군구 was found (`exact`, `successor`, `lot_address`, …).
    resolutions: Counter[str] = field(default_factory=Counter)
    # Markets that sit in a region made current by an entry of REGION_CHANGES, by its label.
    reconciled: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Return the number of rows handled: imported or rejected."""
        return self.created + self.updated + self.unchanged + len(self.rejected)


# --- reading files --------------------------------------------------------------------------


def read_text(source: ImportSource, *, encodings: Sequence[str]) -> str:
    """Return the text of `source` through the core CSV reader, refusing the file with the
    import's own errors: unreadable, empty, or not in `encodings` (tried in order)."""
    try:
        raw = csv_bytes(source)
    except CsvFileUnreadable as error:
        raise ImportFileUnreadable(file=error.file, error=error.error) from error
    if not raw.strip():
        raise ImportFileEmpty()
    try:
        return csv_decode(raw, encodings=encodings)
    except CsvFileWrongEncoding as error:
        raise ImportFileWrongEncoding(expected=error.expected, found=error.found) from error


@dataclass(frozen=True)
class Table:
    """A CSV file read into its header and its records, each with its first line number."""

    columns: dict[str, int]
    width: int
    records: list[tuple[int, list[str]]]


def read_table(text: str, *, dataset: str | Promise, required: Sequence[str]) -> Table:
    """Return the records of CSV `text`; refuse a file without data or without `required`."""
    try:
        records = csv_records(text)
    except CsvFileMalformed as error:
        raise ImportFileMalformed(line=error.line, error=error.error) from error
    if not records:
        raise ImportFileEmpty()
    _, header = records[0]
    columns = {cell.strip().lstrip("\ufeff").strip(): index for index, cell in enumerate(header)}
    missing = [name for name in required if name not in columns]
    if missing:
        raise ImportFileWrongColumns(dataset=dataset, missing=", ".join(missing))
    if len(records) == 1:
        raise ImportFileEmpty()
    return Table(columns=columns, width=len(header), records=records[1:])


class RowRejected(Exception):
    """Raised while reading one row that cannot be used; carries the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def record_cells(table: Table, record: list[str]) -> dict[str, str]:
    """Return the record's cells by column name, stripped; reject a record of the wrong width."""
    if len(record) < table.width or any(cell.strip() for cell in record[table.width :]):
        raise RowRejected(
            gettext("열 개수가 맞지 않습니다(%(expected)s개여야 하는데 %(found)s개입니다).")
            % {"expected": table.width, "found": len(record)}
        )
    return {name: record[index].strip() for name, index in table.columns.items()}
