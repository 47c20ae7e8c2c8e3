"""The one coupon rule in both its forms over the same cases.

For any template (kind, amounts, minimum, window, active or not), any coupon state, the
coupon's own store or another, any instant around the window (its very edges included) and
any purchase amount (or none), `coupon_check` (Python, the reference) accepts exactly when
the SQL condition `redeemable_sql` selects the coupon, and then `discount_sql` computes
`coupon_check`'s discount. The counter's one-statement redemption is these fragments."""

import datetime as dt

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangol.core import clock
from dangol.coupons import errors
from dangol.coupons.models import Coupon, CouponTemplate
from dangol.coupons.rules import coupon_check, discount_sql, redeemable_sql
from tests.coupons.utils import NOW, make_template
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db

minutes = st.integers(min_value=-2 * 24 * 60, max_value=2 * 24 * 60)


def _sql_discount(coupon: Coupon, *, store_id: int, at: dt.datetime, purchase: int | None):
    """Return the discount the SQL forms give `coupon`, or None if they do not select it."""
    coupons, templates = Coupon._meta.db_table, CouponTemplate._meta.db_table
    sql = (
        f"SELECT {discount_sql(template='t')} FROM {coupons} c"  # noqa: S608 (model tables)
        f' JOIN {templates} t ON t."id" = c."template_id"'
        f' WHERE c."id" = %(id)s AND {redeemable_sql(coupon="c", template="t")}'
    )
    params = {
        "id": coupon.pk, "store": store_id, "issued": Coupon.Status.ISSUED,
        "now": connection.ops.adapt_datetimefield_value(at), "purchase": purchase,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@settings(
    max_examples=80, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(list(CouponTemplate.Kind)),
    amount_off=st.integers(1, 50_000),
    percent_off=st.integers(1, 100),
    cap=st.integers(1, 30_000),
    minimum=st.sampled_from([0, 0, 5_000, 10_000]),
    start=minutes,
    length=st.integers(1, 2 * 24 * 60),
    active=st.booleans(),
    status=st.sampled_from(list(Coupon.Status)),
    foreign=st.booleans(),
    at=st.one_of(minutes, st.sampled_from(["from", "until", "just_before_until"])),
    purchase=st.one_of(st.none(), st.integers(0, 100_000), st.sampled_from([5_000, 10_000])),
)
def test_python_and_sql_forms_accept_the_same_coupons_with_the_same_discount(
    kind, amount_off, percent_off, cap, minimum, start, length, active, status, foreign, at,
    purchase,
):
    with transaction.atomic():
        clock.freeze(NOW)
        store, other = StoreFactory(), StoreFactory()
        valid_from = NOW + dt.timedelta(minutes=start)
        template = make_template(
            store, kind=kind, amount_off=amount_off, percent_off=percent_off, max_discount=cap,
            free_item="떡 한 팩", minimum_purchase=minimum, valid_from=valid_from,
            valid_until=valid_from + dt.timedelta(minutes=length), is_active=active,
        )
        coupon = Coupon.objects.create(
            template=template, store=store, customer=CustomerFactory(), code="123456",
            source=Coupon.Source.ISSUE, token=f"t{template.pk}", issued_at=NOW, status=status,
            redeemed_at=NOW if status == Coupon.Status.REDEEMED else None,
        )
        coupon = Coupon.objects.select_related("template", "store").get(pk=coupon.pk)
        moment = {
            "from": template.valid_from, "until": template.valid_until,
            "just_before_until": template.valid_until - dt.timedelta(microseconds=1),
        }.get(at) if isinstance(at, str) else NOW + dt.timedelta(minutes=at)
        at_store = other if foreign else store

        try:
            expected = coupon_check(
                coupon=coupon, store=at_store, purchase_amount=purchase, at=moment
            )
        except (errors.CouponRefused, errors.CouponNotFound):
            expected = None

        assert _sql_discount(coupon, store_id=at_store.pk, at=moment, purchase=purchase) \
            == expected
        transaction.set_rollback(True)
    clock.freeze(None)

