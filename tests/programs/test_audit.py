"""Programs' money actions leave an audit entry for the operating organisation: a
program's budget, the grants of an approved application."""

import pytest

from dangol.audit.models import AuditEntry
from dangol.programs import services
from tests.programs.conftest import DEFAULT_BUDGET, MESSAGE_CREDIT

pytestmark = pytest.mark.django_db


def test_a_programs_budget_is_recorded_for_its_organisation(program, operator_user,
                                                            operator_org):
    prog = program()

    entry = AuditEntry.objects.get(action=AuditEntry.Action.BUDGET_CHANGE)
    assert (entry.actor, entry.subject, entry.amount, entry.organisation_id) == (
        operator_user, f"program:{prog.pk}", DEFAULT_BUDGET, operator_org.pk,
    )


def test_approving_an_application_records_its_grants_once(
    program, operator_user, operator_org, haeundae, market_in, store_in, owner_of
):
    prog = program(max_annual_sales=100)  # the application goes to review
    store = store_in(market_in(haeundae))
    application = services.application_submit(
        program=prog, store=store, applicant=owner_of(store), declared_annual_sales=101,
    )

    for _ in range(2):  # approving an approved application changes nothing
        services.application_approve(application=application, operator_user=operator_user)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.GRANT)
    assert (entry.actor, entry.subject, entry.amount, entry.organisation_id) == (
        operator_user, f"application:{application.pk}", MESSAGE_CREDIT, operator_org.pk,
    )
    assert entry.details == {"program": prog.pk, "store": store.pk, "grants": 3}
