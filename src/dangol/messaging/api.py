"""Messaging endpoints: merchants and market associations compose, check, send and read the
statistics of campaigns and their message credit; customers read their inbox.

Store endpoints need a caller who owns or staffs the store and, for a store-scoped token (a
POS), that store; market-channel endpoints need a member of the market's merchants'
association (상인회) and a token without a store scope. Sending needs an `Idempotency-Key`
header: the first answer is stored (core.idempotency) and a repeat gets it again without a
second campaign or charge. Refusals answer `{code, message}` with the domain error's status
(a campaign costing more than the credit: 402 `message_credit_short`, cost and balance in
the message). The JSON API takes no image (the composer page uploads one).

The inbox lists in-app deliveries (ads and informational notices, see
messaging.informational); reading one records the first read time and, for a notice's copy,
marks the notice read too.
"""

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema
from ninja.pagination import paginate

from dangol.access import policy
from dangol.access.api import caller_market, caller_store
from dangol.access.policy import Action
from dangol.accounts.api import api_caller as _caller
from dangol.accounts.api import required_auth
from dangol.accounts.models import User
from dangol.core.api import ErrorOut, Pagination
from dangol.core.errors import DangolError, NotFound
from dangol.core.idempotency import (
    KEY_MAX_LENGTH,
    idempotency_key_check,
    idempotency_service_key,
    idempotent_call,
)
from dangol.core.sms import sms_safe_text
from dangol.coupons.models import CouponTemplate
from dangol.messaging import campaigns, deliveries, rendering, selectors
from dangol.messaging.errors import DeliveryNotFound
from dangol.messaging.models import BODY_MAX_LENGTH, Campaign, Channel, Delivery
from dangol.places.models import Market, Store
from dangol.regulars.models import Tag

router = Router(tags=["messaging"], auth=required_auth)

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 402: ErrorOut, 403: ErrorOut,
                          404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PREVIEW_OPT_OUT_SLUG = "…"




# --- callers and senders --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Sender:
    store: Store | None
    market: Market | None

    @property
    def name(self) -> str:
        if self.store is not None:
            return self.store.name
        return self.market.name if self.market is not None else ""

    @property
    def scope(self) -> str:
        """The namespace of this sender's idempotency keys."""
        if self.store is not None:
            return f"store:{self.store.pk}"
        return f"market:{self.market.pk}" if self.market is not None else ""

    def filters(self) -> dict[str, Any]:
        return {"store": self.store} if self.store is not None else {"market": self.market}


def _store_sender(request: HttpRequest, store_id: int, action: Action) -> _Sender:
    return _Sender(store=caller_store(request, store_id, action), market=None)


def _market_sender(request: HttpRequest, market_id: int, action: Action) -> _Sender:
    return _Sender(store=None, market=caller_market(request, market_id, action))


# --- schemas --------------------------------------------------------------------------------


class ComposeIn(Schema):
    kind: str = Field("ad", description="ad (광고). 정보성 안내는 시스템만 보냅니다")
    template: str = Field("", description='"" (직접 작성) | closing_sale')
    body: str = Field(..., min_length=1, max_length=BODY_MAX_LENGTH, description="본문")
    audience: str = Field("all", description="all | tag | market")
    tag_id: int | None = Field(None, description="audience=tag일 때 가게 태그")
    channels: list[str] = Field(["in_app"], min_length=1, description="in_app | sms | email")
    coupon_template_id: int | None = Field(None, description="함께 보낼 가게 쿠폰 종류")
    link_url: str = Field("", max_length=200, description="링크 버튼 주소")
    link_label: str = Field("", max_length=20, description="링크 버튼 글자")
    scheduled_at: dt.datetime | None = Field(None, description="예약 시각 (없으면 지금)")


class CheckOut(Schema):
    targeted: int = Field(description="받는 사람 범위의 단골 수")
    eligible: int = Field(description="받을 사람 (광고는 수신 동의한 단골)")
    eligible_now: int = Field(description="지금 받는 사람")
    held: int = Field(description="야간 수신 동의가 없어 release_at(08:00)에 받는 사람")
    suppressed_no_consent: int = Field(description="동의가 없어 보내지 않는 사람")
    suppressed_withdrawn: int = Field(description="보내기 전에 동의를 철회해 보내지 않는 사람")
    deliveries: dict[str, int] = Field(description="채널별 발송 건수")
    skipped_no_address: dict[str, int] = Field(description="채널별 주소가 없어 건너뛰는 사람")
    cost: int = Field(description="비용 (원)")
    balance: int = Field(description="메시지 충전금 잔액 (원)")
    release_at: dt.datetime | None = Field(description="보류된 메시지를 보내는 때")
    sms_channel: str = Field(description="문자 채널의 실제 종류: sms | lms")
    problems: list[str] = Field(description="보낼 수 없는 이유 (없으면 보낼 수 있음)")
    preview: str = Field(description="받는 사람이 앱·이메일에서 보는 형태 (수신거부 링크)")
    sms_preview: str = Field(
        description="문자로 보내는 그대로의 형태 (무료수신거부 080 번호, ₩ → 원)"
    )


class CampaignOut(Schema):
    id: int
    store_id: int | None
    market_id: int | None
    kind: str
    template: str
    body: str
    audience: str
    tag_id: int | None
    channels: list[str]
    coupon_template_id: int | None
    link_url: str
    link_label: str
    status: str = Field(description="scheduled | sent | cancelled")
    scheduled_at: dt.datetime
    sent_at: dt.datetime | None
    created_at: dt.datetime
    targeted: int
    suppressed_no_consent: int
    suppressed_withdrawn: int
    suppressed_opted_out: int
    held_quiet_hours: int
    cost: int = Field(description="비용 (원)")


class StatsOut(Schema):
    targeted: int = Field(description="대상")
    suppressed_no_consent: int = Field(description="동의 없음")
    suppressed_withdrawn: int = Field(description="동의 철회")
    held_at_send: int = Field(description="보낼 때 야간 보류")
    deliveries: int = Field(description="발송 건수 (사람 × 채널)")
    held: int = Field(description="지금 야간 보류 중")
    queued: int = Field(description="외부 채널 발송 대기")
    delivered: int = Field(description="도착")
    failed: int = Field(description="실패")
    suppressed: dict[str, int] = Field(description="사유별 발송 안 함")
    read: int = Field(description="읽음")
    clicked: int = Field(description="클릭")
    opted_out: int = Field(description="수신 거부")
    cost: int = Field(description="비용 (원)")
    refunded: int = Field(description="돌려받은 금액 (원)")
    net_cost: int = Field(description="실제 비용 (원)")
    by_channel: dict[str, int] = Field(description="채널별 건수")


class CampaignDetailOut(CampaignOut):
    stats: StatsOut


class CreditOut(Schema):
    balance: int = Field(description="메시지 충전금 잔액 (원)")


class InboxItemOut(Schema):
    id: int
    campaign_id: int
    kind: str = Field(description="ad | info")
    template: str
    sender_name: str = Field(description="보낸 곳 (정보성 안내는 서비스 이름)")
    body: str = Field(description="보낸 곳이 쓴 본문")
    text: str = Field(description="받는 사람이 보는 형태 ((광고) 표시, 수신거부 안내 포함)")
    image_url: str
    coupon_template_id: int | None
    link_url: str
    link_label: str
    opt_out_url: str = Field(description="광고의 무료 수신거부 주소 (정보성은 빈 값)")
    created_at: dt.datetime
    read_at: dt.datetime | None


class InboxOut(Schema):
    count: int
    unread: int = Field(description="읽지 않은 메시지 수")
    items: list[InboxItemOut]


# --- helpers --------------------------------------------------------------------------------


def _preview(sender: _Sender, body: ComposeIn, *, channel: str = "") -> tuple[str, str]:
    """Return the text recipients would see on `channel` (rendering.campaign_text; by SMS as
    sent, core.sms.sms_safe_text) with a placeholder opt-out link, and the problem that
    stops the ad from being rendered (a sender without a contact: the law requires one) or
    ""; the body as written in that case."""
    draft = Campaign(store=sender.store, market=sender.market, kind=body.kind,
                     template=body.template, body=body.body)
    try:
        text = rendering.campaign_text(campaign=draft, channel=channel)
    except DangolError as error:
        return body.body, error.message
    return (sms_safe_text(text) if channel == Channel.SMS else text), ""


def _tag(sender: _Sender, tag_id: int | None) -> Tag | None:
    if tag_id is None:
        return None
    tag = Tag.objects.filter(pk=tag_id, store=sender.store).first() if sender.store else None
    if tag is None:
        raise NotFound(_("태그를 찾을 수 없습니다."))
    return tag


def _coupon(sender: _Sender, template_id: int | None) -> CouponTemplate | None:
    if template_id is None:
        return None
    coupon = CouponTemplate.objects.filter(pk=template_id).first()
    if coupon is None or sender.store is None or coupon.store_id != sender.store.pk:
        raise NotFound(_("쿠폰을 찾을 수 없습니다."))
    return coupon


def _check(sender: _Sender, body: ComposeIn) -> CheckOut:
    result = campaigns.campaign_check(
        sender_store=sender.store, sender_market=sender.market, kind=body.kind,
        audience=body.audience, tag=_tag(sender, body.tag_id), channels=body.channels,
        at=body.scheduled_at, body=body.body, template=body.template,
    )
    fields = dataclasses.asdict(result)
    problems = [str(problem) for problem in result.problems]
    preview, problem = _preview(sender, body)
    if problem and problem not in problems:
        problems.append(problem)
    fields["problems"] = problems
    sms_preview, _problem = _preview(sender, body, channel=Channel.SMS)
    return CheckOut(**fields, preview=preview, sms_preview=sms_preview)


def _detail(campaign: Campaign) -> CampaignDetailOut:
    stats = selectors.campaign_stats(campaign=campaign)
    return CampaignDetailOut(
        **CampaignOut.from_orm(campaign).model_dump(),
        stats=StatsOut(**dataclasses.asdict(stats), net_cost=stats.net_cost),
    )


def _send(request: HttpRequest, sender: _Sender, body: ComposeIn, key: str | None) -> Any:
    """Submit the campaign (`campaign_submit`: sent now if due, else scheduled) in the
    transaction that stores the answer under (caller, key); a refusal (credit short,
    invalid) stores nothing and writes nothing."""
    caller = _caller(request)
    key = idempotency_key_check(key)
    service_key = idempotency_service_key(scope=sender.scope, key=key)

    def send() -> tuple[int, Any]:
        campaign = campaigns.campaign_submit(
            store=sender.store, market=sender.market, kind=body.kind, template=body.template,
            body=body.body, audience=body.audience, tag=_tag(sender, body.tag_id),
            channels=body.channels,
            coupon_template=_coupon(sender, body.coupon_template_id),
            link_url=body.link_url, link_label=body.link_label,
            scheduled_at=body.scheduled_at, created_by=caller, idempotency_key=service_key,
        )
        campaign.refresh_from_db()
        return 201, _detail(campaign).model_dump(mode="json")

    answer = idempotent_call(
        user_id=caller.pk, key=key, method="POST", path=request.path,
        payload=body.model_dump(mode="json"), action=send,
    )
    return JsonResponse(answer.body, status=answer.status)


def _campaign_of(sender: _Sender, campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id, **sender.filters()).first()
    if campaign is None:
        raise NotFound(_("메시지를 찾을 수 없습니다."))
    return campaign


def _key_header() -> Any:
    return Header(
        None, alias="Idempotency-Key",
        description=(
            f"필수. 요청마다 새로 만든 1–{KEY_MAX_LENGTH}자 ASCII 문자열, 다시 보낼 때는 같은 값 "
            "/ required idempotency key"
        ),
    )


# --- stores ---------------------------------------------------------------------------------


@router.post("/stores/{int:store_id}/campaigns/check", response={200: CheckOut, **ERRORS},
             summary="메시지 미리 보기와 비용 / check a campaign before sending")
def check_store_campaign(request: HttpRequest, store_id: int, body: ComposeIn) -> CheckOut:
    """받을 사람 수, 야간 보류 수, 비용과 잔액, 받는 사람이 보는 형태를 돌려줍니다 (보내지 않음)."""
    return _check(_store_sender(request, store_id, policy.STORE_MESSAGES_SEND), body)


@router.post("/stores/{int:store_id}/campaigns", response={201: CampaignDetailOut, **ERRORS},
             summary="메시지 보내기 / send or schedule a campaign")
def send_store_campaign(
    request: HttpRequest, store_id: int, body: ComposeIn,
    idempotency_key: str | None = _key_header(),
) -> Any:
    """지금 보내거나 `scheduled_at`에 예약합니다. 같은 키로 다시 보내면 처음 응답을 돌려줍니다."""
    sender = _store_sender(request, store_id, policy.STORE_MESSAGES_SEND)
    return _send(request, sender, body, idempotency_key)


@router.get("/stores/{int:store_id}/campaigns", response={200: list[CampaignOut], **ERRORS},
            summary="보낸 메시지 / campaigns of a store")
@paginate(Pagination)
def list_store_campaigns(request: HttpRequest, store_id: int) -> Any:
    """가게가 보낸 메시지와 요약 통계, 최근 것부터."""
    return selectors.campaigns_of(
        store=caller_store(request, store_id, policy.STORE_MESSAGES_VIEW)
    )


@router.get("/stores/{int:store_id}/campaigns/{int:campaign_id}",
            response={200: CampaignDetailOut, **ERRORS}, summary="메시지 통계 / campaign stats")
def get_store_campaign(request: HttpRequest, store_id: int, campaign_id: int) -> Any:
    """메시지 한 건과 통계 (대상, 사유별 미발송, 야간 보류, 도착, 읽음, 클릭, 수신 거부, 비용)."""
    sender = _store_sender(request, store_id, policy.STORE_MESSAGES_VIEW)
    return _detail(_campaign_of(sender, campaign_id))


@router.get("/stores/{int:store_id}/message-credit", response={200: CreditOut, **ERRORS},
            summary="메시지 충전금 / message credit balance")
def get_store_credit(request: HttpRequest, store_id: int) -> CreditOut:
    """가게의 메시지 충전금 잔액 (원)."""
    store = caller_store(request, store_id, policy.STORE_CREDIT)
    return CreditOut(balance=selectors.message_credit_balance(store=store))


# --- market channels ------------------------------------------------------------------------


@router.post("/markets/{int:market_id}/campaigns/check", response={200: CheckOut, **ERRORS},
             summary="시장 채널 메시지 미리 보기 / check a market campaign")
def check_market_campaign(request: HttpRequest, market_id: int, body: ComposeIn) -> CheckOut:
    """시장 채널 구독자에게 보낼 메시지를 확인합니다 (보내지 않음)."""
    return _check(_market_sender(request, market_id, policy.MARKET_MESSAGES_SEND), body)


@router.post("/markets/{int:market_id}/campaigns",
             response={201: CampaignDetailOut, **ERRORS},
             summary="시장 채널 메시지 보내기 / send a market campaign")
def send_market_campaign(
    request: HttpRequest, market_id: int, body: ComposeIn,
    idempotency_key: str | None = _key_header(),
) -> Any:
    """시장 채널 구독자에게 지금 보내거나 예약합니다."""
    sender = _market_sender(request, market_id, policy.MARKET_MESSAGES_SEND)
    return _send(request, sender, body, idempotency_key)


@router.get("/markets/{int:market_id}/campaigns", response={200: list[CampaignOut], **ERRORS},
            summary="시장 채널 메시지 / campaigns of a market channel")
@paginate(Pagination)
def list_market_campaigns(request: HttpRequest, market_id: int) -> Any:
    """시장 채널이 보낸 메시지와 요약 통계, 최근 것부터."""
    return selectors.campaigns_of(
        market=caller_market(request, market_id, policy.MARKET_MESSAGES_VIEW)
    )


@router.get("/markets/{int:market_id}/campaigns/{int:campaign_id}",
            response={200: CampaignDetailOut, **ERRORS},
            summary="시장 채널 메시지 통계 / market campaign stats")
def get_market_campaign(request: HttpRequest, market_id: int, campaign_id: int) -> Any:
    """시장 채널 메시지 한 건과 통계."""
    sender = _market_sender(request, market_id, policy.MARKET_MESSAGES_VIEW)
    return _detail(_campaign_of(sender, campaign_id))


@router.get("/markets/{int:market_id}/message-credit", response={200: CreditOut, **ERRORS},
            summary="시장 채널 메시지 충전금 / market message credit")
def get_market_credit(request: HttpRequest, market_id: int) -> CreditOut:
    """시장 채널의 메시지 충전금 잔액 (원)."""
    market = caller_market(request, market_id, policy.MARKET_CREDIT)
    return CreditOut(balance=selectors.message_credit_balance(market=market))


# --- customers ------------------------------------------------------------------------------


def _inbox_item(delivery: Delivery) -> InboxItemOut:
    campaign = delivery.campaign
    sender = _Sender(store=campaign.store, market=campaign.market)
    is_ad = campaign.kind == Campaign.Kind.AD
    text = campaign.body
    if is_ad:
        try:
            text = rendering.campaign_text(campaign=campaign, token=delivery.opt_out_token)
        except DangolError:  # a sender who has since lost its contact: the body as written
            text = campaign.body
    has_sender = campaign.store_id is not None or campaign.market_id is not None
    return InboxItemOut(
        id=delivery.pk, campaign_id=campaign.pk, kind=campaign.kind, template=campaign.template,
        sender_name=sender.name if has_sender else settings.DANGOL_SITE_NAME,
        body=campaign.body, text=text, image_url=campaign.image.url if campaign.image else "",
        coupon_template_id=campaign.coupon_template_id, link_url=campaign.link_url,
        link_label=campaign.link_label,
        opt_out_url=rendering.opt_out_url(delivery.opt_out_token) if is_ad else "",
        created_at=delivery.created_at, read_at=delivery.read_at,
    )


def _own_in_app(user: User) -> Q:
    """The in-app deliveries addressed to `user` (or to their number, for a notice sent
    before they signed up)."""
    mine = Q(customer=user)
    if user.phone:
        mine |= Q(customer__isnull=True, address=user.phone)
    return mine & Q(channel=Channel.IN_APP, status=Delivery.Status.VISIBLE)


@router.get("/me/inbox", response={200: InboxOut, 401: ErrorOut, 422: Any},
            summary="내 메시지함 / my inbox")
def my_inbox(request: HttpRequest, page: Query[Pagination.Input]) -> InboxOut:
    """앱으로 받은 메시지 (광고와 정보성 안내), 최근 것부터, 읽지 않은 수와 함께."""
    caller = _caller(request)
    inbox = selectors.inbox_for(user=caller)
    rows = list(inbox[page.offset:page.offset + page.limit])
    return InboxOut(
        count=inbox.count(), unread=selectors.unread_count(user=caller),
        items=[_inbox_item(delivery) for delivery in rows],
    )


@router.post("/me/inbox/{int:delivery_id}/read", response={200: InboxItemOut, **ERRORS},
             summary="읽음 표시 / mark a message read")
def read_message(request: HttpRequest, delivery_id: int) -> InboxItemOut:
    """메시지를 읽음으로 표시합니다 (처음 읽은 때를 남김; 정보성 안내는 알림도 읽음)."""
    caller = _caller(request)
    delivery = (
        Delivery.objects.filter(_own_in_app(caller), pk=delivery_id)
        .select_related("campaign__store", "campaign__market").first()
    )
    if delivery is None:
        raise DeliveryNotFound()
    return _inbox_item(deliveries.delivery_read(delivery=delivery))
