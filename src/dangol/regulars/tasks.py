"""Background work on consent: the 2-year reconfirmation notice (정보통신망법 §50 ⑧)."""

from huey import crontab

from dangol.core import clock
from dangol.core.queue import db_periodic_task
from dangol.regulars import services


# Huey's crontab runs in UTC: 01:00 UTC is 10:00 KST, a daytime hour for a notice.
@db_periodic_task(crontab(hour="1", minute="0"))
def consents_reconfirm() -> int:
    """Send the reconfirmation notices due today (KST); safe to run again the same day."""
    return services.consents_reconfirm_due(today=clock.today_kst())
