"""Settings, read from the environment with safe defaults.

The embedded default runs on SQLite under ./var/ with Huey on SQLite; `DATABASE_URL` and
`REDIS_URL` move it to PostgreSQL and Redis. `DEBUG` is on only when `DANGOL_DEMO=1`
(set by `dangol demo`). See README.md, "Configuration".
"""

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool = False) -> bool:
    """Return the environment variable `name` read as a yes/no flag."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Return the comma-separated environment variable `name` as a list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DANGOL_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEMO = env_bool("DANGOL_DEMO")
DEBUG = DEMO
TESTING = env_bool("DANGOL_TESTING")
# Outside the demo and the tests, the demo's stand-ins (the sandbox card provider, the outbox
# SMS and e-mail channels) are refused at start-up (dangol.core.checks); a staging site may
# allow them explicitly with DANGOL_ALLOW_SANDBOX=1.
DANGOL_ALLOW_SANDBOX = env_bool("DANGOL_ALLOW_SANDBOX")


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, or a random key kept in ./var/ for this install."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "ninja",
    "dangol.core",
    "dangol.accounts",
    "dangol.audit",
    "dangol.organisations",
    "dangol.payments",
    "dangol.ledger",
    "dangol.vouchers",
    "dangol.settlement",
    "dangol.places",
    "dangol.access",
    "dangol.notices",
    "dangol.regulars",
    "dangol.coupons",
    "dangol.messaging",
    "dangol.programs",
    "dangol.privacy",
    "dangol.demo",
    "dangol.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dangol.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dangol.config.urls"
WSGI_APPLICATION = "dangol.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "dangol.web.context.site",
            ],
            "builtins": ["dangol.core.templatetags.korean"],
        },
    }
]

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'dangol.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE takes the write lock
    # at BEGIN so two writers queue instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- queue, cache ---------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("DANGOL_HUEY_IMMEDIATE", default=TESTING)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "dangol",
        "immediate": HUEY_IMMEDIATE,
        "connection": {"url": REDIS_URL},
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "4")), "worker_type": "thread"},
    }
    CACHES: dict[str, dict[str, Any]] = {
        alias: {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        for alias in ("default", "shared")
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "dangol",
        "immediate": HUEY_IMMEDIATE,
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
    }
    # "shared" holds what every process must see alike (the rate limiter's counts): a file
    # cache with atomic add/incr under the var folder, shared by gunicorn's workers and the
    # consumer. The test suite counts in memory, each xdist worker on its own, unless
    # DANGOL_CACHE_DIR names a folder (as tests that start processes do).
    CACHE_DIR = os.environ.get("DANGOL_CACHE_DIR") or ("" if TESTING else str(VAR_DIR / "cache"))
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": (
            {
                "BACKEND": "dangol.core.filecache.SharedFileCache",
                "LOCATION": CACHE_DIR,
                "OPTIONS": {"MAX_ENTRIES": 2000},
            }
            if CACHE_DIR
            else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}
        ),
    }

# --- accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["dangol.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Sign-in attempts (failed passwords, code requests) allowed per e-mail address or mobile
# number, and per client address (much higher: a market's shared Wi-Fi is one address), in
# the window below; dangol.accounts.services.login_limits names the keys.
DANGOL_LOGIN_MAX_ATTEMPTS = int(os.environ.get("DANGOL_LOGIN_MAX_ATTEMPTS", "5"))
DANGOL_LOGIN_MAX_ATTEMPTS_PER_ADDRESS = int(
    os.environ.get("DANGOL_LOGIN_MAX_ATTEMPTS_PER_ADDRESS", "100")
)
DANGOL_LOGIN_WINDOW_SECONDS = int(os.environ.get("DANGOL_LOGIN_WINDOW_SECONDS", "900"))
DANGOL_OTP_TTL_SECONDS = 180
# Retention of personal data (개인정보보호법 §21: destroyed without delay once its period
# ends; docs/privacy.md). Days, each overridable by the environment variable of the same name.
# One-time codes: deleted this long after they expired (accounts, hourly).
DANGOL_RETENTION_OTP_DAYS = int(os.environ.get("DANGOL_RETENTION_OTP_DAYS", "1"))
# API tokens: deleted this long after they were revoked (privacy's daily job).
DANGOL_RETENTION_REVOKED_TOKEN_DAYS = int(
    os.environ.get("DANGOL_RETENTION_REVOKED_TOKEN_DAYS", "90")
)
# Message deliveries: the recipient's number or e-mail address is blanked this long after
# the delivery was created; the row stays, so campaign figures keep their counts.
DANGOL_RETENTION_DELIVERY_ADDRESS_DAYS = int(
    os.environ.get("DANGOL_RETENTION_DELIVERY_ADDRESS_DAYS", "365")
)
# The development outbox (SMS and e-mail the demo would have sent): deleted after this long.
DANGOL_RETENTION_OUTBOX_DAYS = int(os.environ.get("DANGOL_RETENTION_OUTBOX_DAYS", "30"))
# Settlement batches paid at a time on PostgreSQL, each on its own connection
# (dangol.settlement.services); 1 pays them one after another.
DANGOL_SETTLEMENT_WORKERS = int(os.environ.get("DANGOL_SETTLEMENT_WORKERS", "2"))

# --- outbound channels ----------------------------------------------------------------------
# One SMS channel (dangol.core.sms) sends one-time codes and messages: the default keeps them
# in the development outbox (shown at /dev/outbox/ in the demo);
# SMS_BACKEND=dangol.core.sms.NhnCloudSms sends through NHN Cloud SMS v3.0.
DANGOL_SMS_BACKEND = os.environ.get("SMS_BACKEND", "dangol.core.sms.OutboxSmsChannel")
DANGOL_SMS_SENDER = os.environ.get("SMS_SENDER", "")
DANGOL_SMS_API_KEY = os.environ.get("SMS_API_KEY", "")
DANGOL_SMS_API_SECRET = os.environ.get("SMS_API_SECRET", "")
DANGOL_SMS_API_URL = os.environ.get("SMS_API_URL", "")  # "" = https://sms.api.nhncloudservice.com
# The free 080 opt-out number registered with NHN Cloud: ad SMS/LMS end with it (the law and
# NHN's ad routes require it); checked by `dangol check --deploy` when the NHN channel is on.
DANGOL_SMS_OPT_OUT_080 = os.environ.get("SMS_OPT_OUT_080", "")

if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "dangol.core.mail.OutboxEmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dangol <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("한국어")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Seoul"
USE_TZ = True

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "dangol.core.staticfiles.StaticStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- security -------------------------------------------------------------------------------
# Behind HTTPS (DANGOL_HTTPS=1, the production setting) cookies are secure and HSTS is on.
HTTPS = env_bool("DANGOL_HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("DANGOL_SSL_REDIRECT", default=True)
# Load balancers and reverse proxies in front of the site (addresses or CIDRs): only a request
# from one of them has its X-Forwarded-For read for the client's address (dangol.core.clientaddr).
DANGOL_TRUSTED_PROXIES = env_list("DANGOL_TRUSTED_PROXIES", "")
for _proxy in DANGOL_TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo stops the start, naming the entry
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The Huey consumer (run_huey) adds its own handler; do not print each line twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}

# --- dangol ---------------------------------------------------------------------------------
DANGOL_SITE_NAME = os.environ.get("DANGOL_SITE_NAME", "단골")
# The official market data's provider, shown wherever imported data appears (공공누리).
DANGOL_MARKET_DATA_SOURCE = "소상공인시장진흥공단 전국전통시장표준데이터"

# --- messaging ------------------------------------------------------------------------------
# The site's public origin (https://dangol.example.kr): links in SMS and e-mail (opt-out,
# inbox) are absolute only when it is set.
# The demo's default follows PORT (`dangol demo --port` passes its own). Outside the demo
# an empty SITE_URL is refused at start-up (dangol.core.checks).
SITE_URL = os.environ.get("SITE_URL") or (
    f"http://127.0.0.1:{os.environ.get('PORT') or 8000}" if DEMO else ""
)
DANGOL_SMS_TIMEOUT_SECONDS = float(os.environ.get("SMS_TIMEOUT_SECONDS", "5"))
DANGOL_MESSAGING_LEASE_SECONDS = int(os.environ.get("MESSAGING_LEASE_SECONDS", "120"))
DANGOL_MESSAGING_MAX_ATTEMPTS = 5
DANGOL_MESSAGING_BACKOFF_SECONDS = 30
DANGOL_MESSAGING_RATE_PER_SECOND = {
    "sms": int(os.environ.get("SMS_RATE_PER_SECOND", "20")),
    "email": int(os.environ.get("EMAIL_RATE_PER_SECOND", "10")),
}
DANGOL_MESSAGING_BATCH_SIZE = 100

# --- payments -------------------------------------------------------------------------------
# "sandbox" (built in; test card numbers, see dangol.payments.providers.sandbox) or "toss".
PAYMENTS_PROVIDER = os.environ.get("PAYMENTS_PROVIDER", "sandbox")
# The cap on a voucher product's platform fee, in basis points (Kakao's 8% in 2025).
DANGOL_VOUCHER_FEE_CAP_BP = int(os.environ.get("DANGOL_VOUCHER_FEE_CAP_BP", "800"))
PAYMENTS_SANDBOX_TIMEOUT_SECONDS = float(os.environ.get("PAYMENTS_SANDBOX_TIMEOUT_SECONDS", "3"))
TOSS_SECRET_KEY = os.environ.get("TOSS_SECRET_KEY", "")
# The client key opens Toss's payment window in the buyer's browser (test_ck_… or live_ck_…).
TOSS_CLIENT_KEY = os.environ.get("TOSS_CLIENT_KEY", "")
# Empty: Toss's own window (its JavaScript SDK). Set to a local fake's /window page for tests
# and the demo (dangol.payments.fakes.toss).
TOSS_WINDOW_URL = os.environ.get("TOSS_WINDOW_URL", "")
TOSS_API_BASE = os.environ.get("TOSS_API_BASE", "https://api.tosspayments.com")
TOSS_TIMEOUT_SECONDS = float(os.environ.get("TOSS_TIMEOUT_SECONDS", "10"))
# Waits (seconds) before repeating a call Toss answered PROVIDER_ERROR (temporary), same key.
TOSS_RETRY_DELAYS = (0.5, 1.0, 2.0)
# The periodic sweeper settles, by asking the provider, operations unanswered this long.
PAYMENTS_SWEEP_AFTER_MINUTES = int(os.environ.get("PAYMENTS_SWEEP_AFTER_MINUTES", "10"))
