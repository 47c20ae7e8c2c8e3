"""API plumbing shared by every router: domain errors become JSON with a translated message,
every input passes one gate (`InputParser`) before a schema sees it, lists page by
`limit`/`offset`, and money in a request body is a `Won`."""

import datetime as dt
import json
from typing import Annotated, Any, cast

from annotated_types import Interval
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from dangol.core.clock import KST
from dangol.core.errors import DangolError, ValidationError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Far beyond any list's length, and inside every database's integer range (an OFFSET of 2^63
# overflows SQLite's and PostgreSQL's bigint and used to answer 500).
MAX_OFFSET = 2**31 - 1
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

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps whatever the body parser raises in an HttpError(400); answer the
        # parser's own error (InputMalformedJson, InputInvalidCharacter, ...) instead.
        if isinstance(exc.__cause__, DangolError):
            return _domain_error(request, exc.__cause__)
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


# --- the input gate ---------------------------------------------------------------------------


class InputMalformedJson(ValidationError):
    code = "input_malformed_json"
    template = _("요청 본문이 올바른 JSON이 아닙니다(%(line)s번째 줄 %(column)s번째 글자).")


class InputInvalidCharacter(ValidationError):
    code = "input_invalid_character"
    template = _(
        "입력값에 쓸 수 없는 문자(NUL 문자 또는 짝이 맞지 않는 유니코드 대리 문자)가 있습니다."
    )
    status = 422


class InputDatetimeOutOfRange(ValidationError):
    code = "input_datetime_out_of_range"
    template = _("날짜·시각이 처리할 수 있는 범위(0001-01-02–9999-12-30)를 벗어났습니다: %(value)s")
    status = 422


# A datetime must survive conversion to UTC and to any time zone (±1 day), which is what the
# database and the clock do with it; 0001-01-01T00:00:00+14:00 does not (OverflowError).
DATETIME_MIN = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
DATETIME_MAX = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
_ISO_SHORTEST, _ISO_LONGEST = len("0001-01-01"), len("0001-01-01T00:00:00.000000+00:00:00")


def _check_datetime_text(text: str) -> None:
    """Raise InputDatetimeOutOfRange if `text` is an ISO 8601 date or datetime (as a schema's
    datetime field would read it) outside DATETIME_MIN–DATETIME_MAX. A naive value is read
    in KST, as Django reads it."""
    if not (_ISO_SHORTEST <= len(text) <= _ISO_LONGEST and text[:4].isdigit()):
        return
    try:
        value = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return
    try:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=KST)
        in_range = DATETIME_MIN <= aware.astimezone(dt.UTC) <= DATETIME_MAX
    except OverflowError:
        in_range = False
    if not in_range:
        raise InputDatetimeOutOfRange(value=text)


def _check_text(text: str) -> None:
    """Raise InputInvalidCharacter if `text` holds a NUL (PostgreSQL refuses it in text) or a
    lone surrogate (not encodable as UTF-8); InputDatetimeOutOfRange for an unusable datetime."""
    if "\x00" in text:
        raise InputInvalidCharacter()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputInvalidCharacter() from error
    _check_datetime_text(text)


def input_check(value: Any) -> Any:
    """Return `value` (decoded JSON or a query's values) if every string in it, keys
    included, is usable input; raise InputInvalidCharacter or InputDatetimeOutOfRange."""
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            input_check(key)
            input_check(item)
    elif isinstance(value, list):
        for item in value:
            input_check(item)
    return value


class InputParser(Parser):
    """The API's parser: a body that is not JSON is a 400 (InputMalformedJson, naming where
    it breaks), and no string in a body or a query reaches a schema unless `input_check`
    passes it."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except json.JSONDecodeError as error:
            raise InputMalformedJson(line=error.lineno, column=error.colno) from error
        except UnicodeDecodeError as error:
            raise InputMalformedJson(line=1, column=error.start + 1) from error
        return cast(dict[str, Any], input_check(data))

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        return cast(dict[str, Any], input_check(parsed))


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
