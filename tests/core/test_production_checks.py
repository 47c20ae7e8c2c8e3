"""Outside the demo and the tests, the demo's stand-ins are refused at start-up and by
`dangol check --deploy`: the sandbox card provider, the outbox SMS and e-mail channels and an
empty SITE_URL (issue 12, item 1)."""

import subprocess
import sys

import pytest
from django.test import override_settings

from dangol.core.checks import demo_parts_check
from dangol.demo.runtime import ServeOptions, demo_environment
from tests.processes import production_environ

PRODUCTION = {
    "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-9f8e7d6c5b4a",
    "ALLOWED_HOSTS": "dangol.example.kr",
    "DANGOL_HTTPS": "1",
    "PYTHONPATH": "src",
}
# A deployment with every real channel configured.
REAL_PROVIDERS = {
    "PAYMENTS_PROVIDER": "toss",
    "TOSS_SECRET_KEY": "test_sk_real",
    "TOSS_CLIENT_KEY": "test_ck_real",
    "SMS_BACKEND": "dangol.core.sms.NhnCloudSms",
    "SMS_API_KEY": "app-key",
    "SMS_API_SECRET": "secret",
    "SMS_SENDER": "0515551234",
    "SMS_OPT_OUT_080": "080-123-4567",
    "EMAIL_HOST": "smtp.example.kr",
    "SITE_URL": "https://dangol.example.kr",
}


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    env = production_environ(
        "DANGOL_DEMO", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DANGOL_ALLOW_SANDBOX",
        *REAL_PROVIDERS,
    )
    env.update(PRODUCTION, DANGOL_VAR_DIR=str(tmp_path), **extra)
    return env


def run_dangol(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dangol", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_check_deploy_refuses_the_sandbox_provider_outside_the_demo(tmp_path):
    env = production_env(tmp_path, **{**REAL_PROVIDERS, "PAYMENTS_PROVIDER": "sandbox"})

    result = run_dangol("check", "--deploy", env=env)

    assert result.returncode != 0
    assert "PAYMENTS_PROVIDER" in result.stderr and "sandbox" in result.stderr, result.stderr
    assert "dangol.E001" in result.stderr


def test_check_deploy_passes_with_real_providers(tmp_path):
    env = production_env(tmp_path, **REAL_PROVIDERS)

    result = run_dangol("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_defaults_refuse_every_demo_part_by_name(tmp_path):
    result = run_dangol("check", "--deploy", env=production_env(tmp_path))

    assert result.returncode != 0
    for name in ("PAYMENTS_PROVIDER", "SMS_BACKEND", "EMAIL_HOST", "SITE_URL"):
        assert name in result.stderr, (name, result.stderr)


def test_serve_and_the_worker_refuse_to_start_with_the_sandbox(tmp_path):
    env = production_env(tmp_path, **{**REAL_PROVIDERS, "PAYMENTS_PROVIDER": "sandbox"})

    for command in (["serve", "--no-worker"], ["run_huey"], ["runserver", "--noreload"]):
        result = run_dangol(*command, env=env)
        assert result.returncode != 0, command
        assert "dangol.E001" in result.stderr, (command, result.stderr)


def test_gunicorn_refuses_to_load_the_application_with_the_sandbox(tmp_path):
    env = production_env(tmp_path, **{**REAL_PROVIDERS, "PAYMENTS_PROVIDER": "sandbox"})

    result = subprocess.run(
        [sys.executable, "-c", "import dangol.config.wsgi"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "sandbox" in result.stderr


def test_a_staging_site_may_allow_the_sandbox_by_a_named_setting(tmp_path):
    env = production_env(tmp_path, DANGOL_ALLOW_SANDBOX="1", SITE_URL="https://staging.example.kr")

    result = run_dangol("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_allowance_does_not_excuse_an_empty_site_url(tmp_path):
    result = run_dangol("check", "--deploy", env=production_env(tmp_path, DANGOL_ALLOW_SANDBOX="1"))

    assert result.returncode != 0
    assert "dangol.E004" in result.stderr and "SITE_URL" in result.stderr


@pytest.mark.parametrize("mode", ["DEMO", "TESTING"])
def test_the_demo_and_the_tests_keep_their_stand_ins(mode):
    outside = {
        "DEMO": False, "TESTING": False, "DANGOL_ALLOW_SANDBOX": False, "SITE_URL": "",
        "EMAIL_BACKEND": "dangol.core.mail.OutboxEmailBackend",  # pytest-django swaps it
    }
    with override_settings(**outside):
        assert [error.id for error in demo_parts_check(None)] == [
            "dangol.E001", "dangol.E002", "dangol.E003", "dangol.E004"
        ]
    with override_settings(**{**outside, mode: True}):
        assert demo_parts_check(None) == []


def test_the_demo_site_url_follows_port(tmp_path):
    env = production_environ("SITE_URL")
    env.update(DANGOL_DEMO="1", PORT="8123", DANGOL_VAR_DIR=str(tmp_path), PYTHONPATH="src")

    result = run_dangol(
        "shell", "-c", "from django.conf import settings; print(settings.SITE_URL)", env=env
    )

    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123", result.stderr


def test_the_demo_serves_with_site_url_at_its_own_port(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)

    overrides = demo_environment(ServeOptions(port=8124))

    assert overrides == {"DANGOL_DEMO": "1", "SITE_URL": "http://127.0.0.1:8124"}


REAL_SETTINGS = {
    "DEMO": False, "TESTING": False, "DANGOL_ALLOW_SANDBOX": False,
    "SITE_URL": "https://dangol.example.kr", "PAYMENTS_PROVIDER": "toss",
    "TOSS_SECRET_KEY": "test_sk_real", "TOSS_CLIENT_KEY": "test_ck_real",
    "DANGOL_SMS_BACKEND": "dangol.core.sms.NhnCloudSms",
    "DANGOL_SMS_API_KEY": "app-key", "DANGOL_SMS_API_SECRET": "secret",
    "DANGOL_SMS_SENDER": "0515551234", "DANGOL_SMS_OPT_OUT_080": "080-123-4567",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def test_real_providers_without_their_keys_are_refused_at_start_up():
    with override_settings(**REAL_SETTINGS):
        assert demo_parts_check(None) == []
    with override_settings(**{**REAL_SETTINGS, "TOSS_SECRET_KEY": "", "DANGOL_SMS_API_KEY": ""}):
        errors = demo_parts_check(None)

    assert [error.id for error in errors] == ["dangol.E005", "dangol.E006"]
    assert "TOSS_SECRET_KEY" in errors[0].msg and "SMS_API_KEY" in errors[1].msg


@pytest.mark.parametrize("number", ["", "051-544-1234", "080-12"])
def test_the_nhn_channel_needs_a_free_080_opt_out_number_for_ads(number):
    with override_settings(**{**REAL_SETTINGS, "DANGOL_SMS_OPT_OUT_080": number}):
        errors = demo_parts_check(None)

    assert [error.id for error in errors] == ["dangol.E007"]
    assert "SMS_OPT_OUT_080" in errors[0].msg


def test_toss_without_its_client_key_is_refused():
    with override_settings(**{**REAL_SETTINGS, "TOSS_CLIENT_KEY": ""}):
        errors = demo_parts_check(None)

    assert [error.id for error in errors] == ["dangol.E005"]
    assert "TOSS_CLIENT_KEY" in errors[0].msg


def test_toss_keys_of_different_modes_are_refused():
    with override_settings(**{**REAL_SETTINGS, "TOSS_CLIENT_KEY": "live_ck_real"}):
        errors = demo_parts_check(None)

    assert [error.id for error in errors] == ["dangol.E005"]
