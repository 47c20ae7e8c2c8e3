"""Co-prosperity programs (상생 사업): funds, programs with their benefits, merchants'
applications and grants, the roll-out of markets, the promotion hall, and pledges.

Money lives in the ledger: a fund and a program budget are ledger accounts (kinds `fund`
and `program_budget`, owners ("fund", id) and ("program", id), non-negative); a grant is a
ledger transfer from the budget to the store's message credit or subsidy account. The rows
here say why money moved and what was promised.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.ledger.models import Transaction
from dangol.organisations.models import Organisation
from dangol.places.models import Market, Product, Region, Store

BASIS_POINTS = 10_000
DEFAULT_MAX_ANNUAL_SALES = 1_000_000_000  # ₩1bn, by the merchant's declaration


class Fund(models.Model):
    """A fund (기금, e.g. 분수펀드) with its total; programs draw their budgets from it."""

    name = models.CharField(_("기금 이름"), max_length=100, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="funds", verbose_name=_("출연 기관")
    )
    total = models.PositiveBigIntegerField(_("총액(원)"))
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("기금")
        verbose_name_plural = _("기금")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    """A program (사업): who runs it, when, where, for whom, with what benefits and budget."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("준비 중")
        OPEN = "open", _("신청 받는 중")
        CLOSED = "closed", _("종료")

    name = models.CharField(_("사업 이름"), max_length=100, unique=True)
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, null=True, blank=True, related_name="programs",
        verbose_name=_("기금"),
    )
    operator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="programs",
        verbose_name=_("운영 기관"),
    )
    description = models.TextField(_("설명"), blank=True)
    starts_on = models.DateField(_("시작일"))
    ends_on = models.DateField(_("종료일"))
    regions = models.ManyToManyField(
        Region, blank=True, related_name="programs", verbose_name=_("대상 시군구"),
        limit_choices_to={"level": "sigungu"},
    )
    markets = models.ManyToManyField(
        Market, blank=True, related_name="programs", verbose_name=_("대상 시장·상점가"),
        through="Enrolment",
    )
    max_annual_sales = models.PositiveBigIntegerField(
        _("연 매출 상한(원)"), default=DEFAULT_MAX_ANNUAL_SALES
    )
    applicant_cap = models.PositiveIntegerField(
        _("신청 가게 수 상한"), null=True, blank=True, help_text=_("비우면 상한 없음")
    )
    budget = models.PositiveBigIntegerField(_("예산(원)"))
    status = models.CharField(
        _("상태"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="programs_created",
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상생 사업")
        verbose_name_plural = _("상생 사업")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Benefit(models.Model):
    """One benefit of a program. `amount` is won per grant for credits; `cycles_per_month`
    for a settlement upgrade; `share_bp` of a discount (and `amount` as its budget) for
    promotion support."""

    class Kind(models.TextChoices):
        MESSAGE_CREDIT = "message_credit", _("메시지 충전금")
        MARKET_CHANNEL_CREDIT = "market_channel_credit", _("시장 채널 충전금")
        SETTLEMENT_UPGRADE = "settlement_upgrade", _("정산 주기 상향")
        FAST_SETTLEMENT = "fast_settlement", _("빠른정산(수수료 면제)")
        PROMOTION_SUPPORT = "promotion_support", _("기획전 할인 지원")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="benefits")
    kind = models.CharField(_("종류"), max_length=30, choices=Kind.choices)
    amount = models.PositiveBigIntegerField(_("금액(원)"), default=0)
    cycles_per_month = models.PositiveSmallIntegerField(
        _("월 정산 횟수"), null=True, blank=True
    )
    share_bp = models.PositiveIntegerField(_("할인 분담률(bp)"), default=0)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("지원 내용")
        verbose_name_plural = _("지원 내용")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind"], name="%(app_label)s_%(class)s_once"
            ),
            models.CheckConstraint(
                condition=Q(share_bp__lte=BASIS_POINTS), name="%(app_label)s_%(class)s_share"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.get_kind_display()}"


class Application(models.Model):
    """A store's application to a program, decided by the rules or by an operator."""

    class Status(models.TextChoices):
        REVIEW = "review", _("검토 중")
        APPROVED = "approved", _("승인")
        REJECTED = "rejected", _("반려")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="applications")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    declared_annual_sales = models.PositiveBigIntegerField(_("신고 연 매출(원)"))
    brn = models.CharField(_("사업자등록번호"), max_length=12)
    status = models.CharField(_("상태"), max_length=10, choices=Status.choices)
    reasons = models.JSONField(_("사유"), default=list, blank=True)
    decided_at = models.DateTimeField(_("결정 시각"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="applications_decided",
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("신청")
        verbose_name_plural = _("신청")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "store"], name="%(app_label)s_%(class)s_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id}/{self.store_id} {self.status}"


class Grant(models.Model):
    """One benefit granted to a store (through its application) or, for market channel credit,
    to a market (when its enrolment becomes active); for money, a ledger transfer from the
    program's budget.

    A settlement benefit keeps the store's terms it changed: `previous_settlement` before the
    grant and `granted_settlement` after it, each holding only the benefit's own fields
    ({"policy": id} for a settlement upgrade, {"fast_settlement_eligible", "fast_fee_bp"} for
    fast settlement); both are null when the store had no settlement account. They let the
    terms go back when the grant ends (its program's period is over) or is withdrawn by an
    operator (dangol.programs.grant_endings); `returned` is the unused credit a withdrawal
    moved back to the budget by `return_transaction`."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("지원 중")
        ENDED = "ended", _("사업 종료")
        WITHDRAWN = "withdrawn", _("철회")

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    benefit = models.ForeignKey(Benefit, on_delete=models.PROTECT, related_name="grants")
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    amount = models.PositiveBigIntegerField(_("금액(원)"), default=0)
    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="grant"
    )
    status = models.CharField(
        _("상태"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    previous_settlement = models.JSONField(_("지원 전 정산 조건"), null=True, blank=True)
    granted_settlement = models.JSONField(_("지원한 정산 조건"), null=True, blank=True)
    returned = models.PositiveBigIntegerField(_("예산으로 돌려받은 금액(원)"), default=0)
    return_transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True,
        related_name="grant_return",
    )
    ended_at = models.DateTimeField(_("끝난 때"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="grants_ended", verbose_name=_("철회한 사람"),
    )
    end_reason = models.CharField(_("철회 사유"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("지원금 지급")
        verbose_name_plural = _("지원금 지급")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "benefit"], name="%(app_label)s_%(class)s_once"
            ),
            models.UniqueConstraint(
                fields=["benefit", "market"], condition=Q(market__isnull=False),
                name="%(app_label)s_%(class)s_once_per_market",
            ),
            models.CheckConstraint(
                condition=Q(application__isnull=False, store__isnull=False, market__isnull=True)
                | Q(application__isnull=True, store__isnull=True, market__isnull=False),
                name="%(app_label)s_%(class)s_store_or_market",
            ),
            models.CheckConstraint(
                condition=Q(returned__lte=models.F("amount")),
                name="%(app_label)s_%(class)s_returned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.benefit_id}→{self.store_id or self.market_id} {self.amount:,}"


class Enrolment(models.Model):
    """A market or shopping street in a program's roll-out: invited → onboarding → active."""

    class Status(models.TextChoices):
        INVITED = "invited", _("초대")
        ONBOARDING = "onboarding", _("준비 중")
        ACTIVE = "active", _("운영 중")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="enrolments")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(
        _("상태"), max_length=12, choices=Status.choices, default=Status.INVITED
    )
    invited_at = models.DateTimeField(_("초대한 때"), default=clock.now)
    onboarding_at = models.DateTimeField(_("준비 시작"), null=True, blank=True)
    active_at = models.DateTimeField(_("운영 시작"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("참여 시장")
        verbose_name_plural = _("참여 시장")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "market"], name="%(app_label)s_%(class)s_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id}/{self.market_id} {self.status}"


class RolloutTarget(models.Model):
    """A roll-out target of a program (e.g. 100 active markets by a date)."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="rollout_target"
    )
    markets = models.PositiveIntegerField(_("목표 시장 수"))
    due_on = models.DateField(_("기한"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("확산 목표")
        verbose_name_plural = _("확산 목표")

    def __str__(self) -> str:
        return f"{self.program_id}: {self.markets}"


class HallItem(models.Model):
    """A product of an eligible store in a program's promotion hall (기획전) with its
    discount; the program pays `share_bp` of the discount from its promotion budget."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="hall_items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="hall_items")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="hall_items")
    voucher_product = models.OneToOneField(
        "vouchers.VoucherProduct", on_delete=models.PROTECT, null=True, blank=True,
        related_name="hall_item", verbose_name=_("상품권 상품"),
        help_text=_("기획전에서만 파는 교환권 상품"),
    )
    price = models.PositiveIntegerField(_("정가(원)"))
    discount = models.PositiveIntegerField(_("할인액(원)"))
    share_bp = models.PositiveIntegerField(_("사업 분담률(bp)"))
    is_active = models.BooleanField(_("판매 중"), default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("기획전 상품")
        verbose_name_plural = _("기획전 상품")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount__lt=models.F("price")) & Q(share_bp__lte=BASIS_POINTS),
                name="%(app_label)s_%(class)s_discount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id}/{self.product_id}"


class Pledge(models.Model):
    """An organisation's public commitment (상생 약속) with a metric, target and deadline."""

    class Metric(models.TextChoices):
        MARKETS_SUPPORTED = "markets_supported", _("지원 시장 수")
        MERCHANTS_CREDITED = "merchants_credited", _("메시지 충전금 받은 가게 수")
        SETTLEMENT_CYCLES = "settlement_cycles", _("월 정산 횟수")
        FAST_PAYOUTS = "fast_payouts", _("빠른정산 지급 건수")
        REPORTED = "reported", _("보고(증빙)")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="pledges"
    )
    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="pledges"
    )
    text = models.TextField(_("약속"))
    metric = models.CharField(_("지표"), max_length=30, choices=Metric.choices)
    target = models.PositiveBigIntegerField(_("목표"))
    deadline = models.DateField(_("기한"))
    reported_value = models.PositiveBigIntegerField(_("보고한 값"), null=True, blank=True)
    evidence = models.TextField(_("증빙"), blank=True)
    reported_at = models.DateTimeField(_("보고한 때"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상생 약속")
        verbose_name_plural = _("상생 약속")
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return self.text[:40]
