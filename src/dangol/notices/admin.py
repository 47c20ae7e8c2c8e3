from django.contrib import admin

from dangol.notices.models import Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "user", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "idempotency_key"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]
