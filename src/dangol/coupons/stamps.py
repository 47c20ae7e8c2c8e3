"""Writes on stamp cards: programs, customers' personal codes, stamps and their rewards.

Concurrency: the card row is locked while stamps are given (`stamp_cards_lock`, primary-key
order), and the reward's template row while its coupons are issued.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.errors import IdempotencyKeyReused
from dangol.core.ids import random_digits
from dangol.core.phone import mobile_normalize
from dangol.coupons.errors import (
    CustomerNotFound,
    InvalidStampCount,
    InvalidStampProgram,
    NoStampProgram,
    StampDayLimit,
    StampVisitLimit,
)
from dangol.coupons.models import (
    Coupon,
    CouponTemplate,
    CustomerCode,
    Stamp,
    StampCard,
    StampCardProgram,
)
from dangol.coupons.services import CODE_ATTEMPTS, coupon_templates_lock, coupons_insert
from dangol.places.models import Store
from dangol.regulars.models import Follow

# --- locks ----------------------------------------------------------------------------------


def stamp_cards_lock(ids: Iterable[int]) -> list[StampCard]:
    """Lock the stamp cards `ids` (pk order) and return them fresh."""
    return list(StampCard.objects.select_for_update().filter(pk__in=sorted(ids)).order_by("pk"))


# --- stamp cards ----------------------------------------------------------------------------


@transaction.atomic
def stamp_program_create(
    *, store: Store, name: str, stamps_required: int, reward: CouponTemplate,
    per_visit_limit: int = 1, per_day_limit: int = 1,
) -> StampCardProgram:
    """Start a stamp card at `store`, replacing its current one (cards of it stay).

    The reward must be a coupon template of the same store with no total quantity: a
    customer who fills a card always gets it.
    """
    if reward.store_id != store.pk:
        raise InvalidStampProgram(reason=_("보상 쿠폰은 같은 가게의 쿠폰이어야 합니다."))
    if reward.total_quantity is not None:
        raise InvalidStampProgram(reason=_("보상 쿠폰은 수량 제한이 없어야 합니다."))
    if stamps_required < 1 or per_visit_limit < 1 or per_day_limit < 1:
        raise InvalidStampProgram(reason=_("스탬프 수와 한도는 1 이상이어야 합니다."))
    if not name.strip():
        raise InvalidStampProgram(reason=_("이름을 입력해 주세요."))
    StampCardProgram.objects.filter(store=store, is_active=True).update(
        is_active=False, updated_at=clock.now()
    )
    return StampCardProgram.objects.create(
        store=store, name=name.strip(), stamps_required=stamps_required, reward=reward,
        per_visit_limit=per_visit_limit, per_day_limit=per_day_limit,
    )


@transaction.atomic
def customer_code_get_or_create(*, customer: User) -> CustomerCode:
    """Return `customer`'s personal code, creating it (8 random digits) on first use."""
    existing = CustomerCode.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    for _attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return CustomerCode.objects.create(customer=customer, code=random_digits(8))
        except IntegrityError:
            existing = CustomerCode.objects.filter(customer=customer).first()
            if existing is not None:
                return existing
    raise AssertionError("could not draw a free customer code")


@transaction.atomic
def customer_code_delete(*, customer: User) -> bool:
    """Delete `customer`'s personal code (an account being erased), so that its digits and
    QR find no one; return whether there was one. Stamp cards and their stamps stay: they
    are the store's count of visits and hold no contact."""
    deleted, _ = CustomerCode.objects.filter(customer=customer).delete()
    return deleted > 0


def customer_find(
    *, store: Store, customer_code: str | None = None, phone: str | None = None
) -> User:
    """Return the active customer with personal code `customer_code` or mobile `phone`,
    as found by staff of `store`.

    A personal code is shown by the customer at the counter, so it finds any customer. A
    phone number finds only a regular of `store` (a follower): typing numbers must not tell
    a store who has an account, nor stamp a stranger's card. Raise CustomerNotFound if there
    is none — the same error whether the number has no account or belongs to someone who
    does not follow the store (InvalidPhone if `phone` is not a mobile number).
    """
    users = User.objects.filter(is_active=True)
    customer: User | None = None
    if customer_code:
        customer = users.filter(customer_code__code=customer_code.strip().replace(" ", "")).first()
    elif phone:
        customer = users.filter(
            Exists(Follow.objects.filter(customer=OuterRef("pk"), store=store)),
            phone=mobile_normalize(phone),
        ).first()
    if customer is None:
        raise CustomerNotFound()
    return customer


@dataclass
class StampResult:
    """What one give did: the stamp row, the card after it, the reward coupons issued."""

    stamp: Stamp
    card: StampCard
    program: StampCardProgram
    rewards: list[Coupon] = field(default_factory=list)


def stamps_given_today(*, card: StampCard, day: dt.date) -> int:
    """Return how many stamps `card` received on KST `day`."""
    return int(
        Stamp.objects.filter(card=card, day=day).aggregate(n=Coalesce(Sum("count"), 0))["n"]
    )


@transaction.atomic
def stamp_give(
    *, store: Store, staff: User, customer: User | None = None, customer_code: str | None = None,
    phone: str | None = None, count: int = 1, idempotency_key: str | None = None,
) -> StampResult:
    """Give `count` stamps on `store`'s active card to a customer (by object, code or, for
    the store's regulars only, phone: `customer_find`).

    Raise StampVisitLimit above the per-visit limit and StampDayLimit when the customer's
    stamps of this KST day would pass the per-day limit. When the card fills, issue the
    reward coupon in the same transaction and carry the extra stamps to a new card. Locks
    the card row, so concurrent gives never pass the limits. A retry with the same
    `idempotency_key` returns the first result.
    """
    if count < 1:
        raise InvalidStampCount()
    program = StampCardProgram.objects.select_related("reward").filter(
        store=store, is_active=True
    ).first()
    if program is None:
        raise NoStampProgram()
    if customer is None:
        customer = customer_find(store=store, customer_code=customer_code, phone=phone)
    if idempotency_key:
        earlier = _stamp_replay(store=store, key=idempotency_key, customer=customer, count=count)
        if earlier is not None:
            return earlier
    if count > program.per_visit_limit:
        raise StampVisitLimit(limit=program.per_visit_limit)
    card_id = StampCard.objects.get_or_create(program=program, customer=customer)[0].pk
    (card,) = stamp_cards_lock([card_id])
    if idempotency_key:
        earlier = _stamp_replay(store=store, key=idempotency_key, customer=customer, count=count)
        if earlier is not None:
            return earlier
    now = clock.now()
    day = clock.today_kst()
    given = stamps_given_today(card=card, day=day)
    if given + count > program.per_day_limit:
        raise StampDayLimit(given=given, limit=program.per_day_limit)
    stamp = Stamp.objects.create(
        card=card, store=store, count=count, given_at=now, day=day, given_by=staff,
        idempotency_key=idempotency_key or "",
    )
    filled, card.stamps = divmod(card.stamps + count, program.stamps_required)
    card.completed_count += filled
    card.save(update_fields=["stamps", "completed_count", "updated_at"])
    rewards: list[Coupon] = []
    if filled:
        (reward,) = coupon_templates_lock([program.reward_id])
        rewards = coupons_insert(
            template=reward, customer_ids=[customer.pk] * filled, source=Coupon.Source.STAMP,
            stamp=stamp,
        )
        reward.issued_count += filled
        reward.save(update_fields=["issued_count", "updated_at"])
    return StampResult(stamp=stamp, card=card, program=program, rewards=rewards)


def _stamp_replay(*, store: Store, key: str, customer: User, count: int) -> StampResult | None:
    stamp = (
        Stamp.objects.select_related("card", "card__program")
        .filter(store=store, idempotency_key=key)
        .first()
    )
    if stamp is None:
        return None
    if stamp.card.customer_id != customer.pk or stamp.count != count:
        raise IdempotencyKeyReused()
    card = StampCard.objects.get(pk=stamp.card_id)
    rewards: QuerySet[Coupon] = stamp.reward_coupons.order_by("pk")
    return StampResult(stamp=stamp, card=card, program=stamp.card.program, rewards=list(rewards))
