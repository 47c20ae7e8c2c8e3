"""The customer's notices page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from dangol.accounts.models import User
from dangol.notices.selectors import notices_for

NOTICES_PER_PAGE = 30


@require_safe
@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    """List the signed-in user's informational notices, 30 to a page."""
    assert isinstance(request.user, User)  # noqa: S101 (login_required)
    page = Paginator(notices_for(user=request.user), NOTICES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "notices/notice_list.html", {"page_obj": page})
