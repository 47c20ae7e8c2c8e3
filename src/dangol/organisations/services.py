"""Writes on organisations (platform companies, cities, agencies, ministries) and their people."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.organisations.errors import (
    InvalidOrganisation,
    InvalidOrganisationRole,
    OrganisationNameTaken,
)
from dangol.organisations.models import Organisation, OrganisationMembership


@transaction.atomic
def organisation_create(*, name: str, kind: str) -> Organisation:
    """Create an organisation of `kind` (platform, city, agency, ministry) named `name`.

    Raise InvalidOrganisation for an empty or too long name or an unknown kind, and
    OrganisationNameTaken if the name is in use.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidOrganisation(reason=_("기관명은 1~100자입니다."))
    if kind not in Organisation.Kind.values:
        raise InvalidOrganisation(reason=_("알 수 없는 기관 종류입니다."))
    if Organisation.objects.filter(name=name).exists():
        raise OrganisationNameTaken(name=name)
    return Organisation.objects.create(name=name, kind=kind)


@transaction.atomic
def organisation_member_add(
    *, organisation: Organisation, user: User, role: str
) -> OrganisationMembership:
    """Make `user` an operator or auditor of `organisation` and return the membership;
    adding the same role twice returns the existing one. Raise InvalidOrganisationRole for
    any other role."""
    if role not in {value for value, _label in OrganisationMembership.ROLES}:
        raise InvalidOrganisationRole(role=role)
    membership, _created = OrganisationMembership.objects.get_or_create(
        organisation=organisation, user=user, role=role
    )
    return membership
