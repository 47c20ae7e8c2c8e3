from django.urls import path

from dangol.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("console/", views.console, name="console"),
    path("merchant/", views.merchant_home, name="merchant"),
]
