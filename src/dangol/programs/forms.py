"""Forms that parse the operator's and the merchant's input; the programs services decide
what is allowed."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.core.money import format_won
from dangol.organisations.models import Organisation
from dangol.places.models import Product, Region, Store
from dangol.programs.models import DEFAULT_MAX_ANNUAL_SALES, Enrolment, Pledge, Program

# The defaults: ₩300,000 message credit per merchant, ₩3,000,000 market channel
# credit, 10 settlements a month, fast settlement with its fee waived.
DEFAULT_MESSAGE_CREDIT = 300_000
DEFAULT_MARKET_CHANNEL_CREDIT = 3_000_000
DEFAULT_CYCLES_PER_MONTH = 10

_won = {"min": 0, "step": 1000, "inputmode": "numeric"}


class ProgramForm(forms.Form):
    """A new program: name, operator, period, 시군구 scope, budget and its benefits (each
    pre-filled with the issue's defaults)."""

    name = forms.CharField(label=_("사업 이름"), max_length=100)
    operator = forms.ModelChoiceField(
        label=_("운영 기관"), queryset=Organisation.objects.none(), empty_label=None
    )
    starts_on = forms.DateField(
        label=_("시작일"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("종료일"), widget=forms.DateInput(attrs={"type": "date"}))
    regions = forms.ModelMultipleChoiceField(
        label=_("대상 시군구"),
        queryset=Region.objects.filter(level=Region.Level.SIGUNGU)
        .select_related("parent")
        .order_by("code"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    budget = forms.IntegerField(
        label=_("예산(원)"), min_value=1, widget=forms.NumberInput(attrs=_won)
    )
    max_annual_sales = forms.IntegerField(
        label=_("연 매출 상한(원)"), min_value=0, initial=DEFAULT_MAX_ANNUAL_SALES,
        widget=forms.NumberInput(attrs=_won),
    )
    applicant_cap = forms.IntegerField(
        label=_("신청 가게 수 상한 (비우면 상한 없음)"), min_value=1, required=False
    )
    message_credit = forms.IntegerField(
        label=_("가게당 메시지 충전금(원, 0이면 없음)"), min_value=0,
        initial=DEFAULT_MESSAGE_CREDIT, widget=forms.NumberInput(attrs=_won),
    )
    market_channel_credit = forms.IntegerField(
        label=_("시장 채널 충전금(원, 0이면 없음)"), min_value=0,
        initial=DEFAULT_MARKET_CHANNEL_CREDIT, widget=forms.NumberInput(attrs=_won),
    )
    cycles_per_month = forms.IntegerField(
        label=_("월 정산 횟수 상향 (0이면 없음)"), min_value=0, max_value=31,
        initial=DEFAULT_CYCLES_PER_MONTH,
    )
    fast_settlement = forms.BooleanField(
        label=_("빠른정산 수수료 면제"), required=False, initial=True
    )

    def __init__(self, *args: Any, operators: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if operators is not None:
            self.fields["operator"].queryset = operators  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("종료일은 시작일보다 빠를 수 없습니다."))
        return data

    def benefits(self) -> list[dict[str, Any]]:
        """Return the benefits chosen, in the shape program_create takes."""
        data = self.cleaned_data
        benefits: list[dict[str, Any]] = []
        if data["message_credit"]:
            benefits.append({"kind": "message_credit", "amount": data["message_credit"]})
        if data["market_channel_credit"]:
            benefits.append(
                {"kind": "market_channel_credit", "amount": data["market_channel_credit"]}
            )
        if data["cycles_per_month"]:
            benefits.append(
                {"kind": "settlement_upgrade", "cycles_per_month": data["cycles_per_month"]}
            )
        if data["fast_settlement"]:
            benefits.append({"kind": "fast_settlement"})
        return benefits


class DecisionForm(forms.Form):
    """An operator's decision on an application under review; a rejection needs a reason."""

    action = forms.ChoiceField(
        choices=[("approve", _("승인")), ("reject", _("반려"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("사유"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("반려 사유를 적어 주세요."))
        return data


class GrantWithdrawForm(forms.Form):
    """An operator's withdrawal of a grant: the reason is required."""

    reason = forms.CharField(label=_("철회 사유"), max_length=200)


class RegionEnrolForm(forms.Form):
    """One 시군구 whose every market and shopping street joins the program."""

    region = forms.ModelChoiceField(
        label=_("시군구"),
        queryset=Region.objects.filter(level=Region.Level.SIGUNGU).order_by("code"),
    )


class ApplicationForm(forms.Form):
    """The merchant's application: the declared annual sales and the confirmation."""

    declared_annual_sales = forms.IntegerField(
        label=_("작년 연 매출(원)"), min_value=0,
        widget=forms.NumberInput(attrs={"min": 0, "step": 1, "inputmode": "numeric"}),
    )
    confirm = forms.BooleanField(
        label=_("연 매출이 10억 원 이하임을 확인합니다."),
        error_messages={"required": _("연 매출 확인에 체크해 주세요.")},
    )

    def __init__(self, *args: Any, limit: int = DEFAULT_MAX_ANNUAL_SALES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if limit != DEFAULT_MAX_ANNUAL_SALES:
            self.fields["confirm"].label = _("연 매출이 %(limit)s 이하임을 확인합니다.") % {
                "limit": format_won(limit)}


# --- console actions (P6): hall curation, roll-out steps, pledges ------------------------------


class HallItemForm(forms.Form):
    """A product of the chosen store listed in the hall with a discount (won) and the
    program's share of it (percent, to two decimals)."""

    store = forms.IntegerField(widget=forms.HiddenInput)
    product = forms.ModelChoiceField(label=_("상품"), queryset=Product.objects.none())
    discount = forms.IntegerField(
        label=_("할인액(원)"), min_value=1, widget=forms.NumberInput(attrs={
            "min": 1, "step": 100, "inputmode": "numeric"})
    )
    share_percent = forms.DecimalField(
        label=_("사업 분담률(%)"), min_value=0, max_value=100, max_digits=5, decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.01",
                                        "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, store: Store | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if store is not None:
            self.fields["product"].queryset = (  # type: ignore[attr-defined]
                Product.objects.filter(store=store).order_by("position", "id")
            )

    @property
    def share_bp(self) -> int:
        """The share in basis points (100% = 10000)."""
        return int(self.cleaned_data["share_percent"] * 100)


class EnrolmentAdvanceForm(forms.Form):
    """The step an enrolled market moves to."""

    to = forms.ChoiceField(choices=Enrolment.Status.choices, widget=forms.HiddenInput)


class RolloutTargetForm(forms.Form):
    """The program's roll-out target: active markets by a date."""

    markets = forms.IntegerField(label=_("목표 시장 수"), min_value=1)
    due_on = forms.DateField(
        label=_("기한"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PledgeForm(forms.Form):
    """An organisation's new pledge; `organisations` and `programs` are those the operator
    may pledge for."""

    organisation = forms.ModelChoiceField(
        label=_("기관"), queryset=Organisation.objects.none(), empty_label=None
    )
    text = forms.CharField(
        label=_("약속"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    metric = forms.ChoiceField(label=_("지표"), choices=Pledge.Metric.choices)
    target = forms.IntegerField(label=_("목표"), min_value=1)
    deadline = forms.DateField(label=_("기한"), widget=forms.DateInput(attrs={"type": "date"}))
    program = forms.ModelChoiceField(
        label=_("사업 (비우면 기관의 모든 사업)"), queryset=Program.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, organisations: Any = None, programs: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        if programs is not None:
            self.fields["program"].queryset = programs  # type: ignore[attr-defined]


class PledgeReportForm(forms.Form):
    """The value a `reported` pledge reached, with its evidence."""

    value = forms.IntegerField(label=_("보고한 값"), min_value=0)
    evidence = forms.CharField(
        label=_("증빙"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
