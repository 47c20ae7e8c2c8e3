"""Errors of settlement services."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError


class CutoffInFuture(DangolError):
    code = "cutoff_in_future"
    template = _("정산 기준 시각이 아직 지나지 않았습니다: %(cutoff)s")


class InvalidPolicy(DangolError):
    code = "invalid_policy"
    template = _("정산 정책이 올바르지 않습니다: %(reason)s")


class PayableShort(DangolError):
    code = "payable_short"
    template = _("가게 정산 예정액이 지급액보다 적습니다: 가게 #%(store)s")


class InvalidFastCutoff(DangolError):
    code = "invalid_fast_cutoff"
    template = _("빠른정산 기준 시각은 영업일이 끝나는 자정(KST)이어야 합니다: %(cutoff)s")


class FastRunOutOfOrder(DangolError):
    code = "fast_run_out_of_order"
    template = _("이보다 늦은 빠른정산이 이미 있습니다: %(cutoff)s")
