"""Cells written to CSV and .xlsx exports cannot run as spreadsheet formulas."""

import csv
import io

import pytest

from dangol.core.spreadsheet import csv_writer, spreadsheet_cell

PAYLOAD = "=2+5+cmd|' /C calc'!A0"


@pytest.mark.parametrize("text", [
    PAYLOAD, "+82-10", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "=HYPERLINK(\"http://x\")",
])
def test_text_that_a_spreadsheet_would_read_as_a_formula_is_quoted(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["반송수산", "010-1234-5678", "", "a=b", 15000, -15000, None])
def test_other_values_are_written_as_they_are(value):
    assert spreadsheet_cell(value) == value


def test_csv_writer_quotes_every_cell_of_every_row():
    out = io.StringIO()
    writer = csv_writer(out)

    writer.writerow(["이름", "@메모"])
    writer.writerows([[PAYLOAD, 3000]])

    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["이름", "'@메모"], ["'" + PAYLOAD, "3000"],
    ]
