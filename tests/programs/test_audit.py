"""Programs' money actions leave an audit entry for the operating organisation: a
program's budget, the grants of an approved application (by an operator or by the rules),
a market channel's credit, the program's exports."""

import pytest
from django.urls import reverse

from dangol.audit.models import AuditEntry
from dangol.programs import services
from dangol.programs.models import Benefit, Enrolment, Grant
from dangol.programs.rollout import enrolment_advance
from tests.factories import OrganisationMembershipFactory
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


def test_an_application_the_rules_approve_records_its_grants_as_the_applicants(
    program, operator_org, haeundae, market_in, store_in, owner_of
):
    prog = program()
    store = store_in(market_in(haeundae))
    owner = owner_of(store)

    application = services.application_submit(
        program=prog, store=store, applicant=owner, declared_annual_sales=1,
    )

    entry = AuditEntry.objects.get(action=AuditEntry.Action.GRANT)
    assert (entry.actor, entry.subject, entry.amount, entry.organisation_id) == (
        owner, f"application:{application.pk}", MESSAGE_CREDIT, operator_org.pk,
    )
    assert entry.details == {"program": prog.pk, "store": store.pk, "grants": 3,
                             "automatic": True}


def test_an_application_left_in_review_records_no_grant(
    program, haeundae, market_in, store_in, owner_of
):
    prog = program(max_annual_sales=100)
    store = store_in(market_in(haeundae))

    services.application_submit(
        program=prog, store=store, applicant=owner_of(store), declared_annual_sales=101,
    )

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.GRANT).exists()


def test_a_market_channel_grant_is_recorded_once_as_the_operators(
    program, operator_user, operator_org, haeundae, market_in
):
    market = market_in(haeundae)
    prog = program(markets=(market,), benefits=[
        {"kind": Benefit.Kind.MARKET_CHANNEL_CREDIT, "amount": 3_000_000},
    ])
    enrolment = prog.enrolments.get()

    for _ in range(2):  # the same step again grants nothing more
        enrolment_advance(enrolment=enrolment, to=Enrolment.Status.ACTIVE, actor=operator_user)

    grant = Grant.objects.get(market=market)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.GRANT)
    assert (entry.actor, entry.subject, entry.amount, entry.organisation_id) == (
        operator_user, f"grant:{grant.pk}", 3_000_000, operator_org.pk,
    )
    assert entry.details == {"program": prog.pk, "market": market.pk}


def test_a_program_export_is_recorded_with_what_and_how_many_rows(
    client, program, operator_user, operator_org, haeundae, market_in, store_in, owner_of
):
    prog = program()
    for _ in range(2):
        store = store_in(market_in(haeundae))
        services.application_submit(program=prog, store=store, applicant=owner_of(store),
                                    declared_annual_sales=1)
    client.force_login(operator_user)

    response = client.get(
        reverse("programs:console_grants_export", args=[prog.pk, "xlsx"]),
        REMOTE_ADDR="198.51.100.9",
    )

    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PROGRAM_EXPORT)
    assert (entry.actor, entry.subject, entry.organisation_id, entry.client_address) == (
        operator_user, f"program:{prog.pk}", operator_org.pk, "198.51.100.9",
    )
    assert entry.details == {"export": "grants", "format": "xlsx", "rows": 6}


def test_a_refused_export_records_nothing(client, program):
    prog = program()
    client.force_login(OrganisationMembershipFactory(role="operator").user)

    response = client.get(
        reverse("programs:console_applications_export", args=[prog.pk, "csv"])
    )

    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PROGRAM_EXPORT).exists()
