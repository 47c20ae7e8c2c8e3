from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from dangol.accounts.forms import AdminLoginForm
from dangol.accounts.models import ApiToken, User

# /admin/login/ signs in through accounts.services, under the one sign-in limiter.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-created_at"]
    list_display = ["__str__", "email", "is_staff", "is_active", "created_at"]
    search_fields = ["email", "name", "phone"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = (
        (None, {"fields": ("email", "phone", "name", "password")}),
        (_("권한"), {
            "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
        }),
        (_("기록"), {"fields": ("phone_verified_at", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["phone_verified_at", "last_login"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "last_used_at"]
