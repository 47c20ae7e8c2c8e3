"""Access for web pages: the checks of `checks`, answered the way pages answer.

A page that may not be seen answers 403 (Django's PermissionDenied, the site's 403 page),
one whose object does not exist 404; login_required has already sent anonymous visitors to
the sign-in page.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as PageDenied
from django.http import Http404, HttpRequest

from dangol.access import checks
from dangol.access.policy import Action
from dangol.core.errors import NotFound, PermissionDenied
from dangol.organisations.models import Organisation
from dangol.places.models import Market, Store


@contextmanager
def as_page() -> Iterator[None]:
    """Turn the refusals raised inside into a page's 404 and 403."""
    try:
        yield
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise PageDenied from None


def request_memo(request: HttpRequest) -> checks.Memo:
    """Return the lookups of access kept for this request (see `checks.holds_any`)."""
    memo: checks.Memo = request.__dict__.setdefault("_access_memo", {})
    return memo


def store_for_page(request: HttpRequest, store_id: int, action: Action) -> Store:
    """Return store `store_id` if the visitor may take `action` there; else 404 or 403."""
    with as_page():
        return checks.store_for_manager(
            user=request.user, store_id=store_id, action=action, memo=request_memo(request)
        )


def market_for_page(request: HttpRequest, market_id: int, action: Action) -> Market:
    """Return market `market_id` if the visitor may take `action` there; else 404 or 403."""
    with as_page():
        return checks.market_for_association(
            user=request.user, market_id=market_id, action=action, memo=request_memo(request)
        )


def require_for_page(
    request: HttpRequest, action: Action, *, store: Store | None = None,
    market: Market | None = None, organisation: Organisation | int | None = None,
) -> None:
    """Answer 403 unless the visitor may take `action` on what is given."""
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    with as_page():
        checks.require(
            request.user, action, store=store, market=market, organisation_id=organisation_id,
            memo=request_memo(request),
        )


def may_on_page(
    request: HttpRequest, action: Action, *, store: Store | None = None,
    market: Market | None = None, organisation: Organisation | int | None = None,
) -> bool:
    """Return whether the visitor may take `action` (what a page shows or hides)."""
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return checks.may(
        request.user, action, store=store, market=market, organisation_id=organisation_id,
        memo=request_memo(request),
    )
