"""The ledger's domain errors (DESIGN.md §5)."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError, IdempotencyKeyReused, ValidationError


class LedgerError(DangolError):
    """A ledger rule was broken."""

    code = "ledger_error"
    template = _("원장 처리 중 규칙 위반이 있습니다.")


class InvalidEntries(ValidationError):
    """A posting's entries do not have the required form."""

    code = "ledger_invalid_entries"
    template = _("원장 분개가 올바르지 않습니다: %(reason)s")


class UnbalancedTransaction(ValidationError):
    """A posting's entries do not sum to zero."""

    code = "ledger_unbalanced"
    template = _("분개 합계가 0이 아닙니다 (합계 %(total)s).")


class IdempotencyConflict(IdempotencyKeyReused, LedgerError):
    """An idempotency key was reused for a posting with different content (the ledger's
    own case of the one IdempotencyKeyReused, naming the key)."""

    code = "ledger_idempotency_conflict"
    template = _("멱등성 키 %(key)s는 내용이 다른 거래에 이미 사용되었습니다.")
    status = 409


class InsufficientFunds(LedgerError):
    """A non-negative account would go below zero."""

    code = "ledger_insufficient_funds"
    template = _("%(account)s 잔액이 부족합니다 (잔액 %(balance)s, 요청 %(amount)s).")
    status = 409


class AlreadyReversed(LedgerError):
    """The transaction has been reversed already."""

    code = "ledger_already_reversed"
    template = _("거래 %(key)s는 이미 취소(역분개)되었습니다.")
    status = 409


class AccountMismatch(LedgerError):
    """An existing account does not have the flags the caller expects."""

    code = "ledger_account_mismatch"
    template = _("계정 %(account)s의 음수 금지 설정이 요청과 다릅니다.")


class ImmutableRecord(LedgerError):
    """Someone tried to change or delete a posted transaction or entry, or write a balance."""

    code = "ledger_immutable"
    template = _("원장 기록은 바꾸거나 지울 수 없습니다. 역분개 거래로 바로잡으세요.")


class InvalidAccount(ValidationError):
    """An account cannot be opened as asked."""

    code = "ledger_invalid_account"
    template = _("원장 계정을 만들 수 없습니다: %(reason)s")
