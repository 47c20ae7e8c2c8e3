"""Voucher test helpers: products created and vouchers bought through the services."""

import itertools
from typing import Any

from dangol.accounts.models import User
from dangol.ledger.selectors import ledger_verify
from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.places.models import Store
from dangol.vouchers import services
from dangol.vouchers.models import Voucher, VoucherProduct
from dangol.vouchers.selectors import voucher_account

_keys = itertools.count(1)


def key(prefix: str = "k") -> str:
    """Return a fresh idempotency key."""
    return f"{prefix}-{next(_keys)}"


def make_product(store: Store, **overrides: Any) -> VoucherProduct:
    """Create a store's ₩10,000 amount voucher product (sold at face, 3% fee) by default."""
    fields: dict[str, Any] = {
        "name": "싱싱수산 1만원권", "face_value": 10_000, "sale_price": 10_000, "fee_bp": 300,
    }
    fields.update(overrides)
    if "market" not in fields:
        fields.setdefault("store", store)
    return services.voucher_product_create(**fields)


def buy(product: VoucherProduct, buyer: User) -> Voucher:
    """Buy one voucher of `product` with the sandbox's approving card."""
    return services.voucher_purchase(
        product=product, buyer=buyer, card_number=CARD_APPROVE, idempotency_key=key("buy")
    )


def assert_consistent(*vouchers: Voucher) -> None:
    """Assert the ledger's invariants and that each voucher mirrors its ledger account."""
    report = ledger_verify()
    assert report.ok, report
    for voucher in vouchers:
        voucher.refresh_from_db()
        assert voucher.balance == voucher_account(voucher=voucher).balance >= 0
