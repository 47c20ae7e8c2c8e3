"""One-time codes go out through the real SMS adapter, and no log line carries a code, a full
phone number, a voucher code or a QR token (issue 12, item 2)."""

import logging
import re
from collections.abc import Iterator

import pytest
from django.urls import reverse

from dangol.accounts.services import api_token_create
from dangol.core.clock import kst
from dangol.vouchers.models import Redemption
from tests.factories import CustomerFactory, StoreFactory, StoreMembershipFactory
from tests.messaging.sms_server import APP_KEY, SECRET_KEY, SENDER, FakeNhnSms
from tests.vouchers.conftest import buy, make_product

pytestmark = pytest.mark.django_db

NHN_SMS_BACKEND = "dangol.core.sms.NhnCloudSms"


@pytest.fixture
def sms_server(settings) -> Iterator[FakeNhnSms]:
    """The local NHN Cloud SMS server, configured as the site's SMS channel."""
    server = FakeNhnSms()
    server.start()
    settings.DANGOL_SMS_BACKEND = NHN_SMS_BACKEND
    settings.DANGOL_SMS_API_URL = server.url
    settings.DANGOL_SMS_API_KEY = APP_KEY
    settings.DANGOL_SMS_API_SECRET = SECRET_KEY
    settings.DANGOL_SMS_SENDER = SENDER
    yield server
    server.stop()


def test_one_time_code_goes_through_the_nhn_auth_route_and_signs_in(client, sms_server):
    response = client.post(reverse("accounts:phone_start"), {"phone": "010-1234-5678"})

    assert response.status_code == 302
    [request] = sms_server.requests
    # The provider's priority route for authentication messages.
    assert request["path"] == f"/sms/v3.0/appKeys/{APP_KEY}/sender/auth/sms"
    assert request["headers"]["X-Secret-Key"] == SECRET_KEY
    body = request["body"]
    assert body["sendNo"] == SENDER
    assert [r["recipientNo"] for r in body["recipientList"]] == ["01012345678"]
    code = re.search(r"인증번호 ([0-9]{6})", body["body"]).group(1)
    response = client.post(reverse("accounts:phone_verify"), {"code": code})
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_no_log_line_carries_a_code_a_phone_number_a_voucher_code_or_a_qr_token(
    client, caplog, frozen_clock
):
    frozen_clock(kst(2026, 11, 21, 14, 0))
    caplog.set_level(logging.DEBUG)
    store = StoreFactory()
    owner = StoreMembershipFactory(store=store).user
    product = make_product(store)
    by_code, by_qr = buy(product, CustomerFactory()), buy(product, CustomerFactory())
    _token, secret = api_token_create(user=owner, name="포스", scope="")

    client.post(reverse("accounts:phone_start"), {"phone": "010-1234-5678"})
    outbox = client.get(reverse("dev:outbox")).content.decode()
    code = re.search(r"인증번호 ([0-9]{6})", outbox).group(1)
    client.post(reverse("accounts:phone_verify"), {"code": code})
    lookups = [("sale-1", {"code": by_code.code}), ("sale-2", {"qr_token": by_qr.qr_token})]
    for key, lookup in lookups:
        response = client.post(
            f"/api/stores/{store.pk}/vouchers/redemptions", {**lookup, "amount": 1_000},
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key},
        )
        assert response.status_code == 201, response.content

    assert Redemption.objects.count() == 2
    logged = caplog.text
    assert logged, "the requests logged nothing: the test would prove nothing"
    for secret_value in (code, "01012345678", "+821012345678", "010-1234-5678",
                         by_code.code, by_qr.code, by_qr.qr_token):
        assert secret_value not in logged, secret_value


def test_a_code_the_provider_refused_is_reported_not_silently_awaited(client, sms_server, caplog):
    sms_server.fail_next(1, "refuse")

    response = client.post(reverse("accounts:phone_start"), {"phone": "010-1234-5678"})

    assert response.status_code == 503
    assert "인증번호 문자를 보내지 못했습니다" in response.content.decode()
    assert "01012345678" not in caplog.text and "+821012345678" not in caplog.text


def test_a_code_the_provider_did_not_send_does_not_count_against_the_number(
    client, sms_server, settings
):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 2
    sms_server.fail_next(2, "error")

    for _ in range(2):
        response = client.post(reverse("accounts:phone_start"), {"phone": "010-1234-5678"})
        assert response.status_code == 503
    response = client.post(reverse("accounts:phone_start"), {"phone": "010-1234-5678"})

    assert response.status_code == 302
    assert len(sms_server.sent) == 1
