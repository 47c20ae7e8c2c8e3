"""The vouchers' domain errors, each naming the rule that refused the request."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError, NotFound, ValidationError


class VoucherError(DangolError):
    code = "voucher_error"
    template = _("상품권 요청을 처리할 수 없습니다.")
    status = 409


class FeeAboveCap(ValidationError):
    code = "voucher_fee_above_cap"
    template = _("플랫폼 수수료 %(fee)s는 상한 %(cap)s를 넘을 수 없습니다.")


class InvalidVoucherProduct(ValidationError):
    code = "voucher_product_invalid"
    template = _("상품권 상품을 만들 수 없습니다: %(reason)s")


class ProductNotOnSale(VoucherError):
    code = "voucher_product_not_on_sale"
    template = _("판매 중인 상품권이 아닙니다.")


class PurchaseFailed(VoucherError):
    code = "voucher_purchase_failed"
    template = _("결제가 승인되지 않아 상품권을 살 수 없습니다: %(message)s")
    status = 402


class NotAccepted(VoucherError):
    code = "voucher_not_accepted"
    template = _("이 가게에서는 사용할 수 없는 상품권입니다.")
    status = 403


class VoucherExpired(VoucherError):
    code = "voucher_expired"
    template = _("유효기간(%(until)s까지)이 지난 상품권입니다.")


class VoucherNotActive(VoucherError):
    code = "voucher_not_active"
    template = _("사용할 수 없는 상품권입니다 (상태: %(status)s).")


class InsufficientBalance(VoucherError):
    code = "voucher_insufficient_balance"
    template = _("상품권 잔액이 부족합니다 (잔액 %(balance)s, 요청 %(amount)s).")


class PartialUseNotAllowed(VoucherError):
    code = "voucher_partial_use_not_allowed"
    template = _("교환권은 나누어 쓸 수 없습니다. 액면가 %(face)s 전액으로 한 번에 사용해 주세요.")


class InvalidAmount(ValidationError):
    code = "voucher_invalid_amount"
    template = _("사용 금액은 1원 이상의 정수여야 합니다.")


class RefundRefused(VoucherError):
    code = "voucher_refund_refused"
    template = _("환불할 수 없습니다: %(rule)s")


class RefundFailed(VoucherError):
    """The card refund was refused after the refund was booked; the booking was rolled
    back, so the balance is on the voucher again."""

    code = "voucher_refund_failed"
    template = _(
        "결제 대행사가 카드 환불을 거절해 환불을 취소했습니다 (잔액은 그대로입니다): "
        "%(message)s 같은 요청을 나중에 다시 보내 주세요."
    )
    status = 502


class ExtensionRefused(VoucherError):
    code = "voucher_extension_refused"
    template = _("유효기간을 연장할 수 없습니다: %(rule)s")


class PurchasePending(DangolError):
    code = "payment_pending"
    template = _(
        "결제 대행사의 응답을 받지 못했습니다. 같은 Idempotency-Key로 같은 요청을 다시 "
        "보내 주세요 (두 번 결제되지 않습니다)."
    )
    status = 503


class VoucherNotFound(NotFound):
    code = "voucher_not_found"
    template = _("상품권을 찾을 수 없습니다.")


class VoucherBalanceRemains(VoucherError):
    code = "voucher_balance_remains"
    template = _(
        "잔액이 남은 상품권이 %(count)s장(합계 %(total)s) 있어 탈퇴할 수 없습니다. 결제한 돈을 "
        "잃지 않도록, 먼저 상품권을 모두 사용하거나 환불받은 뒤 탈퇴해 주세요."
    )


class VoucherRefundPending(VoucherError):
    code = "voucher_refund_pending"
    template = _(
        "환불이 진행 중인 상품권이 %(count)s장 있어 탈퇴할 수 없습니다. 환불이 끝난 뒤 다시 "
        "시도해 주세요."
    )
