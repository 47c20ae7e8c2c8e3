"""Reads on follows."""

from django.db.models import QuerySet

from dangol.accounts.models import User
from dangol.places.models import Store


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
