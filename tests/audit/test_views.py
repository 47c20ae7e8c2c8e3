"""The audit log's page: the platform administrator reads all, an operator their own."""

import pytest
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from tests.factories import (
    CustomerFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("audit:log")


@pytest.fixture
def entries():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    actor = StaffUserFactory()
    made = {
        name: audit_record(
            action=AuditEntry.Action.GRANT, actor=actor, subject=f"grant:{name}",
            amount=50_000, organisation_id=organisation.pk if organisation else None,
        )
        for name, organisation in (("mine", mine), ("theirs", theirs), ("platform", None))
    }
    return mine, made


def shown(response) -> set[str]:
    return {
        name for name in ("mine", "theirs", "platform")
        if f"grant:{name}<" in response.content.decode()
    }


def test_platform_administrator_reads_every_entry(client, entries):
    client.force_login(StaffUserFactory(is_superuser=True))
    response = client.get(URL)
    assert response.status_code == 200
    assert shown(response) == {"mine", "theirs", "platform"}


def test_operator_reads_only_the_entries_of_their_organisation(client, entries):
    mine, _made = entries
    client.force_login(OrganisationMembershipFactory(organisation=mine).user)
    response = client.get(URL)
    assert response.status_code == 200
    assert shown(response) == {"mine"}


@pytest.mark.parametrize("role", ["customer", "auditor"])
def test_others_may_not_read_the_log(client, entries, role):
    mine, _made = entries
    user = (
        CustomerFactory() if role == "customer"
        else OrganisationMembershipFactory(organisation=mine, role="auditor").user
    )
    client.force_login(user)
    assert client.get(URL).status_code == 403


def test_the_page_reads_its_entries_and_their_actors_in_one_query(
    client, entries, django_assert_max_num_queries
):
    for _ in range(20):
        audit_record(action=AuditEntry.Action.VOUCHER_REDEEM, actor=StaffUserFactory(),
                     subject="voucher:1", amount=1_000)
    client.force_login(StaffUserFactory(is_superuser=True))
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.content.decode().count("voucher:1<") == 20
