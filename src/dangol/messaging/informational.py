"""Informational messages (정보성 안내) through the delivery path of campaigns.

The voucher gift notice, the expiry notice, the settlement-paid notice and the consent
reconfirmation are written by lower apps with `dangol.notices.services.notice_send`, which
cannot import messaging. `notice_route` is registered in `dangol.notices.channels` (by
MessagingConfig.ready) and turns every new Notice, in notice_send's transaction, into:

- one system Campaign: kind info, template = the notice kind, no sender, audience direct,
  status sent, cost 0 (informational messages are not charged), idempotency key
  ``notice:<notice id>`` — so a notice is routed once, whatever retries happen above;
- one in-app Delivery, status visible at once (informational messages are not ads: no
  consent needed, sent at night too): the inbox copy of the notice. The Notice stays the
  record that /me/notices/ lists; the inbox lists the delivery. Reading either marks both
  read (`notice_read_sync` here, `deliveries.delivery_read`);
- one SMS (or LMS, over 90 bytes: rules.sms_kind) Delivery to the phone, status queued with
  release_at = now, for the dispatcher to send.

A notice addressed to a phone number nobody has signed up with yet gets its in-app copy with
customer NULL and address = the number (the way notices_for finds phone-addressed notices).
"""

import secrets

from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat

from dangol.accounts.models import User
from dangol.core import clock
from dangol.messaging import rules
from dangol.messaging.models import BODY_MAX_LENGTH, Campaign, Channel, Delivery
from dangol.notices.models import Notice

NOTICE_KEY_PREFIX = "notice:"
TEMPLATES = {choice.value for choice in Campaign.Template} - {"", "closing_sale"}


def notice_campaign_key(notice_id: int) -> str:
    """Return the idempotency key of the campaign that carries notice `notice_id`."""
    return f"{NOTICE_KEY_PREFIX}{notice_id}"


def notice_text(*, title: str, body: str) -> str:
    """Return the text of an informational message: its title, then its body."""
    return f"{title}\n{body}".strip()[:BODY_MAX_LENGTH]


def _token() -> str:
    return secrets.token_hex(16)


@transaction.atomic
def notice_route(notice: Notice) -> Campaign | None:
    """Route the new `notice` through the delivery path; return its campaign.

    Idempotent per notice: a second call returns the first campaign and inserts nothing.
    A notice of a kind that is not an informational template (Notice.Kind.OTHER) stays a
    notice only, and None is returned.
    """
    if notice.kind not in TEMPLATES:
        return None
    key = notice_campaign_key(notice.pk)
    existing = Campaign.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    customer: User | None = notice.user
    phone = notice.phone or (customer.phone or "" if customer is not None else "")
    if customer is None and phone:
        customer = User.objects.filter(phone=phone).first()
    text = notice_text(title=notice.title, body=notice.body)
    now = clock.now()
    channels = [Channel.IN_APP.value]
    rows = [
        Delivery(
            customer=customer, channel=Channel.IN_APP, address="" if customer else phone,
            status=Delivery.Status.VISIBLE, price=0, release_at=now, sent_at=now,
            opt_out_token=_token(), created_at=now,
        )
    ]
    if phone:
        sms = rules.sms_kind(text)
        channels.append(sms)
        rows.append(
            Delivery(
                customer=customer, channel=sms, address=phone, status=Delivery.Status.QUEUED,
                price=0, release_at=now, opt_out_token=_token(), created_at=now,
            )
        )
    campaign = Campaign.objects.create(
        kind=Campaign.Kind.INFO, template=notice.kind, body=text,
        audience=Campaign.Audience.DIRECT, channels=channels, scheduled_at=now,
        status=Campaign.Status.SENT, sent_at=now, idempotency_key=key, targeted=1, cost=0,
        created_at=now,
    )
    for row in rows:
        row.campaign = campaign
    Delivery.objects.bulk_create(rows)
    return campaign


def notice_read_sync(user: User, unread: QuerySet[Notice]) -> None:
    """Mark the in-app copies of the notices in `unread` read (the notices page was
    opened), in one UPDATE."""
    keys = unread.annotate(
        campaign_key=Concat(Value(NOTICE_KEY_PREFIX), Cast("pk", CharField()))
    ).values("campaign_key")
    Delivery.objects.filter(
        campaign__idempotency_key__in=keys, channel=Channel.IN_APP, read_at__isnull=True,
    ).update(read_at=clock.now())


def delivery_notice_id(delivery: Delivery) -> int | None:
    """Return the id of the notice `delivery` carries, or None for a campaign's delivery."""
    key = delivery.campaign.idempotency_key
    if delivery.campaign.kind != Campaign.Kind.INFO or not key.startswith(NOTICE_KEY_PREFIX):
        return None
    suffix = key.removeprefix(NOTICE_KEY_PREFIX)
    return int(suffix) if suffix.isdigit() else None
