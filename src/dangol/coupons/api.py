"""Coupon and stamp endpoints: POS integrations redeem coupons and give stamps at a store;
customers list their coupons and claim new ones.

A claim needs an `Idempotency-Key` header (core.idempotency): a client that retries after a
timeout with the same key gets the first coupon back, not a second one. A POS's redemption
and stamps take the key in the `Idempotency-Key` header (or, as before, in the body's
`idempotency_key`); their services are idempotent by it.

Store endpoints need a caller who owns or staffs the store and, for a store-scoped token
(a POS), that store. Refusals answer `{code, message}` with the domain error's status.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from dangol.access import policy
from dangol.access.api import caller_store
from dangol.accounts.api import api_caller as _caller
from dangol.accounts.api import required_auth
from dangol.core.api import ErrorOut, Pagination, Won
from dangol.core.errors import NotFound
from dangol.core.idempotency import (
    idempotency_key_check,
    idempotency_key_header,
    idempotent_call,
)
from dangol.coupons import errors, selectors, services, stamps
from dangol.coupons.models import Coupon, CouponTemplate

router = Router(tags=["coupons"], auth=required_auth)

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut}


# --- schemas --------------------------------------------------------------------------------


class TemplateOut(Schema):
    id: int
    store_id: int
    name: str
    kind: str = Field(description="amount_off | percent_off | free_item")
    amount_off: int = Field(description="할인 금액 (원)")
    percent_off: int
    max_discount: int | None = Field(description="최대 할인 금액 (원)")
    free_item: str
    valid_from: dt.datetime
    valid_until: dt.datetime = Field(description="이 시각부터 쓸 수 없음 (exclusive)")
    total_quantity: int | None
    issued_count: int
    per_customer_limit: int
    minimum_purchase: int = Field(description="최소 구매 금액 (원)")
    is_active: bool


class CouponOut(Schema):
    id: int
    store_id: int
    store_name: str
    template: TemplateOut
    status: str = Field(description="issued | redeemed | expired | void")
    code: str = Field(description="6자리 쿠폰 번호")
    issued_at: dt.datetime
    redeemed_at: dt.datetime | None
    purchase_amount: int | None
    discount_amount: int | None = Field(description="할인한 금액 (원)")

    @staticmethod
    def resolve_store_name(obj: Coupon) -> str:
        return obj.store.name


class RedeemIn(Schema):
    code: str | None = Field(None, pattern=r"^[0-9]{6}$", description="6자리 쿠폰 번호")
    token: str | None = Field(None, max_length=64, description="QR 토큰")
    purchase_amount: Won | None = Field(None, description="구매 금액 (원)")
    idempotency_key: str | None = Field(None, min_length=1, max_length=100)


class StampIn(Schema):
    customer_code: str | None = Field(None, pattern=r"^[0-9]{8}$", description="고객 번호")
    phone: str | None = Field(None, max_length=20, description="휴대전화 번호")
    count: int = Field(1, ge=1, le=50)
    idempotency_key: str | None = Field(None, min_length=1, max_length=100)


class StampOut(Schema):
    stamp_id: int
    count: int
    card_stamps: int = Field(description="지금 카드의 스탬프 수")
    stamps_required: int
    completed_count: int
    reward_coupon_ids: list[int]


def _stamp_out(result: stamps.StampResult) -> StampOut:
    return StampOut(
        stamp_id=result.stamp.pk, count=result.stamp.count, card_stamps=result.card.stamps,
        stamps_required=result.program.stamps_required,
        completed_count=result.card.completed_count,
        reward_coupon_ids=[coupon.pk for coupon in result.rewards],
    )


# --- POS ------------------------------------------------------------------------------------


def _pos_key(header: str | None, body_key: str | None) -> str | None:
    """Return the idempotency key of a POS write: the header's (checked) or the body's."""
    return idempotency_key_check(header) if header is not None else body_key


@router.post(
    "/stores/{int:store_id}/coupons/redeem", response={200: CouponOut, **ERRORS},
    summary="쿠폰 사용 처리 / redeem a coupon",
)
def redeem_coupon(
    request: HttpRequest, store_id: int, body: RedeemIn,
    idempotency_key: str | None = idempotency_key_header(required=False),
) -> Coupon:
    """Redeem the coupon named by `code` or `token`; a repeated idempotency key returns the
    first result."""
    store = caller_store(request, store_id, policy.COUPONS_REDEEM)
    if not (body.code or body.token):
        raise errors.CouponNotFound()
    return services.coupon_redeem(
        store=store, staff=_caller(request), code=body.code, token=body.token,
        purchase_amount=body.purchase_amount,
        idempotency_key=_pos_key(idempotency_key, body.idempotency_key),
    )


@router.post(
    "/stores/{int:store_id}/stamps", response={200: StampOut, **ERRORS},
    summary="스탬프 주기 / give stamps",
)
def give_stamps(
    request: HttpRequest, store_id: int, body: StampIn,
    idempotency_key: str | None = idempotency_key_header(required=False),
) -> StampOut:
    """Give stamps to the customer with `customer_code` or `phone`; a repeated idempotency
    key returns the first result."""
    store = caller_store(request, store_id, policy.STAMPS_GIVE)
    result = stamps.stamp_give(
        store=store, staff=_caller(request), customer_code=body.customer_code,
        phone=body.phone, count=body.count,
        idempotency_key=_pos_key(idempotency_key, body.idempotency_key),
    )
    return _stamp_out(result)


@router.get(
    "/stores/{int:store_id}/coupon-templates", response={200: list[TemplateOut], **ERRORS},
    summary="가게 쿠폰 종류 / coupon templates",
)
@paginate(Pagination)
def list_templates(request: HttpRequest, store_id: int) -> Any:
    """Return the store's coupon templates, newest first."""
    store = caller_store(request, store_id, policy.COUPONS_MANAGE)
    return CouponTemplate.objects.filter(store=store).order_by("-created_at", "-id")


# --- customers ------------------------------------------------------------------------------


@router.get("/me/coupons", response={200: list[CouponOut], 401: ErrorOut},
            summary="내 쿠폰 / my coupons")
@paginate(Pagination)
def my_coupons(request: HttpRequest) -> Any:
    """Return the caller's coupons, newest first."""
    return selectors.coupons_of(customer=_caller(request))


@router.post(
    "/stores/{int:store_id}/coupons/{int:template_id}/claim",
    response={201: CouponOut, **ERRORS}, summary="쿠폰 받기 / claim a coupon",
)
def claim_coupon(
    request: HttpRequest, store_id: int, template_id: int,
    idempotency_key: str | None = idempotency_key_header(),
) -> JsonResponse:
    """Claim one coupon of template `template_id` at store `store_id`; a repeat with the same
    key returns the first response."""
    caller = _caller(request)

    def claim() -> tuple[int, Any]:
        template = CouponTemplate.objects.filter(pk=template_id, store_id=store_id).first()
        if template is None:
            raise NotFound(_("쿠폰을 찾을 수 없습니다."))
        coupon = services.coupon_claim(template=template, customer=caller)
        claimed = Coupon.objects.select_related("template", "store").get(pk=coupon.pk)
        return 201, CouponOut.from_orm(claimed).model_dump(mode="json")

    answer = idempotent_call(
        user_id=caller.pk, key=idempotency_key, method="POST", path=request.path, payload=None,
        action=claim,
    )
    return JsonResponse(answer.body, status=answer.status)
