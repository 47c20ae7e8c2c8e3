"""Builders for coupon and stamp tests."""

import datetime as dt
from typing import Any

from dangol.core import clock
from dangol.coupons import services, stamps
from dangol.coupons.models import CouponTemplate, StampCardProgram
from dangol.places.models import Store

NOW = clock.kst(2026, 11, 21, 14, 0)


def make_template(store: Store, **overrides: Any) -> CouponTemplate:
    """Create an amount-off template valid for a week around NOW unless overridden."""
    fields: dict[str, Any] = {
        "name": "고등어 1,000원 할인",
        "kind": CouponTemplate.Kind.AMOUNT_OFF,
        "amount_off": 1000,
        "valid_from": NOW - dt.timedelta(days=1),
        "valid_until": NOW + dt.timedelta(days=7),
    }
    fields.update(overrides)
    return services.coupon_template_create(store=store, **fields)


def make_program(store: Store, **overrides: Any) -> StampCardProgram:
    """Start a 3-stamp card at `store` with a free-item reward unless overridden."""
    reward = make_template(
        store, name="식혜 한 잔", kind=CouponTemplate.Kind.FREE_ITEM, amount_off=0,
        free_item="식혜", claimable=False, valid_until=NOW + dt.timedelta(days=365),
    )
    fields: dict[str, Any] = {
        "name": "단골 스탬프", "stamps_required": 3, "reward": reward,
        "per_visit_limit": 2, "per_day_limit": 2,
    }
    fields.update(overrides)
    return stamps.stamp_program_create(store=store, **fields)
