"""Forms that parse the merchant's input; the services decide what is allowed."""

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.coupons.models import CouponTemplate


class CouponTemplateForm(forms.Form):
    """A new coupon: dates are whole KST days, the end day included."""

    name = forms.CharField(label=_("쿠폰 이름"), max_length=60)
    kind = forms.ChoiceField(label=_("종류"), choices=CouponTemplate.Kind.choices)
    amount_off = forms.IntegerField(label=_("할인 금액(원)"), min_value=0, required=False)
    percent_off = forms.IntegerField(
        label=_("할인율(%)"), min_value=0, max_value=100, required=False
    )
    max_discount = forms.IntegerField(label=_("최대 할인 금액(원)"), min_value=1, required=False)
    free_item = forms.CharField(label=_("무료 상품"), max_length=60, required=False)
    start_day = forms.DateField(label=_("시작일"), widget=forms.DateInput(attrs={"type": "date"}))
    end_day = forms.DateField(
        label=_("종료일 (이날까지 사용)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    total_quantity = forms.IntegerField(
        label=_("총 수량 (비우면 무제한)"), min_value=1, required=False
    )
    per_customer_limit = forms.IntegerField(label=_("1인당 한도"), min_value=1, initial=1)
    minimum_purchase = forms.IntegerField(
        label=_("최소 구매 금액(원)"), min_value=0, initial=0, required=False
    )
    claimable = forms.BooleanField(label=_("가게 페이지에서 손님이 받을 수 있음"), required=False,
                                   initial=True)

    def service_kwargs(self) -> dict[str, Any]:
        """Return the cleaned data as the keyword arguments of coupon_template_create."""
        data = self.cleaned_data
        start: dt.date = data["start_day"]
        end: dt.date = data["end_day"]
        return {
            "name": data["name"],
            "kind": data["kind"],
            "amount_off": data.get("amount_off") or 0,
            "percent_off": data.get("percent_off") or 0,
            "max_discount": data.get("max_discount"),
            "free_item": data.get("free_item") or "",
            "valid_from": clock.kst(start.year, start.month, start.day),
            "valid_until": clock.kst(end.year, end.month, end.day) + dt.timedelta(days=1),
            "total_quantity": data.get("total_quantity"),
            "per_customer_limit": data["per_customer_limit"],
            "minimum_purchase": data.get("minimum_purchase") or 0,
            "claimable": data.get("claimable", False),
        }


class RedeemForm(forms.Form):
    """A coupon named by its 6-digit code or QR token, with the purchase amount if known."""

    code = forms.CharField(label=_("쿠폰 번호 6자리"), max_length=12, required=False)
    token = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    purchase_amount = forms.IntegerField(
        label=_("구매 금액(원, 선택)"), min_value=0, required=False
    )


class StampForm(forms.Form):
    """A customer named by personal code or phone number, and how many stamps."""

    customer_code = forms.CharField(label=_("고객 번호"), max_length=12, required=False)
    phone = forms.CharField(label=_("또는 휴대전화 번호"), max_length=20, required=False)
    count = forms.IntegerField(label=_("스탬프 수"), min_value=1, max_value=50, initial=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("customer_code") and not data.get("phone"):
            raise forms.ValidationError(_("고객 번호나 휴대전화 번호를 입력해 주세요."))
        return data


class StampProgramForm(forms.Form):
    """A stamp card: N stamps earn one of the store's coupons (unlimited quantity)."""

    name = forms.CharField(label=_("이름"), max_length=60, initial=_("단골 스탬프"))
    stamps_required = forms.IntegerField(label=_("필요한 스탬프 수"), min_value=1, max_value=50,
                                         initial=10)
    reward = forms.ModelChoiceField(label=_("보상 쿠폰"), queryset=CouponTemplate.objects.none())
    per_visit_limit = forms.IntegerField(label=_("한 번에 최대"), min_value=1, initial=1)
    per_day_limit = forms.IntegerField(label=_("하루 최대"), min_value=1, initial=1)
