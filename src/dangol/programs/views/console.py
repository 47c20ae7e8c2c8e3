"""The operators' console of programs: the list with budgets, a new program, one program's
figures with its review queue and grants, deciding an application, enrolling a 시군구."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dangol.access import policy
from dangol.access.checks import organisations_operated_by
from dangol.access.pages import may_on_page, require_for_page
from dangol.core.errors import DangolError
from dangol.core.money import format_won
from dangol.programs import grant_endings, pledges, rollout, selectors, services
from dangol.programs.exports import reason_texts
from dangol.programs.forms import DecisionForm, GrantWithdrawForm, ProgramForm, RegionEnrolForm
from dangol.programs.models import Application, Grant, Program
from dangol.programs.views.common import (
    can_run,
    paginate,
    program_operated,
    program_readable,
    user_of,
)

GRANTS_PER_PAGE = 50
QUEUE_PER_PAGE = 50


# --- console --------------------------------------------------------------------------------


@require_safe
@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    """List the programs the user runs (auditors: all) with budget, committed, spent and
    remaining."""
    require_for_page(request, policy.CONSOLE)
    programs = list(selectors.programs_for(user=request.user))
    figures = selectors.programs_figures(programs=programs)
    operated = set(organisations_operated_by(request.user).values_list("pk", flat=True))
    rows = [
        {"program": program, "figures": figures[program.pk],
         "can_run": program.operator_id in operated}
        for program in programs
    ]
    return render(
        request,
        "programs/console_list.html",
        {"rows": rows, "can_create": may_on_page(request, policy.PROGRAM_CREATE)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def program_new(request: HttpRequest) -> HttpResponse:
    """Create a program (operators): name, period, 시군구 scope, budget, benefits; it opens
    for applications at once."""
    require_for_page(request, policy.PROGRAM_CREATE)
    form = ProgramForm(request.POST or None, operators=organisations_operated_by(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            program = services.program_create(
                name=data["name"], operator=data["operator"], starts_on=data["starts_on"],
                ends_on=data["ends_on"], budget=data["budget"], fund=None,
                regions=tuple(data["regions"]), markets=(),
                max_annual_sales=data["max_annual_sales"],
                applicant_cap=data["applicant_cap"], benefits=form.benefits(),
                created_by=user_of(request),
            )
            program = services.program_open(program=program)
        except DangolError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s 사업을 만들었습니다. 예산 %(budget)s") % {
                    "name": program.name, "budget": format_won(program.budget)},
            )
            return redirect("programs:console_detail", pk=program.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "programs/console_new.html", {"form": form}, status=status)


@require_safe
@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One program: figures, the review queue, grants, roll-out per 시도/시군구, pledges."""
    return _detail(request, program_readable(request, pk))


def _detail(
    request: HttpRequest,
    program: Program,
    *,
    enrol_form: RegionEnrolForm | None = None,
    status: int = 200,
) -> HttpResponse:
    queue = paginate(request, selectors.applications_queue(program=program), QUEUE_PER_PAGE)
    queue_rows = [
        {"application": application, "reasons": reason_texts(application.reasons)}
        for application in queue
    ]
    regions = list(program.regions.select_related("parent").order_by("code"))
    grants = Grant.objects.filter(benefit__program=program).select_related(
        "store", "market", "benefit"
    ).order_by("-id")[:GRANTS_PER_PAGE]
    context = {
        "program": program,
        "figures": selectors.program_figures(program=program),
        "benefits": list(program.benefits.all()),
        "regions": regions,
        "queue": queue,
        "queue_rows": queue_rows,
        "grants": list(grants),
        "progress": rollout.rollout_progress(program=program),
        "pledges": [
            item
            for group in pledges.pledges_overview()
            for item in group.pledges
            if item.pledge.program_id == program.pk
            or (item.pledge.program_id is None
                and item.pledge.organisation_id == program.operator_id)
        ],
        "can_run": can_run(request, program),
        "enrol_form": enrol_form or RegionEnrolForm(initial={"region": regions[0] if regions
                                                                else None}),
        "decision_form": DecisionForm(),
        "withdrawable": (Grant.Status.ACTIVE, Grant.Status.ENDED),
        "counts": _status_counts(program),
    }
    return render(request, "programs/console_detail.html", context, status=status)


def _status_counts(program: Program) -> dict[str, int]:
    """Return how many applications the program has in each state (one query)."""
    counts = dict.fromkeys(Application.Status.values, 0)
    rows = (
        Application.objects.filter(program=program).values("status").order_by()
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


@require_POST
@login_required
def application_decide(request: HttpRequest, pk: int, application_pk: int) -> HttpResponse:
    """Approve (grants made at once) or reject with a reason an application under review."""
    program = program_operated(request, pk, policy.PROGRAM_REVIEW)
    application = (
        Application.objects.select_related("store").filter(pk=application_pk, program=program)
        .first()
    )
    if application is None:
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("programs:console_detail", pk=program.pk)
    reason = form.cleaned_data["reason"].strip()
    try:
        if form.cleaned_data["action"] == "approve":
            services.application_approve(
                application=application, operator_user=user_of(request), reason=reason
            )
            messages.success(request, _("%(store)s 신청을 승인했습니다.") % {
                "store": application.store.name})
        else:
            services.application_reject(
                application=application, operator_user=user_of(request), reason=reason
            )
            messages.success(request, _("%(store)s 신청을 반려했습니다.") % {
                "store": application.store.name})
    except DangolError as exc:
        messages.error(request, exc.message)
    return redirect("programs:console_detail", pk=program.pk)


@require_POST
@login_required
def grant_withdraw(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    """Withdraw a grant with a reason: unused credit back to the budget, settlement terms
    back to the store's before the grant."""
    program = program_operated(request, pk, policy.PROGRAM_REVIEW)
    grant = (
        Grant.objects.select_related("store", "market", "benefit")
        .filter(pk=grant_pk, benefit__program=program).first()
    )
    if grant is None:
        raise Http404
    form = GrantWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("철회 사유를 적어 주세요."))
        return redirect("programs:console_detail", pk=program.pk)
    try:
        withdrawn = grant_endings.grant_withdraw(
            grant=grant, actor=user_of(request), reason=form.cleaned_data["reason"]
        )
    except DangolError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(benefit)s 지원을 철회했습니다. 예산으로 돌아온 금액 %(amount)s") % {
                "benefit": grant.benefit.get_kind_display(),
                "amount": format_won(withdrawn.returned)},
        )
    return redirect("programs:console_detail", pk=program.pk)


@require_POST
@login_required
def region_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    """"시군구 전체 참여": enrol every market and shopping street of a 시군구 at once."""
    program = program_operated(request, pk, policy.PROGRAM_ROLLOUT)
    form = RegionEnrolForm(request.POST)
    if not form.is_valid():
        return _detail(request, program, enrol_form=form, status=400)
    region = form.cleaned_data["region"]
    try:
        result = rollout.region_enrol(program=program, region=region)
    except DangolError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(region)s의 시장 %(count)s곳을 참여시켰습니다.") % {
            "region": region.name, "count": result.enrolled})
    return redirect("programs:console_detail", pk=program.pk)
