"""Background work for settlement: a run is queued by ids and safe to rerun."""

import datetime as dt

from dangol.config.queue import db_task
from dangol.settlement import services
from dangol.settlement.models import SettlementPolicy


@db_task()
def settlement_run_task(policy_id: int, cutoff_iso: str) -> int:
    """Run (or resume) the settlement of policy `policy_id` at `cutoff_iso`; return the run id."""
    policy = SettlementPolicy.objects.get(pk=policy_id)
    run = services.settlement_run(policy=policy, cutoff=dt.datetime.fromisoformat(cutoff_iso))
    return run.pk
