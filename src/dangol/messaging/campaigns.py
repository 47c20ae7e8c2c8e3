"""Writes on campaigns: check, validate and create a campaign, decide when it is due, submit
it, fan it out (`campaign_send`), cancel it, and send the scheduled ones whose time has come.

Fan-out (`campaign_send`). One database transaction: lock the campaign row and the sender's
credit account, count the audience with one aggregate query, refuse with MessageCreditShort
if the cost exceeds the balance (nothing inserted), then one `INSERT … SELECT` per channel
creates every Delivery row (never a Python loop per recipient), and one ledger transaction
moves the cost from the sender's credit to the platform's message_usage account. Counting
and inserting use the same FROM/WHERE text (`audience.audience_sql`), so the composer's preview
(`campaign_check`) counts exactly what the send inserts.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.errors import DangolError, IdempotencyKeyReused
from dangol.core.money import format_won
from dangol.core.sms import sms_unsendable
from dangol.coupons.models import CouponTemplate
from dangol.ledger import catalogue
from dangol.ledger.models import Account
from dangol.ledger.services import accounts_lock, ledger_transfer
from dangol.messaging import rules
from dangol.messaging.audience import (
    Audience,
    audience_counts,
    audience_sql,
    deliveries_insert,
)
from dangol.messaging.credit import (
    CHARGE_KIND,
    message_credit_account,
    message_prices,
)
from dangol.messaging.errors import (
    CampaignInvalid,
    CampaignScheduleInvalid,
    MessageCreditShort,
)
from dangol.messaging.models import BODY_MAX_LENGTH, Campaign, Channel
from dangol.messaging.rendering import campaign_text, sms_channel
from dangol.messaging.selectors import message_credit_balance
from dangol.places.models import Market, Store
from dangol.regulars.models import Tag

logger = logging.getLogger(__name__)

AD_TEMPLATES = {Campaign.Template.FREE, Campaign.Template.CLOSING_SALE}
SELECTABLE_CHANNELS = (Channel.IN_APP, Channel.SMS, Channel.EMAIL)
# A time to send at may lie this far in the past (a form filled in a minute ago: sent now)
# and at most this far ahead (a year's date typo, or 9999-12-31, is not a plan).
SCHEDULE_TOLERANCE = dt.timedelta(minutes=1)
SCHEDULE_MAX_AHEAD = dt.timedelta(days=90)

# --- check and create -------------------------------------------------------------------------


@dataclass
class CampaignCheck:
    """What the composer shows before sending (counts of people unless said otherwise)."""

    targeted: int = 0  # the audience: followers in it
    eligible: int = 0  # with a standing consent (ads) — will get the message
    eligible_now: int = 0  # of those, receive it now
    held: int = 0  # of those, held for quiet hours until `release_at`
    suppressed_no_consent: int = 0  # never consented (or only after the send instant)
    suppressed_withdrawn: int = 0  # consented, then withdrew before the send instant
    deliveries: dict[str, int] = field(default_factory=dict)  # rows per stored channel
    skipped_no_address: dict[str, int] = field(default_factory=dict)  # per selected channel
    cost: int = 0
    balance: int = 0
    release_at: dt.datetime | None = None
    sms_channel: str = Channel.SMS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _clean_channels(channels: list[str] | tuple[str, ...]) -> list[str]:
    cleaned: list[str] = []
    for channel in channels:
        name = Channel.SMS if channel == Channel.LMS else str(channel)
        if name not in SELECTABLE_CHANNELS:
            reason = _("알 수 없는 채널입니다: %(channel)s") % {"channel": channel}
            raise CampaignInvalid(reason=reason)
        if name not in cleaned:
            cleaned.append(name)
    if not cleaned:
        raise CampaignInvalid(reason=_("보낼 채널을 하나 이상 고르세요"))
    return [channel for channel in SELECTABLE_CHANNELS if channel in cleaned]


def campaign_schedule_check(
    *, scheduled_at: dt.datetime | None, at: dt.datetime | None = None
) -> dt.datetime:
    """Return the instant to send at: `scheduled_at`, or `at` (default now) when none is
    given. Raise CampaignScheduleInvalid (422) for a time more than SCHEDULE_TOLERANCE
    before `at` or more than SCHEDULE_MAX_AHEAD after it — including instants no database
    can store (0001-01-01T00:00:00+14:00 is before year 1 in UTC). The one check of a
    campaign's time: the composer, the API's check and send, and `campaign_create` call it.
    """
    now = at or clock.now()
    if scheduled_at is None:
        return now
    if scheduled_at.tzinfo is None or scheduled_at.utcoffset() is None:
        raise CampaignScheduleInvalid(reason=_("보낼 시각에 시간대가 없습니다"))
    # Compared as offsets from `now`, never converted: converting year 1 (or 9999) to UTC
    # overflows.
    if scheduled_at < now - SCHEDULE_TOLERANCE:
        raise CampaignScheduleInvalid(reason=_("보낼 시각이 이미 지났습니다"))
    if scheduled_at > now + SCHEDULE_MAX_AHEAD:
        raise CampaignScheduleInvalid(reason=_("보낼 시각은 %(days)s일 안으로 정하세요") % {
            "days": SCHEDULE_MAX_AHEAD.days,
        })
    return scheduled_at


def _check_counts(
    *, campaign: Campaign, at: dt.datetime, prices: dict[str, int]
) -> tuple[CampaignCheck, Audience]:
    aud = audience_sql(
        kind=campaign.kind, store_id=campaign.store_id, market_id=campaign.market_id,
        audience=campaign.audience, tag_id=campaign.tag_id, at=at,
    )
    counts = audience_counts(aud)
    charged = campaign.store_id is not None or campaign.market_id is not None
    check = CampaignCheck(
        targeted=counts.targeted, eligible=counts.eligible, eligible_now=counts.now,
        held=counts.eligible - counts.now,
        suppressed_no_consent=counts.targeted - counts.eligible - counts.withdrawn,
        suppressed_withdrawn=counts.withdrawn,
        release_at=rules.release_at(at),
    )
    for channel in campaign.channels:
        if channel == Channel.IN_APP:
            rows = counts.eligible
        elif channel == Channel.EMAIL:
            rows = counts.with_email
        else:
            rows = counts.with_phone
        stored = sms_channel(campaign) if channel == Channel.SMS else channel
        if channel == Channel.SMS:
            check.sms_channel = stored
        check.deliveries[stored] = rows
        check.skipped_no_address[channel] = counts.eligible - rows
        if charged:
            check.cost += rows * prices.get(stored, 0)
    return check, aud


def campaign_check(
    *, sender_store: Store | None = None, sender_market: Market | None = None, kind: str,
    audience: str, tag: Tag | None = None, channels: list[str], at: dt.datetime | None = None,
    body: str = "", template: str = "",
) -> CampaignCheck:
    """Return the counts, cost and balance of a campaign before it is created or sent, and
    the problems that would refuse it (translated). Runs the send's own SQL: no rows written.
    `at` is the time to send at (default now); raise CampaignScheduleInvalid for a time
    `campaign_schedule_check` refuses.
    """
    at = campaign_schedule_check(scheduled_at=at)
    problems: list[str] = []
    try:
        cleaned = _clean_channels(channels)
    except CampaignInvalid as error:
        return CampaignCheck(problems=[error.message])
    draft = Campaign(
        store=sender_store, market=sender_market, kind=kind, template=template,
        body=body or "-", audience=audience, tag=tag, channels=cleaned,
    )
    try:
        _validate_kind(draft)
        _validate_audience(draft)
    except CampaignInvalid as error:
        return CampaignCheck(problems=[error.message])
    try:
        check, _aud = _check_counts(campaign=draft, at=at, prices=message_prices())
    except DangolError as error:  # a text too long even for LMS, a sender without contact
        return CampaignCheck(problems=[error.message])
    if sender_store is not None or sender_market is not None:
        check.balance = message_credit_balance(store=sender_store, market=sender_market)
        if check.cost > check.balance:
            problems.append(str(MessageCreditShort(
                cost=format_won(check.cost), balance=format_won(check.balance)
            )))
    if check.eligible == 0:
        problems.append(_("받을 수 있는 사람이 없습니다"))
    check.problems = problems
    return check


def _validate_audience(campaign: Campaign) -> None:
    audience = campaign.audience
    if audience not in Campaign.Audience.values:
        raise CampaignInvalid(reason=_("받는 사람을 고르세요"))
    if audience == Campaign.Audience.DIRECT:
        raise CampaignInvalid(reason=_("지정한 받는 사람에게는 정보성 안내만 보낼 수 있습니다"))
    if campaign.store_id is None and campaign.market_id is None:
        raise CampaignInvalid(reason=_("보내는 가게나 시장을 정하세요"))
    if audience == Campaign.Audience.TAG:
        if campaign.store_id is None or campaign.tag is None:
            raise CampaignInvalid(reason=_("태그는 가게의 단골에게만 쓸 수 있습니다"))
        if campaign.tag.store_id != campaign.store_id:
            raise CampaignInvalid(reason=_("이 가게의 태그가 아닙니다"))
    if audience == Campaign.Audience.MARKET and campaign.market_id is None:
        raise CampaignInvalid(reason=_("시장 채널 구독자에게는 시장 채널만 보낼 수 있습니다"))


def _validate_kind(campaign: Campaign) -> None:
    """Refuse anything but an ad from free text or the closing-sale template.

    Informational messages (정보성 안내: no ad consent, sent at night too) are written by the
    system alone, from a notice whose every field the system filled
    (`informational.notice_route`); a store or market that could choose the kind "info"
    could send an ad past the consent and quiet-hour rules with a template's name on it.
    """
    if campaign.kind == Campaign.Kind.INFO:
        raise CampaignInvalid(reason=_(
            "정보성 안내는 시스템이 정해진 서식과 내용으로만 보냅니다. 가게와 시장의 메시지는 "
            "광고로 보내세요"
        ))
    if campaign.kind != Campaign.Kind.AD:
        raise CampaignInvalid(reason=_("메시지 종류를 고르세요"))
    if campaign.template not in AD_TEMPLATES:
        raise CampaignInvalid(reason=_("광고는 직접 작성하거나 마감 세일 서식으로만 보냅니다"))


def _validate(campaign: Campaign) -> None:
    sender_count = (campaign.store_id is not None) + (campaign.market_id is not None)
    if sender_count > 1:
        raise CampaignInvalid(reason=_("보내는 곳은 가게나 시장 하나여야 합니다"))
    _validate_kind(campaign)
    if sender_count == 0:
        raise CampaignInvalid(reason=_("광고에는 보내는 가게나 시장이 있어야 합니다"))
    if not rules.ad_body(campaign.body):  # nothing but a typed label is no message either
        raise CampaignInvalid(reason=_("내용을 입력하세요"))
    if len(campaign.body) > BODY_MAX_LENGTH:
        raise CampaignInvalid(
            reason=_("내용은 %(limit)s자까지 쓸 수 있습니다") % {"limit": f"{BODY_MAX_LENGTH:,}"}
        )
    if bool(campaign.link_url) != bool(campaign.link_label):
        raise CampaignInvalid(reason=_("링크 버튼에는 주소와 글자가 모두 있어야 합니다"))
    if campaign.link_url and not campaign.link_url.startswith(("https://", "http://")):
        raise CampaignInvalid(reason=_("링크 주소는 http:// 또는 https://로 시작해야 합니다"))
    if len(campaign.link_label) > 20:
        raise CampaignInvalid(reason=_("링크 버튼 글자는 20자까지입니다"))
    coupon = campaign.coupon_template
    if coupon is not None and (campaign.store_id is None or coupon.store_id != campaign.store_id):
        raise CampaignInvalid(reason=_("이 가게의 쿠폰만 붙일 수 있습니다"))
    _validate_audience(campaign)
    campaign.channels = _clean_channels(campaign.channels)
    if campaign.kind == Campaign.Kind.AD:
        # The law's sender name, contact and opt-out line must render (AdSenderIncomplete),
        # and an SMS must fit an LMS (SmsTooLong).
        if Channel.SMS in campaign.channels:
            _validate_sms_characters(campaign)
            sms_channel(campaign)
        else:
            campaign_text(campaign=campaign)


def _validate_sms_characters(campaign: Campaign) -> None:
    """Refuse characters no SMS can carry (emoji…), rather than send them as '?'."""
    unsendable = sms_unsendable(campaign_text(campaign=campaign, channel=Channel.SMS))
    if unsendable:
        raise CampaignInvalid(reason=_(
            "문자로 보낼 수 없는 글자가 있습니다: %(chars)s 지우거나 다른 글자로 바꿔 주세요"
        ) % {"chars": " ".join(unsendable)})


def _same_request(existing: Campaign, fields: dict[str, Any]) -> bool:
    return all(getattr(existing, name) == value for name, value in fields.items())


def campaign_create(
    *, store: Store | None = None, market: Market | None = None, kind: str,
    template: str = "", body: str, audience: str, channels: list[str],
    idempotency_key: str, tag: Tag | None = None, image: UploadedFile | None = None,
    coupon_template: CouponTemplate | None = None, link_url: str = "", link_label: str = "",
    scheduled_at: dt.datetime | None = None, created_by: User | None = None,
) -> Campaign:
    """Create a campaign (status scheduled; `scheduled_at` defaults to now) and return it.

    Nothing is sent: call `campaign_send` to send now; `campaigns_send_due` sends scheduled
    ones when their time comes. A repeat with the same `idempotency_key` returns the first
    campaign (IdempotencyKeyReused if it differs in sender, kind, audience or body). Raise
    CampaignInvalid for a body over 1,000 characters or empty, an ad not from free text or
    the closing-sale template, an informational message (the system's alone), a
    coupon of another store, a half-filled link button, a tag of another store, or no
    channel; CampaignScheduleInvalid for a time in the past or too far ahead.
    """
    now = clock.now()
    fields = {
        "store_id": store.pk if store else None, "market_id": market.pk if market else None,
        "kind": kind, "template": template, "body": body, "audience": audience,
    }
    existing = Campaign.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if not _same_request(existing, fields):
            raise IdempotencyKeyReused()
        return existing
    when = campaign_schedule_check(scheduled_at=scheduled_at, at=now)
    campaign = Campaign(
        store=store, market=market, kind=kind, template=template, body=body,
        coupon_template=coupon_template, link_url=link_url.strip(),
        link_label=link_label.strip(), audience=audience, tag=tag, channels=list(channels),
        scheduled_at=when, status=Campaign.Status.SCHEDULED, idempotency_key=idempotency_key,
        created_by=created_by,
    )
    if image is not None:
        campaign.image = image
    _validate(campaign)
    with transaction.atomic():
        campaign.save()
    return campaign


# --- due, submit and send ---------------------------------------------------------------------


def campaign_is_due(*, scheduled_at: dt.datetime | None, at: dt.datetime | None = None) -> bool:
    """Return whether a campaign for `scheduled_at` is due at `at` (default now): no time
    given, or a time at or before `at`. The one test of "due": submitting, sending and the
    minute task (`campaign_due_q`) ask it."""
    return scheduled_at is None or scheduled_at <= (at or clock.now())


def campaign_due_q(*, at: dt.datetime) -> Q:
    """Return the filter of scheduled campaigns due at `at` (`campaign_is_due`)."""
    return Q(status=Campaign.Status.SCHEDULED, scheduled_at__lte=at)


def campaign_submit(
    *, store: Store | None = None, market: Market | None = None, kind: str,
    template: str = "", body: str, audience: str, channels: list[str],
    idempotency_key: str, tag: Tag | None = None, image: UploadedFile | None = None,
    coupon_template: CouponTemplate | None = None, link_url: str = "", link_label: str = "",
    scheduled_at: dt.datetime | None = None, created_by: User | None = None,
) -> Campaign:
    """Create a campaign (`campaign_create`) and send it at once if it is due
    (`campaign_is_due`: no `scheduled_at`, or one not after now), else leave it scheduled
    for `campaigns_send_due`; return it. What the composer, the 마감 세일 button and the API
    call.

    One transaction: a refused send (MessageCreditShort, CampaignInvalid) leaves no campaign
    behind. A repeat with the same `idempotency_key` returns the first campaign and sends
    nothing twice.
    """
    with transaction.atomic():
        campaign = campaign_create(
            store=store, market=market, kind=kind, template=template, body=body,
            audience=audience, channels=channels, idempotency_key=idempotency_key, tag=tag,
            image=image, coupon_template=coupon_template, link_url=link_url,
            link_label=link_label, scheduled_at=scheduled_at, created_by=created_by,
        )
        if campaign.status == Campaign.Status.SCHEDULED and campaign_is_due(
            scheduled_at=campaign.scheduled_at
        ):
            campaign = campaign_send(campaign=campaign)
    return campaign


@transaction.atomic
def campaign_send(*, campaign: Campaign) -> Campaign:
    """Fan `campaign` out now and return it, status sent, with its counts and cost.

    In one transaction: lock the campaign (a campaign already sent or cancelled is returned
    unchanged, so a retry sends nothing twice; one scheduled for later is returned unchanged
    too) and the sender's credit account; count; refuse with MessageCreditShort (cost and
    balance in the message) before inserting anything if the credit is short; insert the
    deliveries set-based; charge Σ price (credit → message_usage). System informational
    campaigns (no sender) cost nothing.
    """
    locked = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("store", "market", "tag")
        .get(pk=campaign.pk)
    )
    now = clock.now()
    if locked.status != Campaign.Status.SCHEDULED or not campaign_is_due(
        scheduled_at=locked.scheduled_at, at=now
    ):
        return locked
    prices = message_prices()
    credit: Account | None = None
    if locked.store_id is not None or locked.market_id is not None:
        account = message_credit_account(store=locked.store, market=locked.market)
        credit = accounts_lock([account.pk])[account.pk]
    check, aud = _check_counts(campaign=locked, at=now, prices=prices)
    if credit is not None and check.cost > credit.balance:
        raise MessageCreditShort(cost=format_won(check.cost), balance=format_won(credit.balance))
    release = rules.release_at(now)
    for channel in locked.channels:
        stored = check.sms_channel if channel == Channel.SMS else channel
        deliveries_insert(
            campaign_id=locked.pk, aud=aud, channel=channel, stored_channel=stored,
            price=prices.get(stored, 0) if credit is not None else 0, at=now, release=release,
        )
    charge = None
    if credit is not None and check.cost > 0:
        charge = ledger_transfer(
            idempotency_key=f"messaging:campaign:{locked.pk}:charge", kind=CHARGE_KIND,
            source=credit, destination=catalogue.message_usage_account(), amount=check.cost,
            description=f"메시지 발송 {locked.pk}", metadata={"campaign": locked.pk},
        )
    locked.status = Campaign.Status.SENT
    locked.sent_at = now
    locked.targeted = check.targeted
    locked.suppressed_no_consent = check.suppressed_no_consent
    locked.suppressed_withdrawn = check.suppressed_withdrawn
    locked.held_quiet_hours = check.held
    locked.cost = check.cost
    locked.charge = charge
    locked.save(update_fields=[
        "status", "sent_at", "targeted", "suppressed_no_consent", "suppressed_withdrawn",
        "held_quiet_hours", "cost", "charge", "updated_at",
    ])
    return locked


@transaction.atomic
def campaign_cancel(*, campaign: Campaign) -> Campaign:
    """Cancel a scheduled campaign (nothing was charged); a sent one is returned unchanged."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status == Campaign.Status.SCHEDULED:
        locked.status = Campaign.Status.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
    return locked


def campaigns_send_due(*, at: dt.datetime | None = None) -> int:
    """Send every scheduled campaign whose time has come; return how many were sent.

    Safe to rerun and to run twice at once: `campaign_send` re-checks the status under the
    row lock. A campaign whose cost exceeds the credit at its time is cancelled (logged) so
    it is not retried every minute.
    """
    at = at or clock.now()
    due = list(
        Campaign.objects.filter(campaign_due_q(at=at))
        .order_by("scheduled_at", "pk").values_list("pk", flat=True)
    )
    sent = 0
    for pk in due:
        try:
            result = campaign_send(campaign=Campaign(pk=pk))
        except (MessageCreditShort, CampaignInvalid) as error:
            logger.warning("scheduled campaign %s not sent: %s", pk, error.message)
            campaign_cancel(campaign=Campaign(pk=pk))
            continue
        if result.status == Campaign.Status.SENT and result.sent_at is not None:
            sent += 1
    return sent
