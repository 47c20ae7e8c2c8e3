"""Reads on organisations."""

from django.db.models import QuerySet

from dangol.accounts.models import User
from dangol.organisations.models import OrganisationMembership


def organisation_memberships_of(*, user: User) -> QuerySet[OrganisationMembership]:
    """Return `user`'s roles in organisations (operator, auditor) with the organisation."""
    return (
        OrganisationMembership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name", "role")
    )
