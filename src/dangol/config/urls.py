"""URL map: web pages, the JSON API under /api/, the admin, and the demo's outbox."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve as serve_file

from dangol.config.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("dangol.web.urls")),
    path("accounts/", include("dangol.accounts.urls")),
    path("", include("dangol.places.urls")),
    path("", include("dangol.regulars.urls")),
    path("", include("dangol.coupons.urls")),
    path("", include("dangol.vouchers.urls")),
    path("", include("dangol.settlement.urls")),
    path("", include("dangol.messaging.urls")),
    path("", include("dangol.programs.urls")),
    path("", include("dangol.audit.urls")),
    path("", include("dangol.privacy.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Uploaded campaign images. Django serves them itself so that one command runs everything;
# behind a web server, let it serve MEDIA_ROOT under MEDIA_URL instead.
urlpatterns += [
    re_path(r"^media/(?P<path>.+)$", serve_file, {"document_root": settings.MEDIA_ROOT}),
]

if settings.DEMO or settings.TESTING:
    urlpatterns += [path("dev/", include("dangol.core.urls"))]
