"""PostgreSQL: 100 applications at once against a budget that covers 60 grants.

The test server (and CI's) allows 100 connections, so 100 threads each with its own
connection cannot all connect beside the test's own: 50 threads released together each
submit two applications (100 in all, up to 50 at the same instant). The rule decided here:
an application the budget cannot pay waits in `review` with the reason `budget_exhausted`
(nothing of it is granted), for an operator to approve once the budget grows, or reject.
"""

import pytest

from dangol.ledger.selectors import ledger_verify
from dangol.messaging.credit import message_credit_account
from dangol.programs import selectors, services
from dangol.programs.models import Application, Grant
from tests.concurrency import run_concurrently
from tests.programs.conftest import MESSAGE_CREDIT

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50
APPLICATIONS = 100
COVERED = 60


def test_100_concurrent_applications_give_exactly_60_grants_and_spend_the_budget(
    program, haeundae, market_in, store_in, owner_of
):
    prog = program(
        budget=COVERED * MESSAGE_CREDIT,
        benefits=[{"kind": "message_credit", "amount": MESSAGE_CREDIT}],
    )
    markets = [market_in(haeundae) for _ in range(4)]
    stores = [store_in(markets[i % 4]) for i in range(APPLICATIONS)]
    owners = [owner_of(store) for store in stores]

    def apply(index: int) -> list[Application]:
        return [
            services.application_submit(
                program=prog, store=stores[i], applicant=owners[i], declared_annual_sales=1
            )
            for i in (index, index + THREADS)
        ]

    results, refusals = run_concurrently(apply, threads=THREADS)

    assert refusals == []
    assert len(results) == THREADS
    statuses = sorted(
        Application.objects.filter(program=prog).values_list("status", flat=True)
    )
    assert statuses == ["approved"] * COVERED + ["review"] * (APPLICATIONS - COVERED)
    refused = Application.objects.filter(program=prog, status="review")
    assert all(a.reasons[0]["code"] == "budget_exhausted" for a in refused)
    assert not Grant.objects.filter(application__status="review").exists()
    assert Grant.objects.filter(application__program=prog).count() == COVERED
    credited = [message_credit_account(store=store).balance for store in stores]
    assert sorted(credited) == [0] * (APPLICATIONS - COVERED) + [MESSAGE_CREDIT] * COVERED
    figures = selectors.program_figures(program=prog)
    assert (figures.committed, figures.remaining, figures.grants) == (
        COVERED * MESSAGE_CREDIT, 0, COVERED
    )
    assert ledger_verify().ok
