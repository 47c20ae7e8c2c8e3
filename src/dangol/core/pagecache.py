"""Whole-page caching for anonymous visitors, keyed on a fingerprint of the page's data.

A public page (a store profile reached by scanning its QR code) is mostly read by people
who are not signed in. For them the rendered HTML is kept in the cache under the page's
path, the language and a version string that the caller computes from the data in one
cheap query; when the data changes the version changes, so a cached page is never stale
and no write has to remember to invalidate anything. Each visitor still gets their own
CSRF token: the page is cached with a placeholder that is replaced on the way out.
Visitors with a session or pending flash messages get a fresh render.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import get_language

CSRF_PLACEHOLDER = "__dangol_csrf_token__"
CACHE_SECONDS = 60 * 60


def anonymous_page_cacheable(request: HttpRequest) -> bool:
    """Return whether `request` comes from a visitor whose page holds nothing personal."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def render_cached_for_anonymous(
    request: HttpRequest, template: str, *, version: str,
    context: Callable[[], dict[str, Any]],
) -> HttpResponse:
    """Render `template` with `context()`, reusing the HTML cached for the same path,
    language and `version` when the visitor is anonymous."""
    if not anonymous_page_cacheable(request):
        return render(request, template, context())
    raw_key = f"{request.get_full_path()}|{get_language()}|{version}"
    key = "page:" + hashlib.sha256(raw_key.encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        rendered = render(request, template, {**context(), "csrf_token": CSRF_PLACEHOLDER})
        html = rendered.content.decode(rendered.charset or "utf-8")
        cache.set(key, html, CACHE_SECONDS)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))
