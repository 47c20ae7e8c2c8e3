"""Reads on messaging: a sender's campaigns and their statistics, a customer's inbox, and
message credit balances."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from dangol.accounts.models import User
from dangol.ledger.models import Account
from dangol.messaging.models import Campaign, Channel, Delivery
from dangol.places.models import Market, Store

DELIVERED = (Delivery.Status.VISIBLE, Delivery.Status.SENT)


@dataclass(frozen=True)
class CampaignStats:
    """Figures of one campaign. People counts come from the send (`targeted`, no consent,
    held at send); delivery counts from the rows now (a row per recipient and channel)."""

    targeted: int
    suppressed_no_consent: int
    suppressed_withdrawn: int
    held_at_send: int
    deliveries: int
    held: int  # still waiting for 08:00
    queued: int  # external rows waiting for (or in) dispatch
    delivered: int  # in-app visible + external sent
    failed: int
    suppressed: dict[str, int] = field(default_factory=dict)  # by suppressed_reason
    read: int = 0
    clicked: int = 0
    opted_out: int = 0
    cost: int = 0  # charged at send
    refunded: int = 0  # won returned for suppressed and failed rows
    by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def net_cost(self) -> int:
        return self.cost - self.refunded

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())


def campaign_stats(*, campaign: Campaign) -> CampaignStats:
    """Return `campaign`'s statistics from two aggregate queries over its deliveries."""
    rows = Delivery.objects.filter(campaign=campaign)
    totals = rows.aggregate(
        deliveries=Count("pk"),
        held=Count("pk", filter=Q(status=Delivery.Status.HELD)),
        queued=Count(
            "pk", filter=Q(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING])
        ),
        delivered=Count("pk", filter=Q(status__in=DELIVERED)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        read=Count("pk", filter=Q(read_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        opted_out=Count("pk", filter=Q(opted_out_at__isnull=False)),
        refunded=Sum("price", filter=Q(refunded=True)),
    )
    suppressed: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for reason, channel, status, count in (
        rows.values_list("suppressed_reason", "channel", "status")
        .annotate(n=Count("pk")).order_by()
    ):
        by_channel[channel] = by_channel.get(channel, 0) + count
        if status == Delivery.Status.SUPPRESSED:
            key = reason or "other"
            suppressed[key] = suppressed.get(key, 0) + count
    for reason, count in (("no_consent", campaign.suppressed_no_consent),
                          ("withdrawn", campaign.suppressed_withdrawn)):
        if count:
            suppressed[reason] = suppressed.get(reason, 0) + count
    return CampaignStats(
        targeted=campaign.targeted, suppressed_no_consent=campaign.suppressed_no_consent,
        suppressed_withdrawn=campaign.suppressed_withdrawn,
        held_at_send=campaign.held_quiet_hours, deliveries=totals["deliveries"],
        held=totals["held"], queued=totals["queued"], delivered=totals["delivered"],
        failed=totals["failed"], suppressed=suppressed, read=totals["read"],
        clicked=totals["clicked"], opted_out=totals["opted_out"], cost=campaign.cost,
        refunded=totals["refunded"] or 0, by_channel=by_channel,
    )


def campaigns_of(*, store: Store | None = None, market: Market | None = None) -> QuerySet[Campaign]:
    """Return the campaigns sent (or scheduled) by `store` or `market`'s channel, newest first."""
    if (store is None) == (market is None):
        raise ValueError("name exactly one sender: a store or a market")
    return (
        Campaign.objects.filter(store=store, market=market)
        .select_related("tag", "coupon_template")
        .order_by("-created_at", "-id")
    )


def _addressed_to(user: User) -> Q:
    """Deliveries to `user`, or to their phone number before they signed up with it (a
    voucher gifted to a number is an informational message to that number)."""
    mine = Q(customer=user)
    if user.phone:
        mine |= Q(customer__isnull=True, address=user.phone)
    return mine


def inbox_for(*, user: User) -> QuerySet[Delivery]:
    """Return `user`'s visible in-app messages, newest first, with campaign and sender."""
    return (
        Delivery.objects.filter(
            _addressed_to(user), channel=Channel.IN_APP, status=Delivery.Status.VISIBLE
        )
        .select_related(
            "campaign", "campaign__store", "campaign__market", "campaign__coupon_template"
        )
        .order_by("-release_at", "-id")
    )


def deliveries_to(*, user: User) -> QuerySet[Delivery]:
    """Return every message delivered to `user` on any channel (in-app, SMS, e-mail), oldest
    first, with campaign and sender: what their personal-data download lists."""
    return (
        Delivery.objects.filter(_addressed_to(user), status__in=DELIVERED)
        .select_related("campaign", "campaign__store", "campaign__market")
        .order_by("created_at", "id")
    )


def unread_count(*, user: User) -> int:
    """Return how many of `user`'s inbox messages are unread (one query)."""
    return Delivery.objects.filter(
        _addressed_to(user), channel=Channel.IN_APP, status=Delivery.Status.VISIBLE,
        read_at__isnull=True,
    ).count()


def sender_owner(store: Store | None, market: Market | None) -> tuple[str, int]:
    """Return the ledger owner (type, id) of a message sender: exactly one store or market."""
    if (store is None) == (market is None):
        raise ValueError("name exactly one sender: a store or a market")
    if store is not None:
        return "store", store.pk
    assert market is not None  # noqa: S101 (checked above)
    return "market", market.pk


def message_credit_balance(*, store: Store | None = None, market: Market | None = None) -> int:
    """Return the sender's message credit balance in won (0 before any credit)."""
    owner_type, owner_id = sender_owner(store, market)
    balance = Account.objects.filter(
        owner_type=owner_type, owner_id=owner_id, kind=Account.Kind.MESSAGE_CREDIT
    ).values_list("balance", flat=True).first()
    return int(balance or 0)
