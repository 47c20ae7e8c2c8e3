"""API plumbing shared by every router: domain errors become JSON with a translated message,
lists page by `limit`/`offset`, and money in a request body is a `Won`."""

from typing import Annotated, Any

from annotated_types import Interval
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import Field, NinjaAPI, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from dangol.core.errors import DangolError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# The widest amount a money column holds (PositiveIntegerField on every backend).
WON_MAX = 2_147_483_647


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
    client never silently receives fewer rows than it asked for."""

    class Input(LimitOffsetPagination.Input):
        limit: int = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT,
            description=f"한 번에 받을 개수 (1–{MAX_LIMIT}) / page size",
        )
        offset: int = Field(0, ge=0, description="건너뛸 개수 / rows to skip")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


def _whole_won(value: object) -> int:
    """Return `value` if it is a JSON integer; refuse booleans (True is not ₩1), strings and
    fractions with a translated message."""
    if type(value) is not int:
        raise PydanticCustomError(
            "won_not_integer", gettext("금액은 원 단위 정수(숫자)로 보내 주세요.")
        )
    return value


Won = Annotated[int, Interval(ge=0, le=WON_MAX), BeforeValidator(_whole_won)]
"""An amount of money in a request body: a JSON integer number of won, 0 to WON_MAX.
`true`, `"1000"` and `1000.0` are refused (422), not coerced."""

PositiveWon = Annotated[int, Interval(ge=1, le=WON_MAX), BeforeValidator(_whole_won)]
"""A `Won` of at least ₩1 (an amount to take or pay)."""
