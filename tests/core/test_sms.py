"""The SMS channel: the NHN Cloud SMS adapter against a local server speaking its v3.0
protocol, and the development outbox."""

from collections.abc import Iterator

import pytest

from dangol.core.sms import (
    NhnCloudSms,
    OutboxSmsChannel,
    SmsResult,
    national_number,
    sms_channel,
)
from tests.messaging.sms_server import APP_KEY, SECRET_KEY, SENDER, FakeNhnSms

CLIENT_TIMEOUT = 0.3


@pytest.fixture
def sms_server() -> Iterator[FakeNhnSms]:
    server = FakeNhnSms(slow_seconds=CLIENT_TIMEOUT * 3)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def nhn(sms_server: FakeNhnSms) -> NhnCloudSms:
    return NhnCloudSms(
        api_url=sms_server.url, app_key=APP_KEY, secret_key=SECRET_KEY, sender=SENDER,
        timeout_seconds=CLIENT_TIMEOUT,
    )


def test_sms_posts_the_documented_body_with_the_secret_key_header(
    nhn: NhnCloudSms, sms_server: FakeNhnSms
) -> None:
    result = nhn.send(
        to="+821012345678", body="고등어 30% 할인", kind="sms", idempotency_key="delivery-7"
    )

    assert result.accepted is True
    assert result.error == ""
    assert result.provider_id.endswith(":1")
    [request] = sms_server.requests
    assert request["path"] == f"/sms/v3.0/appKeys/{APP_KEY}/sender/sms"
    assert request["headers"]["X-Secret-Key"] == SECRET_KEY
    assert request["headers"]["Content-Type"] == "application/json;charset=UTF-8"
    assert request["body"] == {
        "body": "고등어 30% 할인",
        "sendNo": SENDER,
        "recipientList": [
            {"recipientNo": "01012345678", "recipientGroupingKey": "delivery-7"}
        ],
        "senderGroupingKey": "delivery-7",
    }
    assert sms_server.accepted["delivery-7"]["kind"] == "sms"


def test_lms_goes_to_the_mms_endpoint_with_a_title_clipped_to_40_bytes(
    nhn: NhnCloudSms, sms_server: FakeNhnSms
) -> None:
    body = "가" * 200  # 400 EUC-KR bytes: LMS
    result = nhn.send(
        to="010-1234-5678", body=body, kind="lms", idempotency_key="delivery-8",
        title="(광고) 바다수산 " + "나" * 40,
    )

    assert result.accepted is True
    [request] = sms_server.requests
    assert request["path"] == f"/sms/v3.0/appKeys/{APP_KEY}/sender/mms"
    title = request["body"]["title"]
    assert title.startswith("(광고) 바다수산")
    assert len(title.encode("euc-kr")) <= 40
    assert request["body"]["body"] == body


def test_nhn_delivers_a_repeated_key_twice_so_a_retry_looks_it_up_first(
    nhn: NhnCloudSms, sms_server: FakeNhnSms
) -> None:
    first = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="delivery-9")
    again = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="delivery-9")
    looked_up = nhn.send(
        to="01011112222", body="안내", kind="sms", idempotency_key="delivery-9", retry=True
    )

    assert first.accepted and again.accepted and looked_up.accepted
    assert first.provider_id != again.provider_id  # no de-duplication at NHN
    assert len(sms_server.sent) == 2 and sms_server.repeats == 1
    assert looked_up.provider_id == first.provider_id  # found, not sent a third time


def test_refused_recipient_is_a_final_failure(nhn: NhnCloudSms, sms_server: FakeNhnSms) -> None:
    sms_server.fail_next(1, "refuse")

    result = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-1")

    assert result == SmsResult(
        accepted=False, error="-2000: Invalid recipient number", retryable=False
    )
    assert sms_server.accepted == {}


def test_server_error_is_retryable(nhn: NhnCloudSms, sms_server: FakeNhnSms) -> None:
    sms_server.fail_next(1, "error")

    result = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-2")

    assert result == SmsResult(accepted=False, error="HTTP 500", retryable=True)


def test_timeout_is_retryable_and_the_retry_is_accepted(
    nhn: NhnCloudSms, sms_server: FakeNhnSms
) -> None:
    sms_server.fail_next(1, "timeout")

    late = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-3")
    retry = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-3", retry=True)

    assert late == SmsResult(accepted=False, error="timeout", retryable=True)
    assert retry.accepted is True
    assert list(sms_server.accepted) == ["d-3"]


def test_a_timeout_after_accepting_then_a_retry_sends_exactly_once(
    nhn: NhnCloudSms, sms_server: FakeNhnSms
) -> None:
    sms_server.fail_next(1, "timeout-after-accepting")

    late = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-4")
    retry = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-4", retry=True)

    assert late == SmsResult(accepted=False, error="timeout", retryable=True)
    assert retry.accepted is True
    assert len(sms_server.sent) == 1


def test_wrong_secret_key_is_unauthorised_and_not_retried(sms_server: FakeNhnSms) -> None:
    nhn = NhnCloudSms(
        api_url=sms_server.url, app_key=APP_KEY, secret_key="wrong", sender=SENDER,
        timeout_seconds=CLIENT_TIMEOUT,
    )

    result = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-4")

    assert result == SmsResult(accepted=False, error="HTTP 401: unauthorised", retryable=False)


def test_wrong_app_key_is_refused(sms_server: FakeNhnSms) -> None:
    nhn = NhnCloudSms(
        api_url=sms_server.url, app_key="other", secret_key=SECRET_KEY, sender=SENDER,
        timeout_seconds=CLIENT_TIMEOUT,
    )

    result = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-5")

    assert result == SmsResult(accepted=False, error="-1000: Invalid appKey", retryable=False)


def test_sms_body_over_90_bytes_is_refused_by_the_provider(nhn: NhnCloudSms) -> None:
    result = nhn.send(to="01011112222", body="가" * 46, kind="sms", idempotency_key="d-6")

    assert result.accepted is False
    assert result.retryable is False
    assert "90 bytes" in result.error


def test_unreachable_api_is_retryable() -> None:
    nhn = NhnCloudSms(
        api_url="http://127.0.0.1:9", app_key=APP_KEY, secret_key=SECRET_KEY, sender=SENDER,
        timeout_seconds=CLIENT_TIMEOUT,
    )

    result = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-7")

    assert result.accepted is False
    assert result.retryable is True
    assert result.error.startswith("connection:")


def test_unknown_path_is_refused_not_retried(sms_server: FakeNhnSms) -> None:
    nhn = NhnCloudSms(
        api_url=sms_server.url + "/elsewhere", app_key=APP_KEY, secret_key=SECRET_KEY,
        sender=SENDER, timeout_seconds=CLIENT_TIMEOUT,
    )

    result = nhn.send(to="01011112222", body="안내", kind="sms", idempotency_key="d-8")

    # 404 with an NHN-shaped error header: refused, not retried.
    assert result == SmsResult(accepted=False, error="HTTP 404: not found", retryable=False)


def test_unknown_kind_is_a_programming_error(nhn: NhnCloudSms) -> None:
    with pytest.raises(ValueError, match="unknown SMS kind"):
        nhn.send(to="01011112222", body="안내", kind="mms", idempotency_key="d-9")


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+821012345678", "01012345678"),
        ("821012345678", "01012345678"),
        ("010-1234-5678", "01012345678"),
        ("0515441234", "0515441234"),
    ],
)
def test_national_number(phone: str, expected: str) -> None:
    assert national_number(phone) == expected


def test_settings_configure_the_adapter(settings) -> None:
    settings.DANGOL_SMS_API_URL = "https://api-sms.example.test/"
    settings.DANGOL_SMS_API_KEY = "k"
    settings.DANGOL_SMS_API_SECRET = "s"
    settings.DANGOL_SMS_SENDER = "+82515441234"
    settings.DANGOL_SMS_BACKEND = "dangol.core.sms.NhnCloudSms"

    provider = sms_channel()

    assert isinstance(provider, NhnCloudSms)
    assert provider.api_url == "https://api-sms.example.test"
    assert (provider.app_key, provider.secret_key, provider.sender) == ("k", "s", "0515441234")


def test_missing_credentials_are_refused(settings) -> None:
    settings.DANGOL_SMS_API_KEY = ""
    with pytest.raises(ValueError, match="SMS_API_KEY"):
        NhnCloudSms(api_url="https://x.test", secret_key="s", sender="0101")


def test_non_http_url_is_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        NhnCloudSms(api_url="file:///etc/passwd", app_key="k", secret_key="s", sender="0101")


@pytest.mark.django_db
def test_outbox_is_the_default_and_keeps_one_message_per_key() -> None:
    from dangol.core.models import OutboxMessage

    provider = sms_channel()
    assert isinstance(provider, OutboxSmsChannel)

    first = provider.send(to="01011112222", body="안내", kind="sms", idempotency_key="delivery-1")
    again = provider.send(to="01011112222", body="안내", kind="sms", idempotency_key="delivery-1")

    assert first.accepted and first == again
    assert OutboxMessage.objects.filter(idempotency_key="delivery-1").count() == 1
