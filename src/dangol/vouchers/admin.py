from django.contrib import admin
from django.http import HttpRequest

from dangol.vouchers.models import Redemption, Refund, Voucher, VoucherGift, VoucherProduct


@admin.register(VoucherProduct)
class VoucherProductAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "store", "market", "face_value", "sale_price", "fee_bp",
                    "is_active"]
    list_filter = ["kind", "is_active", "is_perishable"]
    raw_id_fields = ["store", "market", "accepted_stores"]
    search_fields = ["name", "product_name"]


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    """Read-only: a voucher's balance moves only through the ledger services."""

    list_display = ["code", "product", "holder_phone", "face_value", "balance", "status",
                    "expires_at"]
    list_filter = ["status"]
    search_fields = ["code", "holder_phone"]
    list_select_related = ["product"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Voucher | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Voucher | None = None) -> bool:
        return False


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ["voucher", "store", "amount", "fee", "created_at"]
    raw_id_fields = ["voucher", "store", "staff", "ledger_transaction"]
    list_select_related = ["voucher", "store"]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["voucher", "rule", "balance", "amount", "paid_at", "created_at"]
    list_filter = ["rule"]
    raw_id_fields = ["voucher"]


@admin.register(VoucherGift)
class VoucherGiftAdmin(admin.ModelAdmin):
    list_display = ["voucher", "to_phone", "created_at"]
    raw_id_fields = ["voucher"]
