"""Coupons and stamp cards: promotions redeemed at the counter.

A coupon's validity window is half-open: usable from `valid_from` (inclusive) until
`valid_until` (exclusive, the instant it expires).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.places.models import Store


class CouponTemplate(models.Model):
    """One kind of coupon a store offers: what it takes off, when, how many, to whom."""

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("금액 할인")
        PERCENT_OFF = "percent_off", _("비율 할인")
        FREE_ITEM = "free_item", _("무료 상품")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="coupon_templates")
    name = models.CharField(_("쿠폰 이름"), max_length=60)
    kind = models.CharField(_("종류"), max_length=12, choices=Kind.choices)
    amount_off = models.PositiveIntegerField(_("할인 금액(원)"), default=0)
    percent_off = models.PositiveSmallIntegerField(_("할인율(%)"), default=0)
    max_discount = models.PositiveIntegerField(_("최대 할인 금액(원)"), null=True, blank=True)
    free_item = models.CharField(_("무료 상품"), max_length=60, blank=True)
    valid_from = models.DateTimeField(_("사용 시작"))
    valid_until = models.DateTimeField(_("사용 종료"), help_text=_("이 시각부터 쓸 수 없습니다"))
    total_quantity = models.PositiveIntegerField(
        _("총 발급 수량"), null=True, blank=True, help_text=_("비워 두면 무제한")
    )
    issued_count = models.PositiveIntegerField(_("발급한 수량"), default=0)
    per_customer_limit = models.PositiveSmallIntegerField(_("1인당 발급 한도"), default=1)
    minimum_purchase = models.PositiveIntegerField(_("최소 구매 금액(원)"), default=0)
    claimable = models.BooleanField(_("가게 페이지에서 받기"), default=True)
    is_active = models.BooleanField(_("사용 중"), default=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("쿠폰 종류")
        verbose_name_plural = _("쿠폰 종류")
        ordering = ["store_id", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")),
                name="%(app_label)s_%(class)s_window_order",
            ),
            models.CheckConstraint(
                condition=(Q(kind="amount_off") & Q(amount_off__gt=0))
                | (
                    Q(kind="percent_off") & Q(percent_off__gte=1) & Q(percent_off__lte=100)
                    & Q(max_discount__gt=0)
                )
                | (Q(kind="free_item") & ~Q(free_item="")),
                name="%(app_label)s_%(class)s_kind_fields",
            ),
            models.CheckConstraint(
                condition=Q(total_quantity__isnull=True) | Q(issued_count__lte=F("total_quantity")),
                name="%(app_label)s_%(class)s_quantity_not_exceeded",
            ),
            models.CheckConstraint(
                condition=Q(per_customer_limit__gte=1),
                name="%(app_label)s_%(class)s_per_customer_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def valid_through(self) -> dt.datetime:
        """Return the last minute the coupon can be used (valid_until is exclusive)."""
        return self.valid_until - dt.timedelta(minutes=1)

    @property
    def remaining(self) -> int | None:
        """Return how many more may be issued, or None when unlimited."""
        if self.total_quantity is None:
            return None
        return max(self.total_quantity - self.issued_count, 0)


class Coupon(models.Model):
    """One coupon issued to one customer, shown at the counter by code or QR."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("사용 가능")
        REDEEMED = "redeemed", _("사용함")
        EXPIRED = "expired", _("기간 만료")
        VOID = "void", _("취소됨")

    class Source(models.TextChoices):
        ISSUE = "issue", _("단골 발급")
        CLAIM = "claim", _("직접 받기")
        STAMP = "stamp", _("스탬프 보상")

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="coupons")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupons"
    )
    status = models.CharField(
        _("상태"), max_length=10, choices=Status.choices, default=Status.ISSUED
    )
    source = models.CharField(_("발급 경로"), max_length=10, choices=Source.choices)
    code = models.CharField(_("쿠폰 번호"), max_length=6)
    token = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField(_("발급 시각"))
    redeemed_at = models.DateTimeField(_("사용 시각"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    purchase_amount = models.PositiveIntegerField(_("구매 금액(원)"), null=True, blank=True)
    discount_amount = models.PositiveIntegerField(_("할인 금액(원)"), null=True, blank=True)
    redeem_key = models.CharField(max_length=100, blank=True, default="")
    stamp = models.ForeignKey(
        "Stamp", on_delete=models.SET_NULL, null=True, blank=True, related_name="reward_coupons"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("쿠폰")
        verbose_name_plural = _("쿠폰")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "code"], condition=Q(status="issued"),
                name="%(app_label)s_%(class)s_unique_live_code",
            ),
            models.UniqueConstraint(
                fields=["store", "redeem_key"], condition=~Q(redeem_key=""),
                name="%(app_label)s_%(class)s_unique_redeem_key",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6}$"), name="%(app_label)s_%(class)s_code_format"
            ),
            models.CheckConstraint(
                condition=(Q(status="redeemed") & Q(redeemed_at__isnull=False))
                | (~Q(status="redeemed") & Q(redeemed_at__isnull=True)),
                name="%(app_label)s_%(class)s_redeemed_at_iff_redeemed",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__isnull=True) | Q(purchase_amount__isnull=True)
                | Q(discount_amount__lte=F("purchase_amount")),
                name="%(app_label)s_%(class)s_discount_within_purchase",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="coupons_coupon_customer"),
            models.Index(fields=["template", "customer"], name="coupons_coupon_tpl_customer"),
            models.Index(fields=["store", "redeemed_at"], name="coupons_coupon_store_redeemed"),
        ]

    def __str__(self) -> str:
        return f"{self.template} #{self.code}"


class StampCardProgram(models.Model):
    """One store's stamp card: N stamps earn a reward coupon; limits stop abuse."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stamp_programs")
    name = models.CharField(_("이름"), max_length=60)
    stamps_required = models.PositiveSmallIntegerField(_("필요한 스탬프 수"))
    reward = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="stamp_programs",
        verbose_name=_("보상 쿠폰"),
    )
    per_visit_limit = models.PositiveSmallIntegerField(_("한 번에 줄 수 있는 스탬프"), default=1)
    per_day_limit = models.PositiveSmallIntegerField(_("하루 최대 스탬프"), default=1)
    is_active = models.BooleanField(_("진행 중"), default=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("스탬프 카드")
        verbose_name_plural = _("스탬프 카드")
        constraints = [
            models.UniqueConstraint(
                fields=["store"], condition=Q(is_active=True),
                name="%(app_label)s_%(class)s_one_active_per_store",
            ),
            models.CheckConstraint(
                condition=Q(stamps_required__gte=1) & Q(per_visit_limit__gte=1)
                & Q(per_day_limit__gte=1),
                name="%(app_label)s_%(class)s_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StampCard(models.Model):
    """One customer's card in one program: the stamps on the current card, cards filled."""

    program = models.ForeignKey(StampCardProgram, on_delete=models.CASCADE, related_name="cards")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stamp_cards"
    )
    stamps = models.PositiveSmallIntegerField(_("현재 스탬프"), default=0)
    completed_count = models.PositiveIntegerField(_("완성한 카드"), default=0)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("고객 스탬프 카드")
        verbose_name_plural = _("고객 스탬프 카드")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "customer"], name="%(app_label)s_%(class)s_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} · {self.customer}"


class Stamp(models.Model):
    """One give of stamps (one or more) by staff to a customer's card."""

    card = models.ForeignKey(StampCard, on_delete=models.CASCADE, related_name="gives")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stamps")
    count = models.PositiveSmallIntegerField(_("스탬프 수"))
    given_at = models.DateTimeField(_("준 시각"))
    day = models.DateField(_("날짜(KST)"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("스탬프")
        verbose_name_plural = _("스탬프")
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gte=1), name="%(app_label)s_%(class)s_count_positive"
            ),
            models.UniqueConstraint(
                fields=["store", "idempotency_key"], condition=~Q(idempotency_key=""),
                name="%(app_label)s_%(class)s_unique_key",
            ),
        ]
        indexes = [
            models.Index(fields=["card", "day"], name="coupons_stamp_card_day"),
            models.Index(fields=["store", "day"], name="coupons_stamp_store_day"),
        ]

    def __str__(self) -> str:
        return f"{self.card} +{self.count}"


class CustomerCode(models.Model):
    """One customer's personal code, shown at the counter (digits or QR) to get stamps."""

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_code"
    )
    code = models.CharField(_("고객 번호"), max_length=8, unique=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("고객 번호")
        verbose_name_plural = _("고객 번호")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{8}$"), name="%(app_label)s_%(class)s_format"
            ),
        ]

    def __str__(self) -> str:
        return self.code
