"""Reads on follows."""

from django.db.models import Q, QuerySet

from dangol.accounts.models import User
from dangol.places.models import Market, Store
from dangol.places.selectors import market_list


def stores_followed_by(*, customer: User) -> QuerySet[Store]:
    """Return the active stores `customer` follows, most recently followed first."""
    return (
        Store.objects.filter(follows__customer=customer, is_active=True)
        .select_related("market")
        .order_by("-follows__created_at", "id")
    )


def follower_count(*, store: Store) -> int:
    """Return how many customers follow `store`."""
    return store.follows.count()


def markets_followed_by(*, customer: User) -> QuerySet[Market]:
    """Return the markets `customer` follows or where a store they follow trades."""
    followed = Q(follows__customer=customer) | Q(
        stores__follows__customer=customer, stores__is_active=True
    )
    return market_list().filter(pk__in=Market.objects.filter(followed).values("pk"))
