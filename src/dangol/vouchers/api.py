"""Voucher endpoints: the products on sale, purchase, the holder's vouchers (gift, refund,
extension) and, for POS integrations, balance checks and redemptions at a store.

Every write needs an `Idempotency-Key` header (1–64 printable ASCII characters, new for each
request, the same when the request is sent again). Purchase, redemption and refund are
idempotent in their services: the key is passed on (namespaced by buyer or store), and a
repeat returns the first voucher, redemption or refund. Gift and extension go through
core.idempotency, which stores the first response. A key reused for a different request is
refused with 422 (`idempotency_key_reused`).

Store endpoints need a caller who owns or staffs the store and, for a store-scoped token
(a POS), that store. Refusals answer `{code, message}` with the domain error's status.
"""

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from dangol.access import policy
from dangol.access.api import caller_store
from dangol.accounts.api import anonymous_openapi, optional_auth, required_auth
from dangol.accounts.api import api_caller as _caller
from dangol.accounts.models import User
from dangol.core.api import ErrorOut, Pagination, PositiveWon
from dangol.core.errors import NotFound, ValidationError
from dangol.core.idempotency import (
    KEY_MAX_LENGTH,
    idempotency_key_check,
    idempotency_service_key,
    idempotent_call,
)
from dangol.core.korean import format_datetime
from dangol.core.phone import phone_mask
from dangol.payments.errors import PaymentPending
from dangol.places.models import Market, Store
from dangol.vouchers import errors, rules, selectors, services, validity
from dangol.vouchers.errors import PurchasePending, VoucherNotFound
from dangol.vouchers.models import Redemption, Refund, Voucher, VoucherGift, VoucherProduct

router = Router(tags=["vouchers"], auth=required_auth)

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut, 422: ErrorOut}


def _key_header() -> Any:
    """Return the `Idempotency-Key` header parameter (checked by core.idempotency, so that a
    missing key is answered with a translated message rather than a schema error)."""
    return Header(
        None, alias="Idempotency-Key",
        description=(
            f"필수. 요청마다 새로 만든 1–{KEY_MAX_LENGTH}자 ASCII 문자열, 다시 보낼 때는 같은 값 "
            "/ required idempotency key"
        ),
    )


def _held_voucher(user: User, voucher_id: int) -> Voucher:
    """Return voucher `voucher_id` if `user` holds it; raise VoucherNotFound otherwise."""
    voucher = (
        selectors.vouchers_held_by(user=user)
        .select_related("product__store", "product__market")
        .annotate(accepted_count=Count("product__accepted_stores"))
        .filter(pk=voucher_id)
        .first()
    )
    if voucher is None:
        raise VoucherNotFound()
    return voucher


# --- schemas --------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    name: str
    kind: str = Field(description="amount(금액권) | product(교환권)")
    product_name: str = Field(description="교환권의 교환 상품 / the product a 교환권 buys")
    store_id: int | None = Field(description="발행 가게 / issuing store")
    market_id: int | None = Field(description="발행 시장(상인회) / issuing market")
    issuer_name: str
    face_value: int = Field(description="액면가 (원)")
    sale_price: int = Field(description="판매가 (원)")
    validity_months: int = Field(
        description="유효기간 (개월, 구매일 포함 달력 계산) / validity in calendar months"
    )
    is_perishable: bool

    @staticmethod
    def resolve_issuer_name(obj: VoucherProduct) -> str:
        issuer = obj.store if obj.store_id is not None else obj.market
        return issuer.name if issuer is not None else ""


class ProductFilter(Schema):
    market_id: int | None = Field(None, ge=1, description="시장 id: 그 시장과 시장 가게의 상품권")
    store_id: int | None = Field(None, ge=1, description="가게 id: 그 가게에서 쓸 수 있는 상품권")


class ProductRef(Schema):
    id: int
    name: str
    kind: str = Field(description="amount(금액권) | product(교환권)")
    product_name: str


def _accepted_summary(voucher: Voucher) -> str:
    """Return where the voucher can be used, in words: a store, a whole market, or N stores."""
    product = voucher.product
    if product.store is not None:
        return product.store.name
    market: Market | None = product.market
    count = getattr(voucher, "accepted_count", None)
    if count is None:
        count = product.accepted_stores.count()
    name = market.name if market is not None else ""
    if not count:
        return gettext("%(market)s 모든 가게") % {"market": name}
    return gettext("%(market)s 가게 %(count)s곳") % {"market": name, "count": count}


def _expires_display(voucher: Voucher) -> str:
    """Return the last minute of validity in Korean form: '2027. 11. 21. (일) 23:59까지'."""
    last = voucher.valid_until - dt.timedelta(minutes=1)
    return pgettext("voucher validity", "%(when)s까지") % {"when": format_datetime(last)}


class VoucherOut(Schema):
    id: int
    code: str = Field(description="상품권 번호 (가게에서 불러 주는 번호)")
    qr_token: str = Field(description="QR 코드에 담는 값")
    product: ProductRef
    face_value: int = Field(description="액면가 (원)")
    balance: int = Field(description="잔액 (원)")
    status: str = Field(description="active | used | refunded")
    status_display: str
    purchased_at: dt.datetime
    expires_at: dt.datetime = Field(description="이 시각부터 쓸 수 없음(연장 포함) / exclusive")
    expires_display: str = Field(description="예: 2027. 11. 21. (일) 23:59까지")
    extension_count: int
    accepted_at: str = Field(description="사용처 요약 / where it can be used")

    @staticmethod
    def resolve_status_display(obj: Voucher) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_expires_at(obj: Voucher) -> dt.datetime:
        return obj.valid_until

    @staticmethod
    def resolve_expires_display(obj: Voucher) -> str:
        return _expires_display(obj)

    @staticmethod
    def resolve_accepted_at(obj: Voucher) -> str:
        return _accepted_summary(obj)


class RedemptionRef(Schema):
    id: int
    store_id: int
    store_name: str
    amount: int = Field(description="사용 금액 (원)")
    created_at: dt.datetime


class GiftOut(Schema):
    id: int
    voucher_id: int
    to_phone: str = Field(description="받는 사람 (가운데 가림) / recipient, masked")
    message: str
    created_at: dt.datetime

    @staticmethod
    def resolve_to_phone(obj: VoucherGift) -> str:
        return phone_mask(obj.to_phone)


class RefundQuoteOut(Schema):
    rule: str = Field(description="withdrawal | balance | after_expiry")
    rule_display: str
    balance: int = Field(description="환불 전 잔액 (원)")
    amount: int = Field(description="돌려받을 금액 (원)")


class RefundOut(Schema):
    id: int
    voucher_id: int
    rule: str = Field(description="withdrawal | balance | after_expiry")
    rule_display: str
    balance: int = Field(description="환불 전 잔액 (원)")
    amount: int = Field(description="환불 금액 (원)")
    paid_at: dt.datetime | None = Field(description="결제 대행사가 환불을 마친 때")
    created_at: dt.datetime

    @staticmethod
    def resolve_rule_display(obj: Refund) -> str:
        return str(obj.get_rule_display())


class VoucherDetailOut(VoucherOut):
    redemptions: list[RedemptionRef]
    gifts: list[GiftOut] = Field(description="이 상품권의 선물 기록 / gifts of this voucher")
    refund: RefundOut | None = Field(description="환불 기록 / the refund, once refunded")
    refund_quote: RefundQuoteOut | None = Field(
        description="지금 환불하면 받을 금액 / what a refund would pay now"
    )
    refund_refused: str | None = Field(description="환불할 수 없는 이유 / why not refundable")


class PurchaseIn(Schema):
    product_id: int = Field(ge=1)
    card_number: str = Field(min_length=12, max_length=32, description="카드 번호 (결제 대행사)")


class GiftIn(Schema):
    to_phone: str = Field(max_length=20, description="받는 사람 휴대전화 번호")
    message: str = Field("", max_length=200, description="함께 보낼 메시지")


class RefundIn(Schema):
    reason: str = Field("", max_length=200, description="환불 사유")


class PosVoucherOut(Schema):
    code: str
    status: str = Field(description="active | used | refunded")
    status_display: str
    balance: int = Field(description="잔액 (원)")
    face_value: int = Field(description="액면가 (원)")
    product: ProductRef
    accepted_here: bool = Field(description="이 가게에서 쓸 수 있는지 / accepted at this store")
    expired: bool
    expires_at: dt.datetime = Field(description="이 시각부터 쓸 수 없음 / exclusive")
    expires_display: str


class LookupIn(Schema):
    code: str | None = Field(None, max_length=20, description="상품권 번호")
    qr_token: str | None = Field(None, max_length=64, description="QR 토큰")


class RedeemIn(Schema):
    code: str | None = Field(None, max_length=20, description="상품권 번호")
    qr_token: str | None = Field(None, max_length=64, description="QR 토큰")
    amount: PositiveWon = Field(description="사용 금액 (원)")


class RedemptionOut(Schema):
    id: int
    voucher_code: str
    store_id: int
    amount: int = Field(description="사용 금액 (원)")
    fee: int = Field(description="플랫폼 수수료 (원)")
    net: int = Field(description="가게 정산 예정액 (원) = amount − fee")
    voucher_balance: int = Field(description="상품권의 지금 잔액 (원)")
    created_at: dt.datetime

    @staticmethod
    def resolve_voucher_code(obj: Redemption) -> str:
        return obj.voucher.code

    @staticmethod
    def resolve_net(obj: Redemption) -> int:
        return obj.amount - obj.fee

    @staticmethod
    def resolve_voucher_balance(obj: Redemption) -> int:
        return obj.voucher.balance


def _detail(voucher: Voucher) -> VoucherDetailOut:
    redemptions = [
        RedemptionRef(
            id=item.pk, store_id=item.store_id, store_name=item.store.name, amount=item.amount,
            created_at=item.created_at,
        )
        for item in voucher.redemptions.select_related("store").order_by("created_at", "id")
    ]
    # ORM rows, not schema instances: the nested schemas' resolvers read the rows.
    gifts = list(voucher.gifts.order_by("created_at", "id"))
    refund = Refund.objects.filter(voucher=voucher).first()
    quote: RefundQuoteOut | None = None
    refused: str | None = None
    if refund is None:
        try:
            found = rules.voucher_refund_check(voucher=voucher)
        except errors.RefundRefused as exc:
            refused = exc.message
        else:
            quote = RefundQuoteOut(
                rule=found.rule, rule_display=str(Refund.Rule(found.rule).label),
                balance=found.balance, amount=found.amount,
            )
    return VoucherDetailOut.from_orm(
        _VoucherDetail(
            voucher, redemptions=redemptions, gifts=gifts,
            refund=refund,
            refund_quote=quote, refund_refused=refused,
        )
    )


class _VoucherDetail:
    """A voucher with its detail lists in place of the related managers of the same names."""

    def __init__(self, voucher: Voucher, **details: Any) -> None:
        self.voucher = voucher
        self.__dict__.update(details)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.voucher, name)


# --- products and purchase ------------------------------------------------------------------


@router.get(
    "/vouchers/products", response={200: list[ProductOut], 422: Any}, auth=optional_auth,
    openapi_extra=anonymous_openapi(), summary="판매 중인 상품권 / voucher products on sale",
)
@paginate(Pagination)
def list_products(request: HttpRequest, filters: Query[ProductFilter]) -> Any:
    """판매 중인 상품권 상품 (시장·가게로 거를 수 있음); 인증 없이 읽을 수 있습니다.

    Return the voucher products on sale, optionally those of a market or usable at a store.
    """
    market = store = None
    if filters.market_id is not None:
        market = Market.objects.filter(pk=filters.market_id).first()
        if market is None:
            return VoucherProduct.objects.none()
    if filters.store_id is not None:
        store = Store.objects.filter(pk=filters.store_id).first()
        if store is None:
            return VoucherProduct.objects.none()
    return selectors.voucher_products_on_sale(market=market, store=store)


@router.post(
    "/vouchers/purchases", response={201: VoucherOut, 402: ErrorOut, 503: ErrorOut, **ERRORS},
    summary="상품권 사기 / buy a voucher",
)
def purchase_voucher(
    request: HttpRequest, body: PurchaseIn, idempotency_key: str | None = _key_header()
) -> Status[Voucher]:
    """카드로 결제하고 상품권을 발행합니다. 같은 키로 다시 보내면 같은 상품권을 돌려주고
    다시 결제하지 않습니다. 카드가 거절되면 402, 결제 대행사가 응답하지 않으면 503(같은 키로
    다시 보내세요).

    Charge the card and issue the voucher to the caller. A repeat with the same key returns
    the same voucher without charging again. Declined card: 402 with the provider's
    message; no answer from the provider: 503, send the same request with the same key.
    """
    buyer = _caller(request)
    key = idempotency_key_check(idempotency_key)
    product = VoucherProduct.objects.filter(pk=body.product_id).first()
    if product is None:
        raise NotFound(_("상품권 상품을 찾을 수 없습니다."))
    try:
        voucher = services.voucher_purchase(
            product=product, buyer=buyer, card_number=body.card_number,
            idempotency_key=idempotency_service_key(scope=f"user:{buyer.pk}", key=key),
        )
    except PaymentPending as exc:
        raise PurchasePending() from exc
    voucher = _voucher_for_output(voucher)
    return Status(201, voucher)


def _voucher_for_output(voucher: Voucher) -> Voucher:
    """Return the voucher with what VoucherOut reads loaded."""
    return (
        Voucher.objects.select_related("product__store", "product__market")
        .annotate(accepted_count=Count("product__accepted_stores"))
        .get(pk=voucher.pk)
    )


# --- the holder's vouchers ------------------------------------------------------------------


@router.get("/me/vouchers", response={200: list[VoucherOut], 401: ErrorOut, 422: Any},
            summary="내 상품권 / my vouchers")
@paginate(Pagination)
def my_vouchers(request: HttpRequest) -> Any:
    """내가 가진 상품권 (선물 받은 것 포함), 최근에 산 것부터.

    Return the vouchers the caller holds (bought or received), newest first.
    """
    vouchers: QuerySet[Voucher] = selectors.vouchers_held_by(user=_caller(request))
    return (
        vouchers.select_related("product__store", "product__market")
        .annotate(accepted_count=Count("product__accepted_stores"))
        .order_by("-purchased_at", "-id")
    )


@router.get("/me/vouchers/{int:voucher_id}", response={200: VoucherDetailOut, **ERRORS},
            summary="내 상품권 자세히 / one of my vouchers")
def my_voucher(request: HttpRequest, voucher_id: int) -> VoucherDetailOut:
    """상품권 하나: 사용 내역, 선물 기록, 지금 환불하면 받을 금액(또는 환불할 수 없는 이유).

    Return one voucher the caller holds with its redemptions, gifts and refund quote.
    """
    return _detail(_held_voucher(_caller(request), voucher_id))


@router.post("/me/vouchers/{int:voucher_id}/gift", response={201: GiftOut, **ERRORS},
             summary="상품권 선물하기 / gift a voucher")
def gift_voucher(
    request: HttpRequest, voucher_id: int, body: GiftIn,
    idempotency_key: str | None = _key_header(),
) -> JsonResponse:
    """상품권을 휴대전화 번호로 선물합니다. 같은 키로 다시 보내면 처음 응답을 그대로 돌려줍니다.

    Give the voucher to a mobile number; a repeat with the same key returns the first
    response (the caller no longer holds the voucher by then).
    """
    caller = _caller(request)

    def gift() -> tuple[int, Any]:
        voucher = _held_voucher(caller, voucher_id)
        done = services.voucher_gift(voucher=voucher, to_phone=body.to_phone,
                                     message=body.message)
        return 201, GiftOut.from_orm(VoucherGift.objects.get(pk=done.pk)).model_dump(mode="json")

    answer = idempotent_call(
        user_id=caller.pk, key=idempotency_key, method="POST", path=request.path,
        payload=body.model_dump(mode="json"), action=gift,
    )
    return JsonResponse(answer.body, status=answer.status)


@router.post("/me/vouchers/{int:voucher_id}/extend", response={200: VoucherOut, **ERRORS},
             summary="유효기간 연장 / extend validity by 3 months")
def extend_voucher(
    request: HttpRequest, voucher_id: int, idempotency_key: str | None = _key_header()
) -> JsonResponse:
    """유효기간을 3개월 연장합니다 (최대 4번, 만료 전에만). 같은 키로 다시 보내면 한 번만
    연장하고 처음 응답을 돌려줍니다.

    Extend the validity by 3 months (at most 4 times, before expiry). A repeat with the
    same key extends once and returns the first response.
    """
    caller = _caller(request)

    def extend() -> tuple[int, Any]:
        voucher = _held_voucher(caller, voucher_id)
        validity.voucher_extend(voucher=voucher)
        return 200, VoucherOut.from_orm(_voucher_for_output(voucher)).model_dump(mode="json")

    answer = idempotent_call(
        user_id=caller.pk, key=idempotency_key, method="POST", path=request.path,
        payload={}, action=extend,
    )
    return JsonResponse(answer.body, status=answer.status)


@router.post("/me/vouchers/{int:voucher_id}/refund",
             response={201: RefundOut, 503: ErrorOut, 504: ErrorOut, **ERRORS},
             summary="상품권 환불 / refund a voucher")
def refund_voucher(
    request: HttpRequest, voucher_id: int, body: RefundIn,
    idempotency_key: str | None = _key_header(),
) -> Status[Refund]:
    """잔액을 환불합니다 (신유형 상품권 표준약관: 7일 이내 전액, 60%/80% 이상 사용 후 잔액,
    만료 후 90%). 같은 키로 다시 보내면 같은 환불을 돌려주고, 결제 대행사의 응답이 없었다면
    환불을 마저 끝냅니다.

    Refund the balance under the rule that applies. A repeat with the same key returns the
    same refund, finishing it if the provider's answer was lost the first time.
    """
    caller = _caller(request)
    key = idempotency_key_check(idempotency_key)
    voucher = _held_voucher(caller, voucher_id)
    refund = services.voucher_refund(
        voucher=voucher, reason=body.reason,
        idempotency_key=idempotency_service_key(scope=f"user:{caller.pk}", key=key),
        actor=caller,
    )
    return Status(201, Refund.objects.get(pk=refund.pk))


# --- POS ------------------------------------------------------------------------------------


def _voucher_named(code: str | None, qr_token: str | None) -> Voucher:
    """Return the voucher of the counter `code` or else the `qr_token`; raise ValidationError
    if neither is given and VoucherNotFound if none matches (a re-keyed voucher's old code
    included)."""
    if not (code or qr_token):
        raise ValidationError(_("상품권 번호나 QR 토큰을 보내 주세요."))
    voucher = (
        selectors.voucher_by_code(code=code) if code
        else selectors.voucher_by_token(token=qr_token or "")
    )
    if voucher is None:
        raise VoucherNotFound()
    return voucher


@router.post("/stores/{int:store_id}/vouchers/redemptions",
             response={201: RedemptionOut, **ERRORS}, summary="상품권 사용 처리 / redeem")
def redeem_voucher(
    request: HttpRequest, store_id: int, body: RedeemIn,
    idempotency_key: str | None = _key_header(),
) -> Status[Redemption]:
    """상품권(번호 또는 QR 토큰)에서 `amount`원을 씁니다. 같은 키로 다시 보내면 처음 사용
    기록을 돌려주고 다시 차감하지 않습니다. 잔액 부족 409, 이 가게에서 못 쓰는 상품권 403.

    Take `amount` won off the voucher named by `code` or `qr_token`. A repeat with the same
    key returns the first redemption without charging again. Refusals: insufficient balance
    409, not accepted here 403, expired or used 409.
    """
    store = caller_store(request, store_id, policy.VOUCHERS_REDEEM)
    key = idempotency_key_check(idempotency_key)
    voucher = _voucher_named(body.code, body.qr_token)
    redemption = services.voucher_redeem(
        voucher=voucher, store=store, amount=body.amount, staff=_caller(request),
        idempotency_key=idempotency_service_key(scope=f"store:{store.pk}", key=key),
    )
    redemption = Redemption.objects.select_related("voucher").get(pk=redemption.pk)
    return Status(201, redemption)


@router.get("/stores/{int:store_id}/vouchers/redemptions",
            response={200: list[RedemptionOut], **ERRORS},
            summary="가게 상품권 사용 내역 / redemptions at a store")
@paginate(Pagination)
def list_redemptions(request: HttpRequest, store_id: int) -> Any:
    """이 가게에서 쓴 상품권 내역, 최근 것부터.

    Return the voucher redemptions at the store, newest first.
    """
    store = caller_store(request, store_id, policy.VOUCHERS_SALES)
    return (
        Redemption.objects.filter(store=store).select_related("voucher")
        .order_by("-created_at", "-id")
    )


@router.post("/stores/{int:store_id}/vouchers/lookup", response={200: PosVoucherOut, **ERRORS},
             summary="상품권 잔액 조회 / check a voucher at the counter")
def check_voucher(request: HttpRequest, store_id: int, body: LookupIn) -> PosVoucherOut:
    """상품권 번호나 QR 토큰으로 상태, 잔액, 이 가게에서 쓸 수 있는지를 봅니다. 번호와 토큰은
    접속 기록에 남는 URL이 아니라 요청 본문으로 보냅니다 (아무것도 바꾸지 않는 POST).

    Look a voucher up by counter code or QR token: status, balance, whether this store
    accepts it. The code travels in the body, not in the URL that access logs record; the
    POST changes nothing.
    """
    store = caller_store(request, store_id, policy.VOUCHERS_REDEEM)
    voucher = _voucher_named(body.code, body.qr_token)
    product = voucher.product
    return PosVoucherOut(
        code=voucher.code, status=voucher.status,
        status_display=str(voucher.get_status_display()), balance=voucher.balance,
        face_value=voucher.face_value, product=ProductRef.from_orm(product),
        accepted_here=services.voucher_accepted_at(product=product, store=store),
        expired=voucher.is_expired(), expires_at=voucher.valid_until,
        expires_display=_expires_display(voucher),
    )
