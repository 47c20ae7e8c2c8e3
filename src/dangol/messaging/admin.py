from django.contrib import admin

from dangol.messaging.models import Campaign, Delivery, MessagePrice


@admin.register(MessagePrice)
class MessagePriceAdmin(admin.ModelAdmin):
    list_display = ["channel", "price", "updated_at"]


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
