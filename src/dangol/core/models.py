"""Rows that belong to no domain: the development outbox."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One message an outbound channel would have sent, kept for the demo's outbox page."""

    class Channel(models.TextChoices):
        SMS = "sms", _("문자")
        EMAIL = "email", _("이메일")

    channel = models.CharField(_("채널"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("받는 사람"), max_length=254)
    subject = models.CharField(_("제목"), max_length=200, blank=True)
    body = models.TextField(_("내용"))
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("보낸 때"), auto_now_add=True)

    class Meta:
        verbose_name = _("개발용 발신함 메시지")
        verbose_name_plural = _("개발용 발신함")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient}"
