"""Writes on users: sign-in by phone code or password, API tokens, rate limits."""

from dangol.accounts.models import ApiToken, User
from dangol.core import clock


def api_token_authenticate(*, secret: str) -> User | None:
    """Return the active owner of the unrevoked token `secret`, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    return token.user
