"""The record of every export of personal data: who downloaded what, when.

Views call `personal_data_exported` after access allowed the export (policy.OWNER_ONLY and
the platform administrator's actions). It writes one INFO line to the `dangol.access.exports`
logger, naming people by id and things by id or number, never a phone number, a name or an
account number.
"""

import logging

from dangol.access.policy import Action
from dangol.core import clock

logger = logging.getLogger(__name__)


def personal_data_exported(
    *, user_id: int | None, action: Action, store_id: int | None = None, item: str = "",
    rows: int | None = None,
) -> None:
    """Log that user `user_id` took export `action` (of `store_id`'s data, `item` such as a
    statement number, `rows` rows) now."""
    parts = [f"action={action.name}", f"user={user_id}"]
    if store_id is not None:
        parts.append(f"store={store_id}")
    if item:
        parts.append(f"item={item}")
    if rows is not None:
        parts.append(f"rows={rows}")
    parts.append(f"at={clock.now().astimezone(clock.KST).isoformat(timespec='seconds')}")
    logger.info("personal data export: %s", " ".join(parts))
