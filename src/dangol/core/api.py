"""API helpers shared by every router: domain errors become JSON with a translated message."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from dangol.core.errors import DangolError


class ErrorOut(Schema):
    """An error body: a stable code and a message in the request's language."""

    code: str
    message: str


def install_error_handlers(api: NinjaAPI) -> None:
    """Make `api` answer DangolError with its status, code and translated message."""

    @api.exception_handler(DangolError)
    def _domain_error(request: HttpRequest, exc: DangolError) -> HttpResponse:
        return api.create_response(
            request, {"code": exc.code, "message": exc.message}, status=exc.status
        )
