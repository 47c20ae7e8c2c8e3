"""The audit log (감사 기록): one row per money action taken by staff or operators.

The log is append-only. The model and its manager refuse to update or delete a row, and on
PostgreSQL a trigger (migration 0002) refuses it to any SQL as well.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangol.audit.errors import AuditEntryImmutable
from dangol.core import clock


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Rows of the log: they can be read and added, never changed or removed."""

    def update(self, **kwargs: Any) -> int:
        raise AuditEntryImmutable

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditEntryImmutable

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AuditEntryImmutable

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditEntryImmutable


class AuditEntry(models.Model):
    """One money action: who took it, when, from where, what it was and on what."""

    class Action(models.TextChoices):
        VOUCHER_REDEEM = "voucher.redeem", _("상품권 사용 처리")
        VOUCHER_REFUND = "voucher.refund", _("상품권 환불")
        SETTLEMENT_RUN = "settlement.run", _("정산 실행")
        BANK_FILE = "settlement.bank_file", _("이체 파일 내려받기")
        GRANT = "program.grant", _("지원금 지급")
        GRANT_WITHDRAW = "program.grant_withdraw", _("지원 철회")
        BENEFIT_END = "program.benefit_end", _("지원 종료(정산 조건 복원)")
        PROGRAM_EXPORT = "program.export", _("사업 자료 내려받기")
        BUDGET_CHANGE = "program.budget", _("예산 변경")
        PRICE_CHANGE = "messaging.price", _("발송 단가 변경")
        PERSONAL_DATA_EXPORT = "personal_data.export", _("개인정보 내보내기")

    class Origin(models.TextChoices):
        WEB = "web", _("웹·API")
        CLI = "cli", _("명령줄·작업")

    created_at = models.DateTimeField(_("때"), default=clock.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("한 사람"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    origin = models.CharField(_("경로"), max_length=8, choices=Origin.choices)
    client_address = models.CharField(_("접속 주소"), max_length=64, blank=True)
    action = models.CharField(_("행위"), max_length=32, choices=Action.choices)
    subject = models.CharField(_("대상"), max_length=120)
    amount = models.BigIntegerField(_("금액(원)"), null=True, blank=True)
    organisation_id = models.BigIntegerField(_("관련 기관"), null=True, blank=True)
    details = models.JSONField(_("내용"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("감사 기록")
        verbose_name_plural = _("감사 기록")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation_id", "-created_at"], name="audit_entry_org_time"),
            models.Index(fields=["-created_at"], name="audit_entry_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditEntryImmutable
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditEntryImmutable
