"""Background work of privacy: the daily retention run (docs/privacy.md)."""

from huey import crontab

from dangol.core.queue import db_periodic_task
from dangol.privacy import services


@db_periodic_task(crontab(hour="3", minute="40"))
def retention_run_task() -> dict[str, int]:
    """Every day at 03:40 (the server's time zone): apply the retention periods."""
    return services.retention_run()
