"""Domain errors of messaging: each carries a Korean, translatable message."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError


class MessagingError(DangolError):
    code = "messaging_error"
    template = _("메시지를 처리할 수 없습니다.")


class CampaignInvalid(MessagingError):
    """The campaign breaks a composing rule (reason says which)."""

    code = "campaign_invalid"
    template = _("메시지를 보낼 수 없습니다: %(reason)s")


class MessageCreditShort(MessagingError):
    """The campaign costs more than the sender's message credit; nothing was sent."""

    code = "message_credit_short"
    template = _("메시지 충전금이 부족합니다. 비용 %(cost)s, 잔액 %(balance)s")
    status = 402


class TopUpFailed(MessagingError):
    code = "top_up_failed"
    template = _("충전 결제가 승인되지 않았습니다: %(message)s")
    status = 402
