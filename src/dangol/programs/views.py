"""Pages of programs: the operators' console (programs with their budgets, the applications
review queue, grants, roll-out, pledges, exports) and the merchant's application. Thin: parse,
authorise, call a service or selector, render."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dangol.access import policy
from dangol.access.checks import organisations_operated_by
from dangol.access.pages import (
    as_page,
    may_on_page,
    request_memo,
    require_for_page,
    store_for_page,
)
from dangol.accounts.models import User
from dangol.core.errors import DangolError
from dangol.core.money import format_won
from dangol.places.models import Region, Store
from dangol.programs import exports, hall, pledges, rollout, selectors, services
from dangol.programs.errors import NotStoreOwner
from dangol.programs.exports import reason_texts
from dangol.programs.forms import (
    ApplicationForm,
    DecisionForm,
    EnrolmentAdvanceForm,
    HallItemForm,
    PledgeForm,
    PledgeReportForm,
    ProgramForm,
    RegionEnrolForm,
    RolloutTargetForm,
)
from dangol.programs.models import (
    Application,
    Benefit,
    Enrolment,
    Grant,
    Pledge,
    Program,
    RolloutTarget,
)

GRANTS_PER_PAGE = 50
QUEUE_PER_PAGE = 50

def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (login_required)
    return request.user


def _page(request: HttpRequest, items: Any, per_page: int) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


# --- who may do what: access decides -----------------------------------------------------


def _readable(
    request: HttpRequest, pk: int, action: policy.Action = policy.PROGRAM_VIEW
) -> Program:
    """Return program `pk` for a console user who may read it (404, 403)."""
    require_for_page(request, policy.CONSOLE)
    with as_page():
        return selectors.program_for_reader(
            user=request.user, program_id=pk, action=action, memo=request_memo(request)
        )


def _operated(request: HttpRequest, pk: int, action: policy.Action) -> Program:
    """Return program `pk` for its operator (or the admin) taking `action` (404, 403)."""
    require_for_page(request, policy.CONSOLE)
    with as_page():
        return selectors.program_for_operator(
            user=request.user, program_id=pk, action=action, memo=request_memo(request)
        )


def _can_run(request: HttpRequest, program: Program) -> bool:
    """Return whether the user runs `program` (its buttons show): its operator or the admin."""
    return may_on_page(request, policy.PROGRAM_REVIEW, organisation=program.operator_id)


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
                created_by=_user(request),
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
    return _detail(request, _readable(request, pk))


def _detail(
    request: HttpRequest,
    program: Program,
    *,
    enrol_form: RegionEnrolForm | None = None,
    status: int = 200,
) -> HttpResponse:
    queue = _page(request, selectors.applications_queue(program=program), QUEUE_PER_PAGE)
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
        "can_run": _can_run(request, program),
        "enrol_form": enrol_form or RegionEnrolForm(initial={"region": regions[0] if regions
                                                                else None}),
        "decision_form": DecisionForm(),
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
    program = _operated(request, pk, policy.PROGRAM_REVIEW)
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
                application=application, operator_user=_user(request), reason=reason
            )
            messages.success(request, _("%(store)s 신청을 승인했습니다.") % {
                "store": application.store.name})
        else:
            services.application_reject(
                application=application, operator_user=_user(request), reason=reason
            )
            messages.success(request, _("%(store)s 신청을 반려했습니다.") % {
                "store": application.store.name})
    except DangolError as exc:
        messages.error(request, exc.message)
    return redirect("programs:console_detail", pk=program.pk)


@require_POST
@login_required
def region_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    """"시군구 전체 참여": enrol every market and shopping street of a 시군구 at once."""
    program = _operated(request, pk, policy.PROGRAM_ROLLOUT)
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


def _download(content: bytes, *, filename: str, kind: str) -> HttpResponse:
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[kind]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response


def _export(
    request: HttpRequest, pk: int, kind: str, *, rows: Any, headers: Any, title: Any, name: str
) -> HttpResponse:
    """Download rows of the program as .xlsx or .csv (Korean headers)."""
    program = _readable(request, pk, policy.PROGRAM_EXPORT)
    if kind not in ("csv", "xlsx"):
        raise Http404
    data = rows(program=program)
    content = exports.to_xlsx(headers, data, title=title) if kind == "xlsx" \
        else exports.to_csv(headers, data)
    return _download(content, filename=f"program-{program.pk}-{name}", kind=kind)


@require_safe
@login_required
def applications_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download the program's applications as .xlsx or .csv (Korean headers)."""
    return _export(request, pk, kind, rows=exports.application_rows,
                   headers=exports.APPLICATION_HEADERS, title=_("신청"), name="applications")


@require_safe
@login_required
def grants_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download the program's grants as .xlsx or .csv (Korean headers)."""
    return _export(request, pk, kind, rows=exports.grant_rows,
                   headers=exports.GRANT_HEADERS, title=_("지급"), name="grants")


@require_safe
@login_required
def pledge_list(request: HttpRequest) -> HttpResponse:
    """Every organisation's pledges with their progress (operators and auditors read)."""
    require_for_page(request, policy.PLEDGES_VIEW)
    return _pledges_page(request)


# --- console actions (P6): hall curation, roll-out steps, pledges -------------------------------

HALL_SEARCH_LIMIT = 20
MARKETS_PER_PAGE = 50




def _posted_or_asked_store(request: HttpRequest) -> Store | None:
    raw = (request.POST if request.method == "POST" else request.GET).get("store", "")
    if not raw.isdigit():
        return None
    return Store.objects.select_related("market").filter(pk=int(raw)).first()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def hall_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """Curate the promotion hall: find an eligible store by name, pick one of its products,
    list it with a discount and the program's share; the hall's items below."""
    program = _readable(request, pk)
    if request.method == "POST":
        require_for_page(request, policy.PROGRAM_HALL, organisation=program.operator_id)
    store = _posted_or_asked_store(request)
    promotion = program.benefits.filter(kind=Benefit.Kind.PROMOTION_SUPPORT).first()
    initial: dict[str, Any] = {"store": store.pk if store else None}
    if promotion is not None:
        initial["share_percent"] = promotion.share_bp / 100
    form = HallItemForm(request.POST or None, store=store, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            product = form.cleaned_data["product"]
            try:
                item = hall.hall_item_add(
                    program=program, product=product,
                    discount=form.cleaned_data["discount"], share_bp=form.share_bp,
                )
            except DangolError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("%(product)s을(를) 기획전에 올렸습니다. 판매가 %(sale)s") % {
                        "product": product.name,
                        "sale": format_won(item.price - item.discount)},
                )
                return redirect("programs:console_hall", pk=program.pk)
    query = request.GET.get("q", "").strip()[:100]
    found: list[Store] = []
    if query:
        found = list(
            hall.hall_stores_eligible(program=program).filter(name__icontains=query)
            .select_related("market").order_by("name", "id")[:HALL_SEARCH_LIMIT]
        )
    items = hall.hall_items(program=program)
    for item in items:
        item.share_percent = item.share_bp / 100  # type: ignore[attr-defined]
    context = {
        "program": program,
        "can_run": _can_run(request, program),
        "query": query,
        "found": found,
        "store": store,
        "form": form,
        "items": items,
        "budget": hall.hall_budget(program=program),
    }
    return render(request, "programs/console_hall.html", context, status=status)


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
    page = _page(request, enrolments.order_by("market__name", "id"), MARKETS_PER_PAGE)
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
        "can_run": _can_run(request, program),
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
    return _markets_page(request, _readable(request, pk))


def _back_to_markets(request: HttpRequest, program: Program) -> HttpResponse:
    url = reverse("programs:console_markets", args=[program.pk])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@login_required
def enrolment_advance(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """Move an enrolled market to a later step (준비 중, 운영 중)."""
    program = _operated(request, pk, policy.PROGRAM_ROLLOUT)
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
        rollout.enrolment_advance(enrolment=enrolment, to=form.cleaned_data["to"])
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
    program = _operated(request, pk, policy.PROGRAM_ROLLOUT)
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


# --- merchant -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest, pk: int, program_pk: int) -> HttpResponse:
    """The merchant's application: confirm the declared annual sales and submit. Eligible
    stores are approved at once and see the credit granted; the rest wait for review. Only
    an owner applies: staff see the page, and their submission is refused (403)."""
    store = store_for_page(request, pk, policy.PROGRAM_APPLICATION_VIEW)
    program = Program.objects.select_related("operator").filter(pk=program_pk).first()
    if program is None:
        raise Http404
    existing = Application.objects.filter(program=program, store=store).first()
    form = ApplicationForm(request.POST or None, limit=program.max_annual_sales)
    refused = request.method == "POST" and not may_on_page(
        request, policy.PROGRAM_APPLY, store=store
    )
    if refused:
        form.add_error(None, NotStoreOwner().message)
    elif request.method == "POST" and existing is None and form.is_valid():
        try:
            existing = services.application_submit(
                program=program, store=store, applicant=_user(request),
                declared_annual_sales=form.cleaned_data["declared_annual_sales"],
            )
        except DangolError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("programs:apply", pk=store.pk, program_pk=program.pk)
    context: dict[str, Any] = {
        "store": store,
        "program": program,
        "benefits": list(program.benefits.all()),
        "form": form,
        "application": existing,
    }
    if existing is not None:
        context["reasons"] = reason_texts(existing.reasons)
        context["granted"] = list(existing.grants.select_related("benefit"))
    status = 400 if request.method == "POST" and existing is None else 200
    return render(request, "programs/apply.html", context, status=403 if refused else status)
