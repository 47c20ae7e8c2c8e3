"""The base error type of dangol's domains.

Services raise `DangolError` subclasses; interfaces turn them into a translated message
(a page's form error, a 4xx JSON body, a command's stderr). The message is built from a
lazily translated template and keyword parameters, so it renders in the reader's language.
"""

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DangolError(Exception):
    """A domain rule was broken; `message` says which, in the active language.

    Subclasses set `code` (stable, for API clients) and `template` (translatable, with
    `%(name)s` placeholders filled from the keyword arguments).
    """

    code: ClassVar[str] = "error"
    template: ClassVar[str | Promise] = _("요청을 처리할 수 없습니다.")
    status: ClassVar[int] = 400

    def __init__(self, template: str | Promise | None = None, **params: Any) -> None:
        if template is not None:
            self.template = template  # type: ignore[misc]
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """Return the message in the active language."""
        text = str(self.template)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.message


class ValidationError(DangolError):
    """Input does not have the required form (a BRN, a phone number, a file)."""

    code = "invalid"
    template = _("입력값이 올바르지 않습니다.")


class NotFound(DangolError):
    """The thing asked for does not exist or the actor may not see it."""

    code = "not_found"
    template = _("찾을 수 없습니다.")
    status = 404


class PermissionDenied(DangolError):
    """The actor may not do this."""

    code = "forbidden"
    template = _("권한이 없습니다.")
    status = 403


class RateLimited(DangolError):
    """Too many attempts in a short time."""

    code = "rate_limited"
    template = _("시도 횟수가 너무 많습니다. %(minutes)s분 후에 다시 시도해 주세요.")
    status = 429


class IdempotencyKeyReused(DangolError):
    """An idempotency key came back with a different request than the one it first named.

    The one error for every keyed write (API requests, payments, coupon and voucher
    redemptions, purchases, campaigns): a retry must repeat the first request exactly.
    """

    code = "idempotency_key_reused"
    template = _(
        "이 Idempotency-Key는 다른 요청에 이미 쓰였습니다. 새 요청에는 새 키를 만들어 주세요."
    )
    status = 422
