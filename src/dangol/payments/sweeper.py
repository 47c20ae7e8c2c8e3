"""The sweeper: settles payments and operations left PENDING (a lost answer) by asking the
provider what it holds, so that nothing stays PENDING once the provider has a final answer.

Part of the payment services' family: it records answers through the same steps as
`payments.services`, and repeats a call only while the provider still remembers its
idempotency key (`reconciliation.KEY_LIFETIME`).
"""

import contextlib
from datetime import timedelta

from dangol.core import clock
from dangol.payments.errors import PaymentPending, PaymentRejected, ProviderError
from dangol.payments.models import Payment, PaymentOperation
from dangol.payments.providers import get_provider
from dangol.payments.reconciliation import KEY_LIFETIME, payment_outcome
from dangol.payments.services import (
    _operation_lookup,
    _operation_record,
    _operation_run,
    _payment_record_authorize,
)


def payments_settle_pending(*, older_than: timedelta) -> int:
    """Settle every payment and operation left PENDING for `older_than` or more by asking the
    provider what it holds; repeat a call only while its key is remembered (KEY_LIFETIME).
    Return how many were settled. Safe to rerun: what stays undecided is tried next time.
    """
    cutoff = clock.now() - older_than
    settled = 0
    for payment_id in Payment.objects.filter(
        status=Payment.Status.PENDING, created_at__lte=cutoff
    ).values_list("pk", flat=True):
        settled += _payment_settle(payment_id)
    for operation_id in PaymentOperation.objects.filter(
        status=PaymentOperation.Status.PENDING, created_at__lte=cutoff
    ).values_list("pk", flat=True):
        operation = PaymentOperation.objects.select_related("payment").get(pk=operation_id)
        payment = operation.payment
        repeatable = clock.now() - operation.created_at < KEY_LIFETIME
        result = _operation_lookup(
            get_provider(payment.provider), payment, operation, repeatable=repeatable
        )
        if result is not None:
            _operation_record(operation_id=operation_id, result=result)
        elif repeatable:
            with contextlib.suppress(PaymentPending, ProviderError, PaymentRejected):
                _operation_run(operation)
        settled += not PaymentOperation.objects.filter(
            pk=operation_id, status=PaymentOperation.Status.PENDING
        ).exists()
    return settled


def _payment_settle(payment_id: int) -> int:
    """Record a PENDING authorization from the provider's record of its order; return 1 if
    settled, else 0."""
    payment = Payment.objects.get(pk=payment_id)
    try:
        found = get_provider(payment.provider).lookup(
            provider_key=payment.provider_key, order_id=payment.order_id
        )
    except ProviderError:
        return 0
    result = payment_outcome(found=found)
    if result is None:
        return 0
    _payment_record_authorize(payment_id=payment_id, result=result)
    return 1
