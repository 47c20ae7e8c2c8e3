"""Pages of messaging: composer, list, statistics and credit for stores and market channels,
the 마감 세일 one-tap, the customer's inbox, click tracking and the opt-out link."""

from django.urls import path

from dangol.messaging import views

app_name = "messaging"

urlpatterns = [
    path("me/inbox/", views.inbox, name="inbox"),
    path("me/inbox/<int:delivery_id>/", views.inbox_message, name="inbox_message"),
    path("m/<int:delivery_id>/<slug:token>/go/", views.link_go, name="go"),
    path("o/<slug:token>/", views.opt_out, name="opt_out"),
    path("merchant/stores/<int:pk>/closing-sale/", views.closing_sale, name="closing_sale"),
]

for _kind in ("store", "market"):
    _base = f"merchant/{_kind}s/<int:pk>/"
    urlpatterns += [
        path(f"{_base}messages/", views.campaign_list, {"kind": _kind},
             name=f"{_kind}_messages"),
        path(f"{_base}messages/new/", views.campaign_new, {"kind": _kind},
             name=f"{_kind}_message_new"),
        path(f"{_base}messages/<int:campaign_id>/", views.campaign_detail, {"kind": _kind},
             name=f"{_kind}_message"),
        path(f"{_base}credit/", views.credit, {"kind": _kind}, name=f"{_kind}_credit"),
        path(f"{_base}credit/checkout/success/", views.credit_success, {"kind": _kind},
             name=f"{_kind}_credit_success"),
        path(f"{_base}credit/checkout/fail/", views.credit_fail, {"kind": _kind},
             name=f"{_kind}_credit_fail"),
    ]
