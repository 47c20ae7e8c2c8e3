"""The notices domain errors, each with a Korean, translatable message and a stable code."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import ValidationError


class NoticeWithoutRecipient(ValidationError):
    code = "notice_without_recipient"
    template = _("알림을 받을 사용자나 휴대전화 번호가 필요합니다.")
