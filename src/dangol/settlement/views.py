"""Pages of settlement: the merchant's settlement page with statements, and the console of
settlement runs (run, payouts, reconciliation, transfer file): the platform administrator
runs settlements and downloads the bank file, auditors read. Thin: parse, authorise, call a
service or selector, render."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from dangol.access.checks import signed_in
from dangol.access.pages import may_on_page, require_for_page, store_for_page
from dangol.access.policy import (
    SETTLEMENT_ANY_STATEMENT,
    SETTLEMENT_BANK_FILE,
    SETTLEMENT_RUN,
    SETTLEMENT_RUNS_VIEW,
    STATEMENT_PDF,
    STATEMENTS,
)
from dangol.core import clock
from dangol.core.errors import DangolError
from dangol.core.money import format_won
from dangol.settlement import cycles, exports, selectors, services
from dangol.settlement.forms import FastSettlementRunForm, SettlementRunForm
from dangol.settlement.models import BASIS_POINTS, Payout, SettlementPolicy, SettlementRun

STATEMENTS_PER_PAGE = 20
RUNS_PER_PAGE = 50
PAYOUTS_PER_PAGE = 100

# Why a store's figures disagree in a reconciliation (selectors.Mismatch.reason).
MISMATCH_REASONS = {
    "no_ledger_posting": gettext_lazy("원장에 지급 거래가 없습니다"),
    "no_payout": gettext_lazy("원장 거래는 있으나 지급 기록이 없습니다"),
    "ledger_payout_differ": gettext_lazy("원장 금액과 지급액이 다릅니다"),
    "capture_differs": gettext_lazy("은행 이체 결과와 지급액이 다릅니다"),
}


def _page(request: HttpRequest, items: Any, per_page: int) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _percent(bp: int) -> str:
    """Return basis points as a percentage without trailing zeros: 9000 → '90', 25 → '0.25'."""
    return f"{bp * 100 // BASIS_POINTS}.{bp * 100 % BASIS_POINTS:04d}".rstrip("0").rstrip(".")


def _policy_terms(policy: SettlementPolicy) -> dict[str, Any]:
    """Return what the page says of a policy: cycles, cut-off time, payout lag, fee."""
    if policy.cycles_per_month:
        cycles_text = policy.get_cycles_per_month_display()
    else:
        days = ", ".join(str(day) for day in sorted(policy.cycle_days))
        cycles_text = _("매월 %(days)s일") % {"days": days}
    return {
        "policy": policy,
        "cycles": cycles_text,
        "cutoff_time": policy.cutoff_time,
        "lag": policy.payout_lag_days,
        "fee_percent": _percent(policy.fee_bp),
    }


# --- merchant -------------------------------------------------------------------------------


@require_safe
@login_required
def merchant(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a store its settlement terms, bank account, next payouts, what it is owed now
    and its statements with their PDFs."""
    store = store_for_page(request, pk, STATEMENTS)
    account = selectors.store_settlement_account(store=store)
    context: dict[str, Any] = {"store": store, "account": account}
    if account is not None:
        context.update(
            terms=_policy_terms(account.policy),
            masked_account=exports.account_number_mask(account.account_number),
            fast_share_percent=_percent(account.fast_share_bp),
            fast_fee_percent=_percent(account.fast_fee_bp),
            next_settlements=selectors.store_next_settlements(store=store),
            owed=selectors.store_payable_balance(store=store),
        )
    page = _page(request, selectors.store_statements(store=store), STATEMENTS_PER_PAGE)
    context["statements"] = page
    context["can_download"] = may_on_page(request, STATEMENT_PDF, store=store)
    return render(request, "settlement/merchant.html", context)


def _pdf_response(request: HttpRequest, payout: Payout) -> HttpResponse:
    response = HttpResponse(
        exports.statement_pdf_export(payout=payout, actor=signed_in(request.user)),
        content_type="application/pdf",
    )
    filename = exports.safe_filename(f"{payout.number}.pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@login_required
def statement_pdf(request: HttpRequest, pk: int, payout_pk: int) -> HttpResponse:
    """Download the statement of one of the store's payouts as PDF (its owner); 404 for
    another store's."""
    store = store_for_page(request, pk, STATEMENT_PDF)
    payout = selectors.store_statement_get(store=store, payout_id=payout_pk)
    if payout is None:
        raise Http404
    return _pdf_response(request, payout)


# --- the platform administrator and auditors ----------------------------------------------


def _fast_cutoff(day: dt.date | None) -> dt.datetime:
    """Return the fast-settlement cut-off that ends business day `day`, or the latest one
    that has passed when `day` is None."""
    return cycles.fast_cutoff(day) if day is not None else cycles.latest_fast_cutoff(clock.now())


def _run_message(run: SettlementRun) -> str:
    totals = selectors.settlement_run_get(run_id=run.pk) or run
    return _("정산 #%(id)s: %(count)s건, 지급 합계 %(total)s, 지급일 %(date)s") % {
        "id": run.pk,
        "count": getattr(totals, "payouts_count", 0),
        "total": format_won(int(getattr(totals, "net_total", 0))),
        "date": run.payout_date.isoformat(),
    }


def _runs_page(
    request: HttpRequest,
    *,
    can_run: bool,
    form: SettlementRunForm | None = None,
    fast_form: FastSettlementRunForm | None = None,
    status: int = 200,
) -> HttpResponse:
    policies = list(SettlementPolicy.objects.order_by("id"))
    now = clock.now()
    policy_rows = [
        {
            **_policy_terms(policy),
            "last_cutoff": selectors.policy_last_cutoff(policy=policy, at=now),
        }
        for policy in policies
    ]
    return render(
        request,
        "settlement/runs.html",
        {
            "runs": _page(request, selectors.settlement_runs_overview(), RUNS_PER_PAGE),
            "policy_rows": policy_rows,
            "can_run": can_run,
            "form": form or SettlementRunForm(),
            "fast_form": fast_form or FastSettlementRunForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    """List settlement runs; POST runs (or resumes) a settlement of a policy at a cut-off,
    or a fast settlement. Runs are idempotent by their cut-off, so a double submit only
    shows the same run again."""
    if request.method != "POST":
        require_for_page(request, SETTLEMENT_RUNS_VIEW)
        return _runs_page(request, can_run=may_on_page(request, SETTLEMENT_RUN))
    require_for_page(request, SETTLEMENT_RUN)
    if request.POST.get("action") == "fast":
        return _fast_run(request)
    form = SettlementRunForm(request.POST)
    if not form.is_valid():
        return _runs_page(request, can_run=True, form=form, status=400)
    policy: SettlementPolicy = form.cleaned_data["policy"]
    cutoff = form.cleaned_data["cutoff"] or selectors.policy_last_cutoff(policy=policy)
    try:
        run = services.settlement_run(policy=policy, cutoff=cutoff, actor=signed_in(request.user))
    except DangolError as exc:
        form.add_error(None, exc.message)
        return _runs_page(request, can_run=True, form=form, status=exc.status)
    messages.success(request, _run_message(run))
    return redirect("settlement:run", pk=run.pk)


def _fast_run(request: HttpRequest) -> HttpResponse:
    form = FastSettlementRunForm(request.POST)
    if not form.is_valid():
        return _runs_page(request, can_run=True, fast_form=form, status=400)
    cutoff = _fast_cutoff(form.cleaned_data["day"])
    try:
        run = services.fast_settlement_run(cutoff=cutoff, actor=signed_in(request.user))
    except DangolError as exc:
        form.add_error(None, exc.message)
        return _runs_page(request, can_run=True, fast_form=form, status=exc.status)
    messages.success(request, _run_message(run))
    return redirect("settlement:run", pk=run.pk)


def _run_or_404(pk: int) -> SettlementRun:
    run = selectors.settlement_run_get(run_id=pk)
    if run is None:
        raise Http404
    return run


@require_safe
@login_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one run: totals, its payouts (paged) and the reconciliation of ledger and
    payouts, with the transfer file and the statements to download."""
    require_for_page(request, SETTLEMENT_RUNS_VIEW)
    settlement = _run_or_404(pk)
    page = _page(request, selectors.run_payout_rows(run=settlement), PAYOUTS_PER_PAGE)
    rows = [
        {"payout": payout, "masked_account": exports.account_number_mask(payout.account_number)}
        for payout in page
    ]
    reconciliation = selectors.run_reconcile(run=settlement)
    names = selectors.store_names(store_ids=[m.store_id for m in reconciliation.mismatches])
    mismatches = [
        {
            "mismatch": mismatch,
            "store_name": names.get(mismatch.store_id, ""),
            "reason": MISMATCH_REASONS.get(mismatch.reason, mismatch.reason),
        }
        for mismatch in reconciliation.mismatches
    ]
    return render(
        request,
        "settlement/run.html",
        {
            "run": settlement,
            "payouts": page,
            "rows": rows,
            "reconciliation": reconciliation,
            "mismatches": mismatches,
            "can_download": may_on_page(request, SETTLEMENT_BANK_FILE),
            "can_download_statements": may_on_page(request, SETTLEMENT_ANY_STATEMENT),
        },
    )


@require_safe
@login_required
def payouts_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the run's bank-transfer CSV (UTF-8 with BOM): the platform administrator."""
    require_for_page(request, SETTLEMENT_BANK_FILE)
    settlement = _run_or_404(pk)
    response = HttpResponse(
        exports.payouts_csv(run=settlement, actor=signed_in(request.user)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="settlement-run-{settlement.pk}-payouts.csv"'
    )
    return response


@require_safe
@login_required
def run_statement_pdf(request: HttpRequest, payout_pk: int) -> HttpResponse:
    """Download the statement of any store's payout as PDF (the platform administrator)."""
    require_for_page(request, SETTLEMENT_ANY_STATEMENT)
    payout = selectors.statement_get(payout_id=payout_pk)
    if payout is None:
        raise Http404
    return _pdf_response(request, payout)
