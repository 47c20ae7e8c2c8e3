"""Idempotency keys for API writes (`Idempotency-Key` header).

A client that did not get an answer sends the same request again with the same key. For a
write whose service is not idempotent by itself (a gift, an extension), `idempotent_call`
does the write and stores the response in one database transaction, keyed by (user, key):

- the same key with the same request (method, path, body) is answered from the stored
  response, and the write is not done again;
- the same key with a different request is refused (422, `idempotency_key_reused`);
- the same key while the first request is still running is refused (409,
  `idempotency_key_in_progress`) on PostgreSQL, where a transaction-scoped advisory lock
  marks it; SQLite serialises writing transactions, so the repeat waits and is replayed;
- a request that fails (a domain error, a crash) stores nothing: its transaction rolls back
  with the write, and the key may be used again.

Stored responses are kept for a day (`idempotent_requests_purge`, run hourly by core.tasks).
"""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from ninja import Header

from dangol.core import clock
from dangol.core.errors import DangolError, IdempotencyKeyReused
from dangol.core.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 64
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable ASCII, no space
RETENTION = dt.timedelta(hours=24)
SERVICE_KEY_VERBATIM = 40


class IdempotencyKeyMissing(DangolError):
    code = "idempotency_key_required"
    template = _(
        "쓰기 요청에는 Idempotency-Key 헤더가 필요합니다 "
        "(요청마다 새로 만든 1–64자 문자열, 다시 보낼 때는 같은 값)."
    )
    status = 400


class IdempotencyKeyInvalid(DangolError):
    code = "idempotency_key_invalid"
    template = _("Idempotency-Key는 공백 없는 1–64자의 ASCII 문자열이어야 합니다.")
    status = 400


class IdempotentRequestInProgress(DangolError):
    code = "idempotency_key_in_progress"
    template = _(
        "같은 Idempotency-Key의 요청을 아직 처리하고 있습니다. 잠시 뒤 같은 요청을 다시 "
        "보내 주세요."
    )
    status = 409


@dataclass(frozen=True)
class IdempotentResponse:
    """The answer to a keyed request; `replayed` is True when it came from the stored row."""

    status: int
    body: Any
    replayed: bool


def idempotency_key_header(*, required: bool = True) -> Any:
    """Return the `Idempotency-Key` header parameter of an API write (optional in the schema
    and checked by `idempotency_key_check`, so that a missing key is answered with a
    translated message rather than a schema error); `required` says which in its text."""
    need = "필수" if required else "선택"
    return Header(
        None, alias=HEADER,
        description=(
            f"{need}. 요청마다 새로 만든 1–{KEY_MAX_LENGTH}자 ASCII 문자열, 다시 보낼 때는 같은 "
            f"값 / {'required' if required else 'optional'} idempotency key"
        ),
    )


def idempotency_key_check(key: str | None) -> str:
    """Return `key` if it is a usable idempotency key; raise IdempotencyKeyMissing or
    IdempotencyKeyInvalid otherwise."""
    if key is None or not key.strip():
        raise IdempotencyKeyMissing()
    if not KEY_PATTERN.match(key):
        raise IdempotencyKeyInvalid()
    return key


def idempotency_service_key(*, scope: str, key: str) -> str:
    """Return the key to pass to a service that is idempotent by key, for a client `key`
    within `scope` (a buyer, a store), so that two clients' keys never meet.

    Services derive longer keys from it (a payment's capture key, a ledger key) in columns of
    100 characters, so a client key longer than SERVICE_KEY_VERBATIM (a UUID fits) is
    replaced by its SHA-256 prefix.
    """
    if len(key) > SERVICE_KEY_VERBATIM:
        key = "h:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"api:{scope}:{key}"


def request_fingerprint(*, method: str, path: str, payload: Any) -> str:
    """Return the SHA-256 (hex) of the request's method, path and JSON payload."""
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "payload": payload},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _advisory_lock_id(user_id: int, key: str) -> int:
    digest = hashlib.sha256(f"idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _claim(user_id: int, key: str) -> None:
    """Mark (user, key) as being processed until the transaction ends; raise
    IdempotentRequestInProgress if another transaction holds it (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_advisory_lock_id(user_id, key)])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise IdempotentRequestInProgress()


def idempotent_call(
    *,
    user_id: int,
    key: str | None,
    method: str,
    path: str,
    payload: Any,
    action: Callable[[], tuple[int, Any]],
) -> IdempotentResponse:
    """Do `action` once per (user, key) and return its (status, JSON body), stored.

    `action` does the write and returns the response status and a JSON-serialisable body;
    it runs in the same transaction that stores them. Raise IdempotencyKeyMissing or
    IdempotencyKeyInvalid for an unusable key, IdempotencyKeyReused if the key was used for
    a different request, IdempotentRequestInProgress while the same key is being processed,
    and whatever `action` raises (nothing is stored then).
    """
    key = idempotency_key_check(key)
    method = method.upper()
    fingerprint = request_fingerprint(method=method, path=path, payload=payload)
    with transaction.atomic():
        _claim(user_id, key)
        stored = IdempotentRequest.objects.filter(user_id=user_id, key=key).first()
        if stored is not None:
            if (stored.method, stored.path, stored.fingerprint) != (method, path, fingerprint):
                raise IdempotencyKeyReused()
            return IdempotentResponse(stored.response_status, stored.response_body, True)
        status, body = action()
        IdempotentRequest.objects.create(
            user_id=user_id, key=key, method=method, path=path[:255], fingerprint=fingerprint,
            response_status=status, response_body=body, created_at=clock.now(),
        )
    return IdempotentResponse(status, body, False)


def idempotent_requests_purge(*, at: dt.datetime | None = None) -> int:
    """Delete the stored responses older than a day (before `at`, default now); return how
    many were deleted. After that a key may be used again."""
    before = (at or clock.now()) - RETENTION
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=before).delete()
    return deleted


def idempotent_requests_of_user_delete(*, user_id: int) -> int:
    """Delete every stored response of user `user_id` (an account being erased: a response
    may hold a number or a voucher's code); return how many were deleted."""
    deleted, _by_model = IdempotentRequest.objects.filter(user_id=user_id).delete()
    return deleted
