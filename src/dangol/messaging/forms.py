"""Forms that parse the messaging pages' input; the services decide what is allowed."""

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.core.clock import KST
from dangol.coupons.models import CouponTemplate
from dangol.messaging.models import BODY_MAX_LENGTH, Campaign, Channel
from dangol.places.models import Store
from dangol.regulars.models import Tag


def new_key() -> str:
    """Return a fresh idempotency key for one rendered form."""
    return f"web-{uuid.uuid4().hex}"


class _KeyedForm(forms.Form):
    """A form carrying the idempotency key made when it was first rendered: a double submit
    sends the same key twice and the service acts once."""

    idempotency_key = forms.CharField(max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and "idempotency_key" not in self.initial:
            self.initial["idempotency_key"] = new_key()


# Channels a merchant may pick in the composer (LMS is chosen by the system from the length).
COMPOSER_CHANNELS = [
    (Channel.IN_APP.value, Channel.IN_APP.label),
    (Channel.SMS.value, _("문자(길면 장문 문자)")),
    (Channel.EMAIL.value, Channel.EMAIL.label),
]


class ComposerForm(_KeyedForm):
    """What a store or a market association writes: text, one image, an optional coupon and
    link button, the audience, the channels and when."""

    body = forms.CharField(
        label=_("내용"), max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": BODY_MAX_LENGTH,
                                     "data-counter": "body-count"}),
    )
    image = forms.ImageField(label=_("사진 (한 장)"), required=False)
    coupon_template = forms.ModelChoiceField(
        label=_("함께 보낼 쿠폰"), queryset=CouponTemplate.objects.none(), required=False,
        empty_label=_("쿠폰 없음"),
    )
    link_url = forms.URLField(label=_("링크 버튼 주소"), required=False, assume_scheme="https")
    link_label = forms.CharField(label=_("링크 버튼 글자"), max_length=20, required=False)
    audience = forms.ChoiceField(label=_("받는 사람"), widget=forms.RadioSelect)
    tag = forms.ModelChoiceField(
        label=_("태그"), queryset=Tag.objects.none(), required=False, empty_label=_("태그 선택")
    )
    channels = forms.MultipleChoiceField(
        label=_("보내는 방법"), choices=COMPOSER_CHANNELS, widget=forms.CheckboxSelectMultiple,
        initial=[Channel.IN_APP.value],
    )
    when = forms.ChoiceField(
        label=_("보낼 때"), widget=forms.RadioSelect, initial="now",
        choices=[("now", _("지금 보내기")), ("later", _("예약 보내기"))],
    )
    scheduled_at = forms.DateTimeField(
        label=_("예약 시각 (한국 시간)"), required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, store: Store | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store
        coupon_field: Any = self.fields["coupon_template"]
        tag_field: Any = self.fields["tag"]
        audience_field: Any = self.fields["audience"]
        if store is not None:
            coupon_field.queryset = CouponTemplate.objects.filter(store=store, is_active=True)
            tag_field.queryset = Tag.objects.filter(store=store).order_by("name")
            audience_field.choices = [
                (Campaign.Audience.ALL.value, Campaign.Audience.ALL.label),
                (Campaign.Audience.TAG.value, Campaign.Audience.TAG.label),
            ]
            self.initial.setdefault("audience", Campaign.Audience.ALL.value)
        else:
            del self.fields["coupon_template"]
            del self.fields["tag"]
            audience_field.choices = [
                (Campaign.Audience.MARKET.value, Campaign.Audience.MARKET.label),
            ]
            self.initial.setdefault("audience", Campaign.Audience.MARKET.value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("audience") == Campaign.Audience.TAG and not data.get("tag"):
            self.add_error("tag", _("보낼 태그를 고르세요."))
        if data.get("link_url") and not data.get("link_label"):
            self.add_error("link_label", _("링크 버튼에 쓸 글자를 적어 주세요."))
        if data.get("when") == "later":
            at = data.get("scheduled_at")
            if at is None:
                self.add_error("scheduled_at", _("예약 시각을 고르세요."))
            else:
                # datetime-local carries no zone: the merchant means Korean time.
                data["scheduled_at"] = at.replace(tzinfo=None).replace(tzinfo=KST)
        else:
            data["scheduled_at"] = None
        return data


class ClosingSaleForm(_KeyedForm):
    """The one-tap 마감 세일: item, price, until when."""

    item = forms.CharField(label=_("품목"), max_length=50)
    price = forms.IntegerField(label=_("세일 가격(원)"), min_value=0, max_value=100_000_000)
    until = forms.TimeField(
        label=_("언제까지"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        initial=dt.time(19, 0),
    )
    held_ack = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TopUpAmountForm(_KeyedForm):
    """Buy message credit: the amount (the card is chosen in the payment window)."""

    amount = forms.IntegerField(
        label=_("충전 금액(원)"), min_value=1_000, max_value=10_000_000, initial=10_000,
        widget=forms.NumberInput(attrs={"step": 1000, "inputmode": "numeric"}),
    )


class TopUpForm(TopUpAmountForm):
    """Buy message credit with a card (the sandbox provider's test cards in the demo)."""

    card_number = forms.CharField(
        label=_("카드 번호"), max_length=25,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )
