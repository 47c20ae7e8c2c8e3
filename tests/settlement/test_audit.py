"""Settlement's money actions leave an audit entry: a run, a bank file downloaded."""

import pytest

from dangol.audit.models import AuditEntry
from dangol.core import clock
from dangol.core.clock import kst
from dangol.settlement import services
from dangol.settlement.exports import payouts_csv
from tests.factories import StaffUserFactory
from tests.settlement.conftest import NOW, redeem

pytestmark = pytest.mark.django_db
CUTOFF = kst(2026, 11, 30, 23, 59)


def test_a_settlement_run_records_who_ran_it_and_what_it_paid(policy, make_store):
    clock.freeze(NOW)
    redeem(make_store(), 15_000, at=kst(2026, 11, 20), key="a")
    redeem(make_store(), 5_000, at=kst(2026, 11, 21), key="b")
    admin = StaffUserFactory(is_superuser=True)

    run = services.settlement_run(policy=policy, cutoff=CUTOFF, actor=admin)

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.subject, entry.amount) == (
        AuditEntry.Action.SETTLEMENT_RUN, admin, f"settlement_run:{run.pk}", 20_000,
    )
    assert entry.details == {"kind": "regular", "cutoff": CUTOFF.isoformat(), "payouts": 2}


def test_running_a_completed_settlement_again_records_nothing(policy, make_store):
    clock.freeze(NOW)
    redeem(make_store(), 15_000, at=kst(2026, 11, 20), key="a")
    services.settlement_run(policy=policy, cutoff=CUTOFF, actor=None)

    services.settlement_run(policy=policy, cutoff=CUTOFF, actor=None)

    assert AuditEntry.objects.count() == 1


def test_the_bank_file_records_who_took_it(policy, make_store):
    clock.freeze(NOW)
    redeem(make_store(), 15_000, at=kst(2026, 11, 20), key="a")
    run = services.settlement_run(policy=policy, cutoff=CUTOFF, actor=None)
    admin = StaffUserFactory(is_superuser=True)

    payouts_csv(run=run, actor=admin)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.BANK_FILE)
    assert (entry.actor, entry.subject, entry.amount) == (
        admin, f"settlement_run:{run.pk}", 15_000,
    )
