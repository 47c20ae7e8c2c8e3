"""The load run's fixture on the seeded demo (bench/market_load.py runs this in its environment).

Through the services, as an operator setting up a market day would: 8 of the market's stores
get an owner (반송수산 keeps the demo's owner) with a POS token limited to the store and a
claimable ₩1,000 coupon; 120 of the seeded customers get an API token (their phone app);
반송수산's owner gets a token for sending messages and the store ₩1,000,000 of message
credit. Writes the ids and secrets the clients need to the JSON file named on the command
line.

    python bench/market_load_setup.py FIXTURE.json   (DANGOL_VAR_DIR and settings from the env)
"""

import datetime as dt
import json
import sys
from pathlib import Path

STORES = 8
CUSTOMERS = 120
CREDIT = 1_000_000


def main() -> None:
    # This folder's http.py would shadow the standard library's `http` that Django imports.
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    import django

    django.setup()
    from dangol.access.checks import store_token_scope
    from dangol.accounts.models import User
    from dangol.accounts.services import api_token_create
    from dangol.core import clock
    from dangol.core.tenancy import Role
    from dangol.coupons.models import CouponTemplate
    from dangol.coupons.services import coupon_template_create
    from dangol.demo.data import DEMO_PASSWORD, FEATURED_STORE
    from dangol.messaging.credit import message_credit_top_up
    from dangol.payments.providers.sandbox import CARD_APPROVE
    from dangol.places.models import Store
    from dangol.places.services import store_member_add
    from dangol.vouchers.models import VoucherProduct

    featured = Store.objects.select_related("market").get(name=FEATURED_STORE)
    market = featured.market
    others = list(
        Store.objects.filter(market=market, is_active=True).exclude(pk=featured.pk)
        .order_by("pk")[:STORES - 1]
    )
    owner = User.objects.get(email="owner@dangol.kr")
    now = clock.now()
    stores = []
    for number, store in enumerate([featured, *others]):
        if store.pk == featured.pk:
            user = owner
        else:
            user = User.objects.create_user(
                email=f"load-owner-{number}@bench.dangol.kr", password=DEMO_PASSWORD,
                name=f"사장님 {number}",
            )
            store_member_add(store=store, user=user, role=Role.OWNER)
        _token, pos = api_token_create(
            user=user, name="카운터 포스", scope=store_token_scope(user=user, store_id=store.pk)
        )
        template = coupon_template_create(
            store=store, name="단골 1,000원 할인", kind=CouponTemplate.Kind.AMOUNT_OFF,
            amount_off=1_000, valid_from=now - dt.timedelta(days=1),
            valid_until=now + dt.timedelta(days=30), per_customer_limit=1_000,
        )
        stores.append({"id": store.pk, "pos_token": pos, "coupon_template_id": template.pk})
    customers = User.objects.filter(phone__isnull=False, email__isnull=True).order_by("pk")
    tokens = [api_token_create(user=user, name="단골 앱")[1] for user in customers[:CUSTOMERS]]
    _token, owner_token = api_token_create(user=owner, name="메시지 보내기")
    message_credit_top_up(store=featured, amount=CREDIT, card_number=CARD_APPROVE,
                          idempotency_key="bench:market_load:credit")
    products = VoucherProduct.objects.filter(market=market, is_active=True).order_by("pk")
    fixture = {
        "market_id": market.pk,
        "featured_store_id": featured.pk,
        "owner_email": owner.email,
        "owner_password": DEMO_PASSWORD,
        "owner_token": owner_token,
        "card": CARD_APPROVE,
        "stores": stores,
        "customers": tokens,
        "browse_store_ids": list(
            Store.objects.filter(market=market, is_active=True).values_list("pk", flat=True)
        ),
        "voucher_products": [{"id": p.pk, "face_value": p.face_value} for p in products],
    }
    Path(sys.argv[1]).write_text(json.dumps(fixture))


if __name__ == "__main__":
    main()
