"""Access for the JSON API: the checks of `checks` for the caller of a request and the
API token it came with. Refusals are core's errors, which the API answers as
`{code, message}` with their status (403 `store_not_managed`, 403 `operator_only`, …)."""

from django.http import HttpRequest

from dangol.access import checks
from dangol.access.pages import request_memo
from dangol.access.policy import Action
from dangol.accounts.api import api_caller
from dangol.accounts.models import ApiToken, User
from dangol.places.models import Market, Store


def request_token(request: HttpRequest) -> ApiToken | None:
    """Return the API token the request authenticated with (None for a session)."""
    token = getattr(request, "api_token", None)
    return token if isinstance(token, ApiToken) else None


def caller_store(request: HttpRequest, store_id: int, action: Action) -> Store:
    """Return store `store_id` if the caller, through their token, may take `action` there.

    Raise StoreNotFound, or StoreNotManaged (the token's own message when only the token is
    limited to another store).
    """
    return checks.store_for_manager(
        user=api_caller(request), store_id=store_id, action=action,
        token=request_token(request), memo=request_memo(request),
    )


def caller_market(request: HttpRequest, market_id: int, action: Action) -> Market:
    """Return market `market_id` if the caller may take `action` there; a store-scoped token
    never may. Raise MarketNotFound or MarketNotManaged."""
    return checks.market_for_association(
        user=api_caller(request), market_id=market_id, action=action,
        token=request_token(request), memo=request_memo(request),
    )


def caller_require(request: HttpRequest, action: Action) -> User:
    """Return the caller if they may take `action` (one not bound to an object); raise the
    action's refusal otherwise, and for a store-scoped token whoever its owner is."""
    caller = api_caller(request)
    checks.require(caller, action, token=request_token(request), memo=request_memo(request))
    return caller
