"""Pages of programs: the operators' console (programs with their budgets, the applications
review queue, grants, roll-out, pledges, exports) and the merchant's application. Thin: parse,
authorise, call a service or selector, render."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dangol.accounts.models import User
from dangol.core.errors import DangolError
from dangol.core.money import format_won
from dangol.core.tenancy import Role, is_platform_admin
from dangol.organisations.models import Organisation
from dangol.organisations.selectors import organisation_memberships_of
from dangol.places.models import Store
from dangol.places.selectors import user_can_manage_store
from dangol.programs import exports, pledges, rollout, selectors, services
from dangol.programs.exports import reason_texts
from dangol.programs.forms import ApplicationForm, DecisionForm, ProgramForm, RegionEnrolForm
from dangol.programs.models import Application, Grant, Program

GRANTS_PER_PAGE = 50
QUEUE_PER_PAGE = 50

def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (login_required)
    return request.user


def _page(request: HttpRequest, items: Any, per_page: int) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


# --- who may do what ------------------------------------------------------------------------


class _Access:
    """The console user's roles: operator organisations, and whether they read everything."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.admin = is_platform_admin(user)
        memberships = list(organisation_memberships_of(user=user))
        self.operator_orgs = {
            m.organisation_id: m.organisation for m in memberships if m.role == Role.OPERATOR
        }
        self.auditor = any(m.role == Role.AUDITOR for m in memberships)
        if not (self.admin or memberships):
            raise PermissionDenied

    def can_see(self, program: Program) -> bool:
        return self.admin or self.auditor or program.operator_id in self.operator_orgs

    def can_run(self, program: Program) -> bool:
        return self.admin or program.operator_id in self.operator_orgs

    def operators(self) -> QuerySet[Organisation]:
        if self.admin:
            return Organisation.objects.order_by("name")
        return Organisation.objects.filter(pk__in=self.operator_orgs).order_by("name")


def _program_or_404(access: _Access, pk: int) -> Program:
    program = Program.objects.select_related("operator", "fund").filter(pk=pk).first()
    if program is None:
        raise Http404
    if not access.can_see(program):
        raise PermissionDenied
    return program


# --- console --------------------------------------------------------------------------------


@require_safe
@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    """List the programs the user runs (auditors: all) with budget, committed, spent and
    remaining."""
    access = _Access(_user(request))
    programs = list(selectors.programs_for(user=access.user))
    figures = selectors.programs_figures(programs=programs)
    rows = [
        {"program": program, "figures": figures[program.pk], "can_run": access.can_run(program)}
        for program in programs
    ]
    return render(
        request,
        "programs/console_list.html",
        {"rows": rows, "can_create": access.admin or bool(access.operator_orgs)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def program_new(request: HttpRequest) -> HttpResponse:
    """Create a program (operators): name, period, 시군구 scope, budget, benefits; it opens
    for applications at once."""
    access = _Access(_user(request))
    operators = access.operators()
    if not (access.admin or access.operator_orgs):
        raise PermissionDenied
    form = ProgramForm(request.POST or None, operators=operators)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            program = services.program_create(
                name=data["name"], operator=data["operator"], starts_on=data["starts_on"],
                ends_on=data["ends_on"], budget=data["budget"], fund=None,
                regions=tuple(data["regions"]), markets=(),
                max_annual_sales=data["max_annual_sales"],
                applicant_cap=data["applicant_cap"], benefits=form.benefits(),
                created_by=access.user,
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
    access = _Access(_user(request))
    program = _program_or_404(access, pk)
    return _detail(request, access, program)


def _detail(
    request: HttpRequest,
    access: _Access,
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
    grants = Grant.objects.filter(application__program=program).select_related(
        "store", "benefit"
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
        "can_run": access.can_run(program),
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
    access = _Access(_user(request))
    program = _program_or_404(access, pk)
    if not access.can_run(program):
        raise PermissionDenied
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
                application=application, operator_user=access.user, reason=reason
            )
            messages.success(request, _("%(store)s 신청을 승인했습니다.") % {
                "store": application.store.name})
        else:
            services.application_reject(
                application=application, operator_user=access.user, reason=reason
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
    access = _Access(_user(request))
    program = _program_or_404(access, pk)
    if not access.can_run(program):
        raise PermissionDenied
    form = RegionEnrolForm(request.POST)
    if not form.is_valid():
        return _detail(request, access, program, enrol_form=form, status=400)
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


@require_safe
@login_required
def applications_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download the program's applications as .xlsx or .csv (Korean headers)."""
    access = _Access(_user(request))
    program = _program_or_404(access, pk)
    if kind not in ("csv", "xlsx"):
        raise Http404
    rows = exports.application_rows(program=program)
    content = exports.to_xlsx(exports.APPLICATION_HEADERS, rows, title=_("신청")) \
        if kind == "xlsx" else exports.to_csv(exports.APPLICATION_HEADERS, rows)
    return _download(content, filename=f"program-{program.pk}-applications", kind=kind)


@require_safe
@login_required
def grants_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download the program's grants as .xlsx or .csv (Korean headers)."""
    access = _Access(_user(request))
    program = _program_or_404(access, pk)
    if kind not in ("csv", "xlsx"):
        raise Http404
    rows = exports.grant_rows(program=program)
    content = exports.to_xlsx(exports.GRANT_HEADERS, rows, title=_("지급")) \
        if kind == "xlsx" else exports.to_csv(exports.GRANT_HEADERS, rows)
    return _download(content, filename=f"program-{program.pk}-grants", kind=kind)


@require_safe
@login_required
def pledge_list(request: HttpRequest) -> HttpResponse:
    """Every organisation's pledges with their progress (operators and auditors read)."""
    _Access(_user(request))
    return render(request, "programs/console_pledges.html",
                  {"overview": pledges.pledges_overview()})


# --- merchant -------------------------------------------------------------------------------


def _managed_store(request: HttpRequest, pk: int) -> Store:
    store = Store.objects.select_related("market").filter(pk=pk).first()
    if store is None:
        raise Http404
    if not user_can_manage_store(user=_user(request), store=store):
        raise PermissionDenied
    return store


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest, pk: int, program_pk: int) -> HttpResponse:
    """The merchant's application: confirm the declared annual sales and submit. Eligible
    stores are approved at once and see the credit granted; the rest wait for review."""
    store = _managed_store(request, pk)
    program = Program.objects.select_related("operator").filter(pk=program_pk).first()
    if program is None:
        raise Http404
    existing = Application.objects.filter(program=program, store=store).first()
    form = ApplicationForm(request.POST or None, limit=program.max_annual_sales)
    if request.method == "POST" and existing is None and form.is_valid():
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
    return render(request, "programs/apply.html", context, status=status)
