"""The PostgreSQL fast path of `voucher_redeem` against its ORM path (the reference).

Each comparison runs the same story twice, once through each path (the ORM path is forced
by making the fast path decline), and asserts the same rows, balances, fingerprints,
replays and refusals. The fast path only exists on PostgreSQL: those tests are marked.
"""

from typing import Any

import pytest
from django.db import connection

from dangol.core.clock import kst
from dangol.core.errors import IdempotencyKeyReused
from dangol.ledger.errors import InsufficientFunds
from dangol.ledger.models import Account, Entry, Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.ledger.services import ledger_post, ledger_transfer, transaction_fingerprint
from dangol.places.models import Store
from dangol.vouchers import fastpath, services
from dangol.vouchers.errors import (
    InsufficientBalance,
    InvalidAmount,
    NotAccepted,
    PartialUseNotAllowed,
    VoucherExpired,
    VoucherNotActive,
)
from dangol.vouchers.models import Redemption, Voucher
from dangol.vouchers.selectors import voucher_account
from tests.concurrency import run_concurrently
from tests.factories import CustomerFactory, StaffUserFactory, StoreFactory
from tests.vouchers.conftest import assert_consistent, buy, key, make_product

pytestmark = pytest.mark.django_db

NOW = kst(2026, 6, 1, 12, 0)
PATHS = ["fast", "orm"]


class PathSpy:
    """Counts the redemptions the fast path completed; `force_orm` makes it decline."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, force_orm: bool) -> None:
        self.fast = 0
        real = fastpath.voucher_redeem_fast

        def spy(**kwargs: Any) -> Redemption | None:
            if force_orm:
                return None
            redeemed = real(**kwargs)
            if redeemed is not None:
                self.fast += 1
            return redeemed

        monkeypatch.setattr(services, "voucher_redeem_fast", spy)


@pytest.fixture
def staff():
    return StaffUserFactory()


@pytest.fixture
def buyer():
    return CustomerFactory()


@pytest.fixture
def now(frozen_clock):
    frozen_clock(NOW)
    return NOW


def redeem(voucher: Voucher, store: Store, amount: int, staff: Any, idem: str | None = None):
    return services.voucher_redeem(
        voucher=voucher, store=store, amount=amount, staff=staff,
        idempotency_key=idem or key("fast"),
    )


def revenue_balance() -> int:
    """Return the platform's fee revenue: the sum over every store's fee revenue account."""
    return sum(
        Account.objects.filter(kind=Account.Kind.PLATFORM_FEE_REVENUE).values_list(
            "balance", flat=True
        )
    )


def account_label(account: Account, voucher: Voucher, store: Store) -> tuple[str, str]:
    if account.owner_type == "voucher":
        assert account.owner_id == voucher.pk
        return ("voucher", account.kind)
    if account.owner_type == "store":
        assert account.owner_id == store.pk
        return ("store", account.kind)
    assert account.owner_id is None
    return ("platform", account.kind)


def story(voucher: Voucher, store: Store, staff: Any) -> dict[str, Any]:
    """Return everything the redemptions of `voucher` at `store` wrote, with the ids of
    the voucher, the store and their accounts replaced by names."""
    voucher.refresh_from_db()
    redemptions = []
    for redemption in Redemption.objects.filter(voucher=voucher).order_by("id"):
        posted = redemption.ledger_transaction
        entries = list(Entry.objects.filter(transaction=posted).order_by("id"))
        legs = [(entry.account_id, entry.amount) for entry in entries]
        # What ledger_post computes for the same legs (and checks on a retry).
        assert posted.fingerprint == transaction_fingerprint("voucher_redeem", legs, None)
        assert redemption.store_id == store.pk and redemption.staff_id == staff.pk
        redemptions.append({
            "amount": redemption.amount, "fee": redemption.fee,
            "key": redemption.idempotency_key, "created_at": redemption.created_at,
            "ledger_key": posted.idempotency_key.replace(f":{voucher.pk}:", ":V:"),
            "kind": posted.kind, "description": posted.description == store.name,
            "metadata": posted.metadata == {
                "voucher": voucher.pk, "store": store.pk, "fee": redemption.fee,
            },
            "reverses": posted.reverses_id, "ledger_created_at": posted.created_at,
            "entries": [
                (account_label(entry.account, voucher, store), entry.amount)
                for entry in entries
            ],
        })
    payable = Account.objects.filter(
        owner_type="store", owner_id=store.pk, kind=Account.Kind.STORE_PAYABLE
    ).first()
    return {
        "redemptions": redemptions,
        "voucher": (voucher.balance, voucher.status),
        "liability": voucher_account(voucher=voucher).balance,
        "payable": payable.balance if payable else None,
    }


def same_fields(returned: Redemption) -> None:
    """Assert the returned redemption is what the database holds."""
    stored = Redemption.objects.get(pk=returned.pk)
    for field in Redemption._meta.concrete_fields:
        if field.name == "updated_at":
            continue
        assert getattr(returned, field.attname) == getattr(stored, field.attname), field.name
    assert returned.ledger_transaction.pk == stored.ledger_transaction_id
    assert returned.ledger_transaction.fingerprint == stored.ledger_transaction.fingerprint
    assert returned.ledger_transaction.metadata == stored.ledger_transaction.metadata
    assert returned.voucher.balance == stored.voucher.balance
    assert returned.voucher.status == stored.voucher.status


# --- equivalence ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_fast_and_orm_paths_write_the_same_rows_and_balances(monkeypatch, now, buyer, staff):
    stories, revenue = {}, {}
    for path in PATHS:
        with monkeypatch.context() as patch:
            spy = PathSpy(patch, force_orm=path == "orm")
            store = StoreFactory()
            voucher = buy(make_product(store, fee_bp=300), buyer)
            # The first redemption at a store opens its payable account: always the ORM path.
            before = revenue_balance()
            for n, amount in enumerate([3_333, 1, 6_000, 666], start=1):
                returned = redeem(voucher, store, amount, staff, idem=f"{path}-{n}")
                same_fields(returned)
                assert voucher.balance == returned.voucher.balance
            revenue[path] = revenue_balance() - before
            stories[path] = story(voucher, store, staff)
            assert spy.fast == (3 if path == "fast" else 0)

    assert stories["fast"]["redemptions"] == [
        {**entry, "key": entry["key"].replace("orm-", "fast-"),
         "ledger_key": entry["ledger_key"].replace("orm-", "fast-")}
        for entry in stories["orm"]["redemptions"]
    ]
    assert stories["fast"]["voucher"] == stories["orm"]["voucher"] == (0, Voucher.Status.USED)
    assert stories["fast"]["liability"] == stories["orm"]["liability"] == 0
    # Fees: ⌊3,333 × 3%⌋ = 99, ⌊1 × 3%⌋ = 0, 180, ⌊666 × 3%⌋ = 19.
    assert stories["fast"]["payable"] == stories["orm"]["payable"] == 10_000 - 298
    assert revenue["fast"] == revenue["orm"] == 298
    assert [r["entries"] for r in stories["fast"]["redemptions"]][:2] == [
        [(("voucher", "voucher_liability"), -3_333), (("store", "store_payable"), 3_234),
         (("store", "platform_fee_revenue"), 99)],
        [(("voucher", "voucher_liability"), -1), (("store", "store_payable"), 1)],
    ]
    assert ledger_verify().ok


@pytest.mark.postgres
def test_fast_path_takes_three_statements(monkeypatch, django_assert_num_queries, buyer, staff):
    spy = PathSpy(monkeypatch, force_orm=False)
    store = StoreFactory()
    voucher = buy(make_product(store), buyer)
    redeem(voucher, store, 1_000, staff)  # opens the store's payable and the fee revenue

    # SAVEPOINT (the test's transaction is outside), lock + read, inserts, the audit entry,
    # balances, RELEASE.
    with django_assert_num_queries(6) as captured:
        redeem(voucher, store, 1_000, staff)

    sql = [query["sql"] or "" for query in captured.captured_queries]
    assert sql[0].startswith("SAVEPOINT") and sql[5].startswith("RELEASE SAVEPOINT")
    assert sql[3].startswith('INSERT INTO "audit_auditentry"')
    assert spy.fast == 1
    assert_consistent(voucher)


@pytest.mark.postgres
def test_fast_path_posts_two_legs_without_a_fee(monkeypatch, buyer, staff):
    spy = PathSpy(monkeypatch, force_orm=False)
    store = StoreFactory()
    voucher = buy(make_product(store, fee_bp=0), buyer)
    redeem(voucher, store, 2_000, staff)

    second = redeem(voucher, store, 3_000, staff)

    assert spy.fast == 1
    assert second.fee == 0
    legs = list(second.ledger_transaction.entries.order_by("id").values_list("amount", flat=True))
    assert legs == [-3_000, 3_000]
    assert voucher.balance == 5_000
    assert_consistent(voucher)


@pytest.mark.postgres
def test_fast_path_fingerprint_is_the_one_ledger_post_replays(monkeypatch, buyer, staff):
    PathSpy(monkeypatch, force_orm=False)
    store = StoreFactory()
    voucher = buy(make_product(store), buyer)
    redeem(voucher, store, 1_000, staff)
    redemption = redeem(voucher, store, 2_000, staff, idem="pos-7")
    entries = [
        (entry.account, entry.amount)
        for entry in redemption.ledger_transaction.entries.order_by("id").select_related("account")
    ]

    replayed = ledger_post(
        idempotency_key=f"voucher:{voucher.pk}:redeem:pos-7", kind="voucher_redeem",
        entries=list(reversed(entries)),
    )

    assert replayed.pk == redemption.ledger_transaction_id
    assert Transaction.objects.filter(kind="voucher_redeem").count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize("path", PATHS)
def test_market_voucher_acceptance_is_the_same_on_both_paths(monkeypatch, path, buyer, staff):
    spy = PathSpy(monkeypatch, force_orm=path == "orm")
    issuer = StoreFactory()
    listed, unlisted = StoreFactory(market=issuer.market), StoreFactory(market=issuer.market)
    everywhere = buy(make_product(issuer, market=issuer.market), buyer)
    only_listed = buy(make_product(issuer, market=issuer.market, accepted_stores=[listed]), buyer)
    for store in (listed, unlisted):
        redeem(everywhere, store, 1_000, staff)  # opens the payable accounts

    redeem(everywhere, unlisted, 1_000, staff)
    redeem(only_listed, listed, 1_000, staff)
    with pytest.raises(NotAccepted):
        redeem(only_listed, unlisted, 1_000, staff)
    with pytest.raises(NotAccepted):
        redeem(everywhere, StoreFactory(), 1_000, staff)
    with pytest.raises(NotAccepted):
        redeem(everywhere, StoreFactory(market=None, region=issuer.region), 1_000, staff)

    assert spy.fast == (2 if path == "fast" else 0)
    assert (everywhere.balance, only_listed.balance) == (7_000, 9_000)
    assert_consistent(everywhere, only_listed)


# --- replays ----------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("path", PATHS)
def test_retry_returns_the_first_redemption_and_reuse_is_refused(monkeypatch, path, buyer, staff):
    PathSpy(monkeypatch, force_orm=path == "orm")
    store = StoreFactory()
    voucher, other = buy(make_product(store), buyer), buy(make_product(store), buyer)
    redeem(voucher, store, 1_000, staff)

    first = redeem(voucher, store, 4_000, staff, idem="pos-1")
    again = redeem(voucher, store, 4_000, staff, idem="pos-1")

    assert again.pk == first.pk
    assert again.ledger_transaction_id == first.ledger_transaction_id
    for changed in ({"amount": 3_000}, {"store": StoreFactory(market=store.market)}):
        arguments = {"voucher": voucher, "store": store, "amount": 4_000, **changed}
        with pytest.raises(IdempotencyKeyReused):
            redeem(arguments["voucher"], arguments["store"], arguments["amount"], staff, "pos-1")
    with pytest.raises(IdempotencyKeyReused):
        redeem(other, store, 4_000, staff, idem="pos-1")
    voucher.refresh_from_db()
    assert voucher.balance == 5_000
    assert Redemption.objects.filter(idempotency_key="pos-1").count() == 1
    assert_consistent(voucher, other)


# --- refusals ---------------------------------------------------------------------------------


def _refusal_cases() -> list[tuple[str, type[Exception]]]:
    return [
        ("zero", InvalidAmount),
        ("other_store", NotAccepted),
        ("refunded", VoucherNotActive),
        ("expired", VoucherExpired),
        ("partial_product", PartialUseNotAllowed),
        ("short", InsufficientBalance),
        ("used_up", InsufficientBalance),
        ("ledger_short", InsufficientFunds),
    ]


@pytest.mark.postgres
@pytest.mark.parametrize(("case", "error"), _refusal_cases())
def test_every_refusal_is_the_same_on_both_paths(monkeypatch, frozen_clock, case, error, buyer,
                                                 staff):
    messages = {}
    for path in PATHS:
        with monkeypatch.context() as patch:
            spy = PathSpy(patch, force_orm=path == "orm")
            frozen_clock(NOW)
            store = StoreFactory()
            kind = {"kind": "product", "product_name": "고등어 1손"}
            product = make_product(store, **(kind if case == "partial_product" else {}))
            voucher = buy(product, buyer)
            first = {"used_up": 10_000, "partial_product": 10_000, "refunded": 8_000}
            redeem(voucher, store, first.get(case, 2_000), staff)
            if case == "partial_product":
                voucher = buy(product, buyer)
            amount, at = 1_000, store
            if case == "zero":
                amount = 0
            elif case == "other_store":
                at = StoreFactory()
            elif case == "refunded":
                services.voucher_refund(voucher=voucher, idempotency_key=key())
            elif case == "expired":
                frozen_clock(voucher.expires_at)
            elif case == "partial_product":
                amount = 9_999
            elif case == "short":
                amount = 8_001
            elif case == "ledger_short":
                # A mirror that claims more than the ledger holds: the account check refuses.
                Voucher.objects.filter(pk=voucher.pk).update(balance=9_000)
                amount = 8_500
            counts = (Transaction.objects.count(), Redemption.objects.count())
            balances = dict(Account.objects.values_list("id", "balance"))

            with pytest.raises(error) as refused:
                redeem(voucher, at, amount, staff)

            messages[path] = str(refused.value).replace(voucher.code, "CODE")
            assert spy.fast == 0
            assert (Transaction.objects.count(), Redemption.objects.count()) == counts
            assert dict(Account.objects.values_list("id", "balance")) == balances
    assert messages["fast"] == messages["orm"]


# --- SQLite and concurrency -------------------------------------------------------------------


def test_sqlite_never_takes_the_fast_path(monkeypatch, buyer, staff):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite pass checks this")
    spy = PathSpy(monkeypatch, force_orm=False)
    store = StoreFactory()
    voucher = buy(make_product(store), buyer)

    redeem(voucher, store, 1_000, staff)
    redeem(voucher, store, 1_000, staff)

    assert spy.fast == 0
    assert voucher.balance == 8_000
    assert_consistent(voucher)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_take_the_amount_once():
    store, staff = StoreFactory(), StaffUserFactory()
    voucher = buy(make_product(store), CustomerFactory())
    redeem(voucher, store, 1_000, staff)

    results, refusals = run_concurrently(
        lambda _i: redeem(Voucher.objects.get(pk=voucher.pk), store, 2_000, staff, "same"),
        threads=12,
    )

    assert refusals == []
    assert {result.pk for result in results} == {Redemption.objects.get(idempotency_key="same").pk}
    voucher.refresh_from_db()
    assert voucher.balance == 7_000
    assert_consistent(voucher)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_fast_and_ledger_postings_on_shared_accounts_do_not_deadlock():
    staff, buyer = StaffUserFactory(), CustomerFactory()
    stores = [StoreFactory() for _ in range(4)]
    vouchers = [
        buy(make_product(store, face_value=100_000, sale_price=100_000), buyer)
        for store in stores
    ]
    for voucher, store in zip(vouchers, stores, strict=True):
        redeem(voucher, store, 1_000, staff)
    revenue_before = revenue_balance()
    revenues = [
        Account.objects.get(owner_type="store", owner_id=store.pk, kind="platform_fee_revenue")
        for store in stores
    ]
    payables = [
        Account.objects.get(owner_type="store", owner_id=store.pk, kind="store_payable")
        for store in stores
    ]

    def work(i: int) -> object:
        n = i % 4
        if i % 5 == 0:
            # The ORM ledger path on the same rows (accounts_lock, primary-key order).
            return ledger_transfer(
                idempotency_key=f"t-{i}", kind="test", source=payables[n],
                destination=revenues[(n + 1) % 4], amount=1,
            )
        voucher = Voucher.objects.get(pk=vouchers[n].pk)
        return redeem(voucher, stores[n], 1_000 + i, staff, f"c-{i}")

    results, refusals = run_concurrently(work, threads=40)

    assert len(results) == 40 and refusals == []
    redeemed = [i for i in range(40) if i % 5]
    fees = sum((1_000 + i) * 300 // 10_000 for i in redeemed)
    assert revenue_balance() - revenue_before == fees + 8
    balances = Voucher.objects.filter(pk__in=[v.pk for v in vouchers]).values_list(
        "balance", flat=True
    )
    assert sum(balances) == 4 * 99_000 - sum(1_000 + i for i in redeemed)
    assert_consistent(*vouchers)
