from django.contrib import admin

from dangol.coupons.models import (
    Coupon,
    CouponTemplate,
    CustomerCode,
    Stamp,
    StampCard,
    StampCardProgram,
)


@admin.register(CouponTemplate)
class CouponTemplateAdmin(admin.ModelAdmin):
    list_display = [
        "name", "store", "kind", "valid_from", "valid_until", "issued_count", "is_active",
    ]
    list_filter = ["kind", "is_active"]
    raw_id_fields = ["store"]
    search_fields = ["name", "store__name"]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "template", "store", "customer", "status", "issued_at", "redeemed_at"]
    list_filter = ["status", "source"]
    raw_id_fields = ["template", "store", "customer", "redeemed_by", "stamp"]
    list_select_related = ["template", "store", "customer"]


@admin.register(StampCardProgram)
class StampCardProgramAdmin(admin.ModelAdmin):
    list_display = [
        "name", "store", "stamps_required", "per_visit_limit", "per_day_limit", "is_active",
    ]
    raw_id_fields = ["store", "reward"]


@admin.register(StampCard)
class StampCardAdmin(admin.ModelAdmin):
    list_display = ["program", "customer", "stamps", "completed_count"]
    raw_id_fields = ["program", "customer"]


@admin.register(Stamp)
class StampAdmin(admin.ModelAdmin):
    list_display = ["card", "store", "count", "given_at", "day"]
    raw_id_fields = ["card", "store", "given_by"]


@admin.register(CustomerCode)
class CustomerCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "customer"]
    raw_id_fields = ["customer"]
