"""Read-only admin: the ledger is written by its services only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangol.ledger.models import Account, Entry, Transaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "amount"]
    readonly_fields = ["account", "amount"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "owner_type", "owner_id", "non_negative", "balance"]
    list_filter = ["kind", "owner_type", "non_negative"]
    search_fields = ["name"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["idempotency_key", "kind", "description", "created_at", "reverses"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "description"]
    raw_id_fields = ["reverses"]
    inlines = [EntryInline]
