"""The accounts domain errors: sign-in, verification codes and API tokens refused, each with
a Korean, translatable message and a stable code."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError


class InvalidCredentials(DangolError):
    code = "invalid_credentials"
    template = _("이메일 또는 비밀번호가 올바르지 않습니다.")
    status = 401


class InvalidTokenScope(DangolError):
    code = "invalid_token_scope"
    template = _("토큰 범위가 올바르지 않습니다: %(scope)s (비우거나 store:<가게 번호>)")


class InvalidCode(DangolError):
    code = "invalid_code"
    template = _("인증번호가 올바르지 않거나 만료되었습니다. 새 인증번호를 받아 주세요.")


class CodeNotSent(DangolError):
    """The SMS channel did not accept the one-time code's message."""

    code = "code_not_sent"
    template = _("인증번호 문자를 보내지 못했습니다. 잠시 후 다시 시도해 주세요.")
    status = 503


class InvalidTokenName(DangolError):
    code = "invalid_token_name"
    template = _("토큰 이름은 1자 이상 %(max)s자 이하로 입력해 주세요.")


class InvalidApiToken(DangolError):
    """The request carried an Authorization header that does not identify an active token."""

    code = "invalid_token"
    template = _("API 토큰이 올바르지 않거나 폐기되었습니다.")
    status = 401
