from django.contrib import admin

from dangol.organisations.models import Organisation, OrganisationMembership


class MembershipInline(admin.TabularInline):
    model = OrganisationMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    inlines = [MembershipInline]
