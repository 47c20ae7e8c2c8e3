"""The promotion hall (기획전): listing items, buying them as product vouchers with the
program paying its share of the discount from its budget, auto-close, pages, concurrency."""

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.core import clock
from dangol.core.errors import IdempotencyKeyReused
from dangol.ledger.models import Account, Transaction
from dangol.ledger.selectors import ledger_verify
from dangol.ledger.services import account_get_or_create, ledger_transfer
from dangol.payments.errors import PaymentPending
from dangol.payments.models import Payment
from dangol.payments.providers.sandbox import CARD_APPROVE, CARD_DECLINE, CARD_TIMEOUT
from dangol.places.models import Product, Store
from dangol.programs import errors, hall
from dangol.programs import services as program_services
from dangol.programs.models import Application, Benefit, Enrolment, HallItem, Program
from dangol.vouchers.errors import PurchaseFailed
from dangol.vouchers.models import Voucher, VoucherProduct
from dangol.vouchers.selectors import voucher_account
from tests.concurrency import run_concurrently
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    OrganisationFactory,
    ProductFactory,
    SigunguFactory,
    StaffUserFactory,
    StoreFactory,
)

_keys = itertools.count(1)
PRICE, DISCOUNT, SHARE_BP = 12_000, 3_000, 5_000  # share ₩1,500, sold at ₩9,000
SHARE, SALE = 1_500, 9_000


def key() -> str:
    return f"hall-{next(_keys)}"


def make_program(
    region: Any, *, budget: int = 1_000_000, promotion: int | None = 10_000,
    status: str = Program.Status.OPEN,
) -> Program:
    """An open program for `region` whose budget account holds `budget` (from the
    operator's external account), with a promotion_support benefit of `promotion`."""
    operator = OrganisationFactory()
    today = clock.today_kst()
    program = Program.objects.create(
        name=f"기획전 사업 {next(_keys)}", operator=operator, budget=budget, status=status,
        starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=30),
    )
    program.regions.set([region])
    if promotion is not None:
        Benefit.objects.create(
            program=program, kind=Benefit.Kind.PROMOTION_SUPPORT, amount=promotion,
            share_bp=SHARE_BP,
        )
    external = account_get_or_create(
        owner_type="organisation", owner_id=operator.pk, kind=Account.Kind.EXTERNAL,
        non_negative=False, name="운영 기관 출연",
    )
    ledger_transfer(
        idempotency_key=f"fund-program-{program.pk}", kind="program_fund", source=external,
        destination=program_services.program_budget_account(program=program), amount=budget,
    )
    return program


@pytest.fixture
def region(db):
    return SigunguFactory()


@pytest.fixture
def store(region) -> Store:
    return StoreFactory(market=MarketFactory(region=region), region=region, name="반송수산")


@pytest.fixture
def product(store) -> Product:
    return ProductFactory(store=store, name="고등어", unit="1손", price=PRICE)


def balance(owner_type: str, owner_id: int | None, kind: str) -> int:
    account = Account.objects.filter(owner_type=owner_type, owner_id=owner_id, kind=kind).first()
    return account.balance if account else 0


def buy(item: HallItem, buyer: Any = None, *, card: str = CARD_APPROVE, k: str = "") -> Voucher:
    return hall.hall_purchase(
        item=item, buyer=buyer or CustomerFactory(), card_number=card,
        idempotency_key=k or key(),
    )


def snapshot() -> tuple[Any, ...]:
    return (
        list(Account.objects.order_by("id").values_list("id", "balance")),
        Transaction.objects.count(), Voucher.objects.count(), Payment.objects.count(),
    )


# --- listing --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_item_add_creates_an_inactive_product_voucher_sold_only_by_the_hall(region, product):
    program = make_program(region)

    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )

    assert (item.store_id, item.price, item.discount, item.share_bp) == (
        product.store_id, PRICE, DISCOUNT, SHARE_BP
    )
    assert item.is_active
    assert hall.hall_share(item=item) == SHARE
    voucher_product = hall.hall_voucher_product(item=item)
    assert voucher_product.kind == VoucherProduct.Kind.PRODUCT
    assert voucher_product.product_name == "고등어 1손"
    assert (voucher_product.face_value, voucher_product.sale_price) == (PRICE, SALE)
    assert voucher_product.store_id == product.store_id
    assert voucher_product.is_active is False  # not in the voucher shop


@pytest.mark.django_db
def test_item_add_refuses_a_store_out_of_scope_a_bad_discount_or_share_and_a_duplicate(
    region, product
):
    program = make_program(region)
    elsewhere = SigunguFactory(code="26440", name="강서구", full_name="부산광역시 강서구")
    outsider = ProductFactory(
        store=StoreFactory(market=MarketFactory(region=elsewhere), region=elsewhere),
        price=PRICE,
    )

    for kwargs, reason in [
        ({"product": outsider, "discount": 1_000, "share_bp": 5_000}, "사업 대상이 아니거나"),
        ({"product": product, "discount": PRICE, "share_bp": 5_000}, "할인액은"),
        ({"product": product, "discount": 0, "share_bp": 5_000}, "할인액은"),
        ({"product": product, "discount": 1_000, "share_bp": 10_001}, "분담률은"),
    ]:
        with pytest.raises(errors.HallItemInvalid, match=reason):
            hall.hall_item_add(program=program, **kwargs)
    assert HallItem.objects.count() == 0
    assert VoucherProduct.objects.count() == 0

    hall.hall_item_add(program=program, product=product, discount=1_000, share_bp=0)
    with pytest.raises(errors.HallItemInvalid, match="이미 기획전에 있는"):
        hall.hall_item_add(program=program, product=product, discount=1_000, share_bp=0)
    program.status = Program.Status.CLOSED
    program.save()
    other = ProductFactory(store=product.store, price=5_000)
    with pytest.raises(errors.HallItemInvalid, match="종료된 사업"):
        hall.hall_item_add(program=program, product=other, discount=1_000, share_bp=0)
    assert HallItem.objects.count() == 1


@pytest.mark.django_db
def test_eligibility_by_approved_application_or_enrolled_market(region, product):
    program = make_program(region)
    program.regions.clear()
    store = product.store
    assert not hall.hall_store_eligible(program=program, store=store)
    application = Application.objects.create(
        program=program, store=store, applicant=CustomerFactory(),
        declared_annual_sales=100_000_000, brn=store.brn, status=Application.Status.REVIEW,
    )
    assert not hall.hall_store_eligible(program=program, store=store)
    application.status = Application.Status.APPROVED
    application.save()
    assert hall.hall_store_eligible(program=program, store=store)
    application.delete()
    Enrolment.objects.create(program=program, market=store.market)
    assert hall.hall_store_eligible(program=program, store=store)


# --- buying ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_purchase_books_the_programs_share_against_its_budget(region, product):
    program = make_program(region, budget=1_000_000, promotion=10_000)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    store_id = product.store_id
    buyer = CustomerFactory()

    voucher = buy(item, buyer)

    assert voucher.buyer_id == buyer.pk
    assert voucher.product_id == hall.hall_voucher_product(item=item).pk
    assert voucher.face_value == voucher.balance == PRICE
    assert voucher_account(voucher=voucher).balance == PRICE
    payment = Payment.objects.get()
    assert (payment.amount, payment.status) == (SALE, Payment.Status.CAPTURED)
    assert balance("", None, Account.Kind.CASH) == -SALE
    # The store bears D − share, the program the share.
    assert balance("store", store_id, Account.Kind.DISCOUNT_EXPENSE) == -(DISCOUNT - SHARE)
    assert balance("program", program.pk, Account.Kind.PROGRAM_BUDGET) == 1_000_000 - SHARE
    assert balance("program_hall", program.pk, Account.Kind.PROGRAM_BUDGET) == 0
    share = Transaction.objects.get(kind=hall.KIND_SHARE)
    assert share.metadata == {"program": program.pk, "hall_item": item.pk, "voucher": voucher.pk}
    assert hall.hall_budget(program=program) == hall.HallBudget(
        cap=10_000, used=SHARE, spent=SHARE, remaining=10_000 - SHARE
    )
    assert ledger_verify().ok


@pytest.mark.django_db
def test_retry_with_the_same_key_returns_the_same_voucher_and_books_once(region, product):
    program = make_program(region)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    buyer = CustomerFactory()

    first = buy(item, buyer, k="same")
    second = buy(item, buyer, k="same")

    assert first.pk == second.pk
    assert Voucher.objects.count() == Payment.objects.count() == 1
    assert Transaction.objects.filter(kind=hall.KIND_SHARE).count() == 1
    assert balance("program", program.pk, Account.Kind.PROGRAM_BUDGET) == 1_000_000 - SHARE
    with pytest.raises(IdempotencyKeyReused):
        buy(item, CustomerFactory(), k="same")
    assert ledger_verify().ok


@pytest.mark.django_db
def test_declined_card_releases_the_reservation_and_changes_no_balance(region, product):
    program = make_program(region)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    before = list(Account.objects.order_by("id").values_list("id", "balance"))

    with pytest.raises(PurchaseFailed):
        buy(item, card=CARD_DECLINE)

    assert list(Account.objects.order_by("id").values_list("id", "balance")) == before
    assert Voucher.objects.count() == 0
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert [t.kind for t in Transaction.objects.filter(kind__startswith="program_hall")] == [
        hall.KIND_RESERVE, hall.KIND_RELEASE
    ]
    assert hall.hall_budget(program=program) == hall.HallBudget(
        cap=10_000, used=0, spent=0, remaining=10_000
    )
    assert ledger_verify().ok


@pytest.mark.django_db
def test_unanswered_payment_keeps_the_reservation_and_a_retry_finishes(region, product):
    program = make_program(region)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    buyer = CustomerFactory()

    with pytest.raises(PaymentPending):
        buy(item, buyer, card=CARD_TIMEOUT, k="slow")

    assert Voucher.objects.count() == 0
    assert balance("program_hall", program.pk, Account.Kind.PROGRAM_BUDGET) == SHARE
    assert balance("program", program.pk, Account.Kind.PROGRAM_BUDGET) == 1_000_000 - SHARE
    assert hall.hall_budget(program=program) == hall.HallBudget(
        cap=10_000, used=SHARE, spent=0, remaining=10_000 - SHARE
    )

    voucher = buy(item, buyer, card=CARD_TIMEOUT, k="slow")

    assert voucher.face_value == PRICE
    assert Payment.objects.get().status == Payment.Status.CAPTURED
    assert balance("program_hall", program.pk, Account.Kind.PROGRAM_BUDGET) == 0
    assert balance("store", product.store_id, Account.Kind.DISCOUNT_EXPENSE) == -(
        DISCOUNT - SHARE
    )
    assert Transaction.objects.filter(kind=hall.KIND_RESERVE).count() == 1
    assert hall.hall_budget(program=program).spent == SHARE
    assert ledger_verify().ok


@pytest.mark.django_db
def test_hall_closes_itself_when_the_budget_cannot_cover_the_next_share(region, product):
    # ₩4,000 of promotion budget: two shares of ₩1,500 leave ₩1,000 < ₩1,500.
    program = make_program(region, promotion=4_000)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    cheap = hall.hall_item_add(
        program=program, product=ProductFactory(store=product.store, price=5_000),
        discount=1_000, share_bp=SHARE_BP,
    )  # share ₩500

    buy(item)
    item.refresh_from_db()
    assert item.is_active
    buy(item)

    item.refresh_from_db()
    cheap.refresh_from_db()
    assert item.is_active is False
    assert cheap.is_active is True  # ₩1,000 still covers ₩500
    before = snapshot()
    with pytest.raises(errors.HallClosed):
        buy(item)
    assert snapshot() == before  # refused before charging: nothing written

    buy(cheap)
    buy(cheap)
    cheap.refresh_from_db()
    assert cheap.is_active is False
    assert hall.hall_budget(program=program).remaining == 0
    assert not hall.hall_is_open(program=program)
    assert balance("program", program.pk, Account.Kind.PROGRAM_BUDGET) == 1_000_000 - 4_000
    assert balance("store", product.store_id, Account.Kind.DISCOUNT_EXPENSE) == -(
        2 * (DISCOUNT - SHARE) + 2 * (1_000 - 500)
    )
    assert ledger_verify().ok


@pytest.mark.django_db
def test_budget_spent_elsewhere_refuses_before_charging_and_closes_the_hall(region, product):
    # No promotion cap: the budget account itself is the limit.
    program = make_program(region, budget=2_000, promotion=None)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    buy(item)  # ₩500 left
    item.refresh_from_db()
    assert item.is_active is False  # ₩500 < ₩1,500: closed right away
    HallItem.objects.filter(pk=item.pk).update(is_active=True)  # reopened by hand
    item.refresh_from_db()
    before = snapshot()

    with pytest.raises(errors.HallBudgetExhausted):
        buy(item)

    accounts, transactions, vouchers, payments = snapshot()
    assert (transactions, vouchers, payments) == before[1:]
    assert accounts == before[0]
    item.refresh_from_db()
    assert item.is_active is False
    assert hall.hall_budget(program=program) == hall.HallBudget(
        cap=None, used=SHARE, spent=SHARE, remaining=500
    )
    assert ledger_verify().ok


@pytest.mark.django_db
def test_a_program_not_open_sells_nothing(region, product):
    program = make_program(region)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    Program.objects.filter(pk=program.pk).update(status=Program.Status.CLOSED)
    before = snapshot()
    with pytest.raises(errors.HallClosed):
        buy(item)
    assert snapshot() == before


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_hall_page_lists_items_with_sale_price_and_budget_gauge(client, region, product):
    program = make_program(region, promotion=10_000)
    for n in range(5):
        hall.hall_item_add(
            program=program,
            product=ProductFactory(store=product.store, name=f"상품{n}", price=PRICE),
            discount=DISCOUNT, share_bp=SHARE_BP,
        )
    buy(HallItem.objects.first())
    url = reverse("programs:hall", args=[program.pk])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    # program, items (with store, market, product), budget account, cap, used, held
    assert len(queries) == 6, [q["sql"] for q in queries.captured_queries]
    html = response.content.decode()
    assert html.count('class="hall-item') == 5
    assert "반송수산" in html and "₩12,000" in html and "₩9,000" in html
    assert "₩3,000 할인" in html
    assert '<progress id="hall-budget" max="10000" value="8500">' in html
    assert "₩8,500" in html
    assert 'id="hall-closed"' not in html


@pytest.mark.django_db
def test_buy_page_buys_with_the_sandbox_card_and_shows_the_closed_state(
    client, region, product
):
    program = make_program(region, promotion=SHARE)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    url = reverse("programs:hall_item", args=[program.pk, item.pk])
    buyer = CustomerFactory()
    client.force_login(buyer)
    page = client.get(url)
    assert page.status_code == 200
    assert "₩9,000 결제하기" in page.content.decode()
    form_key = page.context["form"].initial["idempotency_key"]

    response = client.post(url, {"card_number": CARD_APPROVE, "idempotency_key": form_key})

    voucher = Voucher.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("vouchers:detail", args=[voucher.pk])
    assert voucher.buyer_id == buyer.pk
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and "고등어 1손" in detail.content.decode()
    # The one share spent the whole promotion budget: the hall is closed.
    closed = client.get(url).content.decode()
    assert 'id="hall-closed"' in closed and "결제하기</button>" not in closed
    listing = client.get(reverse("programs:hall", args=[program.pk])).content.decode()
    assert 'id="hall-closed"' in listing and "판매 종료" in listing
    before = snapshot()
    refused = client.post(url, {"card_number": CARD_APPROVE, "idempotency_key": "web-other"})
    assert refused.status_code == 409
    assert "판매가 끝난" in refused.content.decode()
    assert snapshot() == before


@pytest.mark.django_db
def test_buy_page_declined_card_says_so(client, region, product):
    program = make_program(region)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    client.force_login(CustomerFactory())
    url = reverse("programs:hall_item", args=[program.pk, item.pk])
    response = client.post(url, {"card_number": CARD_DECLINE, "idempotency_key": "web-d"})
    assert response.status_code == 402
    assert "결제되지 않았으니" in response.content.decode()
    assert Voucher.objects.count() == 0
    assert balance("program", program.pk, Account.Kind.PROGRAM_BUDGET) == 1_000_000


@pytest.mark.django_db
def test_draft_programs_hall_is_not_found(client, region):
    program = make_program(region, status=Program.Status.DRAFT)
    assert client.get(reverse("programs:hall", args=[program.pk])).status_code == 404


# --- concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_purchases_never_overspend_the_promotion_budget():
    region = SigunguFactory()
    store = StoreFactory(market=MarketFactory(region=region), region=region)
    product = ProductFactory(store=store, price=PRICE)
    program = make_program(region, budget=1_000_000, promotion=10 * SHARE)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    buyers = [CustomerFactory() for _ in range(30)]

    results, refusals = run_concurrently(
        lambda i: hall.hall_purchase(
            item=HallItem.objects.get(pk=item.pk), buyer=buyers[i],
            card_number=CARD_APPROVE, idempotency_key=f"race-{i}",
        ),
        threads=30,
    )

    assert len(results) == 10
    assert len(refusals) == 20
    assert all(isinstance(exc, errors.HallClosed | errors.HallBudgetExhausted) for exc in refusals)
    assert Voucher.objects.count() == 10
    # Refused purchases were never charged.
    assert Payment.objects.count() == Payment.objects.filter(
        status=Payment.Status.CAPTURED
    ).count() == 10
    assert balance("program", program.pk, Account.Kind.PROGRAM_BUDGET) == 1_000_000 - 10 * SHARE
    assert balance("program_hall", program.pk, Account.Kind.PROGRAM_BUDGET) == 0
    assert balance("store", store.pk, Account.Kind.DISCOUNT_EXPENSE) == -10 * (DISCOUNT - SHARE)
    assert hall.hall_budget(program=program) == hall.HallBudget(
        cap=10 * SHARE, used=10 * SHARE, spent=10 * SHARE, remaining=0
    )
    item.refresh_from_db()
    assert item.is_active is False
    assert ledger_verify().ok


@pytest.mark.django_db
def test_refunded_hall_voucher_returns_the_programs_share_to_the_budget(region, product):
    from dangol.vouchers.services import voucher_refund

    program = make_program(region)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    voucher = buy(item)
    kept = buy(item)
    voucher_refund(voucher=voucher, idempotency_key=key())  # within 7 days: ₩9,000 back
    # The refund booking gave the store the whole ₩3,000 discount back.
    assert balance("store", product.store_id, Account.Kind.DISCOUNT_EXPENSE) == (
        -2 * (DISCOUNT - SHARE) + DISCOUNT
    )

    assert hall.hall_refunds_reconcile(program=program) == 1
    assert hall.hall_refunds_reconcile() == 0  # once per voucher

    assert balance("store", product.store_id, Account.Kind.DISCOUNT_EXPENSE) == -(
        DISCOUNT - SHARE
    )  # as if only `kept` was sold
    assert balance("program", program.pk, Account.Kind.PROGRAM_BUDGET) == 1_000_000 - SHARE
    assert hall.hall_budget(program=program) == hall.HallBudget(
        cap=10_000, used=SHARE, spent=SHARE, remaining=10_000 - SHARE
    )
    assert kept.status == Voucher.Status.ACTIVE
    assert ledger_verify().ok


@pytest.mark.django_db
def test_listing_an_item_records_the_share_the_budget_pays_per_sale(region, product):
    program = make_program(region)
    operator = StaffUserFactory()

    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP, actor=operator
    )

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.subject, entry.amount, entry.organisation_id) == (
        AuditEntry.Action.BUDGET_CHANGE, operator, f"hall_item:{item.pk}", SHARE,
        program.operator_id,
    )
    assert entry.details == {"program": program.pk, "hall": "item_add", "price": PRICE,
                             "discount": DISCOUNT, "share_bp": SHARE_BP}


@pytest.mark.django_db
def test_a_share_returned_to_the_budget_is_recorded_once(region, product):
    from dangol.vouchers.services import voucher_refund

    program = make_program(region)
    item = hall.hall_item_add(
        program=program, product=product, discount=DISCOUNT, share_bp=SHARE_BP
    )
    voucher = buy(item)
    voucher_refund(voucher=voucher, idempotency_key=key())

    hall.hall_refunds_reconcile(program=program)
    hall.hall_refunds_reconcile()

    entry = AuditEntry.objects.get(details__hall="refund_return")
    assert (entry.action, entry.actor, entry.subject, entry.amount, entry.organisation_id) == (
        AuditEntry.Action.BUDGET_CHANGE, None, f"program:{program.pk}", SHARE,
        program.operator_id,
    )
    assert entry.details == {"hall": "refund_return", "voucher": voucher.pk,
                             "hall_item": item.pk}
