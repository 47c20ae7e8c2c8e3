"""Forms that parse the operator's input; the settlement services decide what is allowed."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.core.clock import KST
from dangol.settlement.models import SettlementPolicy


def _aware_kst(moment: dt.datetime | None) -> dt.datetime | None:
    """Read a wall-clock time typed into the form as KST (whatever the server's zone)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=None).replace(tzinfo=KST)


class SettlementRunForm(forms.Form):
    """A policy and a cut-off; an empty cut-off means the policy's latest passed one."""

    policy = forms.ModelChoiceField(
        label=_("정산 정책"), queryset=SettlementPolicy.objects.order_by("id"), empty_label=None
    )
    cutoff = forms.DateTimeField(
        label=_("마감 시각 (KST, 비우면 가장 최근 마감)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_cutoff(self) -> dt.datetime | None:
        return _aware_kst(self.cleaned_data.get("cutoff"))


class FastSettlementRunForm(forms.Form):
    """The business day whose redemptions a fast settlement advances; empty means the
    latest business day that has ended (KST)."""

    day = forms.DateField(
        label=_("영업일 (비우면 가장 최근에 끝난 영업일)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
