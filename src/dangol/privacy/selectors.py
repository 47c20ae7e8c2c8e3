"""Reads of privacy: everything dangol holds about one person, section by section, for
their download (개인정보보호법 §35, 열람; §35의2, 전송).

Each section is a list of flat rows (a dict per row, values str, int, bool, datetime or
None), so that the same document is the API's JSON and one CSV per section. Only the
person's own rows are read, through the selectors of the apps that own them; other
people's numbers (a gift's recipient) are masked.
"""

import datetime as dt
from typing import Any

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.phone import phone_display, phone_mask
from dangol.coupons import selectors as coupons
from dangol.messaging import selectors as messaging
from dangol.notices import selectors as notices
from dangol.places.models import Market, Store
from dangol.regulars import selectors as regulars
from dangol.vouchers import selectors as vouchers
from dangol.vouchers.models import Voucher

Row = dict[str, Any]


def _sender(store: Store | None, market: Market | None) -> tuple[str, int | None, str]:
    if store is not None:
        return "store", store.pk, store.name
    if market is not None:
        return "market", market.pk, market.name
    return "", None, ""


def _number(e164: str, *, own: str | None) -> str:
    """Show `e164` in full if it is the person's own number, masked otherwise."""
    if not e164:
        return ""
    return phone_display(e164) if e164 == own else phone_mask(e164)


def account_section(*, user: User) -> Row:
    return {
        "id": user.pk, "name": user.name, "phone": phone_display(user.phone or ""),
        "phone_verified_at": user.phone_verified_at, "email": user.email or "",
        "created_at": user.created_at, "last_login": user.last_login,
    }


def follows_section(*, user: User) -> list[Row]:
    rows = []
    for follow in reversed(list(regulars.follows_of(customer=user))):
        kind, pk, name = _sender(follow.store, follow.market)
        rows.append({
            "sender_kind": kind, "sender_id": pk, "sender": name,
            "source": follow.get_source_display(), "created_at": follow.created_at,
        })
    return rows


def consent_sections(*, user: User) -> tuple[list[Row], list[Row]]:
    """Return the consents (their state now) and every event of their history."""
    consents, events = [], []
    for consent in regulars.consents_with_history(customer=user):
        kind, pk, name = _sender(consent.store, consent.market)
        consents.append({
            "consent_id": consent.pk, "sender_kind": kind, "sender_id": pk, "sender": name,
            "ad": consent.ad_active, "ad_granted_at": consent.ad_granted_at,
            "ad_withdrawn_at": consent.ad_withdrawn_at, "night": consent.night_active,
            "night_granted_at": consent.night_granted_at,
            "night_withdrawn_at": consent.night_withdrawn_at,
            "method": consent.get_method_display(), "text_version": consent.text_version,
            "text": consent.text, "confirmed_at": consent.confirmed_at,
        })
        for event in consent.events.all():
            events.append({
                "consent_id": consent.pk, "sender": name, "kind": event.kind,
                "kind_label": event.get_kind_display(), "at": event.at,
                "method": event.get_method_display(), "text_version": event.text_version,
                "text": event.text,
            })
    return consents, events


def _relation(voucher: Voucher, user: User) -> str:
    held = vouchers.voucher_is_held_by(voucher=voucher, user=user)
    if voucher.buyer_id == user.pk:
        return "bought_held" if held else "bought_given"
    return "received"


def voucher_sections(*, user: User) -> tuple[list[Row], list[Row]]:
    """Return the vouchers they bought or hold, and each one's events (purchase, gifts,
    redemptions, refund). The code of a voucher they gave away is the recipient's now and
    is left out."""
    rows, events = [], []
    own = user.phone
    for voucher in vouchers.vouchers_of_person(user=user):
        relation = _relation(voucher, user)
        product = voucher.product
        rows.append({
            "voucher_id": voucher.pk, "product": product.name,
            "issuer": str(product.store or product.market or ""), "relation": relation,
            "code": "" if relation == "bought_given" else voucher.code,
            "face_value": voucher.face_value, "balance": voucher.balance,
            "status": voucher.get_status_display(), "purchased_at": voucher.purchased_at,
            "valid_until": voucher.valid_until,
        })
        if voucher.buyer_id == user.pk:
            events.append({"voucher_id": voucher.pk, "kind": "purchase",
                           "at": voucher.purchased_at, "amount": voucher.face_value,
                           "store": "", "phone": "", "message": ""})
        for gift in voucher.gifts.all():
            events.append({"voucher_id": voucher.pk, "kind": "gift", "at": gift.created_at,
                           "amount": None, "store": "",
                           "phone": _number(gift.to_phone, own=own), "message": gift.message})
        for redemption in voucher.redemptions.all():
            events.append({"voucher_id": voucher.pk, "kind": "redemption",
                           "at": redemption.created_at, "amount": redemption.amount,
                           "store": redemption.store.name, "phone": "", "message": ""})
        refund = getattr(voucher, "refund", None)
        if refund is not None:
            events.append({"voucher_id": voucher.pk, "kind": "refund", "at": refund.created_at,
                           "amount": refund.amount, "store": "", "phone": "",
                           "message": refund.reason})
    events.sort(key=lambda event: (event["at"], event["voucher_id"]))
    return rows, events


def coupon_sections(*, user: User) -> tuple[list[Row], list[Row], list[Row]]:
    """Return their coupons, stamp cards and stamps."""
    coupon_rows = [
        {
            "coupon_id": coupon.pk, "store": coupon.store.name, "coupon": coupon.template.name,
            "status": coupon.get_status_display(), "source": coupon.get_source_display(),
            "code": coupon.code, "issued_at": coupon.issued_at, "redeemed_at": coupon.redeemed_at,
            "purchase_amount": coupon.purchase_amount, "discount_amount": coupon.discount_amount,
        }
        for coupon in reversed(list(coupons.coupons_of(customer=user)))
    ]
    cards = [
        {
            "card_id": card.pk, "store": card.program.store.name, "program": card.program.name,
            "stamps": card.stamps, "stamps_required": card.program.stamps_required,
            "completed_count": card.completed_count, "created_at": card.created_at,
        }
        for card in coupons.stamp_cards_of(customer=user)
    ]
    stamps = [
        {"card_id": stamp.card_id, "store": stamp.store.name, "count": stamp.count,
         "given_at": stamp.given_at}
        for stamp in coupons.stamps_of(customer=user)
    ]
    return coupon_rows, cards, stamps


def message_sections(*, user: User) -> tuple[list[Row], list[Row]]:
    """Return the messages delivered to them (every channel) and their notices."""
    messages = []
    for delivery in messaging.deliveries_to(user=user):
        campaign = delivery.campaign
        _kind, _pk, sender = _sender(campaign.store, campaign.market)
        messages.append({
            "delivery_id": delivery.pk, "sender": sender, "kind": campaign.get_kind_display(),
            "channel": delivery.get_channel_display(), "body": campaign.body,
            "delivered_at": delivery.sent_at or delivery.release_at, "read_at": delivery.read_at,
            "clicked_at": delivery.clicked_at, "opted_out_at": delivery.opted_out_at,
        })
    notice_rows = [
        {"notice_id": notice.pk, "kind": notice.get_kind_display(), "title": notice.title,
         "body": notice.body, "created_at": notice.created_at, "read_at": notice.read_at}
        for notice in reversed(list(notices.notices_for(user=user)))
    ]
    return messages, notice_rows


def api_token_section(*, user: User) -> list[Row]:
    return [
        {"name": token.name, "prefix": token.prefix, "scope": token.scope,
         "created_at": token.created_at, "last_used_at": token.last_used_at,
         "revoked_at": token.revoked_at}
        for token in user.api_tokens.order_by("created_at", "id")
    ]


def my_data(*, user: User, at: dt.datetime | None = None) -> dict[str, Any]:
    """Return everything dangol holds about `user`: "generated_at", "account" (one row)
    and "sections" (section name → rows, in the order of `archive.SECTIONS`)."""
    consents, consent_events = consent_sections(user=user)
    voucher_rows, voucher_events = voucher_sections(user=user)
    coupon_rows, cards, stamps = coupon_sections(user=user)
    messages, notice_rows = message_sections(user=user)
    return {
        "generated_at": at or clock.now(),
        "account": account_section(user=user),
        "sections": {
            "follows": follows_section(user=user),
            "consents": consents,
            "consent_events": consent_events,
            "vouchers": voucher_rows,
            "voucher_events": voucher_events,
            "coupons": coupon_rows,
            "stamp_cards": cards,
            "stamps": stamps,
            "messages": messages,
            "notices": notice_rows,
            "api_tokens": api_token_section(user=user),
        },
    }
