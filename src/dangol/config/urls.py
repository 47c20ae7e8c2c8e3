"""URL map: web pages, the JSON API under /api/, the admin, and the demo's outbox."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from dangol.config.api import api

urlpatterns = [
    path("", include("dangol.web.urls")),
    path("accounts/", include("dangol.accounts.urls")),
    path("", include("dangol.places.urls")),
    path("", include("dangol.regulars.urls")),
    path("", include("dangol.coupons.urls")),
    path("", include("dangol.vouchers.urls")),
    path("", include("dangol.settlement.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEMO or settings.TESTING:
    urlpatterns += [path("dev/", include("dangol.core.urls"))]
