import re

import pytest
from django.urls import reverse

from dangol.core import clock
from dangol.core.models import OutboxMessage
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_login_page_offers_phone_and_email_sign_in(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "휴대전화 번호" in text
    assert "이메일" in text
    assert 'autocomplete="one-time-code"' not in text


def test_customer_signs_in_with_the_code_from_the_outbox(client):
    response = client.post(reverse("accounts:phone_start"), {"phone": "010-1234-5678"})
    assert response.status_code == 302
    page = client.get(reverse("accounts:phone_verify"))
    assert "010-****-5678" in page.content.decode()
    outbox = client.get(reverse("dev:outbox")).content.decode()
    code = re.search(r"인증번호 ([0-9]{6})", outbox).group(1)
    response = client.post(reverse("accounts:phone_verify"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_wrong_code_shows_a_clear_error(client):
    client.post(reverse("accounts:phone_start"), {"phone": "010-1234-5678"})
    sent = re.search(r"[0-9]{6}", OutboxMessage.objects.get().body).group(0)
    wrong = "000000" if sent != "000000" else "111111"
    response = client.post(reverse("accounts:phone_verify"), {"code": wrong})
    assert response.status_code == 400
    assert "인증번호가 올바르지 않거나 만료되었습니다" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_invalid_phone_number_is_refused_on_the_form(client):
    response = client.post(reverse("accounts:phone_start"), {"phone": "12345"})
    assert response.status_code == 400
    assert "휴대전화 번호가 올바르지 않습니다" in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_staff_signs_in_with_email_and_password_and_out_again(client):
    StaffUserFactory(email="owner@example.kr")
    response = client.post(
        reverse("accounts:email_login"),
        {"email": "owner@example.kr", "password": "dangol-test-pw", "next": "/markets/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/markets/"
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_sign_in_never_redirects_to_another_site(client):
    StaffUserFactory(email="owner@example.kr")
    response = client.post(
        reverse("accounts:email_login"),
        {"email": "owner@example.kr", "password": "dangol-test-pw", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("web:home")


def test_wrong_password_then_rate_limit_on_the_page(client, settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 2
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    StaffUserFactory(email="owner@example.kr")
    for _ in range(2):
        response = client.post(
            reverse("accounts:email_login"), {"email": "owner@example.kr", "password": "bad"}
        )
        assert response.status_code == 401
        assert "이메일 또는 비밀번호가 올바르지 않습니다" in response.content.decode()
    response = client.post(
        reverse("accounts:email_login"),
        {"email": "owner@example.kr", "password": "dangol-test-pw"},
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_forms_are_csrf_protected():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:phone_start"), {"phone": "010-1234-5678"})
    assert response.status_code == 403


# --- the admin's sign-in shares the one limiter -------------------------------------------------


def admin_login(client, email, password):
    return client.post(
        reverse("admin:login"), {"username": email, "password": password, "next": "/admin/"}
    )


def test_admin_sign_in_is_rate_limited(client, settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 5
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    StaffUserFactory(email="admin@example.kr", is_staff=True, is_superuser=True)
    for _ in range(5):
        response = admin_login(client, "admin@example.kr", "guess")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    response = admin_login(client, "admin@example.kr", "dangol-test-pw")

    assert "_auth_user_id" not in client.session
    assert "시도 횟수가 너무 많습니다" in response.content.decode()


def test_admin_and_site_sign_in_count_failures_together(client, settings, frozen_clock):
    settings.DANGOL_LOGIN_MAX_ATTEMPTS = 4
    frozen_clock(clock.kst(2026, 11, 21, 14, 3))
    StaffUserFactory(email="admin@example.kr", is_staff=True, is_superuser=True)
    for _ in range(2):
        client.post(
            reverse("accounts:email_login"), {"email": "admin@example.kr", "password": "guess"}
        )
        admin_login(client, "admin@example.kr", "guess")

    site = client.post(
        reverse("accounts:email_login"),
        {"email": "admin@example.kr", "password": "dangol-test-pw"},
    )
    admin = admin_login(client, "admin@example.kr", "dangol-test-pw")

    assert site.status_code == 429
    assert "시도 횟수가 너무 많습니다" in admin.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_signs_staff_in_with_the_right_password(client):
    StaffUserFactory(email="admin@example.kr", is_staff=True, is_superuser=True)

    response = admin_login(client, "admin@example.kr", "dangol-test-pw")

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_admin_refuses_a_customer_with_the_right_password(client):
    StaffUserFactory(email="owner@example.kr", is_staff=False)

    response = admin_login(client, "owner@example.kr", "dangol-test-pw")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
