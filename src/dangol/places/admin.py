from django import forms
from django.contrib import admin

from dangol.core.brn import InvalidBRN, brn_normalize
from dangol.places.models import Market, MarketMembership, Product, Region, Store, StoreMembership


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "full_name", "level", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "full_name"]


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "market_type", "store_count", "source_date"]
    list_filter = ["kind", "market_type"]
    search_fields = ["name", "road_address"]
    list_select_related = ["region"]
    raw_id_fields = ["region"]


class ProductInline(admin.TabularInline):
    model = Product
    extra = 0


class StoreMembershipInline(admin.TabularInline):
    model = StoreMembership
    extra = 0
    raw_id_fields = ["user"]


class StoreAdminForm(forms.ModelForm):
    """The store form of the admin: the BRN is read by the one parser (core.brn)."""

    class Meta:
        model = Store
        fields = ["brn"]  # the admin adds the rest (ModelAdmin.get_form)

    def clean_brn(self) -> str | None:
        value = self.cleaned_data.get("brn")
        if not value or not str(value).strip():
            return None
        try:
            return brn_normalize(value)
        except InvalidBRN as error:
            raise forms.ValidationError(error.message, code=error.code) from error


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreAdminForm
    list_display = ["name", "market", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "brn"]
    list_select_related = ["market"]
    raw_id_fields = ["market", "region"]
    inlines = [ProductInline, StoreMembershipInline]


@admin.register(MarketMembership)
class MarketMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "market", "role"]
    raw_id_fields = ["user", "market"]
