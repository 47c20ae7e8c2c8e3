from django.contrib import admin

from dangol.programs.models import (
    Application,
    Benefit,
    Enrolment,
    Fund,
    Grant,
    HallItem,
    Pledge,
    Program,
    RolloutTarget,
)


class BenefitInline(admin.TabularInline):
    model = Benefit
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "status", "starts_on", "ends_on", "budget"]
    list_filter = ["status"]
    inlines = [BenefitInline]
    filter_horizontal = ["regions"]


for model in (Fund, Application, Grant, Enrolment, RolloutTarget, HallItem, Pledge):
    admin.site.register(model)
