"""The payments domain errors: what the payment services and the providers refuse, each
with a Korean, translatable message and a stable code."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError

if TYPE_CHECKING:
    from dangol.payments.models import Payment


class ProviderError(DangolError):
    """The provider refused the request itself; repeating it will not help."""

    code = "payment_provider_error"
    template = _("결제 대행사 요청이 거절되었습니다: %(message)s")
    status = 502

    def __init__(self, *, provider_code: str, message: str) -> None:
        self.provider_code = provider_code
        super().__init__(message=message)


class ProviderTimeout(ProviderError):
    """The provider did not answer in time; the outcome is unknown until the call is repeated
    with the same idempotency key."""

    code = "payment_provider_timeout"
    template = _("결제 대행사의 응답이 없습니다. 같은 요청으로 다시 시도해 주세요.")
    status = 504

    def __init__(self, *, provider_code: str = "TIMEOUT", message: str = "") -> None:
        super().__init__(provider_code=provider_code, message=message)


class PaymentError(DangolError):
    code = "payment_error"
    template = _("결제를 처리할 수 없습니다.")


class OrderIdTaken(PaymentError):
    code = "order_id_taken"
    template = _("이미 사용된 주문 번호입니다.")
    status = 409


class PaymentStateError(PaymentError):
    code = "payment_state"
    template = _("현재 결제 상태(%(status)s)에서는 이 요청을 처리할 수 없습니다.")
    status = 409


class RefundExceedsCaptured(PaymentError):
    code = "refund_exceeds_captured"
    template = _("환불 가능한 금액(%(refundable)s원)을 넘었습니다.")


class PaymentPending(PaymentError):
    code = "payment_pending"
    template = _("결제 대행사의 응답을 아직 받지 못했습니다. 같은 요청을 다시 보내 주세요.")
    status = 504


class OperationInProgress(PaymentError):
    code = "payment_operation_in_progress"
    template = _("응답을 기다리는 요청이 있습니다. 그 요청을 먼저 다시 보내 주세요.")
    status = 409


class PaymentRejected(PaymentError):
    code = "payment_rejected"
    template = _("결제 대행사가 요청을 거절했습니다: %(message)s")

    def __init__(self, *, provider_code: str, message: str) -> None:
        self.provider_code = provider_code
        super().__init__(message=message)


class PaymentDeclined(PaymentError):
    """A charge (authorize, then capture) did not end captured: the card was declined or the
    payment is in another state. `payment` is that payment; `reason` what the provider
    said (or its status)."""

    code = "payment_declined"
    template = _("결제가 승인되지 않았습니다: %(message)s")
    status = 402

    def __init__(self, *, payment: "Payment") -> None:
        self.payment = payment
        self.reason = payment.error_message or str(payment.get_status_display())
        super().__init__(message=self.reason)


class CheckoutNotFound(PaymentError):
    code = "checkout_not_found"
    template = _("결제 주문을 찾을 수 없습니다. 처음부터 다시 결제해 주세요.")
    # The window's return address names no order of this buyer: a bad request (the buyer is
    # told to start again), not a missing page.
    status = 400


class CheckoutAmountMismatch(PaymentError):
    code = "checkout_amount_mismatch"
    template = _("결제 금액이 주문 금액과 다릅니다. 결제하지 않았습니다.")
    status = 400
