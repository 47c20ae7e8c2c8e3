"""API authentication: bearer tokens for integrations, the session for the site's own pages.

ninja tries an operation's auth callbacks in order: the first truthy result is the caller,
an exception ends the chain with its error response, and if all return None the answer is
401. So:

- `required_auth` = [bearer token, session]: endpoints that need a signed-in caller.
- `optional_auth` = [bearer token, session, anonymous]: public reads. Anyone may call;
  a valid token or session makes the caller its owner, so selectors show what the owner may
  see. Because `ApiTokenAuth` *raises* on a presented but unusable credential instead of
  returning None, a wrong or revoked token is a 401 and never falls through to
  the anonymous view.
"""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from dangol.accounts import services
from dangol.accounts.errors import InvalidApiToken
from dangol.accounts.models import User


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: act as the token's owner.

    No Authorization header: not this scheme, let the next one try. A header that is not a
    bearer token, or a token that is unknown, revoked or whose owner is inactive: 401.
    """

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if header is None:
            return None
        scheme, _sep, secret = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            raise InvalidApiToken(_("Authorization 헤더는 'Bearer <토큰>' 형식이어야 합니다."))
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = services.api_token_lookup(secret=token) if token else None
        if api_token is None:
            raise InvalidApiToken()
        user = api_token.user
        # Endpoints that act for a store check the token's scope (places.selectors).
        request.api_token = api_token  # type: ignore[attr-defined]
        # Let code that reads request.user (templates, tenancy helpers) see the token's owner.
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session (CSRF-checked for writes, as Django does)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


class AnonymousAuth:
    """Last in `optional_auth`: let a caller without credentials in as anonymous.

    A plain callable rather than an `AuthBase`, so that it adds no security scheme to the
    OpenAPI document; endpoints that use it declare `security: [{}]` with `anonymous_openapi()`.
    """

    def __call__(self, request: HttpRequest) -> Any:
        return AnonymousUser()


required_auth = [ApiTokenAuth(), SessionAuth()]
optional_auth = [ApiTokenAuth(), SessionAuth(), AnonymousAuth()]


def anonymous_openapi() -> dict[str, Any]:
    """Return the `openapi_extra` of an `optional_auth` endpoint: `{}` marks auth optional.

    ninja appends this to the operation's bearer and cookie requirements. A fresh dict each
    time, because ninja merges it into the document in place.
    """
    return {"security": [{}]}


def request_actor(request: HttpRequest) -> User | None:
    """Return the authenticated user of an API request, or None for an anonymous caller."""
    caller = getattr(request, "auth", None)
    if isinstance(caller, User) and caller.is_authenticated:
        return caller
    return None


def install_auth_error_handlers(api: NinjaAPI) -> None:
    """Make `api` answer 401s as `{code, message}` with a `WWW-Authenticate` challenge."""

    @api.exception_handler(InvalidApiToken)
    def _invalid_token(request: HttpRequest, exc: InvalidApiToken) -> HttpResponse:
        response = api.create_response(
            request, {"code": exc.code, "message": exc.message}, status=exc.status
        )
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request,
            {"code": "unauthenticated", "message": str(_("인증이 필요합니다."))},
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response


def api_caller(request: HttpRequest) -> User:
    """Return the authenticated user of a request behind `required_auth`."""
    caller = request.auth  # type: ignore[attr-defined]
    assert isinstance(caller, User)  # noqa: S101 (required_auth)
    return caller
