"""Informational notices (정보성 알림): messages a user must get that are not ads."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core.phone import phone_mask


class Notice(models.Model):
    """One informational (non-ad) message to one user, or to a phone number that may not
    belong to a user yet (a voucher gifted to a number).

    Informational messages are not ads under 정보통신망법 §50: they need no ad consent and
    may be sent at night. The messaging issue routes them through its delivery path.
    """

    class Kind(models.TextChoices):
        CONSENT_RECONFIRMATION = "consent_reconfirmation", _("수신 동의 확인 안내")
        VOUCHER_RECEIVED = "voucher_received", _("상품권 도착")
        EXPIRY = "expiry", _("유효기간 만료 안내")
        SETTLEMENT_PAID = "settlement_paid", _("정산 지급")
        OTHER = "other", _("기타 안내")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="notices",
    )
    phone = models.CharField(_("휴대전화"), max_length=16, blank=True, help_text=_("E.164 형식"))
    kind = models.CharField(_("종류"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("제목"), max_length=200)
    body = models.TextField(_("내용"))
    idempotency_key = models.CharField(max_length=200, unique=True)
    read_at = models.DateTimeField(_("읽은 때"), null=True, blank=True)
    created_at = models.DateTimeField(_("보낸 때"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("알림")
        verbose_name_plural = _("알림")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(phone=""),
                name="%(app_label)s_%(class)s_has_recipient",
            ),
        ]
        indexes = [models.Index(fields=["phone", "created_at"], name="notices_notice_phone_time")]

    def __str__(self) -> str:
        return f"{self.title} → {self.user or phone_mask(self.phone)}"
