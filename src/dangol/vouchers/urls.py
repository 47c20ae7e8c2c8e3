"""Pages of vouchers: the shop, the customer's vouchers, the merchant's screens."""

from django.urls import path

from dangol.vouchers import views

app_name = "vouchers"

urlpatterns = [
    path("vouchers/", views.shop, name="shop"),
    path("vouchers/products/<int:pk>/", views.product, name="product"),
    path("vouchers/checkout/success/", views.checkout_success, name="checkout_success"),
    path("vouchers/checkout/fail/", views.checkout_fail, name="checkout_fail"),
    path("me/vouchers/", views.mine, name="mine"),
    path("me/vouchers/<int:pk>/", views.detail, name="detail"),
    path("merchant/stores/<int:pk>/vouchers/", views.merchant, name="merchant"),
    path("merchant/stores/<int:pk>/vouchers/redeem/", views.merchant_redeem,
         name="merchant_redeem"),
    path("merchant/stores/<int:pk>/vouchers/products/new/", views.product_new,
         name="product_new"),
    path("merchant/markets/<int:pk>/vouchers/products/new/", views.market_product_new,
         name="market_product_new"),
    path("v/", views.voucher_scan, name="scan"),
    path("v/<slug:token>/", views.voucher_scan_before, name="scan_before"),
]
