"""Settings: production configuration passes Django's deployment checks; defaults are safe."""

import os
import subprocess
import sys

from django.conf import settings

from tests.processes import production_environ


def run_dangol(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dangol", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_check_deploy_is_clean_when_configured_for_production(tmp_path):
    env = production_environ("DANGOL_DEMO", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env.update({
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-9f8e7d6c5b4a",
        "ALLOWED_HOSTS": "dangol.example.kr",
        "DANGOL_HTTPS": "1",
        "DANGOL_VAR_DIR": str(tmp_path),
        "PYTHONPATH": "src",
        # A staging site: the sandbox and the outbox explicitly allowed (test_production_checks).
        "DANGOL_ALLOW_SANDBOX": "1",
        "SITE_URL": "https://dangol.example.kr",
    })
    result = run_dangol("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_outside_the_demo(tmp_path):
    env = production_environ("DANGOL_DEMO")
    env.update({"DANGOL_VAR_DIR": str(tmp_path), "PYTHONPATH": "src"})
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = run_dangol("shell", "-c", code, env=env)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
    env["DANGOL_DEMO"] = "1"
    result = run_dangol("shell", "-c", code, env=env)
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


def test_korean_default_english_available_and_seoul_time():
    assert settings.LANGUAGE_CODE == "ko"
    assert [code for code, _ in settings.LANGUAGES] == ["ko", "en"]
    assert settings.TIME_ZONE == "Asia/Seoul"
    assert settings.USE_TZ


def test_secret_key_is_generated_once_per_install_not_hard_coded(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DANGOL_VAR_DIR": str(tmp_path), "PYTHONPATH": "src"})
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_dangol("shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    second = run_dangol("shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    assert len(first) >= 50
    assert first == second == (tmp_path / "secret_key").read_text().strip()


def test_queue_and_cache_move_to_redis_when_redis_url_is_set(tmp_path):
    env = production_environ("REDIS_URL")
    env.update({"DANGOL_VAR_DIR": str(tmp_path), "PYTHONPATH": "src"})
    code = (
        "from django.conf import settings; from huey.contrib.djhuey import HUEY; "
        "print(type(HUEY).__name__, settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1])"
    )
    embedded = run_dangol("shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    assert embedded == "SqliteHuey LocMemCache"
    env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    scaled = run_dangol("shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    assert scaled == "PriorityRedisHuey RedisCache"


def test_trusted_proxies_are_read_from_the_environment_and_a_typo_stops_the_start(tmp_path):
    env = production_environ("DANGOL_DEMO")
    env.update({
        "DANGOL_VAR_DIR": str(tmp_path), "PYTHONPATH": "src",
        "DANGOL_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.10",
    })
    code = "from django.conf import settings; print(settings.DANGOL_TRUSTED_PROXIES)"
    result = run_dangol("shell", "-c", code, env=env)
    assert result.stdout.strip().splitlines()[-1] == "['10.0.0.0/8', '192.0.2.10']", result.stderr

    env["DANGOL_TRUSTED_PROXIES"] = "10.0.0.0/33"
    result = run_dangol("shell", "-c", code, env=env)
    assert result.returncode != 0
    assert "10.0.0.0/33" in result.stderr
