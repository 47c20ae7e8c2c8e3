"""PostgreSQL: two programs' fast-settlement grants to the same stores withdrawn at once.

Each store holds the same benefit from two programs; both withdrawals run together. They
queue on the store's settlement account (locked before any grant row), so none deadlocks,
and whichever comes second finds no other grant left and puts the terms back to the state
before the first grant."""

import datetime as dt

import pytest

from dangol.audit.models import AuditEntry
from dangol.core import clock
from dangol.core.clock import kst
from dangol.programs import grant_endings, services
from dangol.programs.models import Benefit, Grant
from dangol.settlement import services as settlement_services
from dangol.settlement.models import StoreSettlementAccount
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STORES = 10
NORMAL_FEE_BP = 100


def test_concurrent_withdrawals_of_two_programs_grants_revert_each_store_once(
    program, operator_user, haeundae, market_in, store_in, owner_of
):
    clock.freeze(kst(2026, 11, 30, 9))
    policy = settlement_services.settlement_policy_create(name="월 4회", cycles_per_month=4)
    fast_only = [{"kind": Benefit.Kind.FAST_SETTLEMENT}]
    first = program(benefits=fast_only, starts_on=dt.date(2026, 11, 30),
                    ends_on=dt.date(2026, 12, 31))
    second = program(benefits=fast_only, starts_on=dt.date(2026, 11, 30),
                     ends_on=dt.date(2026, 12, 31))
    market = market_in(haeundae)
    stores = [store_in(market) for _ in range(STORES)]
    for store in stores:
        settlement_services.store_settlement_account_set(
            store=store, policy=policy, bank_name="부산은행", account_number="101-2020-3030",
            fast_settlement_eligible=False, fast_fee_bp=NORMAL_FEE_BP,
        )
        owner = owner_of(store)
        for prog in (first, second):
            services.application_submit(
                program=prog, store=store, applicant=owner, declared_annual_sales=1
            )
    grants = {
        (grant.store_id, grant.benefit.program_id): grant
        for grant in Grant.objects.select_related("benefit")
    }

    def withdraw(index: int) -> Grant:
        store = stores[index // 2]
        prog = (first, second)[index % 2]
        return grant_endings.grant_withdraw(
            grant=grants[(store.pk, prog.pk)], actor=operator_user, reason="중복 지원"
        )

    results, refusals = run_concurrently(withdraw, threads=2 * STORES)

    assert refusals == [] and len(results) == 2 * STORES
    assert set(Grant.objects.values_list("status", flat=True)) == {Grant.Status.WITHDRAWN}
    terms = set(StoreSettlementAccount.objects.values_list(
        "fast_settlement_eligible", "fast_fee_bp"
    ))
    assert terms == {(False, NORMAL_FEE_BP)}
    outcomes = sorted(
        AuditEntry.objects.filter(action=AuditEntry.Action.GRANT_WITHDRAW)
        .values_list("details__settlement", flat=True)
    )
    assert outcomes == ["reverted"] * STORES + ["still_granted"] * STORES
