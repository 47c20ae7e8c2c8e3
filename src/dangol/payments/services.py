"""Writes on payments: authorize, capture, cancel, refund through the configured provider.

Each service records the request before calling the provider and the answer after it, in
two short transactions: a network call must not hold a row lock, and the row written first
is what makes a lost answer recoverable.

Idempotency. `payment_authorize` is keyed by `Payment.idempotency_key`; capture, cancel and
refund by `PaymentOperation.idempotency_key`. A call with a key that already has an answer
returns that first answer without calling the provider (a refused cancel or refund raises
PaymentRejected again). A key reused with different content raises IdempotencyKeyReused.
The provider gets a key derived from ours ("<order_id>:<kind>:<key>"), so a repeat never
moves money twice there either.

Timeouts. When the provider does not answer (ProviderTimeout), the operation's outcome is
fetched at once from the provider's record of the payment (`lookup`, see
payments.reconciliation) and recorded if that record decides it. Otherwise the payment stays
PENDING (for authorize) or the operation stays PENDING (capture, cancel, refund; the payment
keeps its state) and PaymentPending is raised. Nothing is assumed: the money may or may not
have moved. It is resolved by calling the same service again with the same idempotency key
(and the same arguments), or by the sweeper (payments.sweeper, a periodic task),
which asks the provider and repeats the call only while the provider still remembers its key
(KEY_LIFETIME). A capture the provider has not finished (Toss's WAITING_FOR_DEPOSIT) is not
captured: it stays PENDING too. While an operation is pending no other operation may start on
the payment (OperationInProgress), so refunds can never add up past the captured amount.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.errors import IdempotencyKeyReused, ValidationError
from dangol.core.ids import random_code
from dangol.payments.errors import (
    OperationInProgress,
    OrderIdTaken,
    PaymentDeclined,
    PaymentPending,
    PaymentRejected,
    PaymentStateError,
    ProviderError,
    ProviderTimeout,
    RefundExceedsCaptured,
)
from dangol.payments.models import Payment, PaymentOperation
from dangol.payments.providers import get_provider
from dangol.payments.providers.base import PaymentProvider, ProviderResult, ProviderStatus
from dangol.payments.reconciliation import KEY_LIFETIME, operation_outcome

logger = logging.getLogger(__name__)

# --- services -------------------------------------------------------------------------------


def payment_authorize(
    *,
    amount: int,
    source: str,
    idempotency_key: str,
    order_id: str = "",
    provider: str = "",
) -> Payment:
    """Authorize `amount` won on `source` (a sandbox card number, or the paymentKey from
    Toss's payment window) and return the Payment, AUTHORIZED or FAILED (with the provider's
    error code and message).

    `provider` defaults to settings.PAYMENTS_PROVIDER; `order_id` (6–64 letters, digits,
    '-', '_') defaults to a new one. Raise PaymentPending if the provider did not answer (the
    payment stays PENDING: repeat the call with the same key), IdempotencyKeyReused if the
    key was used for a different amount, provider or order, OrderIdTaken if `order_id`
    belongs to another payment.
    """
    _check_amount(amount)
    provider_name = provider or settings.PAYMENTS_PROVIDER
    backend = get_provider(provider_name)
    payment = _payment_open(
        amount=amount, provider=provider_name, order_id=order_id, idempotency_key=idempotency_key
    )
    if payment.status != Payment.Status.PENDING:
        return payment
    try:
        result = backend.authorize(
            source=source,
            order_id=payment.order_id,
            amount=payment.amount,
            idempotency_key=_provider_key(payment, "authorize", idempotency_key),
        )
    except ProviderError as error:
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            error_code=error.provider_code,
            error_message=error.message[:500],
            updated_at=clock.now(),
        )
        if isinstance(error, ProviderTimeout):
            raise PaymentPending() from error
        raise
    return _payment_record_authorize(payment_id=payment.pk, result=result)


def payment_capture(*, payment: Payment, idempotency_key: str) -> Payment:
    """Capture the whole authorized amount and return the payment: CAPTURED, or FAILED when
    the provider declines (with Toss the decline comes here, at confirm).

    Raise PaymentStateError unless the payment is AUTHORIZED, PaymentPending if the provider
    did not answer (repeat with the same key), OperationInProgress while another operation
    on the payment awaits its answer.
    """
    operation = _operation_open(
        payment_id=payment.pk,
        kind=PaymentOperation.Kind.CAPTURE,
        amount=payment.amount,
        reason="",
        idempotency_key=idempotency_key,
    )
    return _operation_run(operation)


def payment_cancel(*, payment: Payment, idempotency_key: str, reason: str = "") -> Payment:
    """Release an authorization that was not captured and return the CANCELLED payment.

    A captured payment is given back with `payment_refund`. Raise PaymentStateError unless
    the payment is AUTHORIZED, PaymentRejected if the provider refuses, PaymentPending if it
    did not answer (repeat with the same key).
    """
    operation = _operation_open(
        payment_id=payment.pk,
        kind=PaymentOperation.Kind.CANCEL,
        amount=payment.amount,
        reason=reason,
        idempotency_key=idempotency_key,
    )
    return _operation_run(operation)


def payment_refund(*, payment: Payment, amount: int, idempotency_key: str, reason: str) -> Payment:
    """Refund `amount` won of a captured payment; return it PARTIALLY_REFUNDED or REFUNDED.

    Raise RefundExceedsCaptured if `amount` is more than what is left of the captured amount,
    PaymentStateError unless the payment is captured, PaymentRejected if the provider refuses,
    PaymentPending if it did not answer (repeat with the same key).
    """
    _check_amount(amount)
    operation = _operation_open(
        payment_id=payment.pk,
        kind=PaymentOperation.Kind.REFUND,
        amount=amount,
        reason=reason,
        idempotency_key=idempotency_key,
    )
    return _operation_run(operation)


def payment_charge(
    *, amount: int, source: str, idempotency_key: str, order_id: str = ""
) -> Payment:
    """Charge `amount` won to `source` at once: authorize, then capture the whole amount;
    return the CAPTURED payment. The one card-charge sequence of every seller (voucher
    purchases, message credit top-ups, the promotion hall).

    The capture's key is "<idempotency_key>:capture", so a repeat with the same key moves no
    money twice and returns the same payment. `order_id` is the order the customer paid in the
    provider's payment window (Toss confirms only that one). Raise PaymentDeclined (carrying
    the payment) when the card is declined or the payment is not captured, PaymentPending when
    the provider did not answer (repeat with the same key), and what `payment_authorize`
    raises.
    """
    payment = payment_authorize(
        amount=amount, source=source, idempotency_key=idempotency_key, order_id=order_id
    )
    if payment.status == Payment.Status.AUTHORIZED:
        payment = payment_capture(payment=payment, idempotency_key=f"{idempotency_key}:capture")
    if payment.status != Payment.Status.CAPTURED:
        raise PaymentDeclined(payment=payment)
    return payment


# --- steps ----------------------------------------------------------------------------------


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(_("금액은 1원 이상의 정수여야 합니다."))


def _provider_key(payment: Payment, kind: str, idempotency_key: str) -> str:
    """Return the provider's idempotency key: ours, scoped to the payment and the call."""
    return f"{payment.order_id}:{kind}:{idempotency_key}"


def _payment_open(*, amount: int, provider: str, order_id: str, idempotency_key: str) -> Payment:
    """Return the payment of `idempotency_key`, creating it PENDING if new (committed)."""
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        try:
            with transaction.atomic():
                return Payment.objects.create(
                    amount=amount,
                    provider=provider,
                    order_id=order_id or f"DG{random_code(20)}",
                    idempotency_key=idempotency_key,
                )
        except IntegrityError:
            existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is None:
                raise OrderIdTaken() from None
    if (
        existing.amount != amount
        or existing.provider != provider
        or (order_id and existing.order_id != order_id)
    ):
        raise IdempotencyKeyReused()
    return existing


@transaction.atomic
def _payment_record_authorize(*, payment_id: int, result: ProviderResult) -> Payment:
    """Record the provider's answer to authorize, once; return the payment. Locks it."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != Payment.Status.PENDING:
        return payment
    payment.raw = result.raw
    payment.provider_key = result.provider_key
    if result.status == ProviderStatus.AUTHORIZED:
        payment.status = Payment.Status.AUTHORIZED
        payment.error_code = payment.error_message = ""
    else:
        payment.status = Payment.Status.FAILED
        payment.error_code = result.error_code or result.status.value
        payment.error_message = result.error_message[:500]
    payment.save(
        update_fields=["status", "provider_key", "raw", "error_code", "error_message", "updated_at"]
    )
    return payment


@transaction.atomic
def _operation_open(
    *, payment_id: int, kind: str, amount: int, reason: str, idempotency_key: str
) -> PaymentOperation:
    """Return the operation of `idempotency_key`, creating it PENDING if the payment allows
    it. Locks the payment row."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    existing = PaymentOperation.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.payment_id != payment.pk or existing.kind != kind or existing.amount != amount:
            raise IdempotencyKeyReused()
        return existing
    if payment.operations.filter(status=PaymentOperation.Status.PENDING).exists():
        raise OperationInProgress()
    allowed = {
        PaymentOperation.Kind.CAPTURE: {Payment.Status.AUTHORIZED},
        PaymentOperation.Kind.CANCEL: {Payment.Status.AUTHORIZED},
        PaymentOperation.Kind.REFUND: {Payment.Status.CAPTURED, Payment.Status.PARTIALLY_REFUNDED},
    }[PaymentOperation.Kind(kind)]
    if payment.status not in allowed:
        raise PaymentStateError(status=payment.get_status_display())
    if kind == PaymentOperation.Kind.REFUND and amount > payment.refundable_amount:
        raise RefundExceedsCaptured(refundable=f"{payment.refundable_amount:,}")
    return PaymentOperation.objects.create(
        payment=payment, kind=kind, amount=amount, reason=reason, idempotency_key=idempotency_key
    )


def _operation_run(operation: PaymentOperation) -> Payment:
    """Ask the provider for a pending operation and record the answer; replay a finished
    one. Return the payment.

    A call whose answer is lost is settled from the provider's record at once when it can
    be; past KEY_LIFETIME the call is not repeated, only the record is read.
    """
    if operation.status == PaymentOperation.Status.PENDING:
        payment = operation.payment
        provider = get_provider(payment.provider)
        repeatable = clock.now() - operation.created_at < KEY_LIFETIME
        result: ProviderResult | None
        try:
            if repeatable:
                result = _operation_call(provider, payment, operation)
                if operation.kind == PaymentOperation.Kind.CAPTURE and result.status not in {
                    ProviderStatus.CAPTURED,
                    ProviderStatus.FAILED,
                }:
                    result = None  # e.g. WAITING_FOR_DEPOSIT: not captured yet
            else:
                result = _operation_lookup(provider, payment, operation, repeatable=False)
        except ProviderError as error:
            PaymentOperation.objects.filter(
                pk=operation.pk, status=PaymentOperation.Status.PENDING
            ).update(
                error_code=error.provider_code,
                error_message=error.message[:500],
                updated_at=clock.now(),
            )
            if not isinstance(error, ProviderTimeout):
                raise
            result = _operation_lookup(provider, payment, operation, repeatable=repeatable)
            if result is None:
                raise PaymentPending() from error
        if result is None:
            raise PaymentPending()
        operation = _operation_record(operation_id=operation.pk, result=result)
    if (
        operation.status == PaymentOperation.Status.FAILED
        and operation.kind != PaymentOperation.Kind.CAPTURE
    ):
        raise PaymentRejected(provider_code=operation.error_code, message=operation.error_message)
    return Payment.objects.get(pk=operation.payment_id)


def _operation_call(
    provider: PaymentProvider, payment: Payment, operation: PaymentOperation
) -> ProviderResult:
    """Make the provider call of `operation` under its key; return the provider's answer."""
    key = _provider_key(payment, operation.kind, operation.idempotency_key)
    if operation.kind == PaymentOperation.Kind.CAPTURE:
        return provider.capture(
            provider_key=payment.provider_key,
            order_id=payment.order_id,
            amount=operation.amount,
            idempotency_key=key,
        )
    if operation.kind == PaymentOperation.Kind.CANCEL:
        return provider.cancel(
            provider_key=payment.provider_key, reason=operation.reason, idempotency_key=key
        )
    return provider.refund(
        provider_key=payment.provider_key,
        amount=operation.amount,
        reason=operation.reason,
        idempotency_key=key,
    )


def _operation_lookup(
    provider: PaymentProvider, payment: Payment, operation: PaymentOperation, *, repeatable: bool
) -> ProviderResult | None:
    """Return the operation's outcome read from the provider's record, or None when the
    record does not decide it or the provider did not answer."""
    try:
        found = provider.lookup(provider_key=payment.provider_key, order_id=payment.order_id)
    except ProviderError as error:
        logger.warning("payment lookup of %s failed: %s", payment.order_id, error.provider_code)
        return None
    return operation_outcome(
        operation=operation, payment=payment, found=found, repeatable=repeatable
    )


@transaction.atomic
def _operation_record(*, operation_id: int, result: ProviderResult) -> PaymentOperation:
    """Record the provider's answer to a pending operation, once, and apply it to the
    payment. Locks the payment, then the operation."""
    payment_id = PaymentOperation.objects.values_list("payment_id", flat=True).get(
        pk=operation_id
    )
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    operation = PaymentOperation.objects.select_for_update().get(pk=operation_id)
    if operation.status != PaymentOperation.Status.PENDING:
        return operation
    operation.raw = result.raw
    payment_fields: list[str] = []
    if result.ok:
        operation.status = PaymentOperation.Status.SUCCEEDED
        operation.error_code = operation.error_message = ""
        payment_fields = _apply(payment, operation)
    else:
        operation.status = PaymentOperation.Status.FAILED
        operation.error_code = result.error_code or result.status.value
        operation.error_message = result.error_message[:500]
        if operation.kind == PaymentOperation.Kind.CAPTURE:
            # Toss declines at confirm: the attempt is over and no money moved.
            payment.status = Payment.Status.FAILED
            payment.error_code = operation.error_code
            payment.error_message = operation.error_message
            payment_fields = ["status", "error_code", "error_message"]
    operation.save(update_fields=["status", "raw", "error_code", "error_message", "updated_at"])
    if payment_fields:
        payment.save(update_fields=[*payment_fields, "updated_at"])
    return operation


def _apply(payment: Payment, operation: PaymentOperation) -> list[str]:
    """Apply a succeeded operation to `payment` (locked); return the changed fields."""
    changes: dict[str, Any]
    if operation.kind == PaymentOperation.Kind.CAPTURE:
        changes = {"status": Payment.Status.CAPTURED}
    elif operation.kind == PaymentOperation.Kind.CANCEL:
        changes = {"status": Payment.Status.CANCELLED}
    else:
        refunded = payment.refunded_amount + operation.amount
        changes = {
            "refunded_amount": refunded,
            "status": (
                Payment.Status.REFUNDED
                if refunded == payment.amount
                else Payment.Status.PARTIALLY_REFUNDED
            ),
        }
    for field, value in changes.items():
        setattr(payment, field, value)
    return list(changes)
