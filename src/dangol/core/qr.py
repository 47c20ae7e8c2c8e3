"""QR codes that carry a secret, and the scanner page their URL opens.

A QR's secret (a voucher's or coupon's token, a customer's personal code) travels in the
URL's fragment, `https://site/v/#<token>`: a browser never sends the fragment, so no access
log, proxy or Referer header records it. The page at that URL holds no data; its script
reads the fragment and POSTs it (after sign-in, if needed), and the view answers the POST."""

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.safestring import SafeString, mark_safe

# What a QR's token looks like (a slug), for the scanner page's check of the fragment.
SLUG_PATTERN = r"[-a-zA-Z0-9_]{1,64}"


def qr_svg(data: str) -> SafeString:
    """Return `data` as an inline SVG QR code."""
    # segno writes the SVG itself from the data: nothing user-controlled reaches markup.
    return mark_safe(segno.make(data, error="m").svg_inline(scale=6, border=2))  # noqa: S308


def scan_url(request: HttpRequest, path: str, secret: str) -> str:
    """Return the absolute URL a QR encodes: the scanner page at `path`, `secret` in the
    fragment."""
    return f"{request.build_absolute_uri(path)}#{secret}"


def scan_page(request: HttpRequest, *, title: str, field: str, pattern: str) -> HttpResponse:
    """Render the scanner page: a form posting the fragment as `field` to this same URL
    (the script refuses a fragment not matching `pattern`)."""
    return render(request, "core/scan.html", {
        "title": title, "field": field, "pattern": pattern,
        "signed_in": request.user.is_authenticated,
        "scan_login": f"{resolve_url(settings.LOGIN_URL)}?next={request.path}",
    })
