"""Template tags of programs: the merchant home's "지원 사업 신청" card (web/merchant.html
loads it, so the web app does not import programs)."""

from typing import Any

from django import template
from django.db.models import Q

from dangol.core import clock
from dangol.places.models import Store
from dangol.programs.models import Application, Program

register = template.Library()


@register.simple_tag
def programs_open_for(store: Store) -> list[dict[str, Any]]:
    """Return the open programs (in their period) whose scope covers `store` — its market's
    or its own 시군구, or its market enrolled — each with the store's application if any
    (two queries)."""
    today = clock.today_kst()
    region_id = store.market.region_id if store.market_id and store.market else store.region_id
    scope = Q(regions=region_id)
    if store.market_id:
        scope |= Q(enrolments__market_id=store.market_id)
    programs = list(
        Program.objects.filter(
            scope, status=Program.Status.OPEN, starts_on__lte=today, ends_on__gte=today
        ).distinct().order_by("ends_on", "id")
    )
    if not programs:
        return []
    applications = {
        a.program_id: a
        for a in Application.objects.filter(store=store, program__in=programs)
    }
    return [
        {"program": program, "application": applications.get(program.pk)}
        for program in programs
    ]
