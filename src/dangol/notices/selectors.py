"""Reads on notices."""

from django.db.models import Q, QuerySet

from dangol.accounts.models import User
from dangol.notices.models import Notice


def notices_for(*, user: User) -> QuerySet[Notice]:
    """Return the notices addressed to `user` or to their phone number, newest first."""
    addressed = Q(user=user)
    if user.phone:
        addressed |= Q(user__isnull=True, phone=user.phone)
    return Notice.objects.filter(addressed).order_by("-created_at", "-id")
