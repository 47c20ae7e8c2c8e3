"""Coupons and stamp cards: promotions redeemed at the counter."""

from django.urls import path, re_path

from dangol.coupons import views

app_name = "coupons"
urlpatterns = [
    path("stores/<int:pk>/coupons/", views.store_coupons, name="store_coupons"),
    path("me/coupons/", views.wallet, name="wallet"),
    path("me/coupons/<int:pk>/", views.coupon_detail, name="coupon"),
    path("me/stamps/", views.stamp_cards, name="stamps"),
    path("me/code/", views.my_code, name="my_code"),
    path("merchant/stores/<int:pk>/coupons/", views.merchant_coupons, name="merchant_coupons"),
    path("merchant/stores/<int:pk>/redeem/", views.merchant_redeem, name="merchant_redeem"),
    path("merchant/stores/<int:pk>/stamps/", views.merchant_stamps, name="merchant_stamps"),
    path("c/", views.coupon_scan, name="scan"),
    path("c/<slug:token>/", views.coupon_scan_before, name="scan_before"),
    path("u/", views.customer_scan, name="customer_scan"),
    re_path(r"^u/(?P<code>[0-9]{8})/$", views.customer_scan_before, name="customer_scan_before"),
]
