"""The console's roll-out steps (P6): the markets of a program page by page, advancing one
market's enrolment, setting the roll-out target."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dangol.access import policy
from dangol.access.checks import signed_in
from dangol.core.errors import DangolError
from dangol.places.models import Region
from dangol.programs import rollout
from dangol.programs.forms import EnrolmentAdvanceForm, RolloutTargetForm
from dangol.programs.models import Enrolment, Program, RolloutTarget
from dangol.programs.views.common import can_run, paginate, program_operated, program_readable

MARKETS_PER_PAGE = 50


def _markets_region(request: HttpRequest) -> Region | None:
    code = request.GET.get("region", "").strip()
    if not code:
        return None
    region = Region.objects.select_related("parent").filter(pk=code).first()
    if region is None:
        raise Http404
    return region


def _markets_page(
    request: HttpRequest,
    program: Program,
    *,
    target_form: RolloutTargetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    region = _markets_region(request)
    enrolments = Enrolment.objects.filter(program=program).select_related(
        "market", "market__region"
    )
    if region is not None:
        enrolments = enrolments.filter(
            Q(market__region=region) | Q(market__region__successor=region)
        )
    page = paginate(request, enrolments.order_by("market__name", "id"), MARKETS_PER_PAGE)
    steps = list(rollout.STEPS)
    rows = []
    for enrolment in page:
        index = steps.index(Enrolment.Status(enrolment.status))
        rows.append({"enrolment": enrolment, "next": steps[index + 1:]})
    target = RolloutTarget.objects.filter(program=program).first()
    if target_form is None:
        target_form = RolloutTargetForm(
            initial={"markets": target.markets, "due_on": target.due_on} if target else None
        )
    context = {
        "program": program,
        "can_run": can_run(request, program),
        "region": region,
        "page": page,
        "rows": rows,
        "target": target,
        "target_form": target_form,
        "query": request.GET.urlencode(),
    }
    return render(request, "programs/console_markets.html", context, status=status)


@require_safe
@login_required
def rollout_markets(request: HttpRequest, pk: int) -> HttpResponse:
    """The enrolled markets of one 시군구 (`?region=<code>`; all without it), 50 a page,
    each with its step and buttons to advance it; the roll-out target form."""
    return _markets_page(request, program_readable(request, pk))


def _back_to_markets(request: HttpRequest, program: Program) -> HttpResponse:
    url = reverse("programs:console_markets", args=[program.pk])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@login_required
def enrolment_advance(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """Move an enrolled market to a later step (준비 중, 운영 중)."""
    program = program_operated(request, pk, policy.PROGRAM_ROLLOUT)
    enrolment = Enrolment.objects.select_related("market").filter(
        pk=enrolment_pk, program=program
    ).first()
    if enrolment is None:
        raise Http404
    form = EnrolmentAdvanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("알 수 없는 단계입니다."))
        return _back_to_markets(request, program)
    try:
        rollout.enrolment_advance(
            enrolment=enrolment, to=form.cleaned_data["to"], actor=signed_in(request.user)
        )
    except DangolError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(market)s: %(status)s") % {
            "market": enrolment.market.name, "status": enrolment.get_status_display()})
    return _back_to_markets(request, program)


@require_POST
@login_required
def rollout_target(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the program's roll-out target (active markets by a date)."""
    program = program_operated(request, pk, policy.PROGRAM_ROLLOUT)
    form = RolloutTargetForm(request.POST)
    if form.is_valid():
        try:
            target = rollout.rollout_target_set(
                program=program, markets=form.cleaned_data["markets"],
                due_on=form.cleaned_data["due_on"],
            )
        except DangolError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("확산 목표를 %(n)s곳으로 정했습니다.") % {
                "n": target.markets})
            return _back_to_markets(request, program)
    return _markets_page(request, program, target_form=form, status=400)
