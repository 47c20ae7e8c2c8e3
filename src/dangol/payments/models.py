"""Payments: one row per attempt to take a customer's money, one row per later operation on
it (capture, cancel, refund), and the built-in sandbox provider's own book."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock


class Payment(models.Model):
    """One attempt to take `amount` won from a customer through one provider.

    The row is written (status PENDING) before the provider is called, so an attempt whose
    answer never came back is still on record and a retry with the same idempotency key
    picks it up.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("응답 대기")
        AUTHORIZED = "authorized", _("승인")
        CAPTURED = "captured", _("결제 완료")
        CANCELLED = "cancelled", _("승인 취소")
        REFUNDED = "refunded", _("환불")
        PARTIALLY_REFUNDED = "partially_refunded", _("부분 환불")
        FAILED = "failed", _("실패")

    class Currency(models.TextChoices):
        KRW = "KRW", _("원")

    amount = models.BigIntegerField(_("금액"))
    currency = models.CharField(
        _("통화"), max_length=3, choices=Currency.choices, default=Currency.KRW
    )
    provider = models.CharField(_("결제 대행사"), max_length=20)
    provider_key = models.CharField(_("대행사 결제 키"), max_length=200, blank=True)
    order_id = models.CharField(_("주문 번호"), max_length=64, unique=True)
    status = models.CharField(
        _("상태"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    idempotency_key = models.CharField(_("멱등성 키"), max_length=100, unique=True)
    refunded_amount = models.BigIntegerField(_("환불 금액"), default=0)
    error_code = models.CharField(_("오류 코드"), max_length=100, blank=True)
    error_message = models.CharField(_("오류 메시지"), max_length=500, blank=True)
    raw = models.JSONField(_("대행사 응답"), default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("결제")
        verbose_name_plural = _("결제")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="%(app_label)s_%(class)s_amount_pos"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="%(app_label)s_%(class)s_refunded_range",
            ),
            models.CheckConstraint(
                condition=Q(currency="KRW"), name="%(app_label)s_%(class)s_currency_krw"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount}원 ({self.status})"

    @property
    def refundable_amount(self) -> int:
        """Return the won that can still be refunded (nothing unless captured)."""
        if self.status in {self.Status.CAPTURED, self.Status.PARTIALLY_REFUNDED}:
            return self.amount - self.refunded_amount
        return 0


class PaymentOperation(models.Model):
    """One capture, cancel or refund asked of the provider for a payment, under the caller's
    idempotency key. PENDING until the provider's answer is recorded."""

    class Kind(models.TextChoices):
        CAPTURE = "capture", _("매입")
        CANCEL = "cancel", _("승인 취소")
        REFUND = "refund", _("환불")

    class Status(models.TextChoices):
        PENDING = "pending", _("응답 대기")
        SUCCEEDED = "succeeded", _("성공")
        FAILED = "failed", _("실패")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="operations")
    kind = models.CharField(_("종류"), max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField(_("금액"))
    reason = models.CharField(_("사유"), max_length=200, blank=True)
    idempotency_key = models.CharField(_("멱등성 키"), max_length=100, unique=True)
    status = models.CharField(
        _("상태"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    error_code = models.CharField(_("오류 코드"), max_length=100, blank=True)
    error_message = models.CharField(_("오류 메시지"), max_length=500, blank=True)
    raw = models.JSONField(_("대행사 응답"), default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("결제 처리")
        verbose_name_plural = _("결제 처리")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="%(app_label)s_%(class)s_amount_nonneg"
            ),
            # One unanswered call per payment: a second would race the first at the provider.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status="pending"),
                name="%(app_label)s_%(class)s_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment.order_id} {self.kind} {self.amount}원 ({self.status})"


class Checkout(models.Model):
    """One order dangol opened before sending a buyer to the provider's payment window: the
    order id the window and confirm carry, the amount, what is bought (`purpose` and
    `item_id`, read by the selling app) and by whom. The window's return is checked against
    this row, and its payment is recorded here once confirmed."""

    class Status(models.TextChoices):
        OPEN = "open", _("결제 대기")
        PAID = "paid", _("결제 완료")
        FAILED = "failed", _("실패")

    order_id = models.CharField(_("주문 번호"), max_length=64, unique=True)
    amount = models.BigIntegerField(_("금액"))
    order_name = models.CharField(_("주문명"), max_length=100)
    purpose = models.CharField(_("구매 종류"), max_length=30)
    item_id = models.PositiveBigIntegerField(_("구매 대상"))
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkouts"
    )
    status = models.CharField(
        _("상태"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="checkout"
    )
    error_code = models.CharField(_("오류 코드"), max_length=100, blank=True)
    error_message = models.CharField(_("오류 메시지"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("결제 주문")
        verbose_name_plural = _("결제 주문")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="%(app_label)s_%(class)s_amount_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount}원 ({self.status})"


class SandboxCharge(models.Model):
    """One charge held by the built-in sandbox provider (its side of a payment).

    Stands in for the provider's own database, so its state survives restarts and is shared
    by every process. Only the card's last four digits are kept.
    """

    class Status(models.TextChoices):
        AUTHORIZED = "authorized", _("승인")
        CAPTURED = "captured", _("결제 완료")
        CANCELLED = "cancelled", _("승인 취소")
        REFUNDED = "refunded", _("환불")
        PARTIALLY_REFUNDED = "partially_refunded", _("부분 환불")

    key = models.CharField(_("샌드박스 결제 키"), max_length=40, unique=True)
    order_id = models.CharField(_("주문 번호"), max_length=64)
    card_last4 = models.CharField(_("카드 끝 4자리"), max_length=4)
    amount = models.BigIntegerField(_("금액"))
    refunded_amount = models.BigIntegerField(_("환불 금액"), default=0)
    status = models.CharField(_("상태"), max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("샌드박스 결제")
        verbose_name_plural = _("샌드박스 결제")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="%(app_label)s_%(class)s_amount_pos"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="%(app_label)s_%(class)s_refunded_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.amount}원 ({self.status})"


class SandboxRequest(models.Model):
    """One call the sandbox provider answered, by idempotency key, with its first answer
    (returned again for every repeat of the key)."""

    idempotency_key = models.CharField(_("멱등성 키"), max_length=300, unique=True)
    operation = models.CharField(_("호출"), max_length=20)
    fingerprint = models.CharField(_("요청 지문"), max_length=64)
    charge = models.ForeignKey(
        SandboxCharge, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    response = models.JSONField(_("응답"))
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("샌드박스 요청")
        verbose_name_plural = _("샌드박스 요청")

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key}"
