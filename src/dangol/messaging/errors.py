"""Domain errors of messaging: each carries a Korean, translatable message."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError, NotFound, ValidationError


class MessagingError(DangolError):
    code = "messaging_error"
    template = _("메시지를 처리할 수 없습니다.")


class CampaignInvalid(MessagingError):
    """The campaign breaks a composing rule (reason says which)."""

    code = "campaign_invalid"
    template = _("메시지를 보낼 수 없습니다: %(reason)s")


class CampaignScheduleInvalid(CampaignInvalid):
    """The time to send at is past (beyond a small tolerance) or absurdly far ahead."""

    status = 422


class MessageCreditShort(MessagingError):
    """The campaign costs more than the sender's message credit; nothing was sent."""

    code = "message_credit_short"
    template = _("메시지 충전금이 부족합니다. 비용 %(cost)s, 잔액 %(balance)s")
    status = 402


class TopUpFailed(MessagingError):
    code = "top_up_failed"
    template = _("충전 결제가 승인되지 않았습니다: %(message)s")
    status = 402


class InfoTemplateUnknown(ValidationError):
    code = "info_template_unknown"
    template = _("정보성 메시지는 정해진 서식으로만 보낼 수 있습니다: %(template)s")


class AdSenderIncomplete(ValidationError):
    code = "ad_sender_incomplete"
    template = _("광고 메시지에는 보내는 곳의 이름과 연락처, 수신거부 주소가 필요합니다.")


class SmsTooLong(ValidationError):
    code = "sms_too_long"
    template = _("문자 메시지가 너무 깁니다: %(bytes)s바이트 (최대 %(limit)s바이트).")


class DeliveryNotFound(NotFound):
    code = "message_not_found"
    template = _("메시지를 찾을 수 없습니다.")
