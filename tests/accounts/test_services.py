import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import RequestFactory

from dangol.accounts import errors, services
from dangol.accounts.models import User, VerificationCode
from dangol.core import clock
from dangol.core.errors import RateLimited
from dangol.core.models import OutboxMessage
from dangol.core.phone import InvalidPhone
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def last_code_sent_to(e164: str) -> str:
    message = OutboxMessage.objects.filter(recipient=e164).order_by("-id").first()
    assert message is not None, "no SMS in the outbox"
    return re.search(r"[0-9]{6}", message.body).group(0)


def test_code_is_sent_by_sms_and_only_its_hash_is_stored():
    record = services.verification_code_send(request=None, phone="010-1234-5678")
    code = last_code_sent_to("+821012345678")
    assert record.phone == "+821012345678"
    assert code not in record.code_hash
    assert record.code_hash == VerificationCode.hash_code("+821012345678", code)


def test_right_code_signs_in_and_creates_the_customer_once():
    services.verification_code_send(request=None, phone="010-1234-5678")
    user = services.customer_login_with_code(
        request=None, phone="01012345678", code=last_code_sent_to("+821012345678")
    )
    assert user.phone == "+821012345678"
    assert user.phone_verified_at is not None
    services.verification_code_send(request=None, phone="010-1234-5678")
    again = services.customer_login_with_code(
        request=None, phone="010-1234-5678", code=last_code_sent_to("+821012345678")
    )
    assert again.pk == user.pk
    assert User.objects.filter(phone="+821012345678").count() == 1


def test_code_works_only_once():
    services.verification_code_send(request=None, phone="010-1234-5678")
    code = last_code_sent_to("+821012345678")
    services.customer_login_with_code(request=None, phone="010-1234-5678", code=code)
    with pytest.raises(errors.InvalidCode):
        services.customer_login_with_code(request=None, phone="010-1234-5678", code=code)


def test_wrong_code_is_refused_and_creates_no_account():
    services.verification_code_send(request=None, phone="010-1234-5678")
    right = last_code_sent_to("+821012345678")
    wrong = "000000" if right != "000000" else "111111"
    with pytest.raises(errors.InvalidCode) as excinfo:
        services.customer_login_with_code(request=None, phone="010-1234-5678", code=wrong)
    assert "인증번호" in excinfo.value.message
    assert not User.objects.filter(phone="+821012345678").exists()


def test_expired_code_is_refused(frozen_clock):
    start = clock.kst(2026, 11, 21, 14, 0)
    frozen_clock(start)
    services.verification_code_send(request=None, phone="010-1234-5678")
    code = last_code_sent_to("+821012345678")
    frozen_clock(start + dt.timedelta(minutes=3, seconds=1))
    with pytest.raises(errors.InvalidCode):
        services.customer_login_with_code(request=None, phone="010-1234-5678", code=code)


def test_new_code_replaces_the_previous_one():
    services.verification_code_send(request=None, phone="010-1234-5678")
    first = last_code_sent_to("+821012345678")
    services.verification_code_send(request=None, phone="010-1234-5678")
    second = last_code_sent_to("+821012345678")
    if first != second:
        with pytest.raises(errors.InvalidCode):
            services.customer_login_with_code(request=None, phone="010-1234-5678", code=first)
    assert services.customer_login_with_code(request=None, phone="010-1234-5678", code=second)


def test_code_dies_after_five_wrong_tries(settings):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 50
    services.verification_code_send(request=None, phone="010-1234-5678")
    right = last_code_sent_to("+821012345678")
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(errors.InvalidCode):
            services.customer_login_with_code(request=None, phone="010-1234-5678", code=wrong)
    with pytest.raises(errors.InvalidCode):
        services.customer_login_with_code(request=None, phone="010-1234-5678", code=right)


def test_invalid_phone_sends_nothing():
    with pytest.raises(InvalidPhone):
        services.verification_code_send(request=None, phone="02-123-4567")
    assert not OutboxMessage.objects.exists()
    assert not VerificationCode.objects.exists()


def test_code_requests_are_rate_limited_per_number(settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 3
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    for _ in range(3):
        services.verification_code_send(request=None, phone="010-1234-5678")
    with pytest.raises(RateLimited):
        services.verification_code_send(request=None, phone="010-1234-5678")
    assert OutboxMessage.objects.count() == 3


def test_password_sign_in_uses_argon2_and_checks_the_password():
    user = StaffUserFactory(email="owner@example.kr")
    assert identify_hasher(user.password).algorithm == "argon2"
    signed_in = services.user_login_with_password(
        request=None, email="Owner@Example.kr", password="dangol-test-pw"
    )
    assert signed_in.pk == user.pk
    with pytest.raises(errors.InvalidCredentials):
        services.user_login_with_password(request=None, email="owner@example.kr", password="nope")


def test_password_failures_lock_the_account_for_the_window(settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 5
    StaffUserFactory(email="owner@example.kr")
    start = clock.kst(2026, 11, 21, 14, 0)
    frozen_clock(start)
    for _ in range(5):
        with pytest.raises(errors.InvalidCredentials):
            services.user_login_with_password(request=None, email="owner@example.kr", password="x")
    # Even the right password is refused while the limit holds …
    with pytest.raises(RateLimited):
        services.user_login_with_password(
            request=None, email="owner@example.kr", password="dangol-test-pw"
        )
    # … and works again once the window has passed.
    frozen_clock(start + dt.timedelta(seconds=settings.DANGOL_LOGIN_WINDOW_SECONDS + 1))
    assert services.user_login_with_password(
        request=None, email="owner@example.kr", password="dangol-test-pw"
    )


def test_purge_deletes_only_long_expired_codes(frozen_clock):
    start = clock.kst(2026, 11, 20, 10, 0)
    frozen_clock(start)
    services.verification_code_send(request=None, phone="010-1234-5678")
    frozen_clock(start + dt.timedelta(hours=23))
    services.verification_code_send(request=None, phone="010-9999-8888")
    frozen_clock(start + dt.timedelta(days=1, minutes=10))
    assert services.verification_codes_purge() == 1
    assert list(VerificationCode.objects.values_list("phone", flat=True)) == ["+821099998888"]


# --- one limiter for every sign-in: keys per number or e-mail, and per client address -------


MARKET_WIFI = "203.0.113.50"


def from_address(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().post("/", REMOTE_ADDR=remote, **headers)


def test_customers_on_one_shared_address_each_get_their_code(settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 5
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))

    for n in range(8):
        services.verification_code_send(
            request=from_address(MARKET_WIFI), phone=f"010-2000-000{n}"
        )

    assert OutboxMessage.objects.count() == 8


def test_code_requests_from_one_address_stop_at_the_address_ceiling(settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 5
    settings.DANGOL_LOGIN_MAX_ATTEMPTS_PER_ADDRESS = 7
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    for n in range(7):
        services.verification_code_send(
            request=from_address(MARKET_WIFI), phone=f"010-2000-000{n}"
        )

    with pytest.raises(RateLimited):
        services.verification_code_send(request=from_address(MARKET_WIFI), phone="010-2000-0008")
    assert OutboxMessage.objects.count() == 7


def test_clients_behind_a_trusted_load_balancer_are_limited_apart(settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 5
    settings.DANGOL_LOGIN_MAX_ATTEMPTS_PER_ADDRESS = 2
    settings.DANGOL_TRUSTED_PROXIES = ["10.0.0.0/8"]
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    for n in range(2):
        services.verification_code_send(
            request=from_address("10.0.0.5", "198.51.100.1"), phone=f"010-2000-000{n}"
        )

    services.verification_code_send(
        request=from_address("10.0.0.5", "198.51.100.2"), phone="010-2000-0002"
    )
    with pytest.raises(RateLimited):
        services.verification_code_send(
            request=from_address("10.0.0.5", "198.51.100.1"), phone="010-2000-0003"
        )


def test_a_successful_sign_in_resets_the_numbers_count(settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 3
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    for _ in range(3):
        services.verification_code_send(request=None, phone="010-1234-5678")
    services.customer_login_with_code(
        request=None, phone="010-1234-5678", code=last_code_sent_to("+821012345678")
    )

    services.verification_code_send(request=None, phone="010-1234-5678")

    assert OutboxMessage.objects.count() == 4


def test_a_stranger_guessing_codes_does_not_lock_the_number_out(settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 5
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    services.verification_code_send(request=from_address("198.51.100.66"), phone="010-1234-5678")
    guessed = last_code_sent_to("+821012345678")
    wrong = "000000" if guessed != "000000" else "111111"
    for _ in range(6):
        with pytest.raises((errors.InvalidCode, RateLimited)):
            services.customer_login_with_code(
                request=from_address("198.51.100.66"), phone="010-1234-5678", code=wrong
            )

    # The owner of the number asks for a new code and signs in with it.
    services.verification_code_send(request=from_address(MARKET_WIFI), phone="010-1234-5678")
    user = services.customer_login_with_code(
        request=from_address(MARKET_WIFI), phone="010-1234-5678",
        code=last_code_sent_to("+821012345678"),
    )

    assert user.phone == "+821012345678"


def test_wrong_codes_from_one_address_stop_at_the_address_ceiling(settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 5
    settings.DANGOL_LOGIN_MAX_ATTEMPTS_PER_ADDRESS = 3
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    attacker = from_address("198.51.100.66")
    for n in range(3):
        with pytest.raises(errors.InvalidCode):
            services.customer_login_with_code(
                request=attacker, phone=f"010-2000-000{n}", code="000000"
            )

    with pytest.raises(RateLimited):
        services.customer_login_with_code(request=attacker, phone="010-2000-0003", code="000000")
