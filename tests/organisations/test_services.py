import pytest

from dangol.organisations.errors import (
    InvalidOrganisation,
    InvalidOrganisationRole,
    OrganisationNameTaken,
)
from dangol.organisations.models import Organisation, OrganisationMembership
from dangol.organisations.services import organisation_create, organisation_member_add
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_organisation_create_makes_a_city():
    organisation = organisation_create(name=" 부산광역시 해운대구청 ", kind="city")

    assert organisation.name == "부산광역시 해운대구청"
    assert organisation.kind == Organisation.Kind.CITY


def test_organisation_create_refuses_a_name_in_use():
    organisation_create(name="과학기술정보통신부", kind="ministry")

    with pytest.raises(OrganisationNameTaken):
        organisation_create(name="과학기술정보통신부", kind="agency")
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize(("name", "kind"), [("", "city"), ("해운대구청", "village")])
def test_organisation_create_refuses_an_empty_name_or_unknown_kind(name, kind):
    with pytest.raises(InvalidOrganisation):
        organisation_create(name=name, kind=kind)
    assert not Organisation.objects.exists()


def test_organisation_member_add_twice_keeps_one_membership():
    organisation = organisation_create(name="해운대구청", kind="city")
    user = StaffUserFactory()

    first = organisation_member_add(organisation=organisation, user=user, role="operator")
    again = organisation_member_add(organisation=organisation, user=user, role="operator")

    assert first.pk == again.pk
    assert OrganisationMembership.objects.count() == 1


def test_organisation_member_add_refuses_a_store_role():
    organisation = organisation_create(name="해운대구청", kind="city")

    with pytest.raises(InvalidOrganisationRole):
        organisation_member_add(organisation=organisation, user=StaffUserFactory(), role="owner")
