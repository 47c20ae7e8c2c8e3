"""The one CSV reader: bytes from anywhere, decoded with the allowed encodings in order,
records with their line numbers, and a refusal with a translated message when it cannot."""

import csv
import io

import pytest
from django.utils import translation

from dangol.core.csvfile import (
    CP949,
    UTF8,
    UTF8_OR_CP949,
    CsvFileMalformed,
    CsvFileTooLarge,
    CsvFileUnreadable,
    CsvFileWrongEncoding,
    csv_bytes,
    csv_decode,
    csv_dict_reader,
    csv_records,
    csv_text,
)

ROWS = "이름,휴대전화\n정많이,010-2222-3333\n"


@pytest.mark.parametrize("raw", [
    ROWS.encode("utf-8"), b"\xef\xbb\xbf" + ROWS.encode("utf-8"), ROWS.encode("cp949"),
])
def test_utf8_with_or_without_bom_and_cp949_read_the_same(raw):
    assert csv_decode(raw, encodings=UTF8_OR_CP949) == ROWS


def test_cp949_only_refuses_a_utf8_file_as_such():
    with pytest.raises(CsvFileWrongEncoding) as refused, translation.override("ko"):
        csv_decode(ROWS.encode("utf-8"), encodings=(CP949,))

    assert (refused.value.expected, refused.value.line) == ("CP949", None)
    assert refused.value.found == "UTF-8로 저장된 파일입니다"


def test_undecodable_bytes_are_refused_with_their_line():
    raw = "이름\n가\n".encode("cp949") + b"\x80\xff\n"

    with translation.override("ko"):
        with pytest.raises(CsvFileWrongEncoding) as cp949_only:
            csv_decode(raw, encodings=(CP949,))
        with pytest.raises(CsvFileWrongEncoding) as either:
            csv_decode(raw, encodings=UTF8_OR_CP949)

    assert cp949_only.value.found == "3번째 줄에 CP949로 읽을 수 없는 바이트가 있습니다"
    assert (either.value.expected, either.value.line) == ("UTF-8", 3)
    assert either.value.message == (
        "파일의 문자 인코딩이 UTF-8이(가) 아닙니다(3번째 줄에 읽을 수 없는 바이트가 있습니다)."
    )


def test_utf8_only_refuses_cp949():
    with pytest.raises(CsvFileWrongEncoding):
        csv_decode(ROWS.encode("cp949"), encodings=(UTF8,))


def test_bytes_come_from_a_path_an_open_file_an_upload_or_bytes(tmp_path):
    path = tmp_path / "명부.csv"
    path.write_bytes(ROWS.encode("cp949"))

    for source in (path, str(path), io.BytesIO(ROWS.encode("cp949")), ROWS.encode("cp949")):
        assert csv_text(source) == ROWS


def test_a_missing_file_is_refused_with_its_name(tmp_path):
    missing = tmp_path / "없는파일.csv"

    with pytest.raises(CsvFileUnreadable) as refused:
        csv_bytes(missing)

    assert refused.value.file == str(missing)
    assert str(missing) in refused.value.message


def test_a_file_over_the_limit_is_refused_before_decoding():
    with pytest.raises(CsvFileTooLarge) as refused, translation.override("ko"):
        csv_text(io.BytesIO(b"\xff" * (2 * 1024 * 1024 + 1)), max_bytes=2 * 1024 * 1024)

    assert refused.value.message == "파일이 2MB보다 큽니다."
    with translation.override("en"):
        assert refused.value.message == "The file is larger than 2MB."
    assert csv_bytes(b"x" * 10, max_bytes=10) == b"x" * 10


def test_records_keep_the_line_they_start_on_and_skip_blank_ones():
    text = '시장명,주소\n\n가시장,"부산\n해운대구"\n나시장,서울\n'

    assert csv_records(text) == [
        (1, ["시장명", "주소"]), (3, ["가시장", "부산\n해운대구"]), (5, ["나시장", "서울"]),
    ]


def test_a_tab_separated_file_is_read_as_such():
    assert csv_records("법정동코드\t법정동명\n26\t부산광역시\n") == [
        (1, ["법정동코드", "법정동명"]), (2, ["26", "부산광역시"]),
    ]


def test_text_that_is_not_csv_is_refused_with_the_line():
    text = "a,b\n1,2\n" + "x" * (csv.field_size_limit() + 1) + ",3\n"

    with pytest.raises(CsvFileMalformed) as refused:
        csv_records(text)

    assert refused.value.line == 3


def test_dict_reader_strips_column_names():
    reader = csv_dict_reader("\ufeff 이름 , 휴대전화\n정많이,010-2222-3333\n")

    assert reader.fieldnames == ["이름", "휴대전화"]
    assert list(reader) == [{"이름": "정많이", "휴대전화": "010-2222-3333"}]
