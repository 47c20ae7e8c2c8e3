"""An e-mail backend that keeps messages in the development outbox instead of sending them."""

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("dangol.mail")


class OutboxEmailBackend(BaseEmailBackend):
    """Store each message as an OutboxMessage row and log it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from dangol.core.models import OutboxMessage

        sent = 0
        for message in email_messages:
            for recipient in message.recipients():
                OutboxMessage.objects.create(
                    channel=OutboxMessage.Channel.EMAIL,
                    recipient=recipient,
                    subject=str(message.subject),
                    body=str(message.body),
                )
                logger.info("E-mail to %s: %s", recipient, message.subject)
            sent += 1
        return sent
