"""The double-entry ledger (원장): accounts, transactions and their entries (DESIGN.md §5).

An entry's amount is the value that flows into its account (positive) or out of it
(negative), in integer won; a transaction moves value from its negative entries to its
positive ones, so its entries sum to zero and so does the sum of all balances. Value that
comes from outside dangol (a customer's card payment, a city's grant) enters through a
clearing account (`cash`, `external`) whose balance goes negative by the same amount.

The ledger knows nothing of stores, markets or programs: an account's owner is a
(`owner_type`, `owner_id`) pair that the domain which opened the account interprets.
"""

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.ledger.errors import ImmutableRecord


class Account(models.Model):
    """One account of one owner (or of the platform when it has no owner), holding a balance.

    `balance` is maintained by the posting services in the same database transaction as the
    entries, so it is always the sum of the account's entries (`dangol ledger verify`
    checks this); never write it any other way.
    """

    class Kind(models.TextChoices):
        CASH = "cash", _("결제 대행 정산 대기(현금)")
        EXTERNAL = "external", _("외부 입금(기금 출연 등)")
        VOUCHER_LIABILITY = "voucher_liability", _("상품권 잔액(미상환 부채)")
        STORE_PAYABLE = "store_payable", _("가게 정산 예정액")
        PAYOUT_CLEARING = "payout_clearing", _("지급 대기")
        REFUND_CLEARING = "refund_clearing", _("환불 대기")
        PLATFORM_FEE_REVENUE = "platform_fee_revenue", _("플랫폼 수수료 수익")
        DISCOUNT_EXPENSE = "discount_expense", _("할인 부담금")
        FUND = "fund", _("기금")
        PROGRAM_BUDGET = "program_budget", _("사업 예산")
        SUBSIDY = "subsidy", _("지원금")
        MESSAGE_CREDIT = "message_credit", _("메시지 충전금")
        MESSAGE_USAGE = "message_usage", _("메시지 발송 비용")

    owner_type = models.CharField(
        _("소유자 종류"), max_length=30, blank=True, default="",
        help_text=_("store, market, program, customer 등. 플랫폼 계정은 비워 둡니다."),
    )
    owner_id = models.BigIntegerField(_("소유자 ID"), null=True, blank=True)
    kind = models.CharField(_("계정 종류"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("계정명"), max_length=200)
    non_negative = models.BooleanField(
        _("음수 금지"), default=False,
        help_text=_("상품권 잔액, 메시지 충전금, 예산처럼 0 아래로 내려갈 수 없는 계정"),
    )
    balance = models.BigIntegerField(_("잔액(원)"), default=0, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("원장 계정")
        verbose_name_plural = _("원장 계정")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(non_negative=False) | Q(balance__gte=0),
                name="%(app_label)s_%(class)s_balance_nonneg",
            ),
            # NULLs are distinct in a plain unique index, so owned and ownerless accounts
            # get one partial index each: one account per (owner, kind).
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind"],
                condition=Q(owner_id__isnull=False),
                name="%(app_label)s_%(class)s_owner_kind_unique",
            ),
            models.UniqueConstraint(
                fields=["owner_type", "kind"],
                condition=Q(owner_id__isnull=True),
                name="%(app_label)s_%(class)s_ownerless_kind_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save a new account at zero, or an existing one's fields other than the balance.

        Raise ImmutableRecord for a new account with a balance, or when saving an existing
        one without `update_fields` or with `balance` in it (a stale instance would
        overwrite the balance that postings maintain).
        """
        if self._state.adding:
            if self.balance != 0:
                raise ImmutableRecord()
        else:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or "balance" in update_fields:
                raise ImmutableRecord()
        super().save(*args, **kwargs)


class Transaction(models.Model):
    """One balanced posting: a set of entries that sum to zero, written once, never changed.

    `idempotency_key` is unique: a retry with the same key returns this row; `fingerprint`
    is a hash of the kind and the normalised entries, so a reuse of the key for different
    content is detected. A correction is a new transaction that `reverses` this one.
    """

    idempotency_key = models.CharField(_("멱등성 키"), max_length=200, unique=True)
    kind = models.CharField(_("거래 종류"), max_length=50)
    description = models.CharField(_("적요"), max_length=255, blank=True)
    fingerprint = models.CharField(_("내용 지문"), max_length=64)
    reverses = models.OneToOneField(
        "self", verbose_name=_("취소 대상 거래"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="reversed_by",
    )
    metadata = models.JSONField(_("부가 정보"), default=dict, blank=True)
    # Immutable rows have no updated_at. The default comes from dangol's clock so that
    # tests (and settlement cut-offs in them) can freeze it.
    created_at = models.DateTimeField(_("기록 시각"), default=clock.now, db_index=True)

    class Meta:
        verbose_name = _("원장 거래")
        verbose_name_plural = _("원장 거래")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert the transaction; raise ImmutableRecord if it exists already."""
        if not self._state.adding:
            raise ImmutableRecord()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Raise ImmutableRecord: a posted transaction is corrected by a reversal."""
        raise ImmutableRecord()


class EntryQuerySet(models.QuerySet["Entry"]):
    """Entries are inserted, never updated or deleted in bulk either."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableRecord()

    def delete(self) -> NoReturn:
        raise ImmutableRecord()


class Entry(models.Model):
    """One leg of a transaction: `amount` won into (positive) or out of (negative) `account`.

    Immutable: the model refuses updates and deletes, and on PostgreSQL a trigger refuses
    them in the database too (migration 0001).
    """

    transaction = models.ForeignKey(
        Transaction, verbose_name=_("거래"), on_delete=models.PROTECT, related_name="entries"
    )
    # No single-column index on account: the (account, id) index serves every lookup by
    # account and is the one kept up to date on each insert.
    account = models.ForeignKey(
        Account, verbose_name=_("계정"), on_delete=models.PROTECT, related_name="entries",
        db_index=False,
    )
    amount = models.BigIntegerField(_("금액(원)"))

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("분개")
        verbose_name_plural = _("분개")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0), name="%(app_label)s_%(class)s_amount_nonzero"
            ),
        ]
        indexes = [models.Index(fields=["account", "id"], name="ledger_entry_account_id_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount:+,}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert the entry; raise ImmutableRecord if it exists already."""
        if not self._state.adding:
            raise ImmutableRecord()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Raise ImmutableRecord: entries are corrected by a reversing transaction."""
        raise ImmutableRecord()
