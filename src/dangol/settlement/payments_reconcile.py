"""The payment reconciliation report: what the payment provider holds for the platform
against what the ledger's cash account says was taken.

The provider side is the payments' own record: the captured amount of every captured payment
less what was refunded of it. The ledger side is the platform cash account: purchases and
top-ups take cash (−), refunds paid back give it (+), so its negated balance is the net taken.
They agree once every captured payment is booked (its voucher issued, its credit added) and
every provider refund paid in the ledger; an operation still PENDING is listed, since its
outcome is not known yet. One read of each side.
"""

from dataclasses import dataclass

from django.db.models import F, Sum

from dangol.ledger import catalogue
from dangol.payments.models import Payment, PaymentOperation

CAPTURED_STATUSES = (
    Payment.Status.CAPTURED,
    Payment.Status.PARTIALLY_REFUNDED,
    Payment.Status.REFUNDED,
)


@dataclass(frozen=True)
class PaymentsReconciliation:
    """Both sides of the report and what is still unanswered."""

    provider_net: int
    ledger_net: int
    pending_payments: int
    pending_operations: int

    @property
    def difference(self) -> int:
        return self.provider_net - self.ledger_net

    @property
    def ok(self) -> bool:
        """Return True when both sides agree and nothing awaits the provider's answer."""
        return not self.difference and not self.pending_payments and not self.pending_operations


def payments_reconcile() -> PaymentsReconciliation:
    """Return the payment reconciliation report (see the module docstring)."""
    provider_net = Payment.objects.filter(status__in=CAPTURED_STATUSES).aggregate(
        net=Sum(F("amount") - F("refunded_amount"))
    )["net"] or 0
    return PaymentsReconciliation(
        provider_net=int(provider_net),
        ledger_net=-catalogue.cash_account().balance,
        pending_payments=Payment.objects.filter(status=Payment.Status.PENDING).count(),
        pending_operations=PaymentOperation.objects.filter(
            status=PaymentOperation.Status.PENDING
        ).count(),
    )
