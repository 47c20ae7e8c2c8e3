from django.urls import path

from dangol.notices.views import notice_list
from dangol.regulars import import_pages, views

app_name = "regulars"
urlpatterns = [
    path("s/<int:pk>/", views.store_qr, name="store_qr"),
    path("stores/", views.store_search, name="store_search"),
    path("stores/<int:pk>/", views.store_detail, name="store"),
    path("stores/<int:pk>/follow/", views.follow, {"kind": "store"}, name="store_follow"),
    path("stores/<int:pk>/unfollow/", views.unfollow, {"kind": "store"}, name="store_unfollow"),
    path("markets/<int:pk>/follow/", views.follow, {"kind": "market"}, name="market_follow"),
    path(
        "markets/<int:pk>/unfollow/", views.unfollow, {"kind": "market"},
        name="market_unfollow",
    ),
    path("me/stores/", views.my_stores, name="my_stores"),
    path("me/consents/", views.my_consents, name="my_consents"),
    path(
        "me/consents/<int:consent_id>/withdraw/", views.consent_withdraw,
        name="consent_withdraw",
    ),
    # The notices app has no URL module of its own yet; its page is mounted here.
    path("me/notices/", notice_list, name="my_notices"),
    path(
        "merchant/stores/<int:pk>/regulars/", views.regulars_list, name="merchant_regulars"
    ),
    path(
        "merchant/stores/<int:pk>/regulars/tags/", views.tag_create, name="merchant_tag_create"
    ),
    path(
        "merchant/stores/<int:pk>/regulars/<int:follow_id>/tags/", views.follow_tags,
        name="merchant_follow_tags",
    ),
    path(
        "merchant/stores/<int:pk>/regulars/import/", import_pages.regulars_import,
        name="merchant_import",
    ),
    path(
        "merchant/stores/<int:pk>/regulars/import/<int:import_id>/",
        import_pages.regulars_import_status, name="merchant_import_status",
    ),
    path(
        "merchant/stores/<int:pk>/regulars/export.csv", views.regulars_export,
        name="merchant_export",
    ),
    path("merchant/stores/<int:pk>/poster.pdf", views.store_poster, name="merchant_poster"),
]
