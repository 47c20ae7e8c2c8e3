"""The privacy domain's errors: an account erasure refused, with a Korean, translatable
message and a stable code."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError


class ErasureRefused(DangolError):
    code = "erasure_refused"
    template = _("지금은 탈퇴할 수 없습니다.")
    status = 409


class ErasureNotConfirmed(ErasureRefused):
    code = "erasure_not_confirmed"
    template = _("확인 문구가 맞지 않습니다. 탈퇴하려면 '%(word)s'를 그대로 입력해 주세요.")
    status = 400


class AccountHoldsRole(ErasureRefused):
    code = "erasure_account_holds_role"
    template = _(
        "이 계정은 가게·시장·기관의 구성원(사장님, 직원, 상인회, 튜터, 운영자, 감사인) 또는 "
        "플랫폼 관리자입니다. 다른 사람에게 역할을 넘기고 구성원에서 빠진 뒤 탈퇴해 주세요."
    )
