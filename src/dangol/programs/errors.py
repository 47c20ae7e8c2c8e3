"""Domain errors of programs: each carries a Korean, translatable message."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError, NotFound, PermissionDenied, ValidationError


class ProgramsError(DangolError):
    code = "programs_error"
    template = _("상생 사업 요청을 처리할 수 없습니다.")


class InvalidProgram(ValidationError):
    """A fund, program or benefit is not well formed (reason says how)."""

    code = "program_invalid"
    template = _("사업 내용이 올바르지 않습니다: %(reason)s")


class FundExists(ProgramsError):
    code = "fund_exists"
    template = _("같은 이름의 기금이 이미 다른 내용으로 있습니다: %(name)s")
    status = 409


class FundShort(ProgramsError):
    """The fund holds less than the budget asked of it; nothing was created."""

    code = "fund_short"
    template = _("기금 잔액이 부족합니다 (잔액 %(balance)s, 예산 %(budget)s).")
    status = 409


class BudgetExhausted(ProgramsError):
    """A grant would overspend the program's budget; nothing of the application was granted."""

    code = "budget_exhausted"
    template = _(
        "사업 예산이 부족해 지원할 수 없습니다 (남은 예산 %(remaining)s, 필요 %(amount)s)."
    )
    status = 409


class ProgramNotOpen(ProgramsError):
    """The program does not take applications now (not open, or outside its period)."""

    code = "program_not_open"
    template = _("지금은 신청을 받지 않는 사업입니다: %(program)s")
    status = 409


class ProgramStatusInvalid(ProgramsError):
    code = "program_status_invalid"
    template = _("사업 상태를 %(current)s에서 %(wanted)s(으)로 바꿀 수 없습니다.")
    status = 409


class NotStoreOwner(PermissionDenied):
    code = "not_store_owner"
    template = _("이 가게의 사장님만 신청할 수 있습니다.")


class NotProgramOperator(PermissionDenied):
    code = "not_program_operator"
    template = _("이 사업의 운영 기관 운영자만 할 수 있습니다.")


class ApplicationDecided(ProgramsError):
    code = "application_decided"
    template = _("이미 결정된 신청입니다 (%(status)s).")
    status = 409


class HallError(DangolError):
    code = "hall_error"
    template = _("기획전 요청을 처리할 수 없습니다.")
    status = 409


class HallItemInvalid(ValidationError):
    code = "hall_item_invalid"
    template = _("기획전 상품을 등록할 수 없습니다: %(reason)s")


class HallClosed(HallError):
    code = "hall_closed"
    template = _("판매가 끝난 기획전 상품입니다.")


class HallBudgetExhausted(HallError):
    code = "hall_budget_exhausted"
    template = _("기획전 할인 예산이 모두 소진되어 판매를 마쳤습니다. (남은 예산 %(remaining)s)")


class PledgeInvalid(ValidationError):
    code = "pledge_invalid"
    template = _("약속 내용이 올바르지 않습니다: %(reason)s")


class PledgeNotReported(DangolError):
    code = "pledge_not_reported"
    template = _("이 약속의 지표는 플랫폼이 집계하므로 직접 보고할 수 없습니다.")
    status = 409


class RolloutInvalid(ValidationError):
    code = "rollout_invalid"
    template = _("확산 설정이 올바르지 않습니다: %(reason)s")


class RolloutProgramClosed(DangolError):
    code = "rollout_program_closed"
    template = _("종료된 사업에는 시장을 더 참여시킬 수 없습니다.")
    status = 409


class EnrolmentBackwards(DangolError):
    code = "enrolment_backwards"
    template = _("참여 단계는 되돌릴 수 없습니다. (현재: %(current)s)")
    status = 409


class ProgramNotFound(NotFound):
    template = _("사업을 찾을 수 없습니다.")
