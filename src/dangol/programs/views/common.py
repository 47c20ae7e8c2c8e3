"""What every console and merchant page of programs shares: the signed-in user, pagination
and the programs a user may read or operate (access decides)."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from dangol.access import policy
from dangol.access.pages import as_page, may_on_page, request_memo, require_for_page
from dangol.accounts.models import User
from dangol.programs import selectors
from dangol.programs.models import Program


def user_of(request: HttpRequest) -> User:
    """Return the signed-in user of a page behind login_required."""
    assert isinstance(request.user, User)  # noqa: S101 (login_required)
    return request.user


def paginate(request: HttpRequest, items: Any, per_page: int) -> Page:
    """Return the page of `items` that the request's ?page= asks for."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


# --- who may do what: access decides -----------------------------------------------------


def program_readable(
    request: HttpRequest, pk: int, action: policy.Action = policy.PROGRAM_VIEW
) -> Program:
    """Return program `pk` for a console user who may read it (404, 403)."""
    require_for_page(request, policy.CONSOLE)
    with as_page():
        return selectors.program_for_reader(
            user=request.user, program_id=pk, action=action, memo=request_memo(request)
        )


def program_operated(request: HttpRequest, pk: int, action: policy.Action) -> Program:
    """Return program `pk` for its operator (or the admin) taking `action` (404, 403)."""
    require_for_page(request, policy.CONSOLE)
    with as_page():
        return selectors.program_for_operator(
            user=request.user, program_id=pk, action=action, memo=request_memo(request)
        )


def can_run(request: HttpRequest, program: Program) -> bool:
    """Return whether the user runs `program` (its buttons show): its operator or the admin."""
    return may_on_page(request, policy.PROGRAM_REVIEW, organisation=program.operator_id)
