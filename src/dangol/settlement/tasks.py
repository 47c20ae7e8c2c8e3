"""Background work for settlement: a run is queued by ids and safe to rerun."""

import datetime as dt

from huey import crontab

from dangol.core import clock
from dangol.core.calendar import is_business_day
from dangol.core.queue import db_periodic_task, db_task
from dangol.settlement import cycles, services
from dangol.settlement.models import SettlementPolicy


@db_task()
def settlement_run_task(policy_id: int, cutoff_iso: str) -> int:
    """Run (or resume) the settlement of policy `policy_id` at `cutoff_iso`; return the run id."""
    policy = SettlementPolicy.objects.get(pk=policy_id)
    run = services.settlement_run(policy=policy, cutoff=dt.datetime.fromisoformat(cutoff_iso))
    return run.pk


@db_task()
def fast_settlement_run_task(cutoff_iso: str) -> int:
    """Run (or resume) the fast settlement of the cut-off `cutoff_iso`; return the run id."""
    run = services.fast_settlement_run(cutoff=dt.datetime.fromisoformat(cutoff_iso))
    return run.pk


# Huey's crontab runs in UTC: 22:30 UTC is 07:30 KST, before banks open on the payout day.
@db_periodic_task(crontab(hour="22", minute="30"))
def fast_settlement_daily() -> int | None:
    """On a business-day morning (KST), run the fast settlement of the last business day;
    return the run id, or None on a day off. Safe to run again the same morning."""
    if not is_business_day(clock.today_kst()):
        return None
    return fast_settlement_daily_run()


def fast_settlement_daily_run() -> int:
    """Run the fast settlement of the latest business day that has ended; return its id."""
    run = services.fast_settlement_run(cutoff=cycles.latest_fast_cutoff(clock.now()))
    return run.pk
