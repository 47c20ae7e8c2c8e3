"""Writes on users: sign-in by phone code or password, API tokens, rate limits."""

import datetime as dt
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from dangol.accounts.errors import (
    CodeNotSent,
    InvalidCode,
    InvalidCredentials,
    InvalidTokenName,
    InvalidTokenScope,
)
from dangol.accounts.models import ApiToken, User, VerificationCode
from dangol.core import clock, ratelimit
from dangol.core.clientaddr import client_address
from dangol.core.errors import RateLimited
from dangol.core.ids import random_digits, token_urlsafe
from dangol.core.phone import mobile_normalize, phone_mask
from dangol.core.sms import sms_channel

logger = logging.getLogger("dangol.accounts")


# --- rate limiting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginLimit:
    """One counter of sign-in attempts in the shared limiter (core.ratelimit): `key` may be
    used `limit` times per settings.DANGOL_LOGIN_WINDOW_SECONDS. A `personal` counter (one
    e-mail address or mobile number) starts again after that person signs in."""

    key: str
    limit: int
    personal: bool


LoginStep = Literal["password", "code_request", "code_try"]


def login_limits(
    *, step: LoginStep, request: HttpRequest | None, who: str = ""
) -> list[LoginLimit]:
    """Return the counters a sign-in `step` by `who` from `request`'s client is held to.

    Every sign-in (the site's, the admin's, by code) goes through these: a failed password
    counts per e-mail and per client address, a code request per mobile number and per
    address, a wrong code per address only (the code itself dies after five wrong tries, so a
    stranger's guesses never stop the number's owner from signing in with a new code). The
    per-address ceiling is much higher than the personal one, as many customers share a
    market's Wi-Fi; the address is `core.clientaddr.client_address`.
    """
    address = LoginLimit(
        f"login:address:{client_address(request)}",
        settings.DANGOL_LOGIN_MAX_ATTEMPTS_PER_ADDRESS, personal=False,
    )
    if step == "password":
        return [LoginLimit(f"login:email:{who.strip().lower()}",
                           settings.DANGOL_LOGIN_MAX_ATTEMPTS, personal=True), address]
    if step == "code_request":
        return [LoginLimit(f"login:phone:{who}", settings.DANGOL_LOGIN_MAX_ATTEMPTS,
                           personal=True), address]
    return [address]


def login_attempts_check(*, limits: list[LoginLimit]) -> None:
    """Raise RateLimited if any of `limits` is used up in the current window."""
    window = settings.DANGOL_LOGIN_WINDOW_SECONDS
    if any(
        ratelimit.remaining(each.key, limit=each.limit, window_seconds=window) == 0
        for each in limits
    ):
        raise RateLimited(minutes=max(1, window // 60))


def login_attempt_record(*, limits: list[LoginLimit]) -> None:
    """Count one attempt against each of `limits`. The count is kept in the shared cache, not
    in the caller's transaction, so a failed sign-in whose transaction rolls back still
    counts."""
    for each in limits:
        ratelimit.hit(
            each.key, limit=each.limit, window_seconds=settings.DANGOL_LOGIN_WINDOW_SECONDS
        )


def login_attempt_forget(*, limits: list[LoginLimit]) -> None:
    """Take back the attempt counted against the personal counts among `limits`: what the
    person asked for failed on our side (the SMS provider did not send their code). The
    client address keeps its count, so a failing provider cannot be hammered."""
    for each in limits:
        if each.personal:
            ratelimit.unhit(each.key, window_seconds=settings.DANGOL_LOGIN_WINDOW_SECONDS)


def login_attempts_clear(*, limits: list[LoginLimit]) -> None:
    """Forget the personal counts among `limits` after that person signed in; the client
    address keeps its count."""
    for each in limits:
        if each.personal:
            ratelimit.clear(each.key, window_seconds=settings.DANGOL_LOGIN_WINDOW_SECONDS)


# --- staff and operators: e-mail and password ------------------------------------------------


def user_login_with_password(*, request: HttpRequest | None, email: str, password: str) -> User:
    """Return the user whose e-mail and password match; count failures per e-mail and address.

    Raise RateLimited after settings.DANGOL_LOGIN_MAX_ATTEMPTS failures in the window, and
    InvalidCredentials otherwise. The caller logs the user in (django.contrib.auth.login).
    """
    limits = login_limits(step="password", request=request, who=email)
    login_attempts_check(limits=limits)
    user = authenticate(request, email=email, password=password)
    if user is None:
        login_attempt_record(limits=limits)
        raise InvalidCredentials()
    login_attempts_clear(limits=limits)
    return user


# --- customers: mobile number and one-time code ----------------------------------------------


def verification_code_send(*, request: HttpRequest | None, phone: str) -> VerificationCode:
    """Send a fresh 6-digit code by SMS to the mobile number `phone`; return its record.

    Raise InvalidPhone for anything but a Korean mobile number, RateLimited when the number
    or the client asked too often, CodeNotSent when the SMS channel did not accept the
    message (that request then does not count against the number). The code goes by the
    channel's authentication route (`kind="code"`). Earlier unused codes for the number stop
    working.
    """
    e164 = mobile_normalize(phone)
    limits = login_limits(step="code_request", request=request, who=e164)
    login_attempts_check(limits=limits)
    login_attempt_record(limits=limits)
    code = random_digits(6)
    now = clock.now()
    with transaction.atomic():
        VerificationCode.objects.filter(phone=e164, used_at__isnull=True).update(used_at=now)
        record = VerificationCode.objects.create(
            phone=e164,
            code_hash=VerificationCode.hash_code(e164, code),
            expires_at=now + dt.timedelta(seconds=settings.DANGOL_OTP_TTL_SECONDS),
        )
    template = _("[단골] 인증번호 %(code)s 를 입력해 주세요. 3분 안에 입력해야 합니다.")
    body = str(template) % {"code": code}
    result = sms_channel().send(
        to=e164, body=body, kind="code", idempotency_key=f"otp-{record.pk}"
    )
    if not result.accepted:
        # The error is the provider's; the log names the masked number only, never the code.
        logger.warning("one-time code to %s not sent: %s", phone_mask(e164), result.error)
        login_attempt_forget(limits=limits)
        raise CodeNotSent()
    return record


def customer_login_with_code(*, request: HttpRequest | None, phone: str, code: str) -> User:
    """Return the customer who proved `phone` with `code`, creating the account on first use.

    Raise InvalidCode for a wrong, used or expired code (each wrong try is counted, and a code
    dies after five), RateLimited when the client has failed too often. Signing in lets the
    number ask for codes again at once.
    """
    e164 = mobile_normalize(phone)
    limits = login_limits(step="code_try", request=request)
    login_attempts_check(limits=limits)
    now = clock.now()
    with transaction.atomic():
        record = (
            VerificationCode.objects.select_for_update()
            .filter(phone=e164, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        matches = record is not None and hmac.compare_digest(
            record.code_hash, VerificationCode.hash_code(e164, str(code).strip())
        )
        if record is None or not matches:
            if record is not None:
                record.attempts += 1
                if record.attempts >= 5:
                    record.used_at = now
                record.save(update_fields=["attempts", "used_at"])
            failed = True
        else:
            failed = False
            record.used_at = now
            record.save(update_fields=["used_at"])
            user, created = User.objects.get_or_create(phone=e164)
            if created or user.phone_verified_at is None:
                user.phone_verified_at = now
                user.save(update_fields=["phone_verified_at"])
    if failed:
        login_attempt_record(limits=limits)
        raise InvalidCode()
    if not user.is_active:
        raise InvalidCode()
    login_attempts_clear(limits=login_limits(step="code_request", request=request, who=e164))
    return user


def verification_codes_purge(*, older_than: dt.timedelta | None = None) -> int:
    """Delete verification codes expired more than `older_than` ago (default
    settings.DANGOL_RETENTION_OTP_DAYS days); return how many went."""
    if older_than is None:
        older_than = dt.timedelta(days=settings.DANGOL_RETENTION_OTP_DAYS)
    deleted, _ = VerificationCode.objects.filter(expires_at__lt=clock.now() - older_than).delete()
    return deleted


# --- API tokens --------------------------------------------------------------------------------


# `last_used_at` is told to the minute or so: writing it on every request would make every
# API read take the database's write lock (SQLite has one for the whole file).
TOKEN_LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def api_token_lookup(*, secret: str) -> ApiToken | None:
    """Return the unrevoked token `secret` of an active user (with its user), or None,
    and note when it was last used (see `api_token_used`)."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None:
        api_token_used(token=token)
    return token


def api_token_used(*, token: ApiToken) -> None:
    """Record that `token` is being used, unless that was recorded in the last
    TOKEN_LAST_USED_RESOLUTION.

    Nothing is written while the recorded time is recent; otherwise one conditional UPDATE
    (so concurrent requests write it once), in its own transaction: after the caller's commits
    if the caller is inside one, so that a read never holds the write lock for it.
    """
    now = clock.now()
    stale = now - TOKEN_LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > stale:
        return

    def record() -> None:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)

    transaction.on_commit(record)  # runs at once outside a transaction
    token.last_used_at = now


def api_token_authenticate(*, secret: str) -> User | None:
    """Return the active owner of the unrevoked token `secret`, or None."""
    token = api_token_lookup(secret=secret)
    return None if token is None else token.user


TOKEN_SCOPE = re.compile(r"^(?:store:[1-9][0-9]*)?$")


@transaction.atomic
def api_token_create(*, user: User, name: str, scope: str = "") -> tuple[ApiToken, str]:
    """Create an API token for `user` and return it with its secret.

    The secret is returned only here: the row keeps its digest and its first 8 characters
    (the prefix people use to name it). Raise InvalidTokenName if `name` is blank or too long.
    """
    name = name.strip()
    max_length = ApiToken._meta.get_field("name").max_length or 100
    if not name or len(name) > max_length:
        raise InvalidTokenName(max=max_length)
    if not TOKEN_SCOPE.match(scope):
        raise InvalidTokenScope(scope=scope)
    secret = token_urlsafe()
    # A prefix starting with "-" would be read as an option by `dangol token revoke`.
    while secret.startswith("-"):
        secret = token_urlsafe()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:8], digest=ApiToken.digest_of(secret), scope=scope
    )
    return token, secret


def api_tokens_purge(*, older_than: dt.timedelta | None = None) -> int:
    """Delete API tokens revoked more than `older_than` ago (default
    settings.DANGOL_RETENTION_REVOKED_TOKEN_DAYS days); return how many went."""
    if older_than is None:
        older_than = dt.timedelta(days=settings.DANGOL_RETENTION_REVOKED_TOKEN_DAYS)
    deleted, _ = ApiToken.objects.filter(revoked_at__lt=clock.now() - older_than).delete()
    return deleted


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke `token` so that it no longer authenticates; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token


# --- erasure (탈퇴) ------------------------------------------------------------------------------


ERASED_NAME_PREFIX = "탈퇴회원-"
ERASED_EMAIL_DOMAIN = "erased.invalid"


def user_pseudonym(*, user: User) -> str:
    """Return the pseudonym an erased `user` keeps: "탈퇴회원-" and 12 hex digits of an HMAC
    of the user's id keyed with SECRET_KEY. The same row always gets the same pseudonym;
    without the key nobody can tell whose it was (the id alone reveals no contact)."""
    digest = salted_hmac("dangol.accounts.erasure", str(user.pk)).hexdigest()
    return f"{ERASED_NAME_PREFIX}{digest[:12]}"


@transaction.atomic
def user_erase(*, user: User) -> User:
    """Pseudonymise `user` and end every way of signing in as them; return the user.

    Phone number, e-mail and name are replaced by the pseudonym (the e-mail by
    "<pseudonym>@erased.invalid", which no one can receive, so the row keeps the identifier
    its check constraint asks for), the password becomes unusable (which ends every session:
    Django checks a session against the password's hash), the account is inactive, and its
    API tokens and unused verification codes are deleted. The row itself stays: ledger,
    voucher and consent records point at it. The number is free for a new account.
    Erasing twice changes nothing more.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.erased_at is not None:
        return user
    pseudonym = user_pseudonym(user=user)
    if user.phone:
        VerificationCode.objects.filter(phone=user.phone).delete()
    user.api_tokens.all().delete()
    user.name = pseudonym
    user.phone = None
    user.phone_verified_at = None
    user.email = f"{pseudonym.removeprefix(ERASED_NAME_PREFIX)}-{user.pk}@{ERASED_EMAIL_DOMAIN}"
    user.is_active = False
    user.is_staff = False
    user.erased_at = clock.now()
    user.set_unusable_password()
    user.save(update_fields=[
        "name", "phone", "phone_verified_at", "email", "is_active", "is_staff", "erased_at",
        "password", "updated_at",
    ])
    return user
