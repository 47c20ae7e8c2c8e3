"""fast_settlement_run (빠른정산): a share of a business day's redemptions on the next
business day, the rest in the regular cycle, in every order of runs."""

import datetime as dt

import pytest
from django.db.models import Sum

from dangol.core import clock
from dangol.core.clock import kst
from dangol.ledger import services as ledger_services
from dangol.ledger.models import Account, Entry
from dangol.ledger.selectors import account_balance, ledger_verify
from dangol.settlement import cycles, services
from dangol.settlement.errors import CutoffInFuture, FastRunOutOfOrder, InvalidFastCutoff
from dangol.settlement.models import Payout, SettlementRun
from dangol.settlement.selectors import run_reconcile
from tests.settlement.conftest import NOW, payable, redeem

pytestmark = pytest.mark.django_db

# November 2026: the 27th is a Friday, the 30th a Monday; NOW is Tuesday 1 December 09:00.
FAST_NOV_30 = cycles.fast_cutoff(dt.date(2026, 11, 30))  # 2026-12-01 00:00 KST
REGULAR_NOV_30 = kst(2026, 11, 30, 23, 59)


@pytest.fixture(autouse=True)
def _after_the_month():
    clock.freeze(NOW)


@pytest.fixture
def fast_store(make_store):
    def make(*, share_bp: int = 9000, fee_bp: int = 0):
        store = make_store()
        account = store.settlement_account
        account.fast_settlement_eligible = True
        account.fast_share_bp = share_bp
        account.fast_fee_bp = fee_bp
        account.save(update_fields=["fast_settlement_eligible", "fast_share_bp", "fast_fee_bp"])
        return store

    return make


def _payouts(run: SettlementRun) -> list[tuple[int, int, int, int]]:
    return list(
        Payout.objects.filter(run=run).order_by("store_id").values_list(
            "store_id", "amount", "fee", "net"
        )
    )


def test_fast_run_advances_the_share_of_the_day_on_the_next_business_day(
    fast_store, make_store
):
    store = fast_store()
    regular_only = make_store()
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="a")
    redeem(store, 333, at=kst(2026, 11, 30, 18), key="b")
    redeem(regular_only, 5_000, at=kst(2026, 11, 30, 12), key="c")

    run = services.fast_settlement_run(cutoff=FAST_NOV_30)

    assert run.kind == SettlementRun.Kind.FAST
    assert run.policy is None
    assert run.payout_date == dt.date(2026, 12, 1)
    # ⌊10,333 × 0.9⌋ = 9,299
    assert _payouts(run) == [(store.pk, 9_299, 0, 9_299)]
    assert account_balance(account=payable(store)) == 1_034
    payout = Payout.objects.get()
    assert payout.transaction.kind == services.FAST_PAYOUT_KIND
    assert payout.transaction.idempotency_key == f"fastpayout:{run.pk}:{store.pk}"
    assert Payout.objects.get().number == f"FS-{run.pk}-{store.pk}"
    assert ledger_verify().ok


def test_fridays_fast_run_pays_on_monday_and_a_weekend_cutoff_is_refused(fast_store):
    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 27, 12), key="a")

    run = services.fast_settlement_run(cutoff=cycles.fast_cutoff(dt.date(2026, 11, 27)))

    assert run.payout_date == dt.date(2026, 11, 30)
    assert _payouts(run) == [(store.pk, 9_000, 0, 9_000)]
    with pytest.raises(InvalidFastCutoff):
        services.fast_settlement_run(cutoff=cycles.fast_cutoff(dt.date(2026, 11, 28)))
    with pytest.raises(InvalidFastCutoff):
        services.fast_settlement_run(cutoff=kst(2026, 11, 27, 23, 59))


def test_window_starts_at_the_previous_fast_cutoff(fast_store):
    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 26, 12), key="thu")
    redeem(store, 20_000, at=kst(2026, 11, 28, 12), key="sat")
    redeem(store, 30_000, at=kst(2026, 11, 30, 12), key="mon")

    thursday = services.fast_settlement_run(cutoff=cycles.fast_cutoff(dt.date(2026, 11, 26)))
    monday = services.fast_settlement_run(cutoff=FAST_NOV_30)

    assert _payouts(thursday) == [(store.pk, 9_000, 0, 9_000)]
    # Friday had no run: the window of Monday's run runs from Thursday's cut-off.
    assert monday.window_start == thursday.cutoff
    assert _payouts(monday) == [(store.pk, 45_000, 0, 45_000)]


def test_regular_run_after_a_fast_run_pays_exactly_the_rest(fast_store):
    store = fast_store()
    redeem(store, 7_000, at=kst(2026, 11, 20, 12), key="older")
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="today")
    fast = services.fast_settlement_run(cutoff=FAST_NOV_30)

    regular = services.settlement_run(
        policy=store.settlement_account.policy, cutoff=REGULAR_NOV_30
    )

    assert _payouts(fast) == [(store.pk, 9_000, 0, 9_000)]
    assert _payouts(regular) == [(store.pk, 8_000, 0, 8_000)]
    assert account_balance(account=payable(store)) == 0
    assert ledger_verify().ok


def test_fast_run_after_a_regular_run_that_paid_everything_pays_nothing(fast_store):
    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="today")
    regular = services.settlement_run(
        policy=store.settlement_account.policy, cutoff=REGULAR_NOV_30
    )

    fast = services.fast_settlement_run(cutoff=FAST_NOV_30)

    assert _payouts(regular) == [(store.pk, 10_000, 0, 10_000)]
    assert _payouts(fast) == []
    assert fast.status == SettlementRun.Status.COMPLETED


def test_regular_run_late_after_a_later_fast_run_still_pays_its_whole_period(fast_store):
    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 26, 12), key="thu")
    redeem(store, 5_000, at=kst(2026, 11, 30, 12), key="mon")
    fast = services.fast_settlement_run(cutoff=FAST_NOV_30)

    # The run of the 27th's cut-off comes late, after Monday's fast run: that advance was
    # for money earned after the 27th, so it does not reduce this run.
    regular = services.settlement_run(
        policy=store.settlement_account.policy, cutoff=kst(2026, 11, 27, 23, 59)
    )

    assert _payouts(fast) == [(store.pk, 4_500, 0, 4_500)]
    assert _payouts(regular) == [(store.pk, 10_000, 0, 10_000)]
    assert account_balance(account=payable(store)) == 500


def test_straddling_fast_payout_is_never_paid_twice(fast_store):
    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="before")
    redeem(store, 2_000, at=kst(2026, 11, 30, 23, 59, ) + dt.timedelta(seconds=30), key="after")
    services.fast_settlement_run(cutoff=FAST_NOV_30)

    regular = services.settlement_run(
        policy=store.settlement_account.policy, cutoff=REGULAR_NOV_30
    )

    # Fast paid ⌊12,000 × 0.9⌋ = 10,800, of which 1,800 was for money earned after the
    # regular cut-off: the regular run pays 10,000 − 10,800 < 0, nothing, and the next one
    # the last 1,200.
    assert _payouts(regular) == []
    assert account_balance(account=payable(store)) == 1_200


def test_fast_share_is_capped_by_what_is_owed(fast_store):
    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="a")
    sink = ledger_services.account_get_or_create(
        owner_type="", owner_id=None, kind=Account.Kind.REFUND_CLEARING, non_negative=False,
        name="환불 대기",
    )
    clock.freeze(kst(2026, 11, 30, 13))
    ledger_services.ledger_transfer(
        idempotency_key="claw", kind="adjustment", source=payable(store), destination=sink,
        amount=8_000,
    )
    clock.freeze(NOW)

    run = services.fast_settlement_run(cutoff=FAST_NOV_30)

    assert _payouts(run) == [(store.pk, 2_000, 0, 2_000)]


def test_fast_fee_is_rounded_down_and_can_be_waived(fast_store):
    charged = fast_store(fee_bp=150)
    waived = fast_store(fee_bp=0)
    redeem(charged, 10_001, at=kst(2026, 11, 30, 12), key="a")
    redeem(waived, 10_001, at=kst(2026, 11, 30, 12), key="b")

    run = services.fast_settlement_run(cutoff=FAST_NOV_30)

    # ⌊10,001 × 0.9⌋ = 9,000; fee ⌊9,000 × 1.5%⌋ = 135
    assert _payouts(run) == [
        (charged.pk, 9_000, 135, 8_865),
        (waived.pk, 9_000, 0, 9_000),
    ]
    assert Account.objects.get(kind=Account.Kind.PLATFORM_FEE_REVENUE).balance == 135
    assert ledger_verify().ok


def test_rerun_returns_the_same_fast_run_and_pays_nothing_more(fast_store):
    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="a")
    first = services.fast_settlement_run(cutoff=FAST_NOV_30)

    second = services.fast_settlement_run(cutoff=FAST_NOV_30)

    assert second.pk == first.pk
    assert Payout.objects.count() == 1


def test_crashed_fast_run_resumes_to_the_same_payouts(fast_store, monkeypatch):
    stores = [fast_store() for _ in range(4)]
    for index, store in enumerate(stores):
        redeem(store, 1_000 * (index + 1), at=kst(2026, 11, 30, 12), key=f"r{index}")
    calls: list[int] = []

    def crash_after_two(store_id: int) -> None:
        calls.append(store_id)
        if len(calls) == 2:
            raise RuntimeError("killed")

    monkeypatch.setattr(services, "after_store", crash_after_two)
    with pytest.raises(RuntimeError):
        services.fast_settlement_run(cutoff=FAST_NOV_30, batch_size=1)
    monkeypatch.setattr(services, "after_store", None)

    run = services.fast_settlement_run(cutoff=FAST_NOV_30, batch_size=1)

    assert _payouts(run) == [
        (store.pk, 900 * (i + 1), 0, 900 * (i + 1)) for i, store in enumerate(stores)
    ]
    assert SettlementRun.objects.count() == 1
    assert ledger_verify().ok


def test_earlier_fast_run_after_a_later_one_is_refused(fast_store):
    fast_store()
    services.fast_settlement_run(cutoff=FAST_NOV_30)

    with pytest.raises(FastRunOutOfOrder):
        services.fast_settlement_run(cutoff=cycles.fast_cutoff(dt.date(2026, 11, 27)))


def test_fast_cutoff_in_the_future_is_refused(fast_store):
    with pytest.raises(CutoffInFuture):
        services.fast_settlement_run(cutoff=cycles.fast_cutoff(dt.date(2026, 12, 1)))


def test_fast_run_reconciles_by_its_own_key_prefix(fast_store):
    stores = [fast_store() for _ in range(2)]
    for index, store in enumerate(stores):
        redeem(store, 10_000, at=kst(2026, 11, 30, 12), key=f"r{index}")
    run = services.fast_settlement_run(cutoff=FAST_NOV_30)

    report = run_reconcile(run=run, captures={store.pk: 9_000 for store in stores})

    assert report.ok
    assert report.ledger_total == report.payout_total == 18_000
    Payout.objects.filter(store=stores[0]).update(amount=9_100, net=9_100)
    tampered = run_reconcile(run=run)
    assert [m.reason for m in tampered.mismatches] == ["ledger_payout_differ"]
    assert tampered.batch_mismatches == [Payout.objects.get(store=stores[0]).transaction_id]


def test_fast_and_regular_runs_of_one_cutoff_moment_coexist(fast_store):
    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="a")
    policy = store.settlement_account.policy

    services.fast_settlement_run(cutoff=FAST_NOV_30)
    services.settlement_run(policy=policy, cutoff=FAST_NOV_30)

    assert SettlementRun.objects.filter(cutoff=FAST_NOV_30).count() == 2
    paid = Payout.objects.aggregate(total=Sum("amount"))["total"]
    assert paid == 10_000
    assert Entry.objects.filter(account=payable(store)).aggregate(t=Sum("amount"))["t"] == 0


def test_next_settlements_before_and_after_the_morning_fast_run(fast_store):
    from dangol.settlement.selectors import store_next_settlements

    store = fast_store(fee_bp=100)
    policy = store.settlement_account.policy
    services.settlement_run(policy=policy, cutoff=kst(2026, 11, 27, 23, 59))
    redeem(store, 10_000, at=kst(2026, 11, 30, 12), key="mon")
    redeem(store, 2_000, at=kst(2026, 12, 1, 8), key="tue")

    before = store_next_settlements(store=store, at=kst(2026, 12, 1, 9))
    services.fast_settlement_run(cutoff=FAST_NOV_30)
    after = store_next_settlements(store=store, at=kst(2026, 12, 1, 9))

    # Before the run: Monday's 9,000 (fee 90) on Tuesday; the regular run of 30 Nov pays
    # the rest of Monday's 10,000 on 1 December.
    assert [(n.kind, n.payout_date, n.amount, n.cutoff) for n in before] == [
        ("fast", dt.date(2026, 12, 1), 8_910, FAST_NOV_30),
        ("regular", dt.date(2026, 12, 1), 1_000, REGULAR_NOV_30),
    ]
    # After it: Tuesday's 1,800 so far on Wednesday; the regular run still pays 1,000.
    assert [(n.kind, n.payout_date, n.amount) for n in after] == [
        ("fast", dt.date(2026, 12, 2), 1_782),
        ("regular", dt.date(2026, 12, 1), 1_000),
    ]


def test_next_settlements_of_a_store_without_fast_settlement(make_store):
    from dangol.settlement.selectors import store_next_settlements

    store = make_store()
    redeem(store, 10_000, at=kst(2026, 12, 1, 8), key="tue")

    result = store_next_settlements(store=store, at=kst(2026, 12, 1, 9))

    assert [(n.kind, n.payout_date, n.amount) for n in result] == [
        ("regular", dt.date(2026, 12, 4), 10_000)
    ]


def test_daily_task_runs_yesterdays_fast_settlement_on_business_days_only(fast_store):
    from dangol.settlement import tasks

    store = fast_store()
    redeem(store, 10_000, at=kst(2026, 11, 27, 12), key="fri")
    redeem(store, 4_000, at=kst(2026, 11, 28, 12), key="sat")

    clock.freeze(kst(2026, 11, 28, 7, 30))
    assert tasks.fast_settlement_daily.call_local() is None
    clock.freeze(kst(2026, 11, 30, 7, 30))
    run_id = tasks.fast_settlement_daily.call_local()

    run = SettlementRun.objects.get(pk=run_id)
    assert run.cutoff == cycles.fast_cutoff(dt.date(2026, 11, 27))
    assert _payouts(run) == [(store.pk, 9_000, 0, 9_000)]
    assert tasks.fast_settlement_daily.call_local() == run_id


def test_settle_fast_command_runs_and_exports(fast_store, capsys):
    from django.core.management import call_command

    store = fast_store()
    redeem(store, 2_000, at=kst(2026, 11, 30, 12), key="r")

    call_command("settle", "fast", "--day", "2026-11-30")
    run = SettlementRun.objects.get()
    call_command("settle", "csv", str(run.pk))

    out = capsys.readouterr().out
    assert run.kind == SettlementRun.Kind.FAST
    assert "₩1,800" in out
    assert "110-***-**1234,1800" in out


def test_fast_statement_pdf_says_fast_settlement(fast_store):
    from dangol.settlement.exports import statement_pdf

    store = fast_store()
    redeem(store, 2_000, at=kst(2026, 11, 30, 12), key="r")
    services.fast_settlement_run(cutoff=FAST_NOV_30)
    statement = Payout.objects.get()

    pdf = statement_pdf(payout=statement)

    assert pdf.startswith(b"%PDF")
    assert _pdf_title(pdf) == f"빠른정산 명세서 {statement.number}"


def _pdf_title(pdf: bytes) -> str:
    """Return the document title ReportLab wrote: UTF-16 with octal escapes."""
    import re

    raw = re.search(rb"/Title \((.*?)\) /", pdf, re.S)
    assert raw is not None
    data = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), raw.group(1))
    data = re.sub(rb"\\(.)", rb"\1", data)
    return data.decode("utf-16")
