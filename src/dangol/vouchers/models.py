"""Mobile gift vouchers (모바일 상품권): products, purchased vouchers and what happens to them.

A voucher's value lives in the ledger: each voucher owns one account of kind
`voucher_liability` (owner_type "voucher", owner_id = the voucher's id, non-negative), and
that account's balance is the source of truth. `Voucher.balance` mirrors it, written in the
same database transaction as every posting, so lists can show balances without a join.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock

LEDGER_OWNER_TYPE = "voucher"


class VoucherProduct(models.Model):
    """One kind of voucher on sale, issued by a store or by a market association.

    A market's product is accepted at every store of the market, or only at
    `accepted_stores` when that list is not empty. An amount voucher (금액권) can be spent
    in parts; a product voucher (교환권) is exchanged for `product_name` in one go.
    """

    class Kind(models.TextChoices):
        AMOUNT = "amount", _("금액권")
        PRODUCT = "product", _("교환권")

    name = models.CharField(_("상품권 이름"), max_length=100)
    kind = models.CharField(_("종류"), max_length=10, choices=Kind.choices, default=Kind.AMOUNT)
    product_name = models.CharField(
        _("교환 상품"), max_length=100, blank=True, help_text=_("교환권만: 예) 고등어 1손")
    )
    store = models.ForeignKey(
        "places.Store", verbose_name=_("발행 가게"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="voucher_products",
    )
    market = models.ForeignKey(
        "places.Market", verbose_name=_("발행 시장(상인회)"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="voucher_products",
    )
    accepted_stores = models.ManyToManyField(
        "places.Store", verbose_name=_("사용 가능 가게"), blank=True,
        related_name="accepted_voucher_products",
        help_text=_("시장 상품권만: 비워 두면 시장의 모든 가게에서 사용할 수 있습니다."),
    )
    face_value = models.PositiveIntegerField(_("액면가(원)"))
    sale_price = models.PositiveIntegerField(_("판매가(원)"))
    validity_months = models.PositiveSmallIntegerField(
        _("유효기간(개월)"), default=12,
        help_text=_("구매일을 포함해 달력으로 셉니다: 12개월이면 2027-03-01 구매분은 "
                    "2028-02-29까지"),
    )
    is_perishable = models.BooleanField(
        _("신선식품 등"), default=False,
        help_text=_("유효기간을 3개월까지 줄일 수 있는 상품"),
    )
    fee_bp = models.PositiveIntegerField(
        _("플랫폼 수수료(bp)"), default=0, help_text=_("1bp = 0.01%. 상한을 넘을 수 없습니다.")
    )
    is_active = models.BooleanField(_("판매 중"), default=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상품권 상품")
        verbose_name_plural = _("상품권 상품")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(store__isnull=False, market__isnull=True)
                | Q(store__isnull=True, market__isnull=False),
                name="%(app_label)s_%(class)s_one_issuer",
            ),
            models.CheckConstraint(
                condition=Q(sale_price__gt=0, sale_price__lte=F("face_value")),
                name="%(app_label)s_%(class)s_sale_price_range",
            ),
            models.CheckConstraint(
                condition=Q(validity_months__gte=12)
                | Q(is_perishable=True, validity_months__gte=3),
                name="%(app_label)s_%(class)s_validity_min",
            ),
            models.CheckConstraint(
                condition=Q(kind="amount") | ~Q(product_name=""),
                name="%(app_label)s_%(class)s_product_named",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def issuer_owner(self) -> tuple[str, int]:
        """Return the ledger owner (type, id) of the issuer: its store or its market."""
        if self.store_id is not None:
            return "store", self.store_id
        if self.market_id is None:
            raise ValueError("a voucher product has a store or a market")
        return "market", self.market_id


class Voucher(models.Model):
    """One purchased voucher, held by a mobile number (and its user once they sign in)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("사용 가능")
        USED = "used", _("사용 완료")
        REFUNDED = "refunded", _("환불")

    product = models.ForeignKey(
        VoucherProduct, verbose_name=_("상품"), on_delete=models.PROTECT, related_name="vouchers"
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("구매자"), on_delete=models.PROTECT,
        related_name="vouchers_bought",
    )
    holder_phone = models.CharField(_("보유자 휴대전화"), max_length=16, help_text=_("E.164"))
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("보유자"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="vouchers_held",
    )
    code = models.CharField(_("상품권 번호"), max_length=16, unique=True)
    qr_token = models.CharField(_("QR 토큰"), max_length=64, unique=True)
    face_value = models.PositiveIntegerField(_("액면가(원)"))
    balance = models.BigIntegerField(_("잔액(원)"))
    status = models.CharField(
        _("상태"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    purchased_at = models.DateTimeField(_("구매 시각"))
    expires_at = models.DateTimeField(_("유효기간 만료"))
    extended_until = models.DateTimeField(_("연장된 만료"), null=True, blank=True)
    extension_count = models.PositiveSmallIntegerField(_("연장 횟수"), default=0)
    payment = models.OneToOneField(
        "payments.Payment", verbose_name=_("결제"), on_delete=models.PROTECT,
        related_name="voucher",
    )
    purchase_key = models.CharField(_("구매 멱등성 키"), max_length=100, unique=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상품권")
        verbose_name_plural = _("상품권")
        ordering = ["-purchased_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0, balance__lte=F("face_value")),
                name="%(app_label)s_%(class)s_balance_range",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("purchased_at")),
                name="%(app_label)s_%(class)s_expiry_after_purchase",
            ),
        ]
        indexes = [models.Index(fields=["holder_phone", "status"], name="vouchers_holder_status")]

    def __str__(self) -> str:
        return f"{self.code} ({self.balance:,}원)"

    @property
    def valid_until(self) -> dt.datetime:
        """Return the instant the voucher stops being usable (extension included)."""
        return self.extended_until or self.expires_at

    def is_expired(self, at: dt.datetime | None = None) -> bool:
        """Return True if the voucher is past its validity at `at` (default now)."""
        return (at or clock.now()) >= self.valid_until


class VoucherGift(models.Model):
    """One hand-over of a voucher to a mobile number, with the sender's message."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="gifts")
    from_phone = models.CharField(_("보낸 사람 휴대전화"), max_length=16, blank=True)
    to_phone = models.CharField(_("받는 사람 휴대전화"), max_length=16)
    message = models.CharField(_("메시지"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("선물한 때"), default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상품권 선물")
        verbose_name_plural = _("상품권 선물")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.voucher_id} → {self.to_phone}"


class Redemption(models.Model):
    """One use of a voucher at a store: `amount` won off the balance, `fee` to the platform."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    store = models.ForeignKey(
        "places.Store", on_delete=models.PROTECT, related_name="voucher_redemptions"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="voucher_redemptions"
    )
    amount = models.PositiveIntegerField(_("사용 금액(원)"))
    fee = models.PositiveIntegerField(_("수수료(원)"))
    idempotency_key = models.CharField(_("멱등성 키"), max_length=100, unique=True)
    ledger_transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="voucher_redemption"
    )
    created_at = models.DateTimeField(_("사용한 때"), default=clock.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상품권 사용")
        verbose_name_plural = _("상품권 사용")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, fee__gte=0, fee__lte=F("amount")),
                name="%(app_label)s_%(class)s_amount_fee_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} @ {self.store_id}: {self.amount:,}원"


class Refund(models.Model):
    """One refund of a voucher under one rule of DESIGN.md §6.

    Booked first (the balance leaves the voucher for `refund_clearing`), then paid back
    through the payment provider (clearing → cash); `paid_at` is set when the provider
    confirmed. A voucher is refunded at most once: every refund takes the whole balance.
    """

    class Rule(models.TextChoices):
        WITHDRAWAL = "withdrawal", _("구매 후 7일 이내 전액 환불")
        BALANCE = "balance", _("잔액 환불(60%/80% 이상 사용)")
        AFTER_EXPIRY = "after_expiry", _("유효기간 만료 후 90% 환불")

    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="refund")
    rule = models.CharField(_("환불 규정"), max_length=20, choices=Rule.choices)
    balance = models.PositiveIntegerField(_("환불 전 잔액(원)"))
    amount = models.PositiveIntegerField(_("환불 금액(원)"))
    reason = models.CharField(_("사유"), max_length=200, blank=True)
    idempotency_key = models.CharField(_("멱등성 키"), max_length=100, unique=True)
    paid_at = models.DateTimeField(_("환불 완료"), null=True, blank=True)
    created_at = models.DateTimeField(_("요청한 때"), default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상품권 환불")
        verbose_name_plural = _("상품권 환불")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, amount__lte=F("balance")),
                name="%(app_label)s_%(class)s_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} {self.rule} {self.amount:,}원"
