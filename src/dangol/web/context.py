"""Template context shared by every page."""

from functools import partial

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Return the site name, whether this is the demo (shows the development outbox link),
    and `inbox_unread`, the signed-in user's unread messages for the header badge (a callable
    the template calls once: one query, only on pages that show the header)."""
    return {
        "SITE_NAME": settings.DANGOL_SITE_NAME, "DEMO": settings.DEMO,
        "inbox_unread": partial(_unread, request),
    }


def _unread(request: HttpRequest) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from dangol.messaging.selectors import unread_count  # web sits above messaging

    return unread_count(user=user)
