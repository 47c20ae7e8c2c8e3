"""The demo's money: a settlement policy and account for every demo store, the market's and two
stores' voucher products, and a short history of the demo customer's vouchers (bought, gifted,
partly used at 반송수산) up to one completed settlement run with its statement.

Every step is idempotent by a fixed key, so seeding twice creates nothing new. The history is
dated a few days before the latest passed settlement cut-off, with the clock moved there
(`clock.travel`) while it is written, so the ledger's times read like a real week.
"""

import datetime as dt
import random

from dangol.accounts.models import User
from dangol.core import clock
from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.places.models import Market, Store
from dangol.settlement import cycles
from dangol.settlement.models import SettlementPolicy, StoreSettlementAccount
from dangol.settlement.services import (
    settlement_policy_create,
    settlement_run,
    store_settlement_account_set,
)
from dangol.vouchers.models import Redemption, Voucher, VoucherProduct
from dangol.vouchers.services import (
    voucher_gift,
    voucher_product_create,
    voucher_purchase,
    voucher_redeem,
)

POLICY_NAME = "월 10회 정산 (상생 기본)"
BANKS = ["부산은행", "농협은행", "국민은행", "신한은행", "우리은행", "하나은행", "새마을금고",
         "우체국"]
# Market-wide vouchers: (name, face value, sale price). The association pays the 5% discount.
MARKET_VOUCHERS = [("반송큰시장 상품권 1만원", 10_000, 9_500),
                   ("반송큰시장 상품권 3만원", 30_000, 28_500)]
MARKET_VOUCHER_FEE_BP = 300  # 3%, under the 8% cap
GIFT_MESSAGE = "늘 고마워요. 시장 갈 때 쓰세요!"


def _policy() -> SettlementPolicy:
    policy = SettlementPolicy.objects.filter(name=POLICY_NAME).first()
    return policy or settlement_policy_create(name=POLICY_NAME, cycles_per_month=10)


def _settlement_accounts(policy: SettlementPolicy, stores: list[Store], featured: Store) -> None:
    """Give every demo store without one a settlement account; 반송수산 gets fast settlement."""
    rng = random.Random(20251110)  # noqa: S311 -- demo data
    having = set(StoreSettlementAccount.objects.values_list("store_id", flat=True))
    for store in sorted(stores, key=lambda item: item.pk):
        bank = rng.choice(BANKS)
        number = "-".join(
            str(rng.randrange(low, high)) for low, high in ((100, 999), (10, 99), (10**5, 10**6))
        )
        if store.pk in having:
            continue
        store_settlement_account_set(
            store=store, policy=policy, bank_name=bank, account_number=number,
            fast_settlement_eligible=store.pk == featured.pk,
        )


def _products(market: Market, by_name: dict[str, Store]) -> dict[str, VoucherProduct]:
    """Create the demo's voucher products that are missing; return all of them by name."""
    wanted: list[dict] = [
        {"name": name, "market": market, "face_value": face, "sale_price": sale,
         "fee_bp": MARKET_VOUCHER_FEE_BP}
        for name, face, sale in MARKET_VOUCHERS
    ]
    wanted += [
        {"name": "반송수산 고등어 1손 교환권", "store": by_name["반송수산"],
         "kind": VoucherProduct.Kind.PRODUCT, "product_name": "고등어 1손",
         "face_value": 12_000, "sale_price": 12_000, "is_perishable": True,
         "validity_months": 3},
        {"name": "할매반찬 2만원권", "store": by_name["할매반찬"], "face_value": 20_000,
         "sale_price": 20_000},
    ]
    products = {}
    for spec in wanted:
        product = VoucherProduct.objects.filter(name=spec["name"]).first()
        products[spec["name"]] = product or voucher_product_create(**spec)
    return products


def _latest_passed_cutoff(policy: SettlementPolicy, now: dt.datetime) -> dt.datetime:
    cutoff = cycles.next_cutoff(policy, now - dt.timedelta(days=40))
    while True:
        following = cycles.next_cutoff(policy, cutoff)
        if following > now - dt.timedelta(hours=1):
            return cutoff
        cutoff = following


def _history(
    *, policy: SettlementPolicy, products: dict[str, VoucherProduct], featured: Store,
    customer: User, owner: User, giver: User,
) -> None:
    """The demo customer's week: buy a ₩30,000 market voucher, receive a ₩10,000 one as a
    gift, use ₩8,000 and then ₩4,500 at 반송수산; the cut-off in between is settled."""
    bought = Voucher.objects.filter(purchase_key="demo:voucher:customer").first()
    if bought is not None:
        start = bought.purchased_at
    else:
        start = _latest_passed_cutoff(policy, clock.now()) - dt.timedelta(days=2, hours=6)
    big, small = products[MARKET_VOUCHERS[1][0]], products[MARKET_VOUCHERS[0][0]]
    with clock.travel(start):
        voucher = voucher_purchase(
            product=big, buyer=customer, card_number=CARD_APPROVE,
            idempotency_key="demo:voucher:customer",
        )
    with clock.travel(start + dt.timedelta(hours=2)):
        present = voucher_purchase(
            product=small, buyer=giver, card_number=CARD_APPROVE,
            idempotency_key="demo:voucher:gift",
        )
        if present.holder_phone != customer.phone:
            voucher_gift(voucher=present, to_phone=customer.phone or "", message=GIFT_MESSAGE)
    first_use = start + dt.timedelta(days=1, hours=3)
    with clock.travel(first_use):
        voucher_redeem(
            voucher=voucher, store=featured, amount=8_000, staff=owner,
            idempotency_key="demo:redeem:1",
        )
    cutoff = cycles.next_cutoff(policy, first_use)
    with clock.travel(cutoff + dt.timedelta(minutes=10)):
        settlement_run(policy=policy, cutoff=cutoff)
    second = Redemption.objects.filter(idempotency_key="demo:redeem:2").first()
    later = second.created_at if second else clock.now() - dt.timedelta(hours=3)
    with clock.travel(max(later, cutoff + dt.timedelta(minutes=20))):
        voucher_redeem(
            voucher=voucher, store=featured, amount=4_500, staff=owner,
            idempotency_key="demo:redeem:2",
        )


def seed_money(
    *, market: Market, stores: list[Store], featured: Store, customer: User, owner: User,
    giver: User,
) -> None:
    """Seed the demo's settlement accounts, voucher products and voucher history."""
    policy = _policy()
    _settlement_accounts(policy, stores, featured)
    by_name = {store.name: store for store in stores}
    products = _products(market, by_name)
    _history(policy=policy, products=products, featured=featured, customer=customer,
             owner=owner, giver=giver)
