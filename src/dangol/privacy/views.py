"""Pages of privacy: what dangol holds about the signed-in person, its download, and the
deletion of their account. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.errors import DangolError
from dangol.privacy import selectors, services
from dangol.privacy.archive import SECTIONS


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (behind login_required)
    return user


def _counts(user: User) -> list[tuple[str, int]]:
    document = selectors.my_data(user=user)
    return [(str(SECTIONS[name][1]), len(rows)) for name, rows in document["sections"].items()]


@require_safe
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Show what is held (section by section), the download button and the way to delete
    the account."""
    return render(request, "privacy/overview.html", {"counts": _counts(_person(request))})


@require_safe
@login_required
def download(request: HttpRequest) -> HttpResponse:
    """Download everything held about the signed-in person as a .zip (JSON and CSVs)."""
    user = _person(request)
    content = services.my_data_download(user=user)
    response = HttpResponse(content, content_type="application/zip")
    filename = f"dangol-my-data-{clock.today_kst().isoformat()}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def erase(request: HttpRequest) -> HttpResponse:
    """Show what deleting the account keeps and removes and ask for the confirmation word;
    on POST delete it, sign out and go home."""
    user = _person(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            services.account_erase(user=user, confirmation=request.POST.get("confirm", ""))
        except DangolError as exc:
            error, status = exc.message, exc.status
        else:
            logout(request)
            messages.success(request, _("탈퇴했습니다. 그동안 단골을 이용해 주셔서 감사합니다."))
            return redirect("web:home")
    blocked = ""
    try:
        services.account_erase_check(user=user)
    except DangolError as exc:
        blocked = exc.message
    return render(request, "privacy/erase.html", {
        "error": error, "blocked": blocked, "word": services.ERASE_WORD,
    }, status=status)
