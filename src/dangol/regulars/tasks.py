"""Background work of regulars: customer-list imports, and the 2-year reconfirmation notice
of consent (정보통신망법 §50 ⑧)."""

from huey import crontab

from dangol.core import clock
from dangol.core.queue import db_periodic_task, db_task
from dangol.regulars import import_jobs, services


@db_task(retries=2, retry_delay=30)
def regulars_import_task(import_id: int) -> str:
    """Import (or resume) the customer list of import `import_id`; return its status. Safe to
    run again and twice at once (regulars_import_run)."""
    return import_jobs.regulars_import_run(import_id=import_id).status


@db_periodic_task(crontab(minute="*"))
def regulars_imports_resume() -> list[int]:
    """Every minute: run again the imports whose worker stopped (queued or running with no
    progress for two minutes); return their ids."""
    stalled = import_jobs.regulars_imports_stalled()
    for import_id in stalled:
        regulars_import_task(import_id)
    return stalled


# Huey's crontab runs in UTC: 01:00 UTC is 10:00 KST, a daytime hour for a notice.
@db_periodic_task(crontab(hour="1", minute="0"))
def consents_reconfirm() -> int:
    """Send the reconfirmation notices due today (KST); safe to run again the same day."""
    return services.consents_reconfirm_due(today=clock.today_kst())
