"""The console's pledges (상생 약정): every organisation's pledges with progress, a new pledge,
a progress report."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dangol.access import policy
from dangol.access.checks import organisations_operated_by
from dangol.access.pages import may_on_page, require_for_page
from dangol.core.errors import DangolError
from dangol.programs import pledges
from dangol.programs.forms import PledgeForm, PledgeReportForm
from dangol.programs.models import Pledge, Program


@require_safe
@login_required
def pledge_list(request: HttpRequest) -> HttpResponse:
    """Every organisation's pledges with their progress (operators and auditors read)."""
    require_for_page(request, policy.PLEDGES_VIEW)
    return _pledges_page(request)



def _pledge_programs(request: HttpRequest) -> QuerySet[Program]:
    orgs = organisations_operated_by(request.user)
    return Program.objects.filter(
        Q(operator__in=orgs) | Q(fund__organisation__in=orgs)
    ).distinct().order_by("name")


def _pledges_page(
    request: HttpRequest,
    *,
    form: PledgeForm | None = None,
    report_form: PledgeReportForm | None = None,
    report_pk: int | None = None,
    status: int = 200,
) -> HttpResponse:
    can_pledge = may_on_page(request, policy.PLEDGES_WRITE)
    own: list[dict[str, Any]] = []
    if can_pledge:
        operated = organisations_operated_by(request.user)
        if form is None:
            form = PledgeForm(organisations=operated, programs=_pledge_programs(request))
        reported = Pledge.objects.filter(
            metric=Pledge.Metric.REPORTED, organisation__in=operated
        ).select_related("organisation", "program").order_by("deadline", "id")
        for pledge in reported:
            bound = report_form if report_form is not None and pledge.pk == report_pk else None
            own.append({"pledge": pledge, "form": bound or PledgeReportForm(
                initial={"value": pledge.reported_value, "evidence": pledge.evidence})})
    shown = any(row["pledge"].pk == report_pk for row in own)
    context = {
        "overview": pledges.pledges_overview(),
        "can_pledge": can_pledge,
        "form": form,
        "own": own,
        # A refusal for a pledge without a report form (a computed metric) shows on top.
        "report_errors": [] if report_form is None or shown
        else list(report_form.non_field_errors()),
    }
    return render(request, "programs/console_pledges.html", context, status=status)


@require_POST
@login_required
def pledge_new(request: HttpRequest) -> HttpResponse:
    """Record a pledge of one of the operator's organisations (auditors may not)."""
    require_for_page(request, policy.PLEDGES_WRITE)
    form = PledgeForm(
        request.POST, organisations=organisations_operated_by(request.user),
        programs=_pledge_programs(request),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            pledges.pledge_create(
                organisation=data["organisation"], text=data["text"], metric=data["metric"],
                target=data["target"], deadline=data["deadline"], program=data["program"],
            )
        except DangolError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(org)s의 약속을 등록했습니다.") % {
                "org": data["organisation"].name})
            return redirect("programs:console_pledges")
    return _pledges_page(request, form=form, status=400)


@require_POST
@login_required
def pledge_report(request: HttpRequest, pledge_pk: int) -> HttpResponse:
    """Report the value of one of the operator's organisations' `reported` pledges, with
    evidence."""
    require_for_page(request, policy.CONSOLE)
    pledge = Pledge.objects.select_related("organisation").filter(pk=pledge_pk).first()
    if pledge is None:
        raise Http404
    require_for_page(request, policy.PLEDGES_WRITE, organisation=pledge.organisation_id)
    form = PledgeReportForm(request.POST)
    if form.is_valid():
        try:
            pledges.pledge_report(
                pledge=pledge, value=form.cleaned_data["value"],
                evidence=form.cleaned_data["evidence"],
            )
        except DangolError as exc:
            form.add_error(None, exc.message)
            return _pledges_page(request, report_form=form, report_pk=pledge.pk,
                                 status=exc.status)
        messages.success(request, _("약속의 진행 상황을 보고했습니다."))
        return redirect("programs:console_pledges")
    return _pledges_page(request, report_form=form, report_pk=pledge.pk, status=400)
