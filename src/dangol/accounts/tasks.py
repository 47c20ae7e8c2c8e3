"""Background work for accounts."""

import logging

from huey import crontab

from dangol.accounts import services
from dangol.core.queue import db_periodic_task

logger = logging.getLogger("dangol.accounts")


@db_periodic_task(crontab(minute="17"))
def purge_expired_verification_codes() -> int:
    """Every hour: delete verification codes that expired settings.DANGOL_RETENTION_OTP_DAYS
    days ago (docs/privacy.md)."""
    deleted = services.verification_codes_purge()
    logger.info("purged %s expired verification codes", deleted)
    return deleted
