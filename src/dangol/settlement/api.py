"""Settlement endpoints: a store's payouts and coming settlements, and for the platform
administrator and auditors the settlement runs with their totals and reconciliation.

A store's settlements need a caller who owns or staffs the store and, for a store-scoped
token (a POS), that store. Runs are platform-wide: they need the platform administrator or
an auditor (access's `settlement.runs.view`; 403 `operator_only` for anyone else, an
organisation's operator included); a store-scoped token never acts as either. Refusals
answer `{code, message}` with the domain error's status.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from dangol.access.api import caller_require, caller_store
from dangol.access.policy import SETTLEMENT_RUNS_VIEW, STATEMENTS
from dangol.accounts.api import required_auth
from dangol.core.api import ErrorOut, Pagination
from dangol.core.errors import NotFound
from dangol.settlement import selectors
from dangol.settlement.models import Payout, SettlementRun

router = Router(tags=["settlement"], auth=required_auth)

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


# --- schemas --------------------------------------------------------------------------------


class PayoutOut(Schema):
    id: int
    run_id: int
    kind: str = Field(description="regular(정기 정산) | fast(빠른정산)")
    kind_display: str
    cutoff: dt.datetime = Field(description="정산 마감 시각 / cut-off")
    payout_date: dt.date = Field(description="지급일 / payout date")
    amount: int = Field(description="정산액 (원)")
    fee: int = Field(description="수수료 (원)")
    net: int = Field(description="지급액 (원) = amount − fee")
    statement_number: str | None = Field(description="정산 명세서 번호")

    @staticmethod
    def resolve_kind(obj: Payout) -> str:
        return str(obj.run.kind)

    @staticmethod
    def resolve_kind_display(obj: Payout) -> str:
        return str(obj.run.get_kind_display())

    @staticmethod
    def resolve_cutoff(obj: Payout) -> dt.datetime:
        return obj.run.cutoff

    @staticmethod
    def resolve_payout_date(obj: Payout) -> dt.date:
        return obj.run.payout_date

    @staticmethod
    def resolve_statement_number(obj: Payout) -> str:
        return obj.number


class NextSettlementOut(Schema):
    kind: str = Field(description="regular(정기 정산) | fast(빠른정산)")
    payout_date: dt.date = Field(description="예정 지급일")
    amount: int = Field(description="예상 지급액 (원, 수수료 뺀 금액) / estimated net")
    cutoff: dt.datetime | None = Field(description="정산 마감 시각 (알 수 없으면 null)")


class StoreSettlementsOut(Schema):
    count: int = Field(description="지급 건수 / number of payouts")
    items: list[PayoutOut] = Field(description="지급 내역, 최근 지급일부터")
    upcoming: list[NextSettlementOut] = Field(
        description="다음 정산 (빠른정산, 정기 정산) / coming payouts"
    )


class RunOut(Schema):
    id: int
    kind: str = Field(description="regular(정기 정산) | fast(빠른정산)")
    policy_id: int | None
    policy_name: str | None
    cutoff: dt.datetime
    payout_date: dt.date
    status: str = Field(description="running | completed")
    completed_at: dt.datetime | None
    payouts_count: int
    amount_total: int = Field(description="정산액 합계 (원)")
    fee_total: int = Field(description="수수료 합계 (원)")
    net_total: int = Field(description="지급액 합계 (원)")

    @staticmethod
    def resolve_policy_name(obj: SettlementRun) -> str | None:
        return obj.policy.name if obj.policy is not None else None


class MismatchOut(Schema):
    store_id: int
    reason: str = Field(
        description="no_ledger_posting | no_payout | ledger_payout_differ | capture_differs"
    )
    ledger: int | None = Field(description="원장이 지급 대기로 옮긴 금액 (원)")
    payout: int | None = Field(description="지급 기록의 지급액 (원)")
    captured: int | None


class ReconciliationOut(Schema):
    ok: bool = Field(description="원장과 지급 기록이 가게마다 모두 맞는지")
    ledger_total: int
    payout_total: int
    mismatches: list[MismatchOut]


class RunDetailOut(RunOut):
    reconciliation: ReconciliationOut


class RunPayoutOut(Schema):
    id: int
    store_id: int
    store_name: str
    amount: int
    fee: int
    net: int
    statement_number: str = Field(description="명세서 번호 / statement number")

    @staticmethod
    def resolve_statement_number(obj: Payout) -> str:
        return obj.number

    @staticmethod
    def resolve_store_name(obj: Payout) -> str:
        return obj.store.name


# --- a store's settlements ------------------------------------------------------------------


@router.get(
    "/stores/{int:store_id}/settlements", response={200: StoreSettlementsOut, **ERRORS},
    summary="가게 정산 내역 / a store's settlements",
)
def store_settlements(
    request: HttpRequest, store_id: int, page: Query[Pagination.Input]
) -> dict[str, Any]:
    """가게의 지급 내역(정산액, 수수료, 지급액, 지급일, 정산 종류)과 다음 정산 예정.

    Return the store's payouts, newest payout date first (`limit`/`offset`), and its coming
    settlements (fast and regular) with their estimated net amounts.
    """
    store = caller_store(request, store_id, STATEMENTS)
    payouts = (
        Payout.objects.filter(store=store)
        .select_related("run")
        .order_by("-run__payout_date", "-id")
    )
    return {
        "count": payouts.count(),
        "items": list(payouts[page.offset : page.offset + page.limit]),
        "upcoming": selectors.store_next_settlements(store=store),
    }


# --- the platform administrator and auditors ------------------------------------------------


@router.get("/settlement/runs", response={200: list[RunOut], **ERRORS},
            summary="정산 실행 목록 / settlement runs (platform admin, auditors)")
@paginate(Pagination)
def list_runs(request: HttpRequest) -> Any:
    """정산 실행과 합계, 최근 마감부터. 플랫폼 관리자와 감사자만.

    Return the settlement runs with their totals, newest cut-off first. The platform
    administrator and auditors only.
    """
    caller_require(request, SETTLEMENT_RUNS_VIEW)
    return selectors.settlement_runs_overview()


@router.get("/settlement/runs/{int:run_id}", response={200: RunDetailOut, **ERRORS},
            summary="정산 실행 자세히 / one settlement run (platform admin, auditors)")
def get_run(request: HttpRequest, run_id: int) -> RunDetailOut:
    """정산 실행 하나의 합계와 대사(원장 ↔ 지급 기록). 플랫폼 관리자와 감사자만.

    Return one run with its totals and the reconciliation of its ledger postings against
    its payouts. The platform administrator and auditors only.
    """
    caller_require(request, SETTLEMENT_RUNS_VIEW)
    run = selectors.settlement_run_get(run_id=run_id)
    if run is None:
        raise NotFound(_("정산 실행을 찾을 수 없습니다."))
    report = selectors.run_reconcile(run=run)
    run.reconciliation = ReconciliationOut(  # type: ignore[attr-defined]
        ok=report.ok, ledger_total=report.ledger_total, payout_total=report.payout_total,
        mismatches=[MismatchOut(**vars(item)) for item in report.mismatches],
    )
    return RunDetailOut.from_orm(run)


@router.get("/settlement/runs/{int:run_id}/payouts", response={200: list[RunPayoutOut], **ERRORS},
            summary="정산 실행의 지급 목록 / payouts of a run (platform admin, auditors)")
@paginate(Pagination)
def list_run_payouts(request: HttpRequest, run_id: int) -> Any:
    """정산 실행 하나의 가게별 지급, 가게 순. 플랫폼 관리자와 감사자만.

    Return the payouts of one run, in store order. The platform administrator and auditors only.
    """
    caller_require(request, SETTLEMENT_RUNS_VIEW)
    run = SettlementRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(_("정산 실행을 찾을 수 없습니다."))
    return selectors.run_payout_rows(run=run)
