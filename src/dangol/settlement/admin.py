from django.contrib import admin
from django.http import HttpRequest

from dangol.settlement.models import (
    Payout,
    SettlementPolicy,
    SettlementRun,
    StoreSettlementAccount,
)


@admin.register(SettlementPolicy)
class SettlementPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "cycles_per_month", "cycle_days", "cutoff_time", "payout_lag_days",
                    "fee_bp"]


@admin.register(StoreSettlementAccount)
class StoreSettlementAccountAdmin(admin.ModelAdmin):
    list_display = ["store", "policy", "bank_name", "fast_settlement_eligible", "fast_share_bp",
                    "fast_fee_bp"]
    raw_id_fields = ["store"]


@admin.register(SettlementRun)
class SettlementRunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "policy", "cutoff", "payout_date", "status", "completed_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [
        "kind", "policy", "cutoff", "window_start", "payout_date", "status", "completed_at"
    ]


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ["id", "number", "run", "store", "amount", "fee", "net"]
    list_select_related = ["run", "store"]
    raw_id_fields = ["run", "store", "transaction"]

    def has_change_permission(self, request: HttpRequest, obj: Payout | None = None) -> bool:
        return False

