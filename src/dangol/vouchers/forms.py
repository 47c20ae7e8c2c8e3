"""Forms that parse voucher pages' input; the services decide what is allowed."""

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.vouchers.models import VoucherProduct


def new_key() -> str:
    """Return a fresh idempotency key for one rendered confirmation form."""
    return f"web-{uuid.uuid4().hex}"


class IdempotentForm(forms.Form):
    """A form carrying the idempotency key generated when it was rendered: a double submit
    sends the same key twice and the service acts once."""

    idempotency_key = forms.CharField(max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and "idempotency_key" not in self.initial:
            self.initial["idempotency_key"] = new_key()


class PurchaseForm(IdempotentForm):
    """A card number to pay with (the sandbox provider's test cards in the demo)."""

    card_number = forms.CharField(
        label=_("카드 번호"), max_length=25,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )


class GiftForm(forms.Form):
    """Whom to give the voucher to (a Korean mobile number) and a short message."""

    to_phone = forms.CharField(
        label=_("받는 분 휴대전화 번호"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off",
                                      "placeholder": "010-1234-5678"}),
    )
    message = forms.CharField(
        label=_("메시지 (선택)"), max_length=200, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RedeemForm(IdempotentForm):
    """A voucher named by its code and the amount to take off it."""

    code = forms.CharField(max_length=20, widget=forms.HiddenInput)
    amount = forms.IntegerField(label=_("사용 금액(원)"), min_value=1)


class VoucherProductForm(forms.Form):
    """A new voucher product; the validity minimums are the service's to check."""

    name = forms.CharField(label=_("상품권 이름"), max_length=100)
    kind = forms.ChoiceField(label=_("종류"), choices=VoucherProduct.Kind.choices)
    product_name = forms.CharField(
        label=_("교환 상품 (교환권만)"), max_length=100, required=False,
        help_text=_("예) 고등어 1손"),
    )
    face_value = forms.IntegerField(label=_("액면가(원)"), min_value=1)
    sale_price = forms.IntegerField(
        label=_("판매가(원)"), min_value=1,
        help_text=_("액면가보다 싸게 팔면 그 차액은 발행자가 부담합니다."),
    )
    validity_months = forms.IntegerField(
        label=_("유효기간(개월)"), min_value=1, max_value=120, initial=12,
        help_text=_("12개월 이상, 신선식품 등은 3개월 이상. 구매일을 포함해 달력으로 셉니다."),
    )
    is_perishable = forms.BooleanField(label=_("신선식품 등 (유효기간 3개월 이상 허용)"),
                                       required=False)

    def service_kwargs(self) -> dict[str, Any]:
        """Return the cleaned data as keyword arguments of voucher_product_create."""
        data = self.cleaned_data
        return {
            "name": data["name"], "kind": data["kind"],
            "product_name": data.get("product_name") or "",
            "face_value": data["face_value"], "sale_price": data["sale_price"],
            "validity_months": data["validity_months"],
            "is_perishable": bool(data.get("is_perishable")),
        }
