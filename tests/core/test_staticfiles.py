import pytest

from dangol.core.staticfiles import StaticStorage


def test_missing_optional_font_is_left_unhashed_but_other_missing_files_fail(tmp_path):
    storage = StaticStorage(location=str(tmp_path))
    assert storage.hashed_name("web/fonts/Pretendard-Regular.woff2") == (
        "web/fonts/Pretendard-Regular.woff2"
    )
    with pytest.raises(ValueError):
        storage.hashed_name("web/css/missing.css")


def test_present_files_are_hashed(tmp_path):
    (tmp_path / "web" / "fonts").mkdir(parents=True)
    (tmp_path / "web" / "fonts" / "Pretendard-Regular.woff2").write_bytes(b"font")
    storage = StaticStorage(location=str(tmp_path))
    hashed = storage.hashed_name("web/fonts/Pretendard-Regular.woff2")
    assert hashed != "web/fonts/Pretendard-Regular.woff2"
    assert hashed.endswith(".woff2")
