"""API plumbing shared by every router: domain errors become JSON with a translated message,
and lists page by `limit`/`offset`."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.pagination import LimitOffsetPagination

from dangol.core.errors import DangolError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Far beyond any list's length, and inside every database's integer range (an OFFSET of 2^63
# overflows SQLite's and PostgreSQL's bigint and used to answer 500).
MAX_OFFSET = 2**31 - 1


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


class Pagination(LimitOffsetPagination):
    """`limit`/`offset` paging; a limit above MAX_LIMIT is refused (422), not clamped, so a
    client never silently receives fewer rows than it asked for; an offset above MAX_OFFSET
    is refused (422) too, before it reaches the database."""

    class Input(LimitOffsetPagination.Input):
        limit: int = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT,
            description=f"한 번에 받을 개수 (1–{MAX_LIMIT}) / page size",
        )
        offset: int = Field(
            0, ge=0, le=MAX_OFFSET, description=f"건너뛸 개수 (0–{MAX_OFFSET}) / rows to skip",
        )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
