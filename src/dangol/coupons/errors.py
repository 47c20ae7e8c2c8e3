"""The coupons domain errors: why a coupon or a stamp was refused, each with a Korean,
translatable message and a stable code."""

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import DangolError, NotFound, ValidationError


class InvalidCouponTemplate(ValidationError):
    code = "invalid_coupon_template"
    template = _("쿠폰 설정이 올바르지 않습니다: %(reason)s")


class CouponRefused(DangolError):
    """A coupon cannot be used or issued; subclasses say why."""

    code = "coupon_refused"
    template = _("쿠폰을 사용할 수 없습니다.")
    status = 409


class CouponNotFound(NotFound):
    code = "coupon_not_found"
    template = _("쿠폰을 찾을 수 없습니다. 번호를 확인해 주세요.")


class CouponAlreadyUsed(CouponRefused):
    code = "coupon_already_used"
    template = _("이미 사용한 쿠폰입니다. (%(when)s 사용)")


class CouponExpired(CouponRefused):
    code = "coupon_expired"
    template = _("사용 기간이 끝난 쿠폰입니다. (%(until)s까지)")


class CouponNotYetValid(CouponRefused):
    code = "coupon_not_yet_valid"
    template = _("아직 사용 기간이 아닙니다. (%(since)s부터)")


class CouponVoid(CouponRefused):
    code = "coupon_void"
    template = _("취소된 쿠폰입니다.")


class CouponInactive(CouponRefused):
    code = "coupon_inactive"
    template = _("가게에서 사용을 중지한 쿠폰입니다.")


class CouponForeign(CouponRefused):
    code = "coupon_foreign"
    template = _("다른 가게의 쿠폰입니다. (%(store)s)")
    status = 403


class BelowMinimumPurchase(CouponRefused):
    code = "below_minimum_purchase"
    template = _("최소 구매 금액 %(minimum)s 이상일 때 쓸 수 있는 쿠폰입니다.")


class PurchaseAmountRequired(CouponRefused):
    code = "purchase_amount_required"
    template = _("할인율 쿠폰은 구매 금액을 입력해야 합니다.")


class CouponSoldOut(CouponRefused):
    code = "coupon_sold_out"
    template = _("준비한 쿠폰이 모두 나갔습니다.")


class CouponLimitReached(CouponRefused):
    code = "coupon_limit_reached"
    template = _("이 쿠폰은 한 사람당 %(limit)s장까지 받을 수 있습니다.")


class CouponNotClaimable(CouponRefused):
    code = "coupon_not_claimable"
    template = _("지금은 받을 수 없는 쿠폰입니다.")


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    template = _("고객을 찾을 수 없습니다. 고객 번호나 휴대전화 번호를 확인해 주세요.")


class NoStampProgram(NotFound):
    code = "no_stamp_program"
    template = _("이 가게에는 진행 중인 스탬프 카드가 없습니다.")


class StampRefused(DangolError):
    code = "stamp_refused"
    template = _("스탬프를 줄 수 없습니다.")
    status = 409


class StampVisitLimit(StampRefused):
    code = "stamp_visit_limit"
    template = _("한 번에 스탬프를 %(limit)s개까지만 줄 수 있습니다.")


class StampDayLimit(StampRefused):
    code = "stamp_day_limit"
    template = _("오늘은 이미 스탬프 %(given)s개를 받았습니다. 하루 최대 %(limit)s개입니다.")


class InvalidStampCount(ValidationError):
    code = "invalid_stamp_count"
    template = _("스탬프 수는 1개 이상이어야 합니다.")


class InvalidStampProgram(ValidationError):
    code = "invalid_stamp_program"
    template = _("스탬프 카드 설정이 올바르지 않습니다: %(reason)s")
