"""Reads on follows."""

from django.db import connection
from django.db.models import Q, QuerySet

from dangol.accounts.models import User
from dangol.core import clock
from dangol.places.models import Market, Post, Product, Store
from dangol.places.selectors import market_list
from dangol.regulars.models import Follow


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



def _store_page_version_sql() -> str:
    store, market = Store._meta.db_table, Market._meta.db_table
    product, post, follow = Product._meta.db_table, Post._meta.db_table, Follow._meta.db_table
    return (
        f"SELECT s.updated_at, m.updated_at,"  # noqa: S608 (table names from models only)
        f" (SELECT MAX(updated_at) FROM {product} WHERE store_id = s.id),"
        f" (SELECT COUNT(*) FROM {product} WHERE store_id = s.id),"
        f" (SELECT MAX(updated_at) FROM {post} WHERE store_id = s.id AND published_at <= %s),"
        f" (SELECT COUNT(*) FROM {post} WHERE store_id = s.id AND published_at <= %s),"
        f" (SELECT COUNT(*) FROM {follow} WHERE store_id = s.id)"
        f" FROM {store} s LEFT JOIN {market} m ON m.id = s.market_id"
        f" WHERE s.id = %s AND s.is_active = %s"
    )


def store_page_version(*, store_id: int) -> str | None:
    """Return a fingerprint of everything the public page of store `store_id` shows, or
    None if anonymous visitors may not see it.

    One query: the store's and its market's last change, its products' and published
    posts' last change and counts, and its follower count. Any edit through the services
    (which all touch `updated_at`), a deletion, a post reaching its publication time or a
    new regular changes the fingerprint, so a page cached under it is never stale. Plain
    SQL because this runs on every anonymous view of a store page, where building the
    same query with the ORM cost more than running it.
    """
    now = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cursor:
        cursor.execute(_store_page_version_sql(), [now, now, store_id, True])
        row = cursor.fetchone()
    if row is None:
        return None
    return "|".join("" if value is None else str(value) for value in row)
