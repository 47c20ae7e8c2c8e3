"""Sign-in forms: parse and label the input; the services decide."""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from dangol.accounts import services
from dangol.accounts.errors import InvalidCredentials
from dangol.core.errors import RateLimited


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


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in: the same service, and so the same limiter, as the site's."""

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = services.user_login_with_password(
                    request=self.request, email=email, password=password
                )
            except InvalidCredentials as error:
                raise self.get_invalid_login_error() from error
            except RateLimited as error:
                raise forms.ValidationError(error.message, code=error.code) from error
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
