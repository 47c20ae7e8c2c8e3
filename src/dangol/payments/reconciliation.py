"""What the provider's record of a payment says about one unanswered operation.

When a call's answer is lost (a timeout, a key the provider has forgotten), the services ask
the provider what it holds (`PaymentProvider.lookup`) and this module reads the operation's
outcome from that record. A record that does not decide it gives None: the operation stays
PENDING and is asked again (or, for a key the provider still remembers, repeated).
"""

from datetime import timedelta

from django.utils.translation import gettext as _

from dangol.payments.models import Payment, PaymentOperation
from dangol.payments.providers.base import ProviderResult, ProviderStatus

# Toss keeps an idempotency key for 15 days; we stop repeating a call under its key one day
# before and rely on the provider's record instead.
KEY_LIFETIME = timedelta(days=14)

_CAPTURED = {
    ProviderStatus.CAPTURED,
    ProviderStatus.PARTIALLY_REFUNDED,
    ProviderStatus.REFUNDED,
}


def operation_outcome(
    *, operation: PaymentOperation, payment: Payment, found: ProviderResult, repeatable: bool
) -> ProviderResult | None:
    """Return the answer to record for the pending `operation`, read from `found` (what the
    provider holds for `payment`, `amount` being the won it still holds), or None when the
    record does not decide it.

    `repeatable` says whether the call may still be repeated under its key; when it may not,
    a refund the record shows was never made is FAILED so that a new one can be asked.
    """
    if operation.kind == PaymentOperation.Kind.CAPTURE:
        if found.status in _CAPTURED:
            return ProviderResult(
                status=ProviderStatus.CAPTURED,
                provider_key=found.provider_key or payment.provider_key,
                amount=operation.amount,
                raw=found.raw,
            )
        if found.status == ProviderStatus.FAILED:
            return found
        return None
    if operation.kind == PaymentOperation.Kind.CANCEL:
        return found if found.status == ProviderStatus.CANCELLED else None
    if not found.ok:
        return None
    held_before = payment.amount - payment.refunded_amount
    if found.amount == held_before - operation.amount:
        left = ProviderStatus.PARTIALLY_REFUNDED if found.amount else ProviderStatus.REFUNDED
        return ProviderResult(
            status=left,
            provider_key=payment.provider_key,
            amount=operation.amount,
            raw=found.raw,
        )
    if found.amount == held_before and not repeatable:
        return ProviderResult(
            status=ProviderStatus.FAILED,
            provider_key=payment.provider_key,
            amount=0,
            raw=found.raw,
            error_code="NOT_PROCESSED",
            error_message=_("결제 대행사에서 환불이 처리되지 않았습니다. 다시 요청해 주세요."),
        )
    return None


def payment_outcome(*, found: ProviderResult) -> ProviderResult | None:
    """Return the answer to record for a PENDING authorization from the provider's record of
    its order, or None when the record does not decide it."""
    if found.status in {ProviderStatus.AUTHORIZED, ProviderStatus.FAILED}:
        return found
    return None
