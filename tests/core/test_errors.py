from django.utils import translation

from dangol.core.brn import InvalidBRN
from dangol.core.errors import RateLimited


def test_error_message_is_translated_to_the_active_language():
    error = InvalidBRN(value="123-45-67890")
    with translation.override("ko"):
        assert error.message == "사업자등록번호가 올바르지 않습니다: 123-45-67890"
    with translation.override("en"):
        assert error.message == "Invalid business registration number: 123-45-67890"


def test_error_keeps_code_and_status_for_api_clients():
    error = RateLimited(minutes=15)
    assert error.code == "rate_limited"
    assert error.status == 429
    with translation.override("ko"):
        assert "15분" in str(error)
