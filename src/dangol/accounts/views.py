"""Sign-in pages: customers by mobile number and one-time code, staff by e-mail and password."""

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dangol.accounts import services
from dangol.accounts.forms import CodeForm, EmailLoginForm, PhoneForm
from dangol.core.errors import DangolError
from dangol.core.phone import phone_mask

SESSION_PHONE = "accounts_pending_phone"
SESSION_NEXT = "accounts_next"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or request.session.get(
        SESSION_NEXT, ""
    )
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(candidate)
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _login_page(request: HttpRequest, *, phone_form: PhoneForm | None = None,
                email_form: EmailLoginForm | None = None, status: int = 200) -> HttpResponse:
    context = {
        "phone_form": phone_form or PhoneForm(),
        "email_form": email_form or EmailLoginForm(),
        "next": _next_url(request),
    }
    return render(request, "accounts/login.html", context, status=status)


@require_http_methods(["GET"])
def login_choice(request: HttpRequest) -> HttpResponse:
    """Offer both ways to sign in."""
    if request.GET.get("next"):
        request.session[SESSION_NEXT] = request.GET["next"]
    return _login_page(request)


@require_POST
def phone_start(request: HttpRequest) -> HttpResponse:
    """Send a one-time code to the number entered and ask for it."""
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _login_page(request, phone_form=form, status=400)
    try:
        record = services.verification_code_send(request=request, phone=form.cleaned_data["phone"])
    except DangolError as error:
        form.add_error("phone", error.message)
        return _login_page(request, phone_form=form, status=error.status)
    request.session[SESSION_PHONE] = record.phone
    if request.POST.get("next"):
        request.session[SESSION_NEXT] = request.POST["next"]
    return redirect("accounts:phone_verify")


@require_http_methods(["GET", "POST"])
def phone_verify(request: HttpRequest) -> HttpResponse:
    """Check the code; sign the customer in (creating the account on first sign-in)."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = services.customer_login_with_code(
                    request=request, phone=phone, code=form.cleaned_data["code"]
                )
            except DangolError as error:
                form.add_error("code", error.message)
                status = error.status
            else:
                target = _next_url(request)
                login(request, user, backend="dangol.accounts.backends.EmailBackend")
                return HttpResponseRedirect(target)
    context = {"form": form, "masked_phone": phone_mask(phone), "DEMO": settings.DEMO}
    return render(request, "accounts/verify.html", context, status=status)


@require_POST
def email_login(request: HttpRequest) -> HttpResponse:
    """Sign a merchant, operator or auditor in with e-mail and password."""
    form = EmailLoginForm(request.POST)
    if not form.is_valid():
        return _login_page(request, email_form=form, status=400)
    try:
        user = services.user_login_with_password(
            request=request, email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
    except DangolError as error:
        form.add_error(None, error.message)
        return _login_page(request, email_form=form, status=error.status)
    target = _next_url(request)
    login(request, user, backend="dangol.accounts.backends.EmailBackend")
    return HttpResponseRedirect(target)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out and go home."""
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
