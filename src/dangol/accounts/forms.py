"""Sign-in forms: parse and label the input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("휴대전화 번호"), max_length=20,
        widget=forms.TextInput(attrs={
            "inputmode": "tel", "autocomplete": "tel", "placeholder": "010-1234-5678",
        }),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("인증번호 6자리"), min_length=6, max_length=6,
        widget=forms.TextInput(attrs={
            "inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}",
        }),
    )


class EmailLoginForm(forms.Form):
    email = forms.EmailField(
        label=_("이메일"), widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("비밀번호"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
