"""Rows that belong to no domain: the development outbox and idempotent API requests."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangol.core import clock


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
    created_at = models.DateTimeField(_("보낸 때"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("개발용 발신함 메시지")
        verbose_name_plural = _("개발용 발신함")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient}"


class IdempotentRequest(models.Model):
    """One API write done under an `Idempotency-Key`: who asked what, and what was answered.

    A repeat of the request with the same key is answered from this row instead of being
    done again (see core.idempotency). Rows older than a day are purged.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("요청한 사용자"), on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(_("멱등성 키"), max_length=64)
    method = models.CharField(_("HTTP 메서드"), max_length=10)
    path = models.CharField(_("경로"), max_length=255)
    fingerprint = models.CharField(_("요청 지문"), max_length=64, help_text=_("SHA-256 (hex)"))
    response_status = models.PositiveSmallIntegerField(_("응답 상태 코드"))
    response_body = models.JSONField(_("응답 본문"))
    created_at = models.DateTimeField(_("요청한 때"), default=clock.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("멱등 요청")
        verbose_name_plural = _("멱등 요청")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="%(app_label)s_%(class)s_user_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.method} {self.path} [{self.key}]"
