"""Where the current action comes from: set per request by the middleware.

Services record the actor they are given; the client's address is the request's, which a
service is not handed, so the middleware keeps it here for `audit_record` to read. Outside a
request (a command, a task) there is none and the entry's origin is the command line.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from dangol.core.clientaddr import client_address

_address: ContextVar[str | None] = ContextVar("dangol_audit_client_address", default=None)


def current_client_address() -> str | None:
    """Return the address of the request being served, or None outside a request."""
    return _address.get()


class AuditContextMiddleware:
    """Keep the request's client address for the audit entries its services record."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            _address.reset(token)
