from django.contrib import admin

from dangol.core.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["channel", "recipient", "subject", "created_at"]
    list_filter = ["channel"]
