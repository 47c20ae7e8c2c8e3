"""Regulars endpoints: a customer follows and unfollows stores and grants or withdraws ad
consent; a store's owner, staff or store-scoped token (a POS) lists its regulars (numbers
masked) and their counts. Lists answer `{count, items}` with `limit` and `offset`."""

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from dangol.access import policy
from dangol.access.api import caller_store
from dangol.accounts.api import required_auth
from dangol.accounts.models import User
from dangol.core.api import ErrorOut, Pagination
from dangol.core.errors import NotFound
from dangol.core.phone import phone_mask
from dangol.places.models import Market, Store
from dangol.regulars import selectors, services
from dangol.regulars.models import Consent, Follow

router = Router(tags=["regulars"], auth=required_auth)

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class FollowIn(Schema):
    ad: bool = Field(False, description="[선택] 광고성 정보 수신 동의 / opt in to ads")
    night: bool = Field(False, description="[선택] 야간(21–08시) 수신 동의 / night-time ads")


class ConsentIn(Schema):
    night: bool = Field(False, description="야간 수신 동의도 / also the night-time opt-in")


class WithdrawIn(Schema):
    night_only: bool = Field(False, description="야간 수신만 철회 / withdraw only night-time")


class SenderRef(Schema):
    kind: str = Field(description="store | market")
    id: int
    name: str


class ConsentOut(Schema):
    ad: bool
    ad_granted_at: dt.datetime | None
    ad_withdrawn_at: dt.datetime | None
    night: bool
    night_granted_at: dt.datetime | None
    method: str
    text_version: str


class FollowOut(Schema):
    id: int
    sender: SenderRef
    source: str
    created_at: dt.datetime

    @staticmethod
    def resolve_sender(obj: Follow) -> dict[str, Any]:
        if obj.store is not None:
            return {"kind": "store", "id": obj.store.pk, "name": obj.store.name}
        assert obj.market is not None  # noqa: S101 (one target, by constraint)
        return {"kind": "market", "id": obj.market.pk, "name": obj.market.name}


class RegularOut(Schema):
    id: int
    name: str
    phone_masked: str = Field(description="010-****-1234")
    since: dt.datetime
    ad_consent: bool
    night_consent: bool
    tags: list[str]

    @staticmethod
    def resolve_name(obj: Follow) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_phone_masked(obj: Follow) -> str:
        return phone_mask(obj.customer.phone or "")

    @staticmethod
    def resolve_since(obj: Follow) -> dt.datetime:
        return obj.created_at

    @staticmethod
    def resolve_ad_consent(obj: Follow) -> bool:
        return bool(getattr(obj, "has_ad_consent", False))

    @staticmethod
    def resolve_night_consent(obj: Follow) -> bool:
        return bool(getattr(obj, "has_night_consent", False))

    @staticmethod
    def resolve_tags(obj: Follow) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class CountsOut(Schema):
    total: int
    with_ad_consent: int
    with_night_consent: int
    new_today: int


def _consent_out(consent: Consent | None) -> dict[str, Any]:
    if consent is None:
        return {
            "ad": False, "ad_granted_at": None, "ad_withdrawn_at": None, "night": False,
            "night_granted_at": None, "method": "", "text_version": "",
        }
    return {
        "ad": consent.ad_active, "ad_granted_at": consent.ad_granted_at,
        "ad_withdrawn_at": consent.ad_withdrawn_at, "night": consent.night_active,
        "night_granted_at": consent.night_granted_at if consent.night_active else None,
        "method": consent.method, "text_version": consent.text_version,
    }


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)  # noqa: S101 (required_auth)
    return user


def _store(store_id: int) -> Store:
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        raise NotFound(_("가게를 찾을 수 없습니다."))
    return store


def _market(market_id: int) -> Market:
    market = Market.objects.filter(pk=market_id).first()
    if market is None:
        raise NotFound(_("시장을 찾을 수 없습니다."))
    return market


# --- the customer's follows and consents -----------------------------------------------------


@router.get("/me/follows", response={200: list[FollowOut], 401: ErrorOut},
            summary="내 단골 목록 / my follows")
@paginate(Pagination)
def list_my_follows(request: HttpRequest) -> Any:
    """Return the stores and market channels the caller follows, newest first."""
    return selectors.follows_of(customer=_caller(request))


@router.put("/stores/{int:store_id}/follow", response={200: FollowOut, **ERRORS},
            summary="단골 맺기 / follow a store")
def follow_store(request: HttpRequest, store_id: int, body: FollowIn) -> Follow:
    """Follow a store (idempotent), optionally granting its ad and night consents."""
    return services.follow_join(
        customer=_caller(request), store=_store(store_id), source=Follow.Source.PAGE,
        ad=body.ad, night=body.night, method=Consent.Method.API,
    )


@router.delete("/stores/{int:store_id}/follow", response={204: None, **ERRORS},
               summary="단골 그만두기 / unfollow a store")
def unfollow_store(request: HttpRequest, store_id: int) -> HttpResponse:
    """Stop following a store; its ad consent is withdrawn at the same instant."""
    services.follow_delete(customer=_caller(request), store=_store(store_id))
    return HttpResponse(status=204)


@router.put("/markets/{int:market_id}/follow", response={200: FollowOut, **ERRORS},
            summary="시장 채널 단골 맺기 / follow a market channel")
def follow_market(request: HttpRequest, market_id: int, body: FollowIn) -> Follow:
    """Follow a market's channel (idempotent), optionally granting its consents."""
    return services.follow_join(
        customer=_caller(request), market=_market(market_id), source=Follow.Source.PAGE,
        ad=body.ad, night=body.night, method=Consent.Method.API,
    )


@router.delete("/markets/{int:market_id}/follow", response={204: None, **ERRORS},
               summary="시장 채널 단골 그만두기 / unfollow a market channel")
def unfollow_market(request: HttpRequest, market_id: int) -> HttpResponse:
    """Stop following a market's channel; its ad consent is withdrawn too."""
    services.follow_delete(customer=_caller(request), market=_market(market_id))
    return HttpResponse(status=204)


@router.get("/stores/{int:store_id}/consent", response={200: ConsentOut, **ERRORS},
            summary="내 수신 동의 / my consent to a store")
def get_store_consent(request: HttpRequest, store_id: int) -> dict[str, Any]:
    """Return the caller's ad consent to a store."""
    return _consent_out(
        selectors.consent_of(customer=_caller(request), store=_store(store_id))
    )


@router.post("/stores/{int:store_id}/consent", response={200: ConsentOut, **ERRORS},
             summary="광고 수신 동의 / grant ad consent")
def grant_store_consent(request: HttpRequest, store_id: int, body: ConsentIn) -> dict[str, Any]:
    """Grant ad consent to a store (and the night opt-in if asked); evidence method "api"."""
    customer, store = _caller(request), _store(store_id)
    consent = services.consent_grant(customer=customer, store=store, method=Consent.Method.API)
    if body.night:
        consent = services.consent_night_grant(
            customer=customer, store=store, method=Consent.Method.API
        )
    return _consent_out(consent)


@router.post("/stores/{int:store_id}/consent/withdraw", response={200: ConsentOut, **ERRORS},
             summary="광고 수신 철회 / withdraw ad consent")
def withdraw_store_consent(
    request: HttpRequest, store_id: int, body: WithdrawIn
) -> dict[str, Any]:
    """Withdraw the ad consent (or only the night opt-in) at once."""
    customer, store = _caller(request), _store(store_id)
    withdraw = services.consent_night_withdraw if body.night_only else services.consent_withdraw
    return _consent_out(withdraw(customer=customer, store=store, method=Consent.Method.API))


# --- a store's regulars, for its owner, staff and POS ------------------------------------------


@router.get("/stores/{int:store_id}/regulars", response={200: list[RegularOut], **ERRORS},
            summary="가게 단골 목록 / a store's regulars")
@paginate(Pagination)
def list_regulars(request: HttpRequest, store_id: int, tag: int | None = None) -> Any:
    """Return the store's regulars, newest first, with masked numbers and consent flags."""
    return selectors.regulars_of(
        store=caller_store(request, store_id, policy.REGULARS_LIST), tag_id=tag
    )


@router.get("/stores/{int:store_id}/regulars/counts", response={200: CountsOut, **ERRORS},
            summary="가게 단골 수 / counts of a store's regulars")
def regulars_counts(request: HttpRequest, store_id: int) -> selectors.RegularsCounts:
    """Return the store's regulars: total, with ad consent, with night consent, new today."""
    return selectors.regulars_counts(
        store=caller_store(request, store_id, policy.REGULARS_LIST)
    )
