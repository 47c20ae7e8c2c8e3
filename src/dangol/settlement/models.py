"""Settlement (정산): policies, each store's payout account, runs, payouts and statements.

A regular run pays each store on a policy what its `store_payable` ledger account held at the
run's cut-off; a fast run (빠른정산) advances eligible stores a share of the redemptions of
one business day. Either payout is a ledger posting from the store's payable to
`payout_clearing` (less the fee), written in the same database transaction as the Payout
row, which is also the store's statement (명세서); see dangol.settlement.services for how
the two kinds add up.
"""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.ledger.models import Transaction
from dangol.places.models import Store

BASIS_POINTS = 10_000


class SettlementPolicy(models.Model):
    """One way of settling: when the cut-offs fall in a month, when money is paid, what it costs.

    Cut-off days come from `cycles_per_month` (4 or 10, spread evenly, the last on the
    month's last day) or, when that is empty, from the explicit `cycle_days`. A payout is made
    `payout_lag_days` Korean business days after its cut-off date (rolled over weekends and
    public holidays).
    """

    class Cycles(models.IntegerChoices):
        FOUR = 4, _("월 4회")
        TEN = 10, _("월 10회")

    name = models.CharField(_("정책 이름"), max_length=100)
    cycles_per_month = models.PositiveSmallIntegerField(
        _("월 정산 횟수"), choices=Cycles.choices, null=True, blank=True,
        help_text=_("비워 두면 정산일 목록을 씁니다."),
    )
    cycle_days = models.JSONField(
        _("정산일 목록"), default=list, blank=True,
        help_text=_("매월 기준일(1–31). 그 달에 없는 날은 말일로 당깁니다."),
    )
    cutoff_time = models.TimeField(_("마감 시각(KST)"), default=dt.time(23, 59))
    payout_lag_days = models.PositiveSmallIntegerField(_("지급까지 영업일 수"), default=1)
    fee_bp = models.PositiveIntegerField(
        _("수수료(bp)"), default=0, help_text=_("지급액의 만분율, 원 미만 버림")
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("정산 정책")
        verbose_name_plural = _("정산 정책")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_bp__lte=BASIS_POINTS), name="%(app_label)s_%(class)s_fee_bp"
            ),
            models.CheckConstraint(
                condition=Q(cycles_per_month__isnull=True) | Q(cycles_per_month__in=[4, 10]),
                name="%(app_label)s_%(class)s_cycles",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StoreSettlementAccount(models.Model):
    """Where and how one store is paid: its policy, bank account and fast-settlement terms."""

    store = models.OneToOneField(
        Store, on_delete=models.PROTECT, related_name="settlement_account", verbose_name=_("가게")
    )
    policy = models.ForeignKey(
        SettlementPolicy, on_delete=models.PROTECT, related_name="store_accounts",
        verbose_name=_("정산 정책"),
    )
    bank_name = models.CharField(_("은행"), max_length=40)
    account_number = models.CharField(_("계좌번호"), max_length=40)
    fast_settlement_eligible = models.BooleanField(_("빠른정산 대상"), default=False)
    fast_share_bp = models.PositiveIntegerField(_("빠른정산 비율(bp)"), default=9000)
    fast_fee_bp = models.PositiveIntegerField(
        _("빠른정산 수수료(bp)"), default=0, help_text=_("지원 사업이 0으로 면제할 수 있습니다.")
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("가게 정산 계좌")
        verbose_name_plural = _("가게 정산 계좌")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fast_share_bp__lte=BASIS_POINTS) & Q(fast_fee_bp__lte=BASIS_POINTS),
                name="%(app_label)s_%(class)s_bp_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.bank_name}"


class SettlementRun(models.Model):
    """One settlement at one cut-off: a regular run of one policy, or the fast run (빠른정산)
    of one business day for every eligible store. Unique per (policy, cut-off) and per fast
    cut-off, so a rerun resumes it.

    A fast run's `window_start` is the previous fast run's cut-off: its window of
    redemptions is (window_start, cutoff].
    """

    class Kind(models.TextChoices):
        REGULAR = "regular", _("정기 정산")
        FAST = "fast", _("빠른정산")

    class Status(models.TextChoices):
        RUNNING = "running", _("진행 중")
        COMPLETED = "completed", _("완료")

    kind = models.CharField(
        _("종류"), max_length=10, choices=Kind.choices, default=Kind.REGULAR
    )
    policy = models.ForeignKey(
        SettlementPolicy, on_delete=models.PROTECT, related_name="runs", verbose_name=_("정책"),
        null=True, blank=True,
    )
    cutoff = models.DateTimeField(_("마감 시각"))
    window_start = models.DateTimeField(_("빠른정산 집계 시작"), null=True, blank=True)
    payout_date = models.DateField(_("지급일"))
    status = models.CharField(
        _("상태"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    completed_at = models.DateTimeField(_("완료 시각"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("정산 실행")
        verbose_name_plural = _("정산 실행")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "cutoff"],
                condition=Q(kind="regular"),
                name="%(app_label)s_%(class)s_policy_cutoff",
            ),
            models.UniqueConstraint(
                fields=["cutoff"],
                condition=Q(kind="fast"),
                name="%(app_label)s_%(class)s_fast_cutoff",
            ),
            models.CheckConstraint(
                condition=(Q(kind="regular") & Q(policy__isnull=False))
                | (Q(kind="fast") & Q(policy__isnull=True)),
                name="%(app_label)s_%(class)s_kind_policy",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.FAST:
            return f"fast @ {self.cutoff.isoformat()}"
        return f"{self.policy_id} @ {self.cutoff.isoformat()}"

    @property
    def is_fast(self) -> bool:
        """Return True for a fast settlement (빠른정산) run."""
        return self.kind == self.Kind.FAST


class Payout(models.Model):
    """What one run pays one store: `amount` out of its payable, `fee` of it kept, `net` sent.

    The ledger posting is shared by the batch of stores paid together: it takes each store's
    `amount` from its payable (one entry per store) and puts the batch's nets into payout
    clearing and its fees into fee revenue (one entry each).

    `bank_name` and `account_number` are copied from the store's settlement account at the
    time of the run, so a later change of account does not rewrite a past transfer.
    """

    # No separate index on run: the unique (run, store) constraint's index serves it.
    run = models.ForeignKey(
        SettlementRun, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("정산"),
        db_index=False,
    )
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("가게")
    )
    amount = models.BigIntegerField(_("정산액(원)"))
    fee = models.BigIntegerField(_("수수료(원)"))
    net = models.BigIntegerField(_("지급액(원)"))
    bank_name = models.CharField(_("은행"), max_length=40)
    account_number = models.CharField(_("계좌번호"), max_length=40)
    # Not indexed: payouts are looked up by run or by store, never by their transaction (a
    # batch's payouts are found through the run), and ledger transactions are never deleted.
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("원장 거래"),
        help_text=_("한 번에 지급한 가게들이 함께 쓰는 원장 거래"), db_index=False,
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("지급")
        verbose_name_plural = _("지급")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "store"], name="%(app_label)s_%(class)s_once"),
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(fee__gte=0)
                & Q(net=models.F("amount") - models.F("fee")),
                name="%(app_label)s_%(class)s_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.store_id}: {self.net:,}"

    # The settlement statement (정산 명세서) of a payout is the payout itself, read through
    # its run: the number, the period's end and the payout date all follow from the pair
    # (run, store), which is unique, so nothing is stored twice. Load `run` with the payout
    # (select_related) before reading these.

    @property
    def number(self) -> str:
        """Return the statement number: `ST-<run>-<store>`, or `FS-…` for a fast run."""
        prefix = "FS" if self.run.is_fast else "ST"
        return f"{prefix}-{self.run_id}-{self.store_id}"

    @property
    def period_end(self) -> dt.datetime:
        """Return the end of the period the statement covers: the run's cut-off."""
        return self.run.cutoff

    @property
    def payout_date(self) -> dt.date:
        """Return the day the money is sent: the run's payout date."""
        return self.run.payout_date
