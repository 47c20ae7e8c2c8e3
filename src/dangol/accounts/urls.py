from django.urls import path

from dangol.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_choice, name="login"),
    path("login/phone/", views.phone_start, name="phone_start"),
    path("login/phone/verify/", views.phone_verify, name="phone_verify"),
    path("login/email/", views.email_login, name="email_login"),
    path("logout/", views.logout_view, name="logout"),
]
