"""Template tags of programs: the merchant home's "지원 사업 신청" card (web/merchant.html
loads it, so the web app does not import programs)."""

from typing import Any

from django import template

from dangol.core import clock
from dangol.places.models import Store
from dangol.programs.models import Application, Program
from dangol.programs.rules import programs_covering_q

register = template.Library()


@register.simple_tag
def programs_open_for(store: Store) -> list[dict[str, Any]]:
    """Return the open programs (in their period) whose scope covers `store`
    (`rules.programs_covering_q`), each with the store's application if any
    (two queries)."""
    today = clock.today_kst()
    programs = list(
        Program.objects.filter(
            programs_covering_q(store=store), status=Program.Status.OPEN,
            starts_on__lte=today, ends_on__gte=today,
        ).order_by("ends_on", "id")
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
