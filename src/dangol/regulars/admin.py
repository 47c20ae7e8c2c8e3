from django.contrib import admin

from dangol.regulars.models import Consent, ConsentEvent, Follow, Tag


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["customer", "store", "market", "source", "created_at"]
    list_filter = ["source"]
    raw_id_fields = ["customer", "store", "market"]
    filter_horizontal = ["tags"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "created_at"]
    raw_id_fields = ["store"]


class ConsentEventInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "method", "text_version", "text", "notice"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """Consent is evidence: the admin shows it and its history but cannot change them."""

    list_display = [
        "customer", "store", "market", "ad_granted_at", "ad_withdrawn_at", "night_granted_at",
        "confirmed_at",
    ]
    raw_id_fields = ["customer", "store", "market"]
    inlines = [ConsentEventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
