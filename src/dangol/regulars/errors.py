"""The regulars domain errors: a follow, consent, tag or customer list that breaks a rule,
each with a Korean, translatable message and a stable code."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import NotFound, ValidationError


class NightNeedsAdConsent(ValidationError):
    code = "night_needs_ad_consent"
    template = _("야간 광고 수신은 광고성 정보 수신에 동의해야 선택할 수 있습니다.")


class UnknownConsentText(ValidationError):
    code = "unknown_consent_text"
    template = _("알 수 없는 동의 문구 버전입니다: %(version)s")


class ConsentSuperseded(ValidationError):
    code = "consent_superseded"
    template = _("동의 시각(%(granted)s) 이후에 철회한 기록이 있어 동의로 보지 않습니다.")


class ConsentInFuture(ValidationError):
    code = "consent_in_future"
    template = _("동의 시각이 미래입니다.")


class ConsentBeforeSender(ValidationError):
    code = "consent_before_sender"
    template = _(
        "동의 시각(%(granted)s)이 가게나 시장이 단골에 등록된 때(%(joined)s)보다 앞섭니다."
    )


class TagInvalid(ValidationError):
    code = "tag_invalid"
    template = _("태그 이름은 1~30자로 입력해 주세요.")


class TagNotOfStore(NotFound):
    code = "tag_not_of_store"
    template = _("이 가게의 태그가 아닙니다.")


class ImportFileInvalid(ValidationError):
    code = "import_file_invalid"
    template = _("고객 명부 파일을 읽을 수 없습니다: %(reason)s")
