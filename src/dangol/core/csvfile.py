"""Reading a CSV file: its bytes from a path, an open file, an upload or bytes; its text,
decoded with the encodings the caller allows, in order; its records with their line
numbers, or a DictReader. The one reader of every import (the national registry files,
a store's customer list).

Korean files come in two encodings: UTF-8 (with or without a byte-order mark, as Excel
saves "CSV UTF-8") and CP949 (the Windows superset of EUC-KR that the public data portal
publishes). When UTF-8 is not allowed, a file that is UTF-8 is refused as such rather than
read as CP949 (most UTF-8 Korean would decode to nonsense without an error).

Refusals are `CsvFileError`s with a translated message; an import may answer with its own
error built from their fields (`expected`, `found`, `line`, `limit`).
"""

import codecs
import csv
import io
import os
from collections.abc import Sequence
from typing import IO

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangol.core.errors import ValidationError

UTF8 = "utf-8-sig"  # UTF-8, with or without a byte-order mark
CP949 = "cp949"
UTF8_OR_CP949 = (UTF8, CP949)
_DISPLAY = {UTF8: "UTF-8", CP949: "CP949"}

CsvSource = str | os.PathLike[str] | IO[bytes] | bytes


class CsvFileError(ValidationError):
    """The file as a whole cannot be read as CSV."""

    code = "csv_file_invalid"
    template = _("CSV 파일을 읽을 수 없습니다.")


class CsvFileUnreadable(CsvFileError):
    code = "csv_file_unreadable"
    template = _("파일을 열 수 없습니다: %(file)s (%(error)s).")

    def __init__(self, *, file: str, error: str) -> None:
        self.file, self.error = file, error
        super().__init__(file=file, error=error)


class CsvFileTooLarge(CsvFileError):
    code = "csv_file_too_large"
    template = _("파일이 %(limit)s보다 큽니다.")

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        super().__init__(limit=_size(limit))


class CsvFileWrongEncoding(CsvFileError):
    """The bytes are not text in the allowed encodings: `expected` names the first of them,
    `found` says what is wrong (a UTF-8 file, or the first line with bytes none decodes)."""

    code = "csv_file_wrong_encoding"
    template = _("파일의 문자 인코딩이 %(expected)s이(가) 아닙니다(%(found)s).")

    def __init__(self, *, expected: str, found: str, line: int | None) -> None:
        self.expected, self.found, self.line = expected, found, line
        super().__init__(expected=expected, found=found)


class CsvFileMalformed(CsvFileError):
    code = "csv_file_malformed"
    template = _("CSV 형식이 올바르지 않습니다(%(line)s번째 줄: %(error)s).")

    def __init__(self, *, line: int, error: str) -> None:
        self.line, self.error = line, error
        super().__init__(line=line, error=error)


def _size(limit: int) -> str:
    megabytes, rest = divmod(limit, 1024 * 1024)
    return f"{megabytes}MB" if not rest else f"{limit:,}B"


def csv_bytes(source: CsvSource, *, max_bytes: int | None = None) -> bytes:
    """Return the whole content of `source` (a path, an open binary file or an upload, or
    the bytes themselves). Raise CsvFileUnreadable if a path cannot be read, CsvFileTooLarge
    if the content is over `max_bytes`."""
    if isinstance(source, bytes):
        raw = source
    elif isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as handle:
                raw = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        except OSError as error:
            raise CsvFileUnreadable(
                file=os.fspath(source), error=error.strerror or str(error)
            ) from error
    else:
        raw = source.read() if max_bytes is None else source.read(max_bytes + 1)
    if max_bytes is not None and len(raw) > max_bytes:
        raise CsvFileTooLarge(limit=max_bytes)
    return raw


def _looks_like_utf8(raw: bytes) -> bool:
    """Return True if `raw` is non-ASCII text that decodes as UTF-8 (CP949 Korean never does)."""
    if raw.startswith(codecs.BOM_UTF8):
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not raw.isascii()


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def csv_decode(raw: bytes, *, encodings: Sequence[str] = UTF8_OR_CP949) -> str:
    """Return `raw` decoded with the first of `encodings` (UTF8, CP949) that reads it all.

    Raise CsvFileWrongEncoding if none does, naming the line of the first byte the last one
    could not read, or, when UTF-8 is not allowed, if the file is UTF-8.
    """
    expected = _DISPLAY[encodings[0]]
    if UTF8 not in encodings and _looks_like_utf8(raw):
        raise CsvFileWrongEncoding(
            expected=expected, found=gettext("UTF-8로 저장된 파일입니다"), line=None
        )
    failure: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as error:
            failure = error
    assert failure is not None  # noqa: S101 (at least one encoding was tried)
    line = _line_of_offset(raw, failure.start)
    if tuple(encodings) == (CP949,):
        found = gettext("%(line)s번째 줄에 CP949로 읽을 수 없는 바이트가 있습니다")
    else:
        found = gettext("%(line)s번째 줄에 읽을 수 없는 바이트가 있습니다")
    raise CsvFileWrongEncoding(expected=expected, found=found % {"line": line}, line=line)


def csv_text(
    source: CsvSource, *, encodings: Sequence[str] = UTF8_OR_CP949, max_bytes: int | None = None
) -> str:
    """Return the text of the CSV file `source` (`csv_bytes`, then `csv_decode`)."""
    return csv_decode(csv_bytes(source, max_bytes=max_bytes), encodings=encodings)


def csv_records(text: str) -> list[tuple[int, list[str]]]:
    """Return the non-blank records of CSV `text`, each with the line it starts on (the
    header is line 1). A first line with tabs and no commas makes it tab-separated.
    Raise CsvFileMalformed (with the line) if the text is not CSV."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as error:
        raise CsvFileMalformed(line=start, error=str(error)) from error
    return records


def csv_dict_reader(text: str) -> "csv.DictReader[str]":
    """Return a DictReader over CSV `text` whose column names are stripped of spaces and of
    a byte-order mark; its `line_num` is the line of the record just read."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    reader.fieldnames = [
        (column or "").strip().lstrip("\ufeff").strip() for column in (reader.fieldnames or [])
    ]
    return reader
