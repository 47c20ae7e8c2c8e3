from django.contrib import admin
from django.http import HttpRequest

from dangol.payments.models import Payment, PaymentOperation, SandboxCharge, SandboxRequest


class PaymentOperationInline(admin.TabularInline):
    model = PaymentOperation
    extra = 0
    can_delete = False
    fields = ("kind", "amount", "status", "idempotency_key", "error_code", "created_at")
    readonly_fields = ("kind", "amount", "status", "idempotency_key", "error_code", "created_at")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Read-only: payments change only through the payment services."""

    list_display = [
        "order_id", "amount", "refunded_amount", "status", "provider", "error_code", "created_at",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["order_id", "provider_key", "idempotency_key"]
    inlines = [PaymentOperationInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False


@admin.register(SandboxCharge)
class SandboxChargeAdmin(admin.ModelAdmin):
    list_display = ["key", "order_id", "card_last4", "amount", "refunded_amount", "status"]
    list_filter = ["status"]
    search_fields = ["key", "order_id"]


@admin.register(SandboxRequest)
class SandboxRequestAdmin(admin.ModelAdmin):
    list_display = ["idempotency_key", "operation", "charge", "created_at"]
    raw_id_fields = ["charge"]
    search_fields = ["idempotency_key"]
