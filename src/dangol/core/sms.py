"""The SMS channel interface. Accounts send one-time codes through it; the messaging issue
adds provider adapters. The default channel writes to the development outbox and the log.
"""

import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("dangol.sms")


@dataclass(frozen=True)
class SmsResult:
    """What the channel answered: its message id, or the error."""

    accepted: bool
    provider_id: str = ""
    error: str = ""


class SmsChannel(Protocol):
    """Send one text message. `idempotency_key` makes a repeated call a no-op."""

    def send(self, *, to: str, body: str, idempotency_key: str) -> SmsResult: ...


class OutboxSmsChannel:
    """Keep the message in the development outbox and print it; sends nothing anywhere."""

    def send(self, *, to: str, body: str, idempotency_key: str) -> SmsResult:
        from dangol.core.models import OutboxMessage

        message, created = OutboxMessage.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={"channel": OutboxMessage.Channel.SMS, "recipient": to, "body": body},
        )
        if created:
            logger.info("SMS to %s: %s", to, body)
        return SmsResult(accepted=True, provider_id=f"outbox-{message.pk}")


def sms_channel() -> SmsChannel:
    """Return the configured SMS channel (settings.DANGOL_SMS_BACKEND)."""
    channel: SmsChannel = import_string(settings.DANGOL_SMS_BACKEND)()
    return channel
