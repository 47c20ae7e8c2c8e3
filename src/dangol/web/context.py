"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Return the site name and whether this is the demo (shows the development outbox link)."""
    return {"SITE_NAME": settings.DANGOL_SITE_NAME, "DEMO": settings.DEMO}
