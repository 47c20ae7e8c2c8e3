from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dangol.access.checks import may, signed_in
from dangol.access.policy import MESSAGE_PRICES, SMS_CHANNEL_RESUME
from dangol.messaging.credit import message_price_reset, message_price_set
from dangol.messaging.models import Campaign, Delivery, MessagePrice, SmsChannelState
from dangol.messaging.sms_provider import sms_channel_resume


@admin.register(MessagePrice)
class MessagePriceAdmin(admin.ModelAdmin):
    """Prices are platform-wide: a staff account with the model permissions may look, only
    the platform administrator may change them (access's `messaging.prices`)."""

    list_display = ["channel", "price", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may(request.user, MESSAGE_PRICES) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: MessagePrice | None = None) -> bool:
        return may(request.user, MESSAGE_PRICES) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: MessagePrice | None = None) -> bool:
        return may(request.user, MESSAGE_PRICES) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["channel"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: MessagePrice, form: Any, change: bool) -> None:
        """Set the price through the service, which records the change in the audit log."""
        saved = message_price_set(
            channel=obj.channel, price=obj.price, actor=signed_in(request.user)
        )
        obj.pk, obj.updated_at = saved.pk, saved.updated_at

    def delete_model(self, request: HttpRequest, obj: MessagePrice) -> None:
        """Delete through the service (the default price applies again), which records it."""
        message_price_reset(channel=obj.channel, actor=signed_in(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MessagePrice]) -> None:
        """Delete each selected price through the service: one audit entry each."""
        for channel in queryset.values_list("channel", flat=True):
            message_price_reset(channel=channel, actor=signed_in(request.user))


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "template", "store", "market", "status", "targeted", "cost",
                    "scheduled_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["store", "market", "coupon_template", "tag", "created_by", "charge"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "campaign", "customer", "channel", "status", "release_at", "sent_at"]
    list_filter = ["channel", "status"]
    raw_id_fields = ["campaign", "customer"]


@admin.register(SmsChannelState)
class SmsChannelStateAdmin(admin.ModelAdmin):
    """Whether SMS sending is paused (the provider's monthly quota ran out) and how far the
    080 block list is in step; the platform administrator resumes sending here."""

    list_display = ["__str__", "paused_at", "paused_reason", "opt_outs_read_until",
                    "opt_outs_pushed_until"]
    readonly_fields = ["paused_at", "paused_reason", "opt_outs_read_until",
                       "opt_outs_pushed_until"]
    actions = ["resume"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("문자 발송 다시 시작 (한도를 늘린 뒤)"))
    def resume(self, request: HttpRequest, queryset: QuerySet[SmsChannelState]) -> None:
        if not may(request.user, SMS_CHANNEL_RESUME):
            self.message_user(request, _("플랫폼 관리자만 할 수 있습니다."), level="error")
            return
        sms_channel_resume()
        self.message_user(request, _("문자 발송을 다시 시작했습니다."))
