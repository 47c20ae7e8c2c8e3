"""The audit log in the admin: read-only, like the log itself."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangol.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "client_address", "action", "subject", "amount"]
    list_filter = ["action", "origin"]
    search_fields = ["subject", "client_address"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
