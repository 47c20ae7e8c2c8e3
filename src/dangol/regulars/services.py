"""Writes on follows."""

from django.db import IntegrityError, transaction

from dangol.accounts.models import User
from dangol.core import clock
from dangol.places.models import Market, Store
from dangol.regulars.models import Follow


@transaction.atomic
def follow_create(
    *, customer: User, store: Store | None = None, market: Market | None = None,
    source: str = Follow.Source.PAGE,
) -> Follow:
    """Make `customer` a regular of `store` (or of `market`'s channel); return the follow.

    Following twice returns the existing follow: the second tap changes nothing.
    """
    if (store is None) == (market is None):
        raise ValueError("follow exactly one store or one market")
    existing = Follow.objects.filter(customer=customer, store=store, market=market).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Follow.objects.create(
                customer=customer, store=store, market=market, source=source,
                created_at=clock.now(),
            )
    except IntegrityError:
        # A concurrent tap won the race; the unique constraint kept one row.
        return Follow.objects.get(customer=customer, store=store, market=market)


@transaction.atomic
def follow_delete(
    *, customer: User, store: Store | None = None, market: Market | None = None
) -> bool:
    """Stop `customer` following `store` (or `market`); return whether a follow existed."""
    deleted, _ = Follow.objects.filter(customer=customer, store=store, market=market).delete()
    return deleted > 0
