"""System checks that keep the demo's stand-ins out of production.

Outside the demo (`DANGOL_DEMO`) and the test suite (`DANGOL_TESTING`) the sandbox card
provider, the development outbox for SMS and e-mail, an empty SITE_URL and a real provider
without its keys (Toss's secret and client keys, of one mode; the SMS channel's settings)
are errors. The checks are
not deploy-only, so every command that runs system checks refuses to start with
them (`dangol serve`, `runserver`, `run_huey`, `migrate`, `check --deploy`); gunicorn runs no
system checks, so the WSGI module calls `demo_parts_refuse()`. A staging site that wants the
sandbox and the outbox says so with DANGOL_ALLOW_SANDBOX=1; SITE_URL is required even there,
as links in SMS and e-mail must be absolute.
"""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from dangol.core.sms import national_number, sms_channel

SANDBOX_PAYMENTS_PROVIDER = "sandbox"
OUTBOX_SMS_BACKEND = "dangol.core.sms.OutboxSmsChannel"
NHN_SMS_BACKEND = "dangol.core.sms.NhnCloudSms"
OUTBOX_EMAIL_BACKEND = "dangol.core.mail.OutboxEmailBackend"


def _stand_in(setting: str, value: str, id_: str) -> Error:
    return Error(
        _("운영 환경에서는 데모용 %(setting)s=%(value)s 를 쓸 수 없습니다.")
        % {"setting": setting, "value": value},
        hint=_("실제 제공자를 설정하세요. 스테이징 사이트라면 DANGOL_ALLOW_SANDBOX=1 로 "
               "명시적으로 허용할 수 있습니다."),
        id=id_,
    )


@register(Tags.security)
def demo_parts_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Return an Error for each demo stand-in configured outside the demo and the tests."""
    if settings.DEMO or settings.TESTING:
        return []
    errors: list[CheckMessage] = []
    if not settings.DANGOL_ALLOW_SANDBOX:
        if settings.PAYMENTS_PROVIDER == SANDBOX_PAYMENTS_PROVIDER:
            errors.append(_stand_in("PAYMENTS_PROVIDER", settings.PAYMENTS_PROVIDER, "dangol.E001"))
        if settings.DANGOL_SMS_BACKEND == OUTBOX_SMS_BACKEND:
            errors.append(_stand_in("SMS_BACKEND", settings.DANGOL_SMS_BACKEND, "dangol.E002"))
        if settings.EMAIL_BACKEND == OUTBOX_EMAIL_BACKEND:
            errors.append(Error(
                _("운영 환경에서는 e-메일을 데모용 보관함(%(backend)s)에 둘 수 없습니다.")
                % {"backend": settings.EMAIL_BACKEND},
                hint=_("EMAIL_HOST 로 SMTP 서버를 설정하세요. 스테이징 사이트라면 "
                       "DANGOL_ALLOW_SANDBOX=1 로 명시적으로 허용할 수 있습니다."),
                id="dangol.E003",
            ))
    if settings.PAYMENTS_PROVIDER == "toss":
        errors.extend(_toss_keys_check())
    if settings.DANGOL_SMS_BACKEND != OUTBOX_SMS_BACKEND:
        try:
            sms_channel()
        except (ImportError, ValueError) as exc:
            errors.append(Error(
                _("SMS_BACKEND=%(backend)s 를 쓸 수 없습니다: %(error)s")
                % {"backend": settings.DANGOL_SMS_BACKEND, "error": exc},
                id="dangol.E006",
            ))
    if settings.DANGOL_SMS_BACKEND == NHN_SMS_BACKEND:
        number = national_number(getattr(settings, "DANGOL_SMS_OPT_OUT_080", "") or "")
        if not (number.startswith("080") and len(number) in {10, 11}):
            errors.append(Error(
                _("NHN Cloud 문자로 광고를 보내려면 SMS_OPT_OUT_080 에 무료 수신거부 080 번호가 "
                  "필요합니다."),
                hint=_("NHN Cloud 콘솔의 080 수신거부 서비스에 등록한 번호를 "
                       "SMS_OPT_OUT_080=080-123-4567 처럼 설정하세요."),
                id="dangol.E007",
            ))
    if not settings.SITE_URL:
        errors.append(Error(
            _("운영 환경에서는 SITE_URL 이 비어 있으면 안 됩니다: 문자와 e-메일의 수신 거부 "
              "링크는 절대 주소여야 합니다."),
            hint=_("SITE_URL=https://dangol.example.kr 처럼 사이트의 공개 주소를 설정하세요."),
            id="dangol.E004",
        ))
    return errors


def _toss_keys_check() -> list[CheckMessage]:
    """Return an Error unless Toss has both keys (the secret key for the API, the client key
    for the payment window) and both are of the same mode (test_… or live_…)."""
    secret, client = settings.TOSS_SECRET_KEY, settings.TOSS_CLIENT_KEY
    if not secret or not client:
        return [Error(
            _("PAYMENTS_PROVIDER=toss 에는 TOSS_SECRET_KEY 와 TOSS_CLIENT_KEY 가 모두 "
              "필요합니다."),
            hint=_("토스페이먼츠 개발자센터의 API 키 메뉴에서 시크릿 키와 클라이언트 키를 "
                   "복사하세요."),
            id="dangol.E005",
        )]
    if secret.split("_", 1)[0] != client.split("_", 1)[0]:
        return [Error(
            _("TOSS_SECRET_KEY 와 TOSS_CLIENT_KEY 는 같은 모드(test_ 또는 live_)의 키여야 "
              "합니다."),
            id="dangol.E005",
        )]
    return []


def demo_parts_refuse() -> None:
    """Raise ImproperlyConfigured listing the errors of `demo_parts_check`, if any."""
    errors = demo_parts_check(None)
    if errors:
        raise ImproperlyConfigured("\n".join(f"{error.id}: {error.msg}" for error in errors))
